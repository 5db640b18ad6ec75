import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.js';
import { jsonLogger } from '../../src/http/logger.js';
import { type ModelServer, startModelServer } from '../support/model-server.js';
import {
  baseConfig,
  call,
  expectError,
  parseSse,
  type SseEvent,
  startTestServer,
  type TestServer,
} from './helpers.js';

/**
 * What the server does besides the routes themselves: /health, /openapi.json, /metrics, the JSON
 * request log, the audit trail, and agent turns streamed as server-sent events.
 */

let model: ModelServer;
let app: TestServer;
let key = '';
let otherKey = '';
const owner = { appId: 'app', tenantId: 'a' };

beforeAll(async () => {
  model = await startModelServer();
  app = await startTestServer({
    config: `${baseConfig}llm:\n  base_url: ${model.url}\n  model: scripted\nagent:\n  toolsets: [memory]\n`,
  });
  const created = await app.mnemos.keys.create({ ...owner, name: 'server test' });
  key = created.key;
  otherKey = (await app.mnemos.keys.create({ appId: 'app', tenantId: 'b' })).key;
});

afterAll(async () => {
  await app?.remove();
  await model?.close();
});

describe('GET /health', () => {
  it('answers without an API key', async () => {
    const answer = await call(app.url, null, 'GET', '/health');
    expect(answer.status).toBe(200);
    expect(answer.json()).toEqual({ ok: true, storage: 'sqlite' });
  });
});

interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, JsonSchema>; securitySchemes?: Record<string, unknown> };
}
interface OpenApiOperation {
  responses: Record<string, { content?: Record<string, { schema: JsonSchema }> }>;
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
  parameters?: Array<{ name: string; in: string }>;
}
interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
}

describe('GET /openapi.json', () => {
  let document: OpenApiDocument;

  beforeAll(async () => {
    const answer = await call(app.url, null, 'GET', '/openapi.json');
    expect(answer.status).toBe(200);
    document = answer.json<OpenApiDocument>();
  });

  it('is OpenAPI 3.1 and documents every /v1 route the app registers, and nothing else', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(document.info.title).toBe('Mnemos');
    const { app: hono } = createApp({ mnemos: app.mnemos, log: jsonLogger(process.stderr, true) });
    const registered = new Set(
      hono.routes
        .filter((route) => route.path.startsWith('/v1/') && route.method !== 'ALL')
        .map((route) => `${route.method} ${route.path.replace(/:([A-Za-z]+)/g, '{$1}')}`),
    );
    expect(registered.size).toBeGreaterThan(25);
    const documented = new Set(
      Object.entries(document.paths).flatMap(([path, operations]) =>
        Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
      ),
    );
    expect([...registered].filter((route) => !documented.has(route))).toEqual([]);
    expect([...documented].filter((route) => !registered.has(route))).toEqual([]);
  });

  it('has schemas generated from the zod definitions, every $ref resolving', () => {
    const schemas = document.components.schemas;
    for (const name of ['Memory', 'Job', 'Error', 'Session', 'SearchResult', 'Scope', 'Turn'])
      expect(Object.keys(schemas)).toContain(name);
    expect(schemas.Memory?.required).toEqual(
      expect.arrayContaining(['id', 'text', 'scope', 'metadata', 'createdAt']),
    );
    expect(schemas.Job?.properties?.status).toMatchObject({
      enum: ['running', 'succeeded', 'failed'],
    });
    expect(schemas.Error?.properties?.error?.required).toEqual(['code', 'message', 'details']);
    const refs = JSON.stringify(document).match(/"\$ref":"[^"]+"/g) ?? [];
    expect(refs.length).toBeGreaterThan(50);
    for (const ref of refs) {
      const target = ref.slice(8, -1);
      expect(target).toMatch(/^#\/components\/schemas\//);
      expect(schemas[target.split('/').at(-1)!], target).toBeDefined();
    }
  });

  it('gives every /v1 operation a success answer, the shared error answers and typed parameters', () => {
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const statuses = Object.keys(operation.responses);
        // A WebSocket handshake succeeds with 101 Switching Protocols.
        expect(
          statuses.some((status) => status.startsWith('2') || status === '101'),
          `${method} ${path}`,
        ).toBe(true);
        for (const status of ['400', '401', '403', '404', '429']) {
          expect(
            operation.responses[status]?.content?.['application/json']?.schema.$ref,
            `${method} ${path} ${status}`,
          ).toBe('#/components/schemas/Error');
        }
        for (const name of path.match(/\{(\w+)\}/g) ?? []) {
          expect(
            operation.parameters?.some(
              (parameter) => parameter.in === 'path' && `{${parameter.name}}` === name,
            ),
            `${method} ${path} ${name}`,
          ).toBe(true);
        }
      }
    }
    expect(document.paths['/v1/memories']?.post?.requestBody?.content['application/json']).toEqual({
      schema: { $ref: '#/components/schemas/AddMemories' },
    });
  });

  it('describes what the routes really answer (Memory and Job)', async () => {
    const added = await call(app.url, key, 'POST', '/v1/memories', {
      text: 'Schema check memory',
      sync: true,
    });
    const job = added.json<Record<string, unknown>>();
    const memory = (
      await call(app.url, key, 'GET', `/v1/memories/${(job.memoryIds as string[])[0]}`)
    ).json<Record<string, unknown>>();
    for (const [name, value] of [
      ['Job', job],
      ['Memory', memory],
    ] as const) {
      const schema = document.components.schemas[name]!;
      expect(Object.keys(value).sort(), name).toEqual(Object.keys(schema.properties!).sort());
      for (const field of schema.required ?? [])
        expect(value, `${name}.${field}`).toHaveProperty(field);
    }
  });
});

/** Parses the Prometheus text format into samples. */
function samples(
  text: string,
): Array<{ name: string; labels: Record<string, string>; value: number }> {
  const out = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a Prometheus sample: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      labels[pair[1]!] = pair[2]!;
    out.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return out;
}

describe('GET /metrics', () => {
  it('exposes per-route counters, latency histograms, the queue, memories and jobs after traffic', async () => {
    const metricsKey = (await app.mnemos.keys.create({ appId: 'metrics', tenantId: 'm' })).key;
    for (let index = 0; index < 3; index++) {
      const added = await call(app.url, metricsKey, 'POST', '/v1/memories', {
        text: `Metrics memory number ${index}`,
        sync: true,
      });
      expect(added.status).toBe(200);
    }
    const queued = await call(app.url, metricsKey, 'POST', '/v1/memories', {
      text: 'Metrics memory added asynchronously',
    });
    expect(queued.status).toBe(202);
    for (let index = 0; index < 2; index++)
      await call(app.url, metricsKey, 'POST', '/v1/memories/search', { query: 'metrics' });
    expect((await call(app.url, metricsKey, 'GET', '/v1/memories/no-such-id')).status).toBe(404);
    expect((await call(app.url, 'mn_unknown', 'GET', '/v1/memories')).status).toBe(401);
    await app.mnemos.drain();

    const answer = await call(app.url, null, 'GET', '/metrics');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(answer.text).toContain('# TYPE mnemos_http_requests_total counter');
    expect(answer.text).toContain('# TYPE mnemos_http_request_duration_seconds histogram');
    const all = samples(answer.text);
    const value = (name: string, labels: Record<string, string> = {}): number | undefined =>
      all.find(
        (sample) =>
          sample.name === name &&
          Object.entries(labels).every(([label, wanted]) => sample.labels[label] === wanted),
      )?.value;

    // Counters by route template (never the raw path), method and status.
    expect(
      value('mnemos_http_requests_total', { route: '/v1/memories', method: 'POST', status: '200' }),
    ).toBeGreaterThanOrEqual(3);
    expect(
      value('mnemos_http_requests_total', { route: '/v1/memories', method: 'POST', status: '202' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      value('mnemos_http_requests_total', {
        route: '/v1/memories/search',
        method: 'POST',
        status: '200',
      }),
    ).toBeGreaterThanOrEqual(2);
    expect(
      value('mnemos_http_requests_total', {
        route: '/v1/memories/:id',
        method: 'GET',
        status: '404',
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(all.some((sample) => sample.labels.route?.includes('no-such-id'))).toBe(false);
    expect(
      all.some(
        (sample) => sample.name === 'mnemos_http_requests_total' && sample.labels.status === '401',
      ),
    ).toBe(true);

    // Histogram: cumulative buckets up to +Inf, which equals the count.
    const labels = { route: '/v1/memories', method: 'POST' };
    const buckets = all.filter(
      (sample) =>
        sample.name === 'mnemos_http_request_duration_seconds_bucket' &&
        sample.labels.route === labels.route &&
        sample.labels.method === labels.method,
    );
    expect(buckets.map((bucket) => bucket.labels.le)).toEqual([
      '0.001',
      '0.0025',
      '0.005',
      '0.01',
      '0.025',
      '0.05',
      '0.1',
      '0.25',
      '0.5',
      '1',
      '2.5',
      '5',
      '10',
      '+Inf',
    ]);
    for (let index = 1; index < buckets.length; index++)
      expect(buckets[index]!.value).toBeGreaterThanOrEqual(buckets[index - 1]!.value);
    const count = value('mnemos_http_request_duration_seconds_count', labels);
    expect(count).toBeGreaterThanOrEqual(4);
    expect(buckets.at(-1)!.value).toBe(count);
    expect(value('mnemos_http_request_duration_seconds_sum', labels)).toBeGreaterThan(0);

    // Engine gauges.
    const statistics = await app.mnemos.statistics();
    expect(value('mnemos_ingest_queue_depth')).toBe(0);
    expect(value('mnemos_memories', { store: 'mnemos' })).toBe(statistics.memoriesByStore.mnemos);
    expect(value('mnemos_memories', { store: 'mnemos' })).toBeGreaterThanOrEqual(4);
    expect(value('mnemos_jobs', { state: 'succeeded' })).toBe(statistics.jobStates.succeeded);
    expect(value('mnemos_jobs', { state: 'succeeded' })).toBeGreaterThanOrEqual(4);
    expect(all.some((sample) => sample.name.startsWith('mnemos_process_'))).toBe(true);
  });
});

describe('request logs', () => {
  it('writes one JSON line per request with method, route, status and ms, and never memory text or keys', async () => {
    const secret = 'PLUMTREE-7781-SECRET';
    const logKey = await app.mnemos.keys.create({ appId: 'logs', tenantId: 'l' });
    const bogusKey = `mn_${'Z'.repeat(20)}${secret}`;
    const from = app.logs.length;
    const sent: Array<[string, string, unknown?, Record<string, string>?]> = [
      ['POST', '/v1/memories', { text: `My bank PIN is ${secret}`, sync: true }],
      ['POST', '/v1/memories', { messages: [{ role: 'user', content: `remember ${secret}` }] }],
      ['POST', '/v1/memories/search', { query: secret }],
      ['GET', `/v1/sessions/search?query=${secret}`],
      ['POST', '/v1/sessions', { id: 'log-session', title: secret, metadata: { note: secret } }],
      [
        'POST',
        '/v1/sessions/log-session/history',
        { messages: [{ role: 'user', content: secret }] },
      ],
      ['PUT', '/v1/profile/name', { value: secret }],
      ['POST', '/v1/memories', `{"text": "${secret}`],
      ['POST', '/v1/memories', { text: secret, scope: { tenantId: secret } }],
      ['GET', '/v1/memories', undefined, { 'x-api-key': logKey.key, authorization: '' }],
    ];
    let requests = 0;
    for (const [method, path, body, headers] of sent) {
      await call(app.url, logKey.key, method, path, body, headers);
      requests++;
    }
    expect((await call(app.url, bogusKey, 'GET', '/v1/memories')).status).toBe(401);
    expect((await call(app.url, null, 'GET', `/v1/memories/${secret}`)).status).toBe(401);
    requests += 2;
    await app.mnemos.drain();

    const lines = app.logs.slice(from);
    const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    for (const entry of entries) {
      expect(entry).toMatchObject({ level: expect.stringMatching(/^(info|warn|error)$/) });
      expect(typeof entry.msg).toBe('string');
      expect(new Date(entry.time as string).toISOString()).toBe(entry.time);
    }
    const requestLines = entries.filter((entry) => entry.msg === 'request');
    expect(requestLines).toHaveLength(requests);
    for (const entry of requestLines) {
      expect(typeof entry.method).toBe('string');
      expect(typeof entry.route).toBe('string');
      expect(typeof entry.status).toBe('number');
      expect(typeof entry.ms).toBe('number');
      expect(entry.ms as number).toBeGreaterThanOrEqual(0);
      expect(typeof entry.requestId).toBe('string');
    }
    expect(requestLines.map((entry) => `${entry.method} ${entry.route} ${entry.status}`)).toEqual(
      expect.arrayContaining([
        'POST /v1/memories 200',
        'POST /v1/memories 202',
        'POST /v1/memories/search 200',
        'GET /v1/sessions/search 200',
        'PUT /v1/profile/:key 200',
        'POST /v1/memories 400',
        'POST /v1/memories 403',
      ]),
    );
    // The key's id identifies the caller; the key itself never appears.
    expect(requestLines.filter((entry) => entry.keyId === logKey.record.id)).toHaveLength(
      sent.length,
    );
    for (const line of lines) {
      expect(line).not.toContain(secret);
      expect(line).not.toContain(logKey.key);
      expect(line).not.toContain(logKey.key.slice(3));
      expect(line).not.toContain(bogusKey);
    }
  });
});

describe('the audit trail', () => {
  it('records every mutating request of the tenant (method, path, status; never bodies), and nothing else', async () => {
    const auditKey = await app.mnemos.keys.create({ appId: 'audit', tenantId: 'u1' });
    const neighbourKey = (await app.mnemos.keys.create({ appId: 'audit', tenantId: 'u2' })).key;
    const k = auditKey.key;
    const added = await call(app.url, k, 'POST', '/v1/memories', {
      text: 'Audited note',
      sync: true,
    });
    const id = added.json<{ memoryIds: string[] }>().memoryIds[0]!;
    const steps: Array<[string, string, unknown, number, boolean]> = [
      ['POST', '/v1/memories/search', { query: 'note' }, 200, false],
      ['GET', '/v1/memories', undefined, 200, false],
      ['GET', `/v1/memories/${id}`, undefined, 200, false],
      ['PATCH', `/v1/memories/${id}`, { text: 'Audited note, changed' }, 200, true],
      ['GET', `/v1/memories/${id}/history`, undefined, 200, false],
      ['DELETE', '/v1/memories/not-a-memory', undefined, 404, true],
      ['PUT', '/v1/profile/search', { value: 'a profile key named search' }, 200, true],
      ['GET', '/v1/profile', undefined, 200, false],
      ['POST', '/v1/sessions', { id: 'search', title: 'a session named search' }, 201, true],
      ['GET', '/v1/sessions/search?query=audited', undefined, 200, false],
      [
        'POST',
        '/v1/sessions/search/history',
        { messages: [{ role: 'user', content: 'hi' }] },
        200,
        true,
      ],
      ['DELETE', '/v1/sessions/search', undefined, 204, true],
      ['POST', '/v1/memories', '{"text": ', 400, true],
      ['POST', '/v1/memories/search', { query: '' }, 400, false],
      ['POST', '/v1/memories/delete-by-scope', { scope: { tenantId: 'u2' } }, 403, true],
      ['DELETE', `/v1/memories/${id}?store=mnemos`, undefined, 204, true],
      ['GET', '/v1/requests', undefined, 200, false],
    ];
    const expected: Array<{ method: string; path: string; status: number; store: string | null }> =
      [{ method: 'POST', path: '/v1/memories', status: 200, store: null }];
    for (const [method, path, body, status, audited] of steps) {
      const answer = await call(app.url, k, method, path, body);
      expect(answer.status, `${method} ${path}: ${answer.text}`).toBe(status);
      if (audited) {
        const [bare, query] = path.split('?');
        expected.push({
          method,
          path: bare!,
          status,
          store: query?.startsWith('store=') ? query.slice(6) : null,
        });
      }
    }
    expect((await call(app.url, `${k}x`, 'DELETE', `/v1/memories/${id}`)).status).toBe(401);

    const rows = (await call(app.url, k, 'GET', '/v1/requests?limit=100')).json<{
      requests: Array<Record<string, unknown>>;
    }>().requests;
    expect(
      rows.map(({ method, path, status, store }) => ({ method, path, status, store })),
    ).toEqual(expected.reverse());
    for (const row of rows) {
      expect(Object.keys(row).sort()).toEqual(
        [
          'appId',
          'createdAt',
          'id',
          'keyId',
          'method',
          'path',
          'status',
          'store',
          'tenantId',
        ].sort(),
      );
      expect(row).toMatchObject({ appId: 'audit', tenantId: 'u1', keyId: auditKey.record.id });
    }
    // Another tenant of the same app sees none of it.
    const neighbour = (await call(app.url, neighbourKey, 'GET', '/v1/requests')).json<{
      requests: unknown[];
    }>().requests;
    expect(neighbour).toEqual([]);
  });
});

describe('agent turns as server-sent events', () => {
  let sessionId = '';

  beforeAll(async () => {
    const created = await call(app.url, key, 'POST', '/v1/sessions', { title: 'sse' });
    expect(created.status).toBe(201);
    sessionId = created.json<{ id: string }>().id;
  });

  /** Checks order and ids: tokens, then one `done` last; ids `<turn>.<n>` from 1 up. */
  function checkTurn(events: SseEvent[], turnId: string, text: string): void {
    expect(events.map((event) => event.event)).toEqual([
      ...events.slice(0, -1).map(() => 'token'),
      'done',
    ]);
    expect(events.length).toBeGreaterThan(2);
    expect(events.map((event) => event.id)).toEqual(
      events.map((_event, index) => `${turnId}.${index + 1}`),
    );
    const tokens = events
      .filter((event) => event.event === 'token')
      .map((event) => event.data.text)
      .join('');
    expect(tokens).toBe(text);
    expect(events.at(-1)!.data).toMatchObject({ sessionId, text, reason: 'answered', steps: 1 });
  }

  it('streams tokens then done (with usage), and resumes after Last-Event-ID', async () => {
    const text = 'Hello from the scripted model, streamed in pieces.';
    model.script({
      text,
      chunks: ['Hello ', 'from the ', 'scripted model, ', 'streamed ', 'in pieces.'],
      usage: { prompt_tokens: 42, completion_tokens: 7 },
    });
    const answer = await call(app.url, key, 'POST', `/v1/sessions/${sessionId}/messages`, {
      content: 'Say hello',
      stream: true,
    });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const turnId = answer.headers.get('x-mnemos-turn')!;
    expect(turnId).toMatch(/^[0-9a-f-]{36}$/);
    const events = parseSse(answer.text);
    checkTurn(events, turnId, text);
    expect(events).toHaveLength(6);
    expect(events.at(-1)!.data.usage).toEqual({ inputTokens: 42, outputTokens: 7 });

    // Resume: only the events after the last one received, identical.
    const resumed = await call(
      app.url,
      key,
      'GET',
      `/v1/sessions/${sessionId}/turns/${turnId}/events`,
      undefined,
      { 'last-event-id': `${turnId}.2` },
    );
    expect(resumed.status, resumed.text).toBe(200);
    expect(parseSse(resumed.text)).toEqual(events.slice(2));
    const replay = await call(
      app.url,
      key,
      'GET',
      `/v1/sessions/${sessionId}/turns/${turnId}/events`,
    );
    expect(parseSse(replay.text)).toEqual(events);
    const afterDone = await call(
      app.url,
      key,
      'GET',
      `/v1/sessions/${sessionId}/turns/${turnId}/events`,
      undefined,
      { 'last-event-id': `${turnId}.6` },
    );
    expect(parseSse(afterDone.text)).toEqual([]);

    // The turn belongs to its tenant.
    expectError(
      await call(app.url, otherKey, 'GET', `/v1/sessions/${sessionId}/turns/${turnId}/events`),
      404,
      'not_found',
    );
    expectError(
      await call(app.url, otherKey, 'POST', `/v1/sessions/${sessionId}/messages`, {
        content: 'hijack',
        stream: true,
      }),
      404,
      'not_found',
    );

    // The turn is in the session's history.
    const stored = (await call(app.url, key, 'GET', `/v1/sessions/${sessionId}/messages`)).json<{
      messages: Array<{ role: string; content: string }>;
    }>().messages;
    expect(stored.slice(-2).map((message) => [message.role, message.content])).toEqual([
      ['user', 'Say hello'],
      ['assistant', text],
    ]);
  });

  it('follows a running turn live from another connection', async () => {
    const text = 'A slow answer arrives.';
    model.delayNext(1, 800, { path: '/v1/chat/completions' });
    model.script({ text, chunks: ['A slow ', 'answer ', 'arrives.'] });
    const response = await fetch(`${app.url}/v1/sessions/${sessionId}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ content: 'Answer slowly', stream: true }),
    });
    expect(response.status).toBe(200);
    const turnId = response.headers.get('x-mnemos-turn')!;
    const follower = await call(
      app.url,
      key,
      'GET',
      `/v1/sessions/${sessionId}/turns/${turnId}/events`,
    );
    const original = parseSse(await response.text());
    checkTurn(original, turnId, text);
    expect(parseSse(follower.text)).toEqual(original);
  });

  it('answers with JSON without stream, and counts tokens in /metrics', async () => {
    model.script({ text: 'Plain answer.', usage: { prompt_tokens: 10, completion_tokens: 3 } });
    const answer = await call(app.url, key, 'POST', `/v1/sessions/${sessionId}/messages`, {
      content: 'No streaming please',
    });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json()).toMatchObject({
      sessionId,
      text: 'Plain answer.',
      usage: { inputTokens: 10, outputTokens: 3 },
      reason: 'answered',
      turnId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    const metrics = samples((await call(app.url, null, 'GET', '/metrics')).text);
    const input = metrics.find(
      (sample) => sample.name === 'mnemos_agent_tokens_total' && sample.labels.kind === 'input',
    );
    expect(input?.value).toBeGreaterThanOrEqual(42 + 10);
  });

  it('answers 404 for a session of another tenant or a turn it does not know', async () => {
    expectError(
      await call(app.url, key, 'GET', `/v1/sessions/${sessionId}/turns/not-a-turn/events`),
      404,
      'not_found',
    );
    expectError(
      await call(app.url, key, 'POST', '/v1/sessions/no-such-session/messages', { content: 'hi' }),
      404,
      'not_found',
    );
  });
});
