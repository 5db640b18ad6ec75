import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MnemosClient } from '../../src/client/mnemos-client.js';
import { readSse, type SseMessage } from '../../src/client/sse.js';
import { type ModelServer, startModelServer } from '../support/model-server.js';
import {
  baseConfig,
  call,
  expectError,
  parseSse,
  startTestServer,
  type TestServer,
} from './helpers.js';

/**
 * Every turn of a session, live: `GET /v1/sessions/{id}/stream` (SSE) and `/ws` (WebSocket) carry
 * the events of running and later turns with their `<turn>.<n>` ids, resume after a given id
 * across turns, and show a session only to its own tenant.
 */

let model: ModelServer;
let server: TestServer;
let key = '';
let strangerKey = '';

beforeAll(async () => {
  model = await startModelServer();
  server = await startTestServer({
    config: `${baseConfig}llm:\n  base_url: ${model.url}\n  model: scripted\n`,
  });
  key = (await server.mnemos.keys.create({ appId: 'shop', tenantId: 'u1' })).key;
  strangerKey = (await server.mnemos.keys.create({ appId: 'shop', tenantId: 'u2' })).key;
});
beforeEach(() => model.reset());
afterAll(async () => {
  await server?.remove();
  await model?.close();
});

async function newSession(): Promise<string> {
  return (await call(server.url, key, 'POST', '/v1/sessions', { title: 's' })).json<{
    id: string;
  }>().id;
}

async function turn(sessionId: string, content: string): Promise<string> {
  const answer = await call(server.url, key, 'POST', `/v1/sessions/${sessionId}/messages`, {
    content,
  });
  expect(answer.status, answer.text).toBe(200);
  return answer.json<{ turnId: string }>().turnId;
}

/** Ids and types of a turn's events as its own endpoint keeps them. */
async function eventsOfTurn(sessionId: string, turnId: string): Promise<string[]> {
  const answer = await call(
    server.url,
    key,
    'GET',
    `/v1/sessions/${sessionId}/turns/${turnId}/events`,
  );
  return parseSse(answer.text).map((event) => `${event.id} ${event.event}`);
}

/** An open session stream read event by event. */
async function openStream(
  sessionId: string,
  headers: Record<string, string> = {},
): Promise<{ next(count: number): Promise<SseMessage[]>; close(): void; ended: Promise<string> }> {
  const controller = new AbortController();
  const response = await fetch(`${server.url}/v1/sessions/${sessionId}/stream`, {
    headers: { authorization: `Bearer ${key}`, ...headers },
    signal: controller.signal,
  });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
  const messages = readSse(response.body!);
  let ended: (how: string) => void = () => {};
  const endedPromise = new Promise<string>((resolve) => {
    ended = resolve;
  });
  return {
    async next(count) {
      const out: SseMessage[] = [];
      while (out.length < count) {
        const step = await messages.next().catch((error: unknown) => {
          ended(`error: ${String(error)}`);
          throw error;
        });
        if (step.done) {
          ended('ended');
          break;
        }
        out.push(step.value);
      }
      return out;
    },
    close: () => controller.abort(),
    ended: endedPromise,
  };
}

describe('GET /v1/sessions/{id}/stream', () => {
  it('streams every turn of the session with their ids, as each turn keeps them', async () => {
    const sessionId = await newSession();
    const stream = await openStream(sessionId);
    model.script({ text: 'first answer' }, { text: 'second answer' });
    const first = await turn(sessionId, 'one');
    const second = await turn(sessionId, 'two');
    const expected = [
      ...(await eventsOfTurn(sessionId, first)),
      ...(await eventsOfTurn(sessionId, second)),
    ];
    const received = await stream.next(expected.length);
    expect(received.map((message) => `${message.id} ${message.event}`)).toEqual(expected);
    expect(
      received.filter((message) => message.event === 'done').map((m) => JSON.parse(m.data).text),
    ).toEqual(['first answer', 'second answer']);
    expect(received[0]!.id).toBe(`${first}.1`);
    stream.close();
  });

  it('resumes after Last-Event-ID across turns, then goes on live', async () => {
    const sessionId = await newSession();
    model.script({ text: 'alpha' }, { text: 'beta' }, { text: 'gamma' });
    const first = await turn(sessionId, 'one');
    const second = await turn(sessionId, 'two');
    const kept = [
      ...(await eventsOfTurn(sessionId, first)),
      ...(await eventsOfTurn(sessionId, second)),
    ];
    const resumeAt = kept.findIndex((entry) => entry.startsWith(`${first}.2 `));
    expect(resumeAt).toBeGreaterThan(0);
    const stream = await openStream(sessionId, { 'last-event-id': `${first}.2` });
    const replayed = await stream.next(kept.length - resumeAt - 1);
    expect(replayed.map((message) => `${message.id} ${message.event}`)).toEqual(
      kept.slice(resumeAt + 1),
    );
    const third = await turn(sessionId, 'three');
    const live = await eventsOfTurn(sessionId, third);
    const next = await stream.next(live.length);
    expect(next.map((message) => `${message.id} ${message.event}`)).toEqual(live);
    stream.close();

    // An id of a turn no longer kept (or never seen) replays every kept turn.
    const all = await openStream(sessionId, { 'last-event-id': 'gone.3' });
    expect((await all.next(kept.length + live.length)).map((message) => message.id)).toEqual(
      [...kept, ...live].map((entry) => entry.split(' ')[0]),
    );
    all.close();
  });

  it('is 404 for another tenant, and for a session that does not exist', async () => {
    const sessionId = await newSession();
    expectError(
      await call(server.url, strangerKey, 'GET', `/v1/sessions/${sessionId}/stream`),
      404,
      'not_found',
    );
    expectError(await call(server.url, key, 'GET', '/v1/sessions/nope/stream'), 404, 'not_found');
    expectError(await call(server.url, null, 'GET', `/v1/sessions/${sessionId}/stream`), 401);
  });

  it('lets go of a client that disconnected', async () => {
    const sessionId = await newSession();
    const before = await watchers();
    const stream = await openStream(sessionId);
    expect(await watchers()).toBe(before + 1);
    stream.close();
    for (let tries = 0; tries < 100 && (await watchers()) !== before; tries++)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await watchers()).toBe(before);
  });
});

/** Session streams the server holds open, from /metrics. */
async function watchers(): Promise<number> {
  const text = (await call(server.url, null, 'GET', '/metrics')).text;
  const line = text.split('\n').find((entry) => entry.startsWith('mnemos_session_streams '));
  return Number(line?.split(' ')[1]);
}

/** A WebSocket to a session, its messages collected. */
function socket(
  sessionId: string,
  options: { key?: string | null; query?: string } = {},
): Promise<{
  ws: WebSocket;
  messages: Array<Record<string, unknown>>;
  waitFor(count: number): Promise<void>;
}> {
  const used = options.key === undefined ? key : options.key;
  const url = `${server.url.replace(/^http/, 'ws')}/v1/sessions/${sessionId}/ws${options.query ?? ''}`;
  const ws = new WebSocket(url, { headers: used ? { authorization: `Bearer ${used}` } : {} });
  const messages: Array<Record<string, unknown>> = [];
  const waiters: Array<() => void> = [];
  ws.on('message', (data) => {
    messages.push(JSON.parse(String(data)) as Record<string, unknown>);
    for (const wake of waiters.splice(0)) wake();
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () =>
      resolve({
        ws,
        messages,
        async waitFor(count) {
          while (messages.length < count) await new Promise<void>((wake) => waiters.push(wake));
        },
      }),
    );
    ws.once('unexpected-response', (_request, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      response.on('end', () =>
        reject(Object.assign(new Error(body), { status: response.statusCode, body })),
      );
    });
    ws.once('error', reject);
  });
}

describe('GET /v1/sessions/{id}/ws', () => {
  it('carries the same events as JSON {id, event, data}, and resumes by ?last_event_id', async () => {
    const sessionId = await newSession();
    const live = await socket(sessionId);
    model.script({ text: 'over the socket' });
    const turnId = await turn(sessionId, 'hello');
    const kept = parseSse(
      (await call(server.url, key, 'GET', `/v1/sessions/${sessionId}/turns/${turnId}/events`)).text,
    );
    await live.waitFor(kept.length);
    expect(live.messages).toEqual(
      kept.map((event) => ({ id: event.id, event: event.event, data: event.data })),
    );
    live.ws.close();

    const resumed = await socket(sessionId, { query: `?last_event_id=${turnId}.1` });
    await resumed.waitFor(kept.length - 1);
    expect(resumed.messages.map((message) => message.id)).toEqual(
      kept.slice(1).map((event) => event.id),
    );
    resumed.ws.close();
  });

  it('refuses the handshake without a key (401) and for another tenant (404)', async () => {
    const sessionId = await newSession();
    const missing = await socket(sessionId, { key: null }).then(
      () => null,
      (error: { status?: number; body?: string }) => error,
    );
    expect(missing?.status).toBe(401);
    expect(JSON.parse(missing?.body ?? '{}').error.code).toBe('unauthorized');
    const stranger = await socket(sessionId, { key: strangerKey }).then(
      () => null,
      (error: { status?: number; body?: string }) => error,
    );
    expect(stranger?.status).toBe(404);
    expect(JSON.parse(stranger?.body ?? '{}').error.code).toBe('not_found');
  });

  it('answers a plain GET with 400 naming the SSE endpoint', async () => {
    const sessionId = await newSession();
    const answer = await call(server.url, key, 'GET', `/v1/sessions/${sessionId}/ws`);
    expectError(answer, 400, 'invalid_input');
    expect(answer.text).toContain(`/v1/sessions/${sessionId}/stream`);
  });
});

describe('client.sessions.watch', () => {
  it('yields the events of turns started elsewhere, until aborted', async () => {
    const sessionId = await newSession();
    const client = new MnemosClient({ baseUrl: server.url, apiKey: key });
    const controller = new AbortController();
    model.script({ text: 'watched' });
    const seen: string[] = [];
    const watching = (async () => {
      for await (const { event, turnId } of client.sessions.watch(sessionId, {
        signal: controller.signal,
      })) {
        seen.push(`${turnId} ${event.type}`);
        if (event.type === 'done') controller.abort();
      }
    })();
    // The watch is open before the turn starts: wait until the server holds it.
    for (let tries = 0; tries < 100 && (await watchers()) === 0; tries++)
      await new Promise((resolve) => setTimeout(resolve, 20));
    const turnId = await turn(sessionId, 'hi');
    await watching;
    expect(seen.at(-1)).toBe(`${turnId} done`);
    expect(seen.every((entry) => entry.startsWith(turnId))).toBe(true);
  });
});

describe('shutdown', () => {
  it('ends open session streams cleanly instead of cutting them', async () => {
    const own = await startTestServer({
      config: `${baseConfig}llm:\n  base_url: ${model.url}\n  model: scripted\n`,
    });
    try {
      const ownKey = (await own.mnemos.keys.create({ appId: 'shop', tenantId: 'u1' })).key;
      const sessionId = (await call(own.url, ownKey, 'POST', '/v1/sessions', {})).json<{
        id: string;
      }>().id;
      const response = await fetch(`${own.url}/v1/sessions/${sessionId}/stream`, {
        headers: { authorization: `Bearer ${ownKey}` },
      });
      const reading = response.text().then(
        (text) => `ended: ${text}`,
        (error: unknown) => `cut: ${String(error)}`,
      );
      const ws = new WebSocket(`${own.url.replace(/^http/, 'ws')}/v1/sessions/${sessionId}/ws`, {
        headers: { authorization: `Bearer ${ownKey}` },
      });
      await new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      });
      const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
      await own.stop();
      expect(await reading).toBe('ended: ');
      expect(await closed).toBe(1001);
    } finally {
      await own.remove();
    }
  });
});
