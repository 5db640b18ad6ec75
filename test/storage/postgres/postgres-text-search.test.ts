import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readScope } from '../../../src/core/scope.js';
import { PostgresStorage } from '../../../src/storage/postgres/postgres-storage.js';
import { queryTokens } from '../../../src/text/tokenizer.js';
import {
  dropSchema,
  newMemory as memory,
  randomVectors,
  skipReason,
  testDatabaseUrl,
  uniqueSchema,
} from '../../support/postgres.js';

const url = testDatabaseUrl ?? '';
const schema = uniqueSchema('mnemos_pg_text');
const store = 'text';

describe.skipIf(!testDatabaseUrl)(`PostgresStorage: full-text search (${skipReason})`, () => {
  let storage: PostgresStorage;
  let client: pg.Client;

  beforeAll(async () => {
    storage = await PostgresStorage.open(url, { schema });
    const now = new Date().toISOString();
    await storage.stores.create({
      name: store,
      description: '',
      embedderId: 'test',
      dimensions: 32,
      createdAt: now,
      updatedAt: now,
    });
    client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`SET search_path = "${schema}", public`);
  });

  afterAll(async () => {
    await client?.end();
    await storage?.close();
    await dropSchema(url, schema);
  });

  it('finds Chinese words and single characters, in the tenant only', async () => {
    const scope = { appId: 'app', tenantId: 'zh', agentId: 'a', runId: 'r' };
    const texts = [
      '用户希望回答风格更加正式',
      '我的猫叫小白',
      'Prefers TypeScript for backend work',
    ];
    const items = texts.map((text, index) => memory(scope, text, randomVectors(1, index)[0]!));
    await storage.memories.apply(
      store,
      scope,
      items.map((item) => ({ type: 'insert', memory: item })),
      Date.now(),
    );
    const other = { appId: 'app', tenantId: 'zh-other', agentId: 'a', runId: 'r' };
    await storage.memories.apply(
      store,
      other,
      [{ type: 'insert', memory: memory(other, '回答问题', randomVectors(1, 9)[0]!) }],
      Date.now(),
    );
    const search = async (query: string) => {
      const hits = await storage.search.text(store, readScope(scope), queryTokens(query), {
        limit: 10,
      });
      return (
        await storage.memories.getByKeys(
          store,
          scope,
          hits.map((hit) => hit.key),
        )
      ).map((row) => row.text);
    };
    expect(await search('回答')).toEqual(['用户希望回答风格更加正式']);
    expect(await search('猫')).toEqual(['我的猫叫小白']);
    expect(await search('回答风格')).toEqual(['用户希望回答风格更加正式']);
    expect(await search('typescript')).toEqual(['Prefers TypeScript for backend work']);
    expect(await search('不存在的词')).toEqual([]);
  });

  it('treats quotes, backslashes and tsquery operators in tokens as plain text', async () => {
    const scope = { appId: 'app', tenantId: 'odd', agentId: 'a', runId: 'r' };
    const odd = ["it's", 'back\\slash', 'a:*', '!(x|y)&z', "''"];
    const item = {
      ...memory(scope, 'odd tokens', randomVectors(1, 5)[0]!),
      tokens: odd.join(' '),
    };
    await storage.memories.apply(store, scope, [{ type: 'insert', memory: item }], Date.now());
    for (const token of odd) {
      const hits = await storage.search.text(store, readScope(scope), [token], { limit: 10 });
      expect(hits).toHaveLength(1);
    }
    expect(await storage.search.text(store, readScope(scope), ['a'], { limit: 10 })).toEqual([]);
  });

  it('keeps invalidated memories out of default full-text search and finds them on request', async () => {
    const scope = { appId: 'app', tenantId: 'inv', agentId: 'a', runId: 'r' };
    const item = memory(scope, '住在上海', randomVectors(1, 3)[0]!);
    await storage.memories.apply(store, scope, [{ type: 'insert', memory: item }], Date.now());
    await storage.memories.apply(
      store,
      scope,
      [
        {
          type: 'update',
          id: item.id,
          patch: { validTo: Date.now(), tokens: item.tokens },
          reason: 'moved',
        },
      ],
      Date.now(),
    );
    const tokens = queryTokens('上海');
    expect(await storage.search.text(store, readScope(scope), tokens, { limit: 10 })).toEqual([]);
    expect(
      await storage.search.text(store, readScope(scope), tokens, { limit: 10, invalidated: true }),
    ).toHaveLength(1);
  });

  it('ranks by BM25: a rare word outweighs a common one said twice', async () => {
    const scope = { appId: 'app', tenantId: 'bm25', agentId: 'a', runId: 'r' };
    const common = Array.from({ length: 20 }, (_, index) =>
      memory(scope, `coffee coffee note ${index}`, randomVectors(1, 100 + index)[0]!),
    );
    const rare = memory(scope, 'pottery class', randomVectors(1, 99)[0]!);
    await storage.memories.apply(
      store,
      scope,
      [...common, rare].map((item) => ({ type: 'insert' as const, memory: item })),
      Date.now(),
    );
    const hits = await storage.search.text(store, readScope(scope), queryTokens('coffee pottery'), {
      limit: 5,
    });
    const [first] = await storage.memories.getByKeys(store, scope, [hits[0]!.key]);
    expect(first!.text).toBe('pottery class');
    expect(hits).toHaveLength(5);
    for (let i = 1; i < hits.length; i++)
      expect(hits[i - 1]!.score).toBeGreaterThanOrEqual(hits[i]!.score);
  });

  it('keeps the full-text statistics equal to the indexed rows through every kind of write', async () => {
    const scope = { appId: 'app', tenantId: 'stats', agentId: 'a', runId: 'r' };
    const tenant = { appId: 'app', tenantId: 'stats' };
    const items = ['一 二 三', 'one two', 'three four five', 'six', 'seven eight'].map(
      (text, index) => memory(scope, text, randomVectors(1, 200 + index)[0]!),
    );
    const now = Date.now();
    await storage.memories.apply(
      store,
      tenant,
      items.map((item) => ({ type: 'insert' as const, memory: item })),
      now,
    );
    await storage.memories.apply(
      store,
      tenant,
      [
        { type: 'update', id: items[0]!.id, patch: { text: 'x y', tokens: 'x y' }, reason: 't' },
        { type: 'update', id: items[1]!.id, patch: { validTo: now }, reason: 't' },
        {
          type: 'update',
          id: items[2]!.id,
          patch: { validTo: now, tokens: 'three' },
          reason: 't',
        },
      ],
      now,
    );
    await storage.memories.delete(store, tenant, items[3]!.id, { reason: 'test', now });
    await storage.memories.purge(store, tenant, items[4]!.id);
    const other = { appId: 'app', tenantId: 'stats', agentId: 'b', runId: 'r' };
    await storage.memories.apply(
      store,
      tenant,
      [{ type: 'insert', memory: memory(other, 'nine ten', randomVectors(1, 300)[0]!) }],
      now,
    );
    await storage.memories.deleteByScope(store, readScope({ ...tenant, agentId: 'b' }), now);
    const old = ['eleven twelve', 'thirteen'].map((text, index) =>
      memory(scope, text, randomVectors(1, 400 + index)[0]!),
    );
    const longAgo = now - 100 * 86_400_000;
    await storage.memories.apply(
      store,
      tenant,
      old.map((item) => ({ type: 'insert' as const, memory: item })),
      longAgo,
    );
    const expiry = {
      updatedBefore: longAgo + 1,
      keepAccessCount: 0,
      keepAccessedSince: null,
      keepKinds: [],
      dryRun: false,
      batchSize: 1,
    };
    await storage.memories.expire(store, tenant, { ...expiry, action: 'delete' }, now);
    await storage.memories.apply(
      store,
      tenant,
      [{ type: 'insert', memory: memory(scope, 'fourteen', randomVectors(1, 500)[0]!) }],
      longAgo,
    );
    await storage.memories.expire(store, tenant, { ...expiry, action: 'purge' }, now);
    const session = await storage.sessions.create({
      id: randomUUID(),
      appId: 'app',
      tenantId: 'stats',
      agentId: 'a',
      title: '',
      metadata: {},
      parentId: null,
      messageCount: 0,
      createdAt: new Date(now).toISOString(),
      updatedAt: new Date(now).toISOString(),
    });
    const message = (content: string) => ({
      id: randomUUID(),
      role: 'user' as const,
      content,
      name: null,
      metadata: {},
      parts: [],
      createdAt: new Date(now).toISOString(),
      tokens: content,
    });
    await storage.sessions.append(tenant, session.id, [message('a b'), message('c')], now);
    const { rows } = await client.query<{ space: string; stored: string; actual: string }>(
      `SELECT s.space, s.documents || '/' || s.lexemes AS stored,
                (SELECT count(*) || '/' || coalesce(sum(length(t.tsv) - 1), 0) FROM (
                   SELECT tsv FROM memories WHERE store = s.space AND app_id = s.app_id AND tenant_id = s.tenant_id AND tsv IS NOT NULL
                   UNION ALL
                   SELECT tsv FROM session_messages WHERE s.space <> $1 AND app_id = s.app_id AND tenant_id = s.tenant_id
                 ) t) AS actual
         FROM text_statistics s WHERE s.app_id = 'app' AND s.tenant_id = 'stats'`,
      [store],
    );
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row.stored).toBe(row.actual);
    expect(rows.find((row) => row.space === store)?.stored).toBe('2/3');
    await storage.sessions.delete(tenant, session.id);
    const after = await client.query<{ documents: string }>(
      "SELECT documents FROM text_statistics WHERE space <> $1 AND app_id = 'app' AND tenant_id = 'stats'",
      [store],
    );
    expect(after.rows.map((row) => Number(row.documents))).toEqual([0]);
  });
});
