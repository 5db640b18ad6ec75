import type { ReadScope, TenantKey } from '../../core/scope.js';
import type { MemoryFilter, MemorySearch, RankedKey, VectorChange } from '../../spec/storage.js';
import { bm25Ranking } from './bm25.js';
import type { Database } from './database.js';
import { memoryWhere, Params } from './filter-sql.js';
import { parseVector, vectorIndexPredicate, vectorLiteral } from './vectors.js';

/** Memory searches of the Postgres backend; each runs as one statement. */
export class PostgresSearch implements MemorySearch {
  constructor(private readonly db: Database) {}

  /** BM25 full-text search inside the pattern and filter; with `invalidated`, over invalidated memories instead. */
  async text(
    store: string,
    scope: ReadScope,
    tokens: string[],
    options: { limit: number; filter?: MemoryFilter; invalidated?: boolean },
  ): Promise<RankedKey[]> {
    const { limit, filter = {}, invalidated = false } = options;
    const params = new Params();
    const where = memoryWhere(params, store, scope, filter, invalidated ? 'invalidated' : false);
    const ranking = bm25Ranking({
      params,
      table: 'memories',
      where,
      space: store,
      tenant: scope,
      tokens,
      limit,
    });
    if (ranking === null) return [];
    return this.db.rows<RankedKey>(
      `${ranking} SELECT key, score FROM ranked ORDER BY score DESC, key`,
      params.values,
    );
  }

  /** Nearest live memories by cosine similarity (see `vectorSearchStatement`). */
  async vectors(
    store: string,
    scope: ReadScope,
    vector: Float32Array,
    options: { limit: number; filter?: MemoryFilter },
  ): Promise<RankedKey[]> {
    const { limit, filter = {} } = options;
    const statement = vectorSearchStatement(store, scope, vector, filter, limit);
    const hits = await this.db.rows<RankedKey & { matching: number }>(
      statement.sql,
      statement.params,
    );
    // Exact already (fewer matching rows than the HNSW threshold), or enough: done.
    const walked = hits.length === 0 || hits[0]!.matching >= exactScanRows;
    if (hits.length >= limit || !walked) return hits.map(({ key, score }) => ({ key, score }));
    const exact = exactVectorSearchStatement(store, scope, vector, filter, limit);
    return this.db.rows<RankedKey>(exact.sql, exact.params);
  }

  async matchingKeys(store: string, scope: ReadScope, filter: MemoryFilter): Promise<Set<number>> {
    const params = new Params();
    const where = memoryWhere(params, store, scope, filter, false);
    const rows = await this.db.rows<{ key: number }>(
      `SELECT m.key FROM memories m WHERE ${where}`,
      params.values,
    );
    return new Set(rows.map((row) => row.key));
  }

  async invalidatedVectors(
    store: string,
    scope: ReadScope,
    options: { limit: number; filter?: MemoryFilter },
  ): Promise<Array<{ key: number; vector: Float32Array }>> {
    const { limit, filter = {} } = options;
    const params = new Params();
    const where = memoryWhere(params, store, scope, filter, 'invalidated');
    const rows = await this.db.rows<{ key: number; embedding: string }>(
      `SELECT m.key, m.embedding::text AS embedding FROM memories m WHERE ${where} LIMIT ${params.add(limit)}`,
      params.values,
    );
    return rows.map((row) => ({ key: row.key, vector: parseVector(row.embedding) }));
  }

  async vectorChanges(
    store: string,
    tenant: TenantKey,
    options: { afterSeq: number; limit: number },
  ): Promise<VectorChange[]> {
    const { afterSeq, limit } = options;
    const rows = await this.db.rows<{
      key: number;
      seq: number;
      agent_id: string;
      run_id: string;
      embedding: string | null;
    }>(
      `SELECT key, seq, agent_id, run_id,
              CASE WHEN deleted_at IS NULL AND valid_to IS NULL THEN embedding::text END AS embedding
       FROM memories WHERE store = $1 AND app_id = $2 AND tenant_id = $3 AND seq > $4 ORDER BY seq LIMIT $5`,
      [store, tenant.appId, tenant.tenantId, afterSeq, limit],
    );
    return rows.map((row) => ({
      key: row.key,
      seq: row.seq,
      vector: row.embedding === null ? null : parseVector(row.embedding),
      agentId: row.agent_id,
      runId: row.run_id,
    }));
  }

  async latestSeq(store: string, tenant: TenantKey): Promise<number> {
    const rows = await this.db.rows<{ seq: number | null }>(
      'SELECT max(seq) AS seq FROM memories WHERE store = $1 AND app_id = $2 AND tenant_id = $3',
      [store, tenant.appId, tenant.tenantId],
    );
    return rows[0]?.seq ?? 0;
  }
}

/** Up to this many matching rows a vector search ranks them all exactly instead of using HNSW. */
export const exactScanRows = 1_000;

/** The pieces of a vector search over the matching live rows: filter, casts and both orderings. */
function vectorSearchParts(
  store: string,
  scope: ReadScope,
  vector: Float32Array,
  filter: MemoryFilter,
  limit: number,
) {
  const params = new Params();
  const matches = memoryWhere(params, store, scope, filter, false);
  const cast = `vector(${vector.length})`;
  const query = `${params.add(vectorLiteral(vector))}::${cast}`;
  return {
    params,
    matches,
    top: params.add(limit),
    exact: `cosine_distance(m.embedding::${cast}, ${query})`,
    walk: `m.embedding::${cast} <=> ${query}`,
    where: `${vectorIndexPredicate(store, vector.length, 'm')} AND ${matches}`,
  };
}

/**
 * The statement of a vector search, one round trip. It first counts the matching rows, stopping at
 * `exactScanRows` (the count reads no vectors: about a microsecond a row). Below that it ranks them
 * exactly, with the function form of the distance, which no index serves: pgvector's cost model
 * does not charge for rows a filter rejects, and with young statistics the planner walked HNSW for
 * a 20-row scope, 25 times slower than sorting it. At or above it, the second branch orders by the
 * operator, repeating the index predicate (the store as a literal, the dimension) so the store's
 * HNSW index applies; the planner then walks it (the iterative scan set on every connection keeps
 * filtered walks from coming back short) or, when its statistics say the rows are few, sorts them
 * (exact, bounded by the tenant). Each hit carries the count (`matching`). Exported so tests can
 * EXPLAIN exactly what runs.
 */
export function vectorSearchStatement(
  store: string,
  scope: ReadScope,
  vector: Float32Array,
  filter: MemoryFilter,
  limit: number,
): { sql: string; params: unknown[] } {
  const { params, matches, top, exact, walk, where } = vectorSearchParts(
    store,
    scope,
    vector,
    filter,
    limit,
  );
  return {
    sql: `WITH matching AS (SELECT count(*) AS n FROM (SELECT 1 FROM memories m WHERE ${matches} LIMIT ${exactScanRows}) rows)
      SELECT key, score, (SELECT n FROM matching) AS matching FROM (
        (SELECT m.key, (1 - ${exact})::float8 AS score FROM memories m
         WHERE ${where} AND (SELECT n FROM matching) < ${exactScanRows}
         ORDER BY ${exact} LIMIT ${top})
        UNION ALL
        (SELECT m.key, (1 - (${walk}))::float8 AS score FROM memories m
         WHERE ${where} AND (SELECT n FROM matching) >= ${exactScanRows}
         ORDER BY ${walk} LIMIT ${top})
      ) hits ORDER BY score DESC, key`,
    params: params.values,
  };
}

/**
 * Exact ranking of every matching row, for an HNSW walk that came back short: an iterative scan
 * stops after `hnsw.max_scan_tuples` (20,000) index tuples, so a tenant that is a sliver of a very
 * large store can have fewer of its rows among them than asked for. Costs a read of the tenant's
 * matching vectors.
 */
export function exactVectorSearchStatement(
  store: string,
  scope: ReadScope,
  vector: Float32Array,
  filter: MemoryFilter,
  limit: number,
): { sql: string; params: unknown[] } {
  const { params, top, exact, where } = vectorSearchParts(store, scope, vector, filter, limit);
  return {
    sql: `SELECT key, score FROM (
        SELECT m.key, (1 - ${exact})::float8 AS score FROM memories m WHERE ${where} ORDER BY ${exact} LIMIT ${top}
      ) hits ORDER BY score DESC, key`,
    params: params.values,
  };
}
