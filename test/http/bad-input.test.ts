import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Answer,
  type Body,
  call,
  expectError,
  startTestServer,
  type TestServer,
} from './helpers.js';

/**
 * Every bad-input rule of the HTTP API: each request is refused with a 4xx status and the shared
 * error body `{error: {code, message, details}}`, and nothing is written (stores, keys, memories,
 * jobs, sessions, messages and the profile are counted before and after).
 */

const owner = { appId: 'app', tenantId: 'a' };
const neighbour = { appId: 'app', tenantId: 'b' };
const limitBytes = 1024 * 1024;

let app: TestServer;
const keys = { tenant: '', neighbour: '', admin: '', revoked: '', neighbourId: '' };
let memoryId = '';
const sessionId = 'sess-1';

beforeAll(async () => {
  app = await startTestServer();
  keys.tenant = (await app.mnemos.keys.create(owner)).key;
  const other = await app.mnemos.keys.create(neighbour);
  keys.neighbour = other.key;
  keys.neighbourId = other.record.id;
  keys.admin = (await app.mnemos.keys.create({ appId: 'ops', tenantId: 'ops', admin: true })).key;
  const revoked = await app.mnemos.keys.create({ ...owner, name: 'revoked' });
  keys.revoked = revoked.key;
  await app.mnemos.keys.revoke(revoked.record.id);
  const job = await app.mnemos.memories.add({ scope: owner, text: 'The seed memory', sync: true });
  memoryId = job.memoryIds[0]!;
  await app.mnemos.memories.add({ scope: neighbour, text: 'A neighbour memory', sync: true });
  await app.mnemos.sessions.create(owner, { id: sessionId, title: 'seed' });
  await app.mnemos.sessions.append(owner, sessionId, [{ role: 'user', content: 'seed message' }]);
  await app.mnemos.profile.set(owner, 'name', 'Ada');
});

afterAll(async () => {
  await app?.remove();
});

/** Everything a refused request could have written. */
async function snapshot(server: TestServer = app): Promise<unknown> {
  const { mnemos } = server;
  const statistics = await mnemos.statistics();
  const tenants = [];
  for (const tenant of [owner, neighbour]) {
    const listed = await mnemos.memories.list({ scope: tenant, includeDeleted: true, limit: 1000 });
    const sessions = await mnemos.sessions.list(tenant, { limit: 1000 });
    tenants.push({
      memories: listed.memories.map((memory) => [
        memory.id,
        memory.text,
        memory.salience,
        memory.kind,
        memory.metadata,
        memory.deletedAt,
      ]),
      sessions: sessions.map((session) => [session.id, session.messageCount, session.metadata]),
      profile: await mnemos.profile.get(tenant),
      jobs: (await mnemos.memories.jobs({ scope: tenant, limit: 1000 })).map((job) => job.id),
    });
  }
  return {
    jobStates: statistics.jobStates,
    memoriesByStore: statistics.memoriesByStore,
    stores: (await mnemos.stores.list()).map((store) => [store.name, store.description]),
    ...(server === app ? await seedRecords(mnemos) : {}),
    keys: (await mnemos.keys.list()).map((key) => [key.id, key.admin, key.revokedAt]),
    tenants,
  };
}

/** What the seeds hold beyond counts: the seed memory's history and the seed session's messages. */
async function seedRecords(mnemos: TestServer['mnemos']): Promise<Record<string, unknown>> {
  return {
    history: (await mnemos.memories.history({ scope: owner, id: memoryId })).map((entry) => [
      entry.event,
      entry.oldText,
      entry.newText,
    ]),
    messages: (await mnemos.sessions.messages(owner, sessionId)).map((message) => [
      message.content,
      message.metadata,
    ]),
  };
}

type KeyName = keyof typeof keys | 'none' | 'unknown' | 'not-mnemos';

interface Case {
  name: string;
  method: string;
  /** May use `{memory}` and `{session}`. */
  path: string;
  /** JSON-encoded unless `raw` is given. */
  body?: Body;
  /** Sent as it is (bytes for bodies that are not UTF-8), as `application/json` unless told. */
  raw?: string | Uint8Array;
  headers?: Record<string, string>;
  key?: KeyName;
  status: number;
  code: string;
  /** Extra checks of the error body. */
  check?: (error: { code: string; message: string; details: Record<string, unknown> }) => void;
}

function keyOf(name: KeyName = 'tenant'): string | null {
  if (name === 'none') return null;
  if (name === 'unknown') return `mn_${'A'.repeat(43)}`;
  if (name === 'not-mnemos') return 'sk-not-a-mnemos-key';
  return keys[name];
}

const messages = (count: number, content = 'hello') =>
  Array.from({ length: count }, (_, index) => ({
    role: index % 2 === 0 ? 'user' : 'assistant',
    content,
  }));
const metadata = (count: number) =>
  Object.fromEntries(Array.from({ length: count }, (_, index) => [`k${index}`, 'v']));

const cases: Case[] = [
  // Bodies that are not JSON objects.
  ...(
    [
      ['POST', '/v1/memories', '{"text": "x",'],
      ['POST', '/v1/memories/search', '{query: "x"}'],
      ['POST', '/v1/memories/delete-by-scope', '{"scope":'],
      ['PATCH', '/v1/memories/{memory}', '{"text"'],
      ['POST', '/v1/sessions', 'not json at all'],
      ['POST', '/v1/sessions/{session}/history', '{"messages": [}'],
      ['POST', '/v1/sessions/{session}/messages', '{"content": "hi"'],
      ['PUT', '/v1/profile/name', '{"value":'],
    ] as const
  ).map(
    ([method, path, raw]): Case => ({
      name: `bad JSON: ${method} ${path}`,
      method,
      path,
      raw,
      status: 400,
      code: 'invalid_input',
      check: (error) => expect(error.message).toMatch(/JSON/),
    }),
  ),
  {
    name: 'JSON array body',
    method: 'POST',
    path: '/v1/memories',
    raw: '[]',
    status: 400,
    code: 'invalid_input',
  },
  {
    name: 'JSON null body',
    method: 'POST',
    path: '/v1/memories',
    raw: 'null',
    status: 400,
    code: 'invalid_input',
  },
  {
    name: 'JSON string body',
    method: 'POST',
    path: '/v1/memories',
    raw: '"remember me"',
    status: 400,
    code: 'invalid_input',
  },
  {
    name: 'a body that is not declared as JSON',
    method: 'POST',
    path: '/v1/memories',
    raw: '{"text":"sent as text/plain","sync":true}',
    headers: { 'content-type': 'text/plain' },
    status: 415,
    code: 'invalid_input',
  },

  // Unknown fields, top level and in scope.
  ...(
    [
      ['POST', '/v1/memories', { text: 'x', sync: true, tenant: 'b' }],
      ['POST', '/v1/memories', { text: 'x', sync: true, userId: 'b' }],
      ['POST', '/v1/memories/search', { query: 'seed', scopes: {} }],
      ['POST', '/v1/memories/delete-by-scope', { scope: { agentId: 'default' }, all: true }],
      ['PATCH', '/v1/memories/{memory}', { text: 'x', scope: { tenantId: 'b' } }],
      ['POST', '/v1/sessions', { title: 't', tenantId: 'b' }],
      [
        'POST',
        '/v1/sessions/{session}/history',
        { messages: [{ role: 'user', content: 'x' }], sessionId: 'x' },
      ],
      [
        'POST',
        '/v1/sessions/{session}/history',
        { messages: [{ role: 'user', content: 'x', tenantId: 'b' }] },
      ],
      [
        'POST',
        '/v1/memories',
        { messages: [{ role: 'user', content: 'x', extra: 1 }], sync: true },
      ],
      ['POST', '/v1/sessions/{session}/messages', { content: 'hi', tenantId: 'b' }],
      ['PUT', '/v1/profile/name', { value: 'x', tenantId: 'b' }],
      ['POST', '/v1/memories', { text: 'x', sync: true, scope: { agentId: 'a', userId: 'b' } }],
      ['POST', '/v1/memories/search', { query: 'seed', scope: { bogus: 'x' } }],
      ['POST', '/v1/memories/delete-by-scope', { scope: { agentId: 'default', tenant: 'b' } }],
      ['GET', '/v1/memories?tenantId=b', undefined],
      ['GET', '/v1/memories?appId=other', undefined],
      ['GET', '/v1/sessions?tenantId=b', undefined],
      ['GET', '/v1/requests?tenantId=b', undefined],
    ] as const
  ).map(
    ([method, path, body]): Case => ({
      name: `unknown field: ${method} ${path} ${body ? JSON.stringify(body) : ''}`,
      method,
      path,
      body,
      status: 400,
      code: 'invalid_input',
      check: (error) => expect(error.message).toMatch(/Unrecognized key/),
    }),
  ),

  // More than 20 messages (and more than 200 appended to a session).
  {
    name: '21 messages',
    method: 'POST',
    path: '/v1/memories',
    body: { messages: messages(21), sync: true },
    status: 400,
    code: 'limit_exceeded',
    check: (error) => {
      expect(error.message).toMatch(/messages.*20/);
      expect(error.details).toEqual({ limit: 20, actual: 21 });
    },
  },
  {
    name: '201 messages appended to a session',
    method: 'POST',
    path: '/v1/sessions/{session}/history',
    body: { messages: messages(201) },
    status: 400,
    code: 'limit_exceeded',
    check: (error) => expect(error.details).toEqual({ limit: 200, actual: 201 }),
  },

  // U+0000 anywhere: PostgreSQL text cannot hold it, so both backends refuse it up front.
  ...(
    [
      ['POST', '/v1/memories', { text: 'before\u0000after', sync: true }, 'text'],
      [
        'POST',
        '/v1/memories',
        { messages: [{ role: 'user', content: 'a\u0000' }] },
        'messages.0.content',
      ],
      ['POST', '/v1/memories', { text: 'x', metadata: { k: 'v\u0000' } }, 'metadata.k'],
      ['POST', '/v1/memories/search', { query: 'tea\u0000' }, 'query'],
      ['PATCH', '/v1/memories/{memory}', { text: '\u0000' }, 'text'],
      ['POST', '/v1/sessions', { title: 'trip\u0000' }, 'title'],
      [
        'POST',
        '/v1/sessions/{session}/history',
        { messages: [{ role: 'user', content: 'hi\u0000' }] },
        'messages.0.content',
      ],
      ['PUT', '/v1/profile/name', { value: 'Ada\u0000' }, ''],
    ] as const
  ).map(
    ([method, path, body, at]): Case => ({
      name: `NUL character: ${method} ${path}${at ? ` (${at})` : ''}`,
      method,
      path,
      body: body as Body,
      status: 400,
      code: 'invalid_input',
      check: (error) => expect(error.message).toContain('NUL character (U+0000)'),
    }),
  ),
  // More than 32,000 characters: String length (UTF-16 code units), summed over messages.
  {
    name: 'text of 32,001 characters',
    method: 'POST',
    path: '/v1/memories',
    body: { text: 'x'.repeat(32_001), sync: true },
    status: 400,
    code: 'limit_exceeded',
    check: (error) => {
      expect(error.message).toMatch(/text: at most 32000 characters, got 32001/);
      expect(error.details).toEqual({ limit: 32_000, actual: 32_001 });
    },
  },
  {
    name: 'text of 32,001 Chinese characters',
    method: 'POST',
    path: '/v1/memories',
    body: { text: '记'.repeat(32_001) },
    status: 400,
    code: 'limit_exceeded',
    check: (error) => expect(error.details).toEqual({ limit: 32_000, actual: 32_001 }),
  },
  {
    name: 'one message of 32,001 characters',
    method: 'POST',
    path: '/v1/memories',
    body: { messages: [{ role: 'user', content: 'x'.repeat(32_001) }], sync: true },
    status: 400,
    code: 'limit_exceeded',
    check: (error) => expect(error.details).toEqual({ limit: 32_000, actual: 32_001 }),
  },
  {
    name: 'messages of 16,001 + 16,000 characters (the limit is on the sum)',
    method: 'POST',
    path: '/v1/memories',
    body: {
      messages: [
        { role: 'user', content: 'x'.repeat(16_001) },
        { role: 'assistant', content: 'y'.repeat(16_000) },
      ],
      sync: true,
    },
    status: 400,
    code: 'limit_exceeded',
    check: (error) => expect(error.details).toEqual({ limit: 32_000, actual: 32_001 }),
  },
  {
    name: 'messages of 16,001 emoji (32,002 UTF-16 code units)',
    method: 'POST',
    path: '/v1/memories',
    body: {
      messages: [
        { role: 'user', content: '😀'.repeat(8_001) },
        { role: 'user', content: '😀'.repeat(8_000) },
      ],
    },
    status: 400,
    code: 'limit_exceeded',
    check: (error) => expect(error.details).toEqual({ limit: 32_000, actual: 32_002 }),
  },
  ...(
    [
      ['search query', 'POST', '/v1/memories/search', { query: 'q'.repeat(32_001) }],
      ['update text', 'PATCH', '/v1/memories/{memory}', { text: 'x'.repeat(32_001) }],
      ['agent message', 'POST', '/v1/sessions/{session}/messages', { content: 'x'.repeat(32_001) }],
      [
        'session history message',
        'POST',
        '/v1/sessions/{session}/history',
        { messages: [{ role: 'user', content: 'x'.repeat(32_001) }] },
      ],
    ] as const
  ).map(
    ([what, method, path, body]): Case => ({
      name: `${what} of 32,001 characters`,
      method,
      path,
      body,
      status: 400,
      code: 'limit_exceeded',
      check: (error) => {
        expect(error.message).toMatch(/at most 32000 characters, got 32001/);
        expect(error.details).toEqual({ limit: 32_000, actual: 32_001 });
      },
    }),
  ),
  {
    name: 'session history message of 900,000 characters',
    method: 'POST',
    path: '/v1/sessions/{session}/history',
    body: {
      messages: [
        { role: 'user', content: 'fine' },
        { role: 'assistant', content: 'y'.repeat(900_000) },
      ],
    },
    status: 400,
    code: 'limit_exceeded',
    check: (error) => {
      expect(error.message).toMatch(/messages\.1\.content: at most 32000 characters, got 900000/);
      expect(error.details).toEqual({ limit: 32_000, actual: 900_000 });
    },
  },

  // More than 16 metadata keys, and bad metadata.
  ...(
    [
      ['POST', '/v1/memories', { text: 'x', sync: true, metadata: metadata(17) }],
      ['POST', '/v1/memories/search', { query: 'seed', metadata: metadata(17) }],
      ['PATCH', '/v1/memories/{memory}', { metadata: metadata(17) }],
      ['POST', '/v1/sessions', { title: 't', metadata: metadata(17) }],
      [
        'POST',
        '/v1/sessions/{session}/history',
        { messages: [{ role: 'user', content: 'x', metadata: metadata(17) }] },
      ],
    ] as const
  ).map(
    ([method, path, body]): Case => ({
      name: `17 metadata keys: ${method} ${path}`,
      method,
      path,
      body,
      status: 400,
      code: 'limit_exceeded',
      check: (error) => {
        expect(error.message).toMatch(/at most 16 metadata keys, got 17/);
        expect(error.details).toEqual({ limit: 16, actual: 17 });
      },
    }),
  ),
  {
    name: 'metadata key with a space',
    method: 'POST',
    path: '/v1/memories',
    body: { text: 'x', sync: true, metadata: { 'bad key': 'v' } },
    status: 400,
    code: 'invalid_input',
  },
  {
    name: 'metadata value over 1,024 characters',
    method: 'POST',
    path: '/v1/memories',
    body: { text: 'x', sync: true, metadata: { k: 'v'.repeat(1_025) } },
    status: 400,
    code: 'limit_exceeded',
    check: (error) => expect(error.details).toEqual({ limit: 1_024, actual: 1_025 }),
  },

  // Keys that name JavaScript object machinery: `{"__proto__": …}` used to be stored as `{}`.
  ...(
    [
      ['POST', '/v1/memories', '{"text":"x","sync":true,"metadata":{"__proto__":{"admin":"yes"}}}'],
      ['POST', '/v1/memories', '{"text":"x","sync":true,"metadata":{"__proto__":"v","k":"v"}}'],
      ['POST', '/v1/memories', '{"text":"x","sync":true,"metadata":{"constructor":"v"}}'],
      ['POST', '/v1/memories', '{"text":"x","sync":true,"metadata":{"prototype":"v"}}'],
      ['POST', '/v1/memories/search', '{"query":"seed","metadata":{"__proto__":"v"}}'],
      ['PATCH', '/v1/memories/{memory}', '{"metadata":{"__proto__":{"k":"v"}}}'],
      ['POST', '/v1/sessions', '{"title":"t","metadata":{"__proto__":"v"}}'],
      [
        'POST',
        '/v1/sessions/{session}/history',
        '{"messages":[{"role":"user","content":"x","metadata":{"a":"b","__proto__":{"c":"d"}}}]}',
      ],
      ['POST', '/v1/memories', '{"text":"x","sync":true,"__proto__":{"sync":false}}'],
      ['PUT', '/v1/profile/name', '{"value":"Ada","__proto__":{"value":"Eve"}}'],
    ] as const
  ).map(
    ([method, path, raw]): Case => ({
      name: `reserved key: ${method} ${path} ${raw.slice(0, 70)}`,
      method,
      path,
      raw,
      status: 400,
      code: 'invalid_input',
      check: (error) =>
        expect(error.message).toMatch(/`(__proto__|constructor|prototype)` is reserved/),
    }),
  ),

  // Bytes that are not UTF-8, and JSON escapes that are not text (lone surrogates).
  ...(
    [
      ['POST', '/v1/memories', utf8Broken('{"text":"caf', [0xc3, 0x28], '","sync":true}')],
      [
        'POST',
        '/v1/memories',
        utf8Broken('{"text":"x","sync":true,"metadata":{"k":"', [0xff], '"}}'),
      ],
      ['POST', '/v1/memories/search', utf8Broken('{"query":"', [0xe8, 0xae], '"}')],
      ['PATCH', '/v1/memories/{memory}', utf8Broken('{"text":"', [0x80], '"}')],
      ['POST', '/v1/sessions', utf8Broken('{"title":"', [0xed, 0xa0, 0x80], '"}')],
      [
        'POST',
        '/v1/sessions/{session}/history',
        utf8Broken(
          '{"messages":[{"role":"user","content":"',
          [0xf8, 0x88, 0x80, 0x80, 0x80],
          '"}]}',
        ),
      ],
      ['PUT', '/v1/profile/name', utf8Broken('{"value":"Ad', [0xc0, 0xaf], '"}')],
    ] as const
  ).map(
    ([method, path, raw]): Case => ({
      name: `invalid UTF-8: ${method} ${path} (${Buffer.from(raw).toString('hex').slice(-24)})`,
      method,
      path,
      raw,
      status: 400,
      code: 'invalid_input',
      check: (error) =>
        expect(error.message).toMatch(/not valid UTF-8 \(first invalid byte at offset \d+\)/),
    }),
  ),
  ...(
    [
      ['POST', '/v1/memories', '{"text":"half \\ud83d a smile","sync":true}'],
      ['POST', '/v1/memories', '{"messages":[{"role":"user","content":"\\udc00"}],"sync":true}'],
      ['POST', '/v1/memories', '{"text":"x","sync":true,"metadata":{"k\\ud800":"v"}}'],
      ['POST', '/v1/memories/search', '{"query":"\\ud800"}'],
      ['PATCH', '/v1/memories/{memory}', '{"text":"\\udfff"}'],
      ['POST', '/v1/sessions', '{"title":"\\ud800"}'],
      [
        'POST',
        '/v1/sessions/{session}/history',
        '{"messages":[{"role":"user","content":"a\\ud800b"}]}',
      ],
      ['POST', '/v1/sessions/{session}/messages', '{"content":"\\ud800"}'],
      ['PUT', '/v1/profile/name', '{"value":"\\ude00"}'],
    ] as const
  ).map(
    ([method, path, raw]): Case => ({
      name: `lone surrogate: ${method} ${path} ${raw.slice(0, 60)}`,
      method,
      path,
      raw,
      status: 400,
      code: 'invalid_input',
      check: (error) => expect(error.message).toMatch(/lone surrogate/),
    }),
  ),

  // A patch that changes nothing used to write a history row.
  ...([{}, { store: 'mnemos' }] as const).map(
    (body): Case => ({
      name: `empty patch ${JSON.stringify(body)}`,
      method: 'PATCH',
      path: '/v1/memories/{memory}',
      body,
      status: 400,
      code: 'invalid_input',
      check: (error) => expect(error.message).toMatch(/nothing to change/),
    }),
  ),

  // Profile keys that are not canonical used to be renamed (`Name` overwrote `name`).
  ...(
    [
      ['PUT', '/v1/profile/Bad-Key', { value: 'x' }, 'bad_key'],
      ['PUT', '/v1/profile/Name', { value: 'Eve' }, 'name'],
      ['PUT', '/v1/profile/tech%20stack', { value: 'TypeScript' }, 'tech_stack'],
      ['DELETE', '/v1/profile/NAME', undefined, 'name'],
    ] as const
  ).map(
    ([method, path, body, suggestion]): Case => ({
      name: `profile key not canonical: ${method} ${path}`,
      method,
      path,
      body,
      status: 400,
      code: 'invalid_input',
      check: (error) => {
        expect(error.message).toContain(`did you mean ${suggestion}?`);
        expect(error.details).toMatchObject({ suggestion });
      },
    }),
  ),
  {
    name: 'profile key that cannot be one',
    method: 'PUT',
    path: '/v1/profile/1st',
    body: { value: 'x' },
    status: 400,
    code: 'invalid_input',
    check: (error) => expect(error.message).toMatch(/profile key "1st" is not valid/),
  },

  // Bad store names.
  ...(
    [
      ['POST', '/v1/memories', { text: 'x', sync: true, store: 'bad name!' }],
      ['POST', '/v1/memories', { text: 'x', sync: true, store: 's'.repeat(33) }],
      ['POST', '/v1/memories/search', { query: 'seed', store: 'a-b' }],
      ['POST', '/v1/memories/delete-by-scope', { store: '../mnemos' }],
      ['PATCH', '/v1/memories/{memory}', { store: 'bad.store', text: 'x' }],
      ['GET', '/v1/memories?store=bad%21', undefined],
      ['GET', '/v1/memories/{memory}?store=%2A', undefined],
      ['DELETE', '/v1/memories/{memory}?store=bad%20name', undefined],
      ['GET', '/v1/memories/{memory}/history?store=%E8%AE%B0', undefined],
    ] as const
  ).map(
    ([method, path, body]): Case => ({
      name: `bad store name: ${method} ${path} ${body ? JSON.stringify(body).slice(0, 60) : ''}`,
      method,
      path,
      body,
      status: 400,
      code: 'invalid_input',
      check: (error) => expect(error.message).toMatch(/invalid store name/),
    }),
  ),
  {
    name: 'bad store name in a store the admin creates',
    method: 'POST',
    path: '/v1/stores',
    body: { name: 'bad name' },
    key: 'admin',
    status: 400,
    code: 'invalid_input',
  },
  {
    name: 'a store that does not exist is not created',
    method: 'POST',
    path: '/v1/memories',
    body: { text: 'x', sync: true, store: 'nosuchstore' },
    status: 404,
    code: 'store_not_found',
  },

  // topK out of range.
  ...([0, 51, -1, 1.5, '5', null] as const).map(
    (topK): Case => ({
      name: `topK ${JSON.stringify(topK)}`,
      method: 'POST',
      path: '/v1/memories/search',
      body: { query: 'seed', topK },
      status: 400,
      code: 'invalid_input',
      check: (error) => expect(error.message).toMatch(/topK/),
    }),
  ),

  // `*` (or nothing) in a write scope.
  ...(
    [
      { agentId: '*' },
      { runId: '*' },
      { agentId: 'team*' },
      { agentId: 'a', runId: 'run-*' },
      { agentId: '' },
    ] as const
  ).map(
    (scope): Case => ({
      name: `write scope ${JSON.stringify(scope)}`,
      method: 'POST',
      path: '/v1/memories',
      body: { text: 'x', sync: true, scope },
      status: 400,
      code: 'invalid_scope',
    }),
  ),
  {
    name: 'session for agent `*`',
    method: 'POST',
    path: '/v1/sessions',
    body: { agentId: '*' },
    status: 400,
    code: 'invalid_scope',
  },

  // Scope naming another app or tenant.
  ...(
    [
      ['POST', '/v1/memories', { text: 'x', sync: true, scope: { tenantId: 'b' } }],
      ['POST', '/v1/memories', { text: 'x', scope: { appId: 'other', tenantId: 'a' } }],
      ['POST', '/v1/memories/search', { query: 'neighbour', scope: { tenantId: 'b' } }],
      ['POST', '/v1/memories/delete-by-scope', { scope: { tenantId: 'b' } }],
      ['POST', '/v1/memories/delete-by-scope', { scope: { appId: 'ops' } }],
    ] as const
  ).map(
    ([method, path, body]): Case => ({
      name: `scope of another tenant: ${method} ${path} ${JSON.stringify(body.scope)}`,
      method,
      path,
      body,
      status: 403,
      code: 'forbidden',
    }),
  ),

  // API keys.
  ...(['none', 'unknown', 'not-mnemos', 'revoked'] as const).map(
    (key): Case => ({
      name: `${key} API key`,
      method: 'POST',
      path: '/v1/memories',
      body: { text: 'x', sync: true },
      key,
      status: 401,
      code: 'unauthorized',
    }),
  ),
  {
    name: 'revoked API key in x-api-key',
    method: 'PUT',
    path: '/v1/profile/name',
    body: { value: 'Mallory' },
    key: 'none',
    headers: { 'x-api-key': '__revoked__' },
    status: 401,
    code: 'unauthorized',
  },
  {
    name: 'empty bearer token',
    method: 'GET',
    path: '/v1/memories',
    key: 'none',
    headers: { authorization: 'Bearer ' },
    status: 401,
    code: 'unauthorized',
  },
  {
    name: 'basic authentication',
    method: 'GET',
    path: '/v1/memories',
    key: 'none',
    headers: { authorization: 'Basic YTpi' },
    status: 401,
    code: 'unauthorized',
  },

  // A tenant key on admin routes.
  ...(
    [
      ['POST', '/v1/stores', { name: 'tenant_store' }],
      ['PATCH', '/v1/stores/mnemos', { description: 'changed by a tenant' }],
      ['DELETE', '/v1/stores/mnemos', undefined],
      ['POST', '/v1/keys', { appId: 'app', tenantId: 'a', admin: true }],
      ['GET', '/v1/keys', undefined],
      ['DELETE', '/v1/keys/{neighbourKey}', undefined],
    ] as const
  ).map(
    ([method, path, body]): Case => ({
      name: `tenant key on admin route ${method} ${path}`,
      method,
      path,
      body,
      status: 403,
      code: 'forbidden',
    }),
  ),
];

/** JSON text with raw bytes spliced in, which are not UTF-8. */
function utf8Broken(before: string, bytes: number[], after: string): Uint8Array {
  return new Uint8Array(
    Buffer.concat([Buffer.from(before), Buffer.from(bytes), Buffer.from(after)]),
  );
}

function resolvePath(path: string): string {
  return path
    .replace('{memory}', memoryId)
    .replace('{session}', sessionId)
    .replace('{neighbourKey}', keys.neighbourId);
}

async function send(item: Case): Promise<Answer> {
  const headers = { ...(item.headers ?? {}) };
  if (headers['x-api-key'] === '__revoked__') headers['x-api-key'] = keys.revoked;
  if (item.raw !== undefined && !headers['content-type'])
    headers['content-type'] = 'application/json';
  if (item.raw instanceof Uint8Array) return sendBytes(item, item.raw, headers);
  const body = item.raw ?? item.body;
  return call(app.url, keyOf(item.key), item.method, resolvePath(item.path), body, headers);
}

/** Sends a body of raw bytes (`call` sends strings as UTF-8). */
async function sendBytes(
  item: Case,
  bytes: Uint8Array,
  headers: Record<string, string>,
): Promise<Answer> {
  const response = await fetch(`${app.url}${resolvePath(item.path)}`, {
    method: item.method,
    headers: { authorization: `Bearer ${keyOf(item.key)}`, ...headers },
    body: Buffer.from(bytes),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    text,
    json: <T>() => JSON.parse(text) as T,
  };
}

describe('bad input over HTTP: 4xx, the shared error body, nothing written', () => {
  it.each(cases.map((item) => [item.name, item] as const))('%s', async (_name, item) => {
    const before = await snapshot();
    const answer = await send(item);
    expectError(answer, item.status, item.code);
    item.check?.(answer.json<{ error: Parameters<NonNullable<Case['check']>>[0] }>().error);
    await app.mnemos.drain();
    expect(await snapshot()).toEqual(before);
  });

  it('refuses bodies over the limit with 413, by Content-Length and when chunked, and keeps serving', async () => {
    const before = await snapshot();
    const text = 'x'.repeat(limitBytes);
    // Declared length over the limit.
    const declared = await call(app.url, keys.tenant, 'POST', '/v1/memories', { text, sync: true });
    expectError(declared, 413, 'payload_too_large');
    // Exactly at the limit the body is read (and then refused for its 32,000-character text).
    const atLimit = `{"text":"${'x'.repeat(limitBytes - 11)}"}`;
    expect(Buffer.byteLength(atLimit)).toBe(limitBytes);
    expectError(
      await call(app.url, keys.tenant, 'POST', '/v1/memories', atLimit),
      400,
      'limit_exceeded',
    );
    const overLimit = `{"text":"${'x'.repeat(limitBytes - 10)}"}`;
    expectError(
      await call(app.url, keys.tenant, 'POST', '/v1/memories', overLimit),
      413,
      'payload_too_large',
    );
    // No Content-Length: the limit applies while the chunks arrive.
    const chunked = await chunkedPost('/v1/memories', 16, 100_000);
    expect(chunked.status).toBe(413);
    expect(JSON.parse(chunked.body).error.code).toBe('payload_too_large');
    // The client's next requests are served normally (the refused connection is not reused).
    for (let attempt = 0; attempt < 5; attempt++) {
      expectError(
        await call(app.url, keys.tenant, 'POST', '/v1/memories', { text, sync: true }),
        413,
        'payload_too_large',
      );
      const after = await call(app.url, keys.tenant, 'GET', '/v1/memories?limit=1');
      expect(after.status, after.text).toBe(200);
    }
    expect(await snapshot()).toEqual(before);
  });

  it('accepts requests exactly at each limit', async () => {
    const accepted = [
      { text: 'x'.repeat(32_000), sync: true },
      {
        messages: [
          { role: 'user', content: 'y'.repeat(16_000) },
          { role: 'assistant', content: 'z'.repeat(16_000) },
        ],
        sync: true,
      },
      { messages: messages(20, 'twenty messages in one request'), sync: true },
      { text: 'sixteen metadata keys', metadata: metadata(16), sync: true },
    ];
    for (const body of accepted) {
      const answer = await call(app.url, keys.tenant, 'POST', '/v1/memories', body);
      expect(answer.status, answer.text).toBe(200);
      expect(answer.json<{ status: string }>().status).toBe('succeeded');
    }
    for (const topK of [1, 50]) {
      const answer = await call(app.url, keys.tenant, 'POST', '/v1/memories/search', {
        query: 'metadata',
        topK,
      });
      expect(answer.status, answer.text).toBe(200);
    }
    const viaHeader = await call(app.url, null, 'GET', '/v1/memories?limit=1', undefined, {
      'x-api-key': keys.tenant,
    });
    expect(viaHeader.status, viaHeader.text).toBe(200);
  });

  it('limits requests per API key with 429 and retry-after, writing nothing', async () => {
    const limited = await startTestServer({ rateLimitPerMinute: 3 });
    try {
      const first = (await limited.mnemos.keys.create(owner)).key;
      const second = (await limited.mnemos.keys.create(neighbour)).key;
      for (let index = 0; index < 3; index++) {
        const answer = await call(limited.url, first, 'GET', '/v1/memories');
        expect(answer.status, answer.text).toBe(200);
      }
      const before = await snapshot(limited);
      const refused = await call(limited.url, first, 'POST', '/v1/memories', {
        text: 'over the limit',
        sync: true,
      });
      expectError(refused, 429, 'rate_limited');
      const retryAfter = Number(refused.headers.get('retry-after'));
      expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60).toBe(true);
      expect(refused.json<{ error: { details: unknown } }>().error.details).toEqual({
        retryAfterSeconds: retryAfter,
      });
      expect(await snapshot(limited)).toEqual(before);
      // Another key has its own budget.
      const other = await call(limited.url, second, 'GET', '/v1/memories');
      expect(other.status, other.text).toBe(200);
    } finally {
      await limited.remove();
    }
  });
});

/** POSTs a body in `chunks` chunks of `size` bytes without a Content-Length. */
function chunkedPost(
  path: string,
  chunks: number,
  size: number,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request(
      `${app.url}${path}`,
      {
        method: 'POST',
        agent: false,
        headers: {
          authorization: `Bearer ${keys.tenant}`,
          'content-type': 'application/json',
          'transfer-encoding': 'chunked',
        },
      },
      (res) => {
        answered = true;
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    // The server answers before the body is complete and closes; a write failing after that is
    // expected, only a request that got no answer fails.
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    let sent = 0;
    const write = (): void => {
      while (sent < chunks) {
        sent += 1;
        if (!req.write('x'.repeat(size))) {
          req.once('drain', write);
          return;
        }
      }
      req.end();
    };
    write();
  });
}
