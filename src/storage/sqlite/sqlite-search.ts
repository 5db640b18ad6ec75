import { MnemosError } from '../../core/errors.js';
import type { ReadScope, TenantKey } from '../../core/scope.js';
import { coversTenant } from '../../spec/covers-tenant.js';
import type { MemoryFilter, MemorySearch, RankedKey, VectorChange } from '../../spec/storage.js';
import { blobToVector, matchExpression, partitionToken } from '../shared/rows.js';
import { memoryWhere } from './filter-sql.js';
import { invalidatedPartition } from './sqlite-memories.js';
import type { Statements } from './statements.js';

/** Full-text search, matching keys and the vector change feed of the SQLite backend. */
export class SqliteSearch implements MemorySearch {
  constructor(private readonly statements: Statements) {}

  async text(
    store: string,
    scope: ReadScope,
    tokens: string[],
    options: { limit: number; filter?: MemoryFilter; invalidated?: boolean },
  ): Promise<RankedKey[]> {
    const { limit, filter = {}, invalidated = false } = options;
    if (tokens.length === 0) return [];
    const partition = invalidated
      ? invalidatedPartition(store, scope)
      : partitionToken(store, scope.appId, scope.tenantId);
    const match = matchExpression(partition, tokens);
    if (coversTenant(scope, filter)) {
      // The partition token already limits matches to the tenant, and forgotten rows leave the
      // index; skipping the join roughly halves the query. Callers re-check rows anyway.
      return this.statements
        .get(
          `SELECT rowid AS key, -bm25(memories_fts, 0.0, 1.0) AS score FROM memories_fts
           WHERE memories_fts MATCH ? ORDER BY bm25(memories_fts, 0.0, 1.0), rowid LIMIT ?`,
        )
        .all(match, limit) as RankedKey[];
    }
    const where = memoryWhere(store, scope, filter, invalidated ? 'invalidated' : false);
    // bm25() is negative, lower is better; negate so higher is better like every other score.
    const rows = this.statements
      .get(
        `SELECT m.key AS key, -bm25(memories_fts, 0.0, 1.0) AS score
         FROM memories_fts JOIN memories m ON m.key = memories_fts.rowid
         WHERE memories_fts MATCH ? AND ${where.sql}
         ORDER BY bm25(memories_fts, 0.0, 1.0), m.key LIMIT ?`,
      )
      .all(match, ...where.params, limit) as RankedKey[];
    return rows;
  }

  async matchingKeys(store: string, scope: ReadScope, filter: MemoryFilter): Promise<Set<number>> {
    const where = memoryWhere(store, scope, filter, false);
    const rows = this.statements
      .get(`SELECT m.key AS key FROM memories m WHERE ${where.sql}`)
      .raw()
      .all(...where.params) as Array<[number]>;
    return new Set(rows.map((row) => row[0]));
  }

  /** Embeddings of invalidated (not deleted) memories matching the pattern, for exact scoring on request. */
  async invalidatedVectors(
    store: string,
    scope: ReadScope,
    options: { limit: number; filter?: MemoryFilter },
  ): Promise<Array<{ key: number; vector: Float32Array }>> {
    const { limit, filter = {} } = options;
    const where = memoryWhere(store, scope, filter, 'invalidated');
    const rows = this.statements
      .get(
        `SELECT m.key AS key, m.embedding AS embedding FROM memories m WHERE ${where.sql} LIMIT ?`,
      )
      .all(...where.params, limit) as Array<{ key: number; embedding: Buffer }>;
    return rows.map((row) => ({ key: row.key, vector: blobToVector(row.embedding) }));
  }

  async vectorChanges(
    store: string,
    tenant: TenantKey,
    options: { afterSeq: number; limit: number },
  ): Promise<VectorChange[]> {
    const { afterSeq, limit } = options;
    const rows = this.statements
      .get(
        `SELECT key, seq, agent_id, run_id, CASE WHEN deleted_at IS NULL AND valid_to IS NULL THEN embedding END AS embedding
         FROM memories WHERE store = ? AND app_id = ? AND tenant_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
      )
      .all(store, tenant.appId, tenant.tenantId, afterSeq, limit) as Array<{
      key: number;
      seq: number;
      agent_id: string;
      run_id: string;
      embedding: Buffer | null;
    }>;
    return rows.map((row) => ({
      key: row.key,
      seq: row.seq,
      vector: row.embedding ? blobToVector(row.embedding) : null,
      agentId: row.agent_id,
      runId: row.run_id,
    }));
  }

  async latestSeq(store: string, tenant: TenantKey): Promise<number> {
    const row = this.statements
      .get('SELECT max(seq) AS seq FROM memories WHERE store = ? AND app_id = ? AND tenant_id = ?')
      .get(store, tenant.appId, tenant.tenantId) as { seq: number | null };
    return row.seq ?? 0;
  }

  async vectors(): Promise<RankedKey[]> {
    throw new MnemosError(
      'storage_error',
      'SQLite has no native vector search; the engine indexes vectors itself',
      {
        category: 'system',
      },
    );
  }
}
