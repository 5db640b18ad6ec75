import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readScope, type Scope } from '../../../src/core/scope.js';
import { vectorSearchStatement } from '../../../src/storage/postgres/pg-search.js';
import { PostgresStorage } from '../../../src/storage/postgres/postgres-storage.js';
import { vectorIndexName } from '../../../src/storage/postgres/vectors.js';
import {
  dropSchema,
  newMemory as memory,
  randomVectors,
  skipReason,
  testDatabaseUrl,
  uniqueSchema,
} from '../../support/postgres.js';

const url = testDatabaseUrl ?? '';
const schema = uniqueSchema('mnemos_pg_search');
const dimensions = 32;
const store = 'search';

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
  return dot;
}

const big = { appId: 'app', tenantId: 'big' };
const small = { appId: 'app', tenantId: 'small' };
/** The direction half the big tenant's memories (agent `near`) cluster around. */
const base = randomVectors(1, 1)[0]!;
const agentOf = (index: number): string => (index % 2 === 0 ? 'near' : 'far');
const bigVectors = randomVectors(4_000, 7).map((noise, index) => {
  if (agentOf(index) === 'far') return noise;
  const vector = base.map((value, i) => value + 0.3 * noise[i]!);
  const norm = Math.hypot(...vector);
  return vector.map((value) => value / norm);
});

describe.skipIf(!testDatabaseUrl)(`PostgresStorage: vector search (${skipReason})`, () => {
  let storage: PostgresStorage;
  let client: pg.Client;
  const keyOf = new Map<number, number>();

  beforeAll(async () => {
    storage = await PostgresStorage.open(url, { schema });
    const now = new Date().toISOString();
    await storage.stores.create({
      name: store,
      description: '',
      embedderId: 'test',
      dimensions,
      createdAt: now,
      updatedAt: now,
    });
    for (let start = 0; start < bigVectors.length; start += 500) {
      const batch = bigVectors
        .slice(start, start + 500)
        .map((vector, offset) =>
          memory(
            { ...big, agentId: agentOf(start + offset), runId: 'r' },
            `memory ${start + offset}`,
            vector,
          ),
        );
      await storage.memories.apply(
        store,
        big,
        batch.map((item) => ({ type: 'insert', memory: item })),
        Date.now(),
      );
    }
    const smallItems = randomVectors(40, 99).map((vector, index) =>
      memory({ ...small, agentId: 'a', runId: 'r' }, `small ${index}`, vector),
    );
    await storage.memories.apply(
      store,
      small,
      smallItems.map((item) => ({ type: 'insert', memory: item })),
      Date.now(),
    );
    for (const row of await storage.memories.list(store, readScope(big), {
      limit: 10_000,
      offset: 0,
    }))
      keyOf.set(Number(row.text.split(' ')[1]), row.key);
    client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`SET search_path = "${schema}", public`);
    await client.query('ANALYZE memories');
    await client.query('SET hnsw.iterative_scan = relaxed_order');
  }, 120_000);

  afterAll(async () => {
    await client?.end();
    await storage?.close();
    await dropSchema(url, schema);
  });

  /** Which method the adapter's statement used, from EXPLAIN ANALYZE: the HNSW walk ran, or the exact sort did. */
  async function method(
    scope: Scope | ReturnType<typeof readScope>,
    vector: Float32Array,
    limit: number,
    storeName = store,
  ): Promise<'hnsw' | 'exact'> {
    const statement = vectorSearchStatement(storeName, scope, vector, {}, limit);
    const { rows } = await client.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN (ANALYZE, COSTS OFF) ${statement.sql}`,
      statement.params,
    );
    const lines = rows.map((row) => row['QUERY PLAN']);
    const walked = lines.some(
      (line) => line.includes(vectorIndexName(storeName)) && !line.includes('never executed'),
    );
    return walked ? 'hnsw' : 'exact';
  }

  it("answers a tenant-wide search from the store's HNSW index, close to exact", async () => {
    const query = randomVectors(1, 12345)[0]!;
    expect(await method(readScope(big), query, 10)).toBe('hnsw');
    const hits = await storage.search.vectors(store, readScope(big), query, { limit: 10 });
    expect(hits).toHaveLength(10);
    const exact = bigVectors
      .map((vector, index) => ({ index, score: cosine(vector, query) }))
      .sort((a, b) => b.score - a.score)
      .slice(0, 10)
      .map((hit) => keyOf.get(hit.index));
    const found = hits.filter((hit) => exact.includes(hit.key)).length;
    expect(found).toBeGreaterThanOrEqual(9);
    expect(hits[0]!.score).toBeCloseTo(
      cosine(bigVectors[[...keyOf].find(([, key]) => key === hits[0]!.key)![0]]!, query),
      5,
    );
    for (let i = 1; i < hits.length; i++)
      expect(hits[i - 1]!.score).toBeGreaterThanOrEqual(hits[i]!.score);
  });

  it("returns `limit` rows when the filter rejects every one of the index's nearest candidates (iterative scan)", async () => {
    // Every memory near the query belongs to agent `near`; the filter wants agent `far`. A plain
    // HNSW scan (ef_search 100) would hand back near ones only and the filter would leave nothing.
    const scope = readScope({ ...big, agentId: 'far' });
    expect(await method(scope, base, 100)).toBe('hnsw');
    const hits = await storage.search.vectors(store, scope, base, { limit: 100 });
    expect(hits).toHaveLength(100);
    const far = [...keyOf].filter(([index]) => agentOf(index) === 'far');
    const allowed = new Set(far.map(([, key]) => key));
    for (const hit of hits) expect(allowed.has(hit.key)).toBe(true);
    const exact = far
      .map(([index, key]) => ({ key, score: cosine(bigVectors[index]!, base) }))
      .sort((a, b) => b.score - a.score)
      .slice(0, 10)
      .map((hit) => hit.key);
    const found = hits.slice(0, 10).filter((hit) => exact.includes(hit.key)).length;
    expect(found).toBeGreaterThanOrEqual(8);
    await client.query('SET hnsw.iterative_scan = off');
    const statement = vectorSearchStatement(store, scope, base, {}, 100);
    const plain = await client.query(statement.sql, statement.params);
    await client.query('SET hnsw.iterative_scan = relaxed_order');
    expect(plain.rows.length).toBeLessThan(20);
  });

  it('ranks exactly when an HNSW walk stops short at its scan limit (a sliver of a huge store)', async () => {
    // With hnsw.max_scan_tuples at 20, the walk toward `base` meets only agent `near` rows before
    // it stops, as a small tenant's walk does among millions of other tenants' rows.
    const parsed = new URL(url);
    parsed.searchParams.set('options', '-c hnsw.max_scan_tuples=20');
    const capped = await PostgresStorage.open(parsed.toString(), { schema });
    try {
      const scope = readScope({ ...big, agentId: 'far' });
      const statement = vectorSearchStatement(store, scope, base, {}, 100);
      const limited = new pg.Client({
        connectionString: url,
        options: `-c search_path=${schema},public -c hnsw.max_scan_tuples=20 -c hnsw.iterative_scan=relaxed_order`,
      });
      await limited.connect();
      const walk = await limited.query(statement.sql, statement.params);
      await limited.end();
      expect(walk.rows.length).toBeLessThan(100);
      const hits = await capped.search.vectors(store, scope, base, { limit: 100 });
      expect(hits).toHaveLength(100);
      const far = [...keyOf].filter(([index]) => agentOf(index) === 'far');
      const exact = far
        .map(([index, key]) => ({ key, score: cosine(bigVectors[index]!, base) }))
        .sort((a, b) => b.score - a.score)
        .slice(0, 100)
        .map((hit) => hit.key);
      expect(hits.map((hit) => hit.key)).toEqual(exact);
    } finally {
      await capped.close();
    }
  });

  it("searches a small tenant exactly from its own rows, never another tenant's", async () => {
    const query = randomVectors(1, 777)[0]!;
    expect(await method(readScope(small), query, 10)).toBe('exact');
    const hits = await storage.search.vectors(store, readScope(small), query, { limit: 10 });
    const rows = await storage.memories.getByKeys(
      store,
      small,
      hits.map((hit) => hit.key),
    );
    expect(rows).toHaveLength(10);
    for (const row of rows) expect(row.scope.tenantId).toBe('small');
  });

  it('drops deleted and invalidated memories from vector search', async () => {
    const query = bigVectors[5]!;
    const [first] = await storage.search.vectors(store, readScope(big), query, { limit: 1 });
    expect(first!.key).toBe(keyOf.get(5));
    const [row] = await storage.memories.getByKeys(store, big, [first!.key]);
    await storage.memories.apply(
      store,
      big,
      [{ type: 'update', id: row!.id, patch: { validTo: Date.now() }, reason: 'test' }],
      Date.now(),
    );
    const after = await storage.search.vectors(store, readScope(big), query, { limit: 5 });
    expect(after.map((hit) => hit.key)).not.toContain(first!.key);
    const changes = await storage.search.vectorChanges(store, big, {
      afterSeq: (await storage.search.latestSeq(store, big)) - 1,
      limit: 10,
    });
    expect(changes).toEqual([expect.objectContaining({ key: first!.key, vector: null })]);
  });

  it('rebuilds the HNSW index at the new dimension when a re-embedding swaps it in', async () => {
    const moved = 'moved';
    const tenant = { appId: 'app', tenantId: 'moved' };
    const now = new Date().toISOString();
    await storage.stores.create({
      name: moved,
      description: '',
      embedderId: 'test-32',
      dimensions,
      createdAt: now,
      updatedAt: now,
    });
    const items = randomVectors(1_500, 31).map((vector, index) =>
      memory({ ...tenant, agentId: 'a', runId: 'r' }, `moved ${index}`, vector),
    );
    await storage.memories.apply(
      moved,
      tenant,
      items.map((item) => ({ type: 'insert' as const, memory: item })),
      Date.now(),
    );
    const begun = await storage.reembed.begin(
      moved,
      { embedderId: 'test-16', dimensions: 16 },
      Date.now(),
    );
    for (let after = 0; ; ) {
      const pending = await storage.reembed.pending(moved, after, 500);
      if (pending.length === 0) break;
      const vectors = randomVectors(pending.length, after + 1, 16);
      await storage.reembed.stage(
        moved,
        begun.run.id,
        pending.map((row, index) => ({ ...row, vector: vectors[index]! })),
      );
      after = pending.at(-1)!.key;
    }
    expect(await storage.reembed.finish(moved, begun.run.id, Date.now())).toEqual({
      swapped: 1_500,
      missing: 0,
    });
    const { rows } = await client.query<{ definition: string }>(
      'SELECT indexdef AS definition FROM pg_indexes WHERE schemaname = $1 AND indexname = $2',
      [schema, vectorIndexName(moved)],
    );
    expect(rows[0]?.definition).toContain('vector(16)');
    const query = randomVectors(1, 5, 16)[0]!;
    // Statistics from before the store existed make the planner sort its rows exactly (correct,
    // slower) until autovacuum's ANALYZE, which a write of this size soon triggers.
    await client.query('ANALYZE memories');
    expect(await method(readScope(tenant), query, 10, moved)).toBe('hnsw');
    expect(
      await storage.search.vectors(moved, readScope(tenant), query, { limit: 10 }),
    ).toHaveLength(10);
  });
});
