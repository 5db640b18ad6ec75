import type { HistoryEntry } from '../../core/memory-record.js';
import type { ReadScope, Scope, TenantKey } from '../../core/scope.js';
import type {
  DeletedOption,
  ExpireCriteria,
  ExpireOutcome,
  KeyedMemory,
  MemoryFilter,
  MemoryMutation,
  MemoryRecords,
  Page,
} from '../../spec/storage.js';
import { type HistoryRow, historyFromRow, type MemoryRow, memoryFromRow } from '../shared/rows.js';
import type { Database } from './database.js';
import { memoryWhere, Params } from './filter-sql.js';
import { writeMemories } from './memory-transaction.js';
import { expireMemories } from './pg-expire.js';

/** Memory columns selected for records (the row mappers are shared with the SQLite backend). */
const columns = [
  'key',
  'id',
  'store',
  'app_id',
  'tenant_id',
  'agent_id',
  'run_id',
  'text',
  'kind',
  'salience',
  'metadata',
  'source',
  'hash',
  'created_at',
  'updated_at',
  'last_accessed_at',
  'access_count',
  'valid_to',
  'deleted_at',
]
  .map((column) => `m.${column}`)
  .join(', ');

/** Memories and their history on the Postgres backend; reads run as one statement each. */
export class PostgresMemories implements MemoryRecords {
  constructor(private readonly db: Database) {}

  /** Applies direct writes (API updates) in one transaction. */
  apply(store: string, tenant: TenantKey, mutations: MemoryMutation[], now: number): Promise<void> {
    return writeMemories(this.db, store, now, [tenant], (writes) =>
      writes.apply(tenant, mutations),
    );
  }

  delete(
    store: string,
    tenant: TenantKey,
    id: string,
    change: { reason: string; now: number },
  ): Promise<boolean> {
    return writeMemories(this.db, store, change.now, [tenant], (writes) =>
      writes.softDelete(tenant, id, change.reason),
    );
  }

  purge(store: string, tenant: TenantKey, id: string): Promise<boolean> {
    return writeMemories(this.db, store, Date.now(), [tenant], (writes) =>
      writes.purge(tenant, id),
    );
  }

  deleteByScope(store: string, scope: ReadScope, now: number): Promise<number> {
    return writeMemories(this.db, store, now, [scope], (writes) => writes.deleteByScope(scope));
  }

  expire(
    store: string,
    tenant: TenantKey | null,
    criteria: ExpireCriteria,
    now: number,
  ): Promise<ExpireOutcome> {
    return expireMemories(this.db, store, tenant, criteria, now);
  }

  async get(
    store: string,
    tenant: TenantKey,
    ids: string[],
    options: DeletedOption = {},
  ): Promise<KeyedMemory[]> {
    const includeDeleted = options.includeDeleted ?? false;
    if (ids.length === 0) return [];
    const rows = await this.db.rows<MemoryRow>(
      `SELECT ${columns} FROM memories m
       WHERE m.app_id = $1 AND m.tenant_id = $2 AND m.id = ANY($3::text[]) AND m.store = $4${includeDeleted ? '' : ' AND m.deleted_at IS NULL'}`,
      [tenant.appId, tenant.tenantId, ids, store],
    );
    return rows.map(memoryFromRow);
  }

  async getByKeys(store: string, tenant: TenantKey, keys: number[]): Promise<KeyedMemory[]> {
    if (keys.length === 0) return [];
    const rows = await this.db.rows<MemoryRow>(
      `SELECT ${columns} FROM memories m
       WHERE m.app_id = $1 AND m.tenant_id = $2 AND m.key = ANY($3::bigint[]) AND m.store = $4`,
      [tenant.appId, tenant.tenantId, keys, store],
    );
    return rows.map(memoryFromRow);
  }

  async list(
    store: string,
    scope: ReadScope,
    page: Page,
    options: DeletedOption & { filter?: MemoryFilter } = {},
  ): Promise<KeyedMemory[]> {
    const params = new Params();
    const where = memoryWhere(
      params,
      store,
      scope,
      options.filter ?? {},
      options.includeDeleted ?? false,
    );
    const rows = await this.db.rows<MemoryRow>(
      `SELECT ${columns} FROM memories m WHERE ${where}
       ORDER BY m.created_at DESC, m.key DESC LIMIT ${params.add(page.limit)} OFFSET ${params.add(page.offset)}`,
      params.values,
    );
    return rows.map(memoryFromRow);
  }

  async count(
    store: string,
    scope: ReadScope,
    options: DeletedOption & { filter?: MemoryFilter } = {},
  ): Promise<number> {
    const params = new Params();
    const where = memoryWhere(
      params,
      store,
      scope,
      options.filter ?? {},
      options.includeDeleted ?? false,
    );
    const rows = await this.db.rows<{ n: number }>(
      `SELECT count(*) AS n FROM memories m WHERE ${where}`,
      params.values,
    );
    return rows[0]?.n ?? 0;
  }

  async findByHash(store: string, scope: Scope, hashes: string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    if (hashes.length === 0) return found;
    const rows = await this.db.rows<{ hash: string; id: string }>(
      `SELECT hash, id FROM memories
       WHERE store = $1 AND app_id = $2 AND tenant_id = $3 AND agent_id = $4
         AND hash = ANY($6::text[]) AND deleted_at IS NULL AND valid_to IS NULL
       ORDER BY run_id = $5 DESC, key`,
      [store, scope.appId, scope.tenantId, scope.agentId, scope.runId, hashes],
    );
    for (const row of rows) if (!found.has(row.hash)) found.set(row.hash, row.id);
    return found;
  }

  async history(store: string, tenant: TenantKey, memoryId: string): Promise<HistoryEntry[]> {
    const rows = await this.db.rows<HistoryRow>(
      `SELECT id, memory_id, event, old_text, new_text, reason, created_at FROM memory_history
       WHERE store = $1 AND app_id = $2 AND tenant_id = $3 AND memory_id = $4 ORDER BY created_at, seq`,
      [store, tenant.appId, tenant.tenantId, memoryId],
    );
    return rows.map(historyFromRow);
  }

  /** Adds access counts in one statement (retried as a transaction on deadlock); advisory, so no history. */
  recordAccess(
    store: string,
    tenant: TenantKey,
    counts: Map<number, number>,
    at: number,
  ): Promise<void> {
    if (counts.size === 0) return Promise.resolve();
    const keys = [...counts.keys()].sort((a, b) => a - b);
    return this.db.transaction(async (sql) => {
      await sql.run(
        `UPDATE memories m SET access_count = m.access_count + u.count, last_accessed_at = $1
         FROM unnest($2::bigint[], $3::int[]) AS u(key, count)
         WHERE m.app_id = $4 AND m.tenant_id = $5 AND m.key = u.key AND m.store = $6`,
        [at, keys, keys.map((key) => counts.get(key)), tenant.appId, tenant.tenantId, store],
      );
    });
  }
}
