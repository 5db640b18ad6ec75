import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../../test/support/http-service.js';
import { MnemosError } from '../core/errors.js';
import { MnemosClient } from './mnemos-client.js';

let service: TestService;
let admin: MnemosClient;
let alice: MnemosClient;
let bob: MnemosClient;

function client(apiKey: string): MnemosClient {
  return new MnemosClient({ baseUrl: service.server.url, apiKey });
}

/** The MnemosError a promise rejects with. */
async function failure(promise: Promise<unknown>): Promise<MnemosError> {
  const error = await promise.then(
    () => new Error('expected a rejection'),
    (reason: unknown) => reason,
  );
  if (!MnemosError.isInstance(error)) throw error;
  return error;
}

beforeAll(async () => {
  service = await startTestService();
  admin = client(service.keys.admin);
  alice = client(service.keys.alice);
  bob = client(service.keys.bob);
});
afterAll(async () => {
  await service.close();
});

describe('MnemosClient round trips', () => {
  it('stores: an admin creates, reads, changes, lists and deletes a store', async () => {
    const created = await admin.stores.create({ name: 'notes_zh', description: '中文笔记' });
    expect(created).toMatchObject({ name: 'notes_zh', description: '中文笔记' });
    expect(await alice.stores.get('notes_zh')).toEqual(created);
    const updated = await admin.stores.update('notes_zh', { description: '旅行与家庭' });
    expect(updated.description).toBe('旅行与家庭');
    expect((await alice.stores.list()).map((store) => store.name)).toContain('notes_zh');
    await admin.stores.delete('notes_zh');
    expect((await failure(alice.stores.get('notes_zh'))).code).toBe('store_not_found');
  });

  it('memories: add, search (Chinese), list, get, update, history, job, messages, delete, deleteByScope', async () => {
    const job = await alice.memories.add({
      text: '我的猫叫年糕，是一只橘猫',
      scope: { agentId: 'planner' },
      sync: true,
    });
    expect(job).toMatchObject({ status: 'succeeded', error: null });
    expect(job.memoryIds).toHaveLength(1);
    const id = job.memoryIds[0]!;

    const found = await alice.memories.search({ query: '年糕' });
    expect(found.warnings).toEqual([]);
    expect(found.results[0]!.memory).toMatchObject({
      id,
      text: '我的猫叫年糕，是一只橘猫',
      scope: { appId: 'app', tenantId: 'alice', agentId: 'planner', runId: 'default' },
    });
    expect((await bob.memories.search({ query: '年糕' })).results).toEqual([]);

    expect((await alice.memories.list()).total).toBe(1);
    expect((await alice.memories.list({ scope: { agentId: 'writer' } })).total).toBe(0);
    expect((await alice.memories.get(id)).text).toBe('我的猫叫年糕，是一只橘猫');

    const updated = await alice.memories.update(id, { text: '我的猫叫年糕，三岁的橘猫' });
    expect(updated.text).toBe('我的猫叫年糕，三岁的橘猫');
    const history = await alice.memories.history(id);
    expect(history.map((entry) => entry.event)).toEqual(['ADD', 'UPDATE']);
    expect(history[1]).toMatchObject({ oldText: '我的猫叫年糕，是一只橘猫', reason: 'api' });

    expect((await alice.memories.job(job.id)).status).toBe('succeeded');
    expect(await alice.memories.messages()).toContainEqual(
      expect.objectContaining({ jobId: job.id, role: 'user', content: '我的猫叫年糕，是一只橘猫' }),
    );

    await alice.memories.delete(id);
    expect((await alice.memories.get(id)).deletedAt).not.toBeNull();
    await alice.memories.delete(id, { purge: true });
    expect((await failure(alice.memories.get(id))).code).toBe('not_found');

    // Asynchronous add: the job is running at once and finishes on its own.
    const queued = await alice.memories.add({
      text: '周末喜欢去西湖骑车',
      scope: { agentId: 'coach' },
    });
    let status = queued.status;
    for (let i = 0; i < 100 && status === 'running'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      status = (await alice.memories.job(queued.id)).status;
    }
    expect(status).toBe('succeeded');
    expect(await alice.memories.deleteByScope({ scope: { agentId: 'coach' } })).toBe(1);
    expect((await alice.memories.search({ query: '西湖' })).results).toEqual([]);
  });

  it('sessions: create, get, list, append, messages, search, delete', async () => {
    const session = await alice.sessions.create({
      title: '旅行计划',
      agentId: 'planner',
      metadata: { topic: 'travel' },
    });
    expect(session).toMatchObject({ tenantId: 'alice', agentId: 'planner', title: '旅行计划' });
    const stored = await alice.sessions.append(session.id, [
      { role: 'user', content: '我们下个月去杭州看西湖' },
      { role: 'assistant', content: '好的，西湖的秋天很美。' },
    ]);
    expect(stored.map((message) => message.seq)).toEqual([1, 2]);
    expect((await alice.sessions.messages(session.id)).map((message) => message.content)).toEqual([
      '我们下个月去杭州看西湖',
      '好的，西湖的秋天很美。',
    ]);
    expect((await alice.sessions.messages(session.id, { offset: 1 })).length).toBe(1);
    const hits = await alice.sessions.search('西湖', { sessionId: session.id });
    expect(hits.length).toBeGreaterThan(0);
    expect(hits[0]!.score).toBeGreaterThan(0);
    expect(await bob.sessions.search('西湖')).toEqual([]);
    expect((await alice.sessions.get(session.id)).messageCount).toBe(2);
    expect((await alice.sessions.list()).map((listed) => listed.id)).toContain(session.id);
    await alice.sessions.delete(session.id);
    expect((await failure(alice.sessions.get(session.id))).code).toBe('not_found');
  });

  it('profile: set, get, unset', async () => {
    const entry = await alice.profile.set('preferred_language', '中文');
    expect(entry).toMatchObject({ key: 'preferred_language', value: '中文', source: 'user' });
    expect(await alice.profile.get()).toEqual([entry]);
    expect(await bob.profile.get()).toEqual([]);
    expect(await alice.profile.unset('preferred_language')).toBe(true);
    expect(await alice.profile.unset('preferred_language')).toBe(false);
  });

  it('keys and requests: create, list, revoke; the audit trail of the tenant', async () => {
    const { key, record } = await admin.keys.create({
      appId: 'app',
      tenantId: 'carol',
      name: '卡罗尔',
    });
    expect(key).toMatch(/^mn_/);
    expect(record).toMatchObject({ tenantId: 'carol', admin: false, name: '卡罗尔' });
    const carol = client(key);
    await carol.profile.set('city', '杭州');
    expect((await admin.keys.list()).map((listed) => listed.id)).toContain(record.id);
    await admin.keys.revoke(record.id);
    expect((await failure(carol.profile.get())).code).toBe('unauthorized');

    const audit = await alice.requests({ limit: 100 });
    expect(audit.length).toBeGreaterThan(0);
    expect(audit.every((entry) => entry.tenantId === 'alice')).toBe(true);
    expect(audit).toContainEqual(
      expect.objectContaining({
        method: 'PUT',
        path: '/v1/profile/preferred_language',
        status: 200,
      }),
    );
  });

  it('forTenant: an admin acts on a named tenant; a tenant key keeps its own', async () => {
    await alice.memories.add({ text: '爱丽丝住在杭州', sync: true });
    const asAlice = admin.forTenant('app', 'alice');
    expect((await asAlice.memories.search({ query: '杭州' })).results[0]!.memory.text).toBe(
      '爱丽丝住在杭州',
    );
    expect((await admin.memories.search({ query: '杭州' })).results).toEqual([]);
    const bobPretending = bob.forTenant('app', 'alice');
    expect((await bobPretending.memories.search({ query: '杭州' })).results).toEqual([]);
  });
});

describe('MnemosClient errors', () => {
  it('401 for an unknown key, as a MnemosError with the server code', async () => {
    const error = await failure(client('mn_not-a-key').stores.list());
    expect(error).toBeInstanceOf(MnemosError);
    expect(error).toMatchObject({ code: 'unauthorized', category: 'user' });
    expect(error.message).toMatch(/unknown or revoked API key/);
  });

  it('403 when a tenant key creates a store, or names another tenant in a scope', async () => {
    expect((await failure(alice.stores.create({ name: 'mine' }))).code).toBe('forbidden');
    const error = await failure(
      alice.memories.add({ text: '越界', scope: { tenantId: 'bob', agentId: 'a' } }),
    );
    expect(error).toMatchObject({ code: 'forbidden', details: { field: 'scope.tenantId' } });
  });

  it('404 with the server details', async () => {
    const error = await failure(alice.memories.get('no-such-memory'));
    expect(error).toMatchObject({ code: 'not_found', details: { id: 'no-such-memory' } });
  });

  it('400 validation errors carry the issues', async () => {
    const error = await failure(alice.memories.search({ query: 42 as unknown as string }));
    expect(error.code).toBe('invalid_input');
    expect(error.details.issues).toContainEqual(expect.objectContaining({ path: 'query' }));
  });

  it('unknown codes and bodies without an error become internal_error', async () => {
    const teapot = new MnemosClient({
      baseUrl: 'http://mnemos.invalid',
      apiKey: 'mn_x',
      fetch: async () =>
        Response.json(
          { error: { code: 'im_a_teapot', message: 'short and stout', details: { a: 1 } } },
          {
            status: 418,
          },
        ),
    });
    expect(await failure(teapot.stores.list())).toMatchObject({
      code: 'internal_error',
      message: 'short and stout',
      details: { a: 1, code: 'im_a_teapot', status: 418 },
    });
    const proxy = new MnemosClient({
      baseUrl: 'http://mnemos.invalid',
      apiKey: 'mn_x',
      fetch: async () => new Response('<html>bad gateway</html>', { status: 502 }),
    });
    expect(await failure(proxy.stores.list())).toMatchObject({
      code: 'internal_error',
      category: 'system',
      details: { status: 502 },
    });
  });

  it('a refused connection is upstream_error with reason network', async () => {
    const { createServer } = await import('node:net');
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as { port: number };
    await new Promise((resolve) => closed.close(resolve));
    const down = new MnemosClient({ baseUrl: `http://127.0.0.1:${port}/`, apiKey: 'mn_x' });
    const error = await failure(down.memories.search({ query: '猫' }));
    expect(error).toMatchObject({
      code: 'upstream_error',
      category: 'upstream',
      details: {
        reason: 'network',
        method: 'POST',
        path: '/v1/memories/search',
        cause: 'ECONNREFUSED',
      },
    });
    expect(error.message).not.toContain('mn_x');
  });

  it('no answer within timeoutMs is upstream_error with reason timeout; a caller abort stays an abort', async () => {
    const { createServer } = await import('node:http');
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    try {
      const slow = new MnemosClient({
        baseUrl: `http://127.0.0.1:${port}`,
        apiKey: 'mn_x',
        timeoutMs: 100,
      });
      expect(await failure(slow.stores.list())).toMatchObject({
        code: 'upstream_error',
        details: { reason: 'timeout', timeoutMs: 100 },
      });
      const controller = new AbortController();
      const pending = slow.stores.list({ signal: controller.signal, timeoutMs: 0 });
      controller.abort();
      await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
