import { randomUUID } from 'node:crypto';
import { MnemosError } from '../../core/errors.js';
import type { HistoryEntry } from '../../core/memory-record.js';
import type { ReadScope, Scope, TenantKey } from '../../core/scope.js';
import type {
  DeletedOption,
  ExpireCriteria,
  ExpireOutcome,
  KeyedMemory,
  MemoryFilter,
  MemoryMutation,
  MemoryPatch,
  MemoryRecords,
  NewMemory,
  Page,
} from '../../spec/storage.js';
import { appendSource, encodeSources, sourceOnly } from '../shared/memory-sources.js';
import {
  type HistoryRow,
  historyFromRow,
  type MemoryRow,
  memoryColumns,
  memoryFromRow,
  partitionToken,
  prefixed,
  vectorToBlob,
} from '../shared/rows.js';
import { defaultExpireBatch, expireWhere, yieldBetweenBatches } from './expire-sql.js';
import { memoryWhere } from './filter-sql.js';
import type { Statements } from './statements.js';

/** Memory and history reads and writes of the SQLite backend. */
export class SqliteMemories implements MemoryRecords {
  constructor(private readonly statements: Statements) {}

  async apply(
    store: string,
    tenant: TenantKey,
    mutations: MemoryMutation[],
    now: number,
  ): Promise<void> {
    this.statements.write(() => this.applyInTransaction(store, tenant, mutations, now));
  }

  async delete(
    store: string,
    tenant: TenantKey,
    id: string,
    change: { reason: string; now: number },
  ): Promise<boolean> {
    return this.statements.write(() =>
      this.softDelete(store, tenant, id, change.reason, change.now),
    );
  }

  async deleteByScope(store: string, scope: ReadScope, now: number): Promise<number> {
    return this.statements.write(() => {
      let count = 0;
      for (const id of this.idsInScope(store, scope)) {
        if (this.softDelete(store, scope, id, 'delete_by_scope', now)) count += 1;
      }
      return count;
    });
  }

  async expire(
    store: string,
    tenant: TenantKey | null,
    criteria: ExpireCriteria,
    now: number,
  ): Promise<ExpireOutcome> {
    const where = expireWhere(store, tenant, criteria);
    if (criteria.dryRun) {
      const row = this.statements
        .get(`SELECT count(*) AS n FROM memories m WHERE ${where.sql}`)
        .get(...where.params) as { n: number };
      return { matched: row.n, removed: 0 };
    }
    const candidates = this.statements.get(
      // NOT INDEXED keeps the scan on the rowid from the last batch on: with an index on the store
      // SQLite would read and sort every row of the store again for each batch.
      `SELECT m.key FROM memories m NOT INDEXED WHERE ${where.sql} AND m.key > ? ORDER BY m.key LIMIT ?`,
    );
    const recheck = this.statements.get(
      `SELECT m.key, m.id, m.text, m.app_id, m.tenant_id FROM memories m WHERE m.key = ? AND ${where.sql}`,
    );
    let afterKey = 0;
    let removed = 0;
    for (;;) {
      // The scan for candidates runs outside the write lock (WAL readers never block writers);
      // each batch is then checked again and removed in one short transaction.
      const keys = (
        candidates.all(
          ...where.params,
          afterKey,
          criteria.batchSize ?? defaultExpireBatch,
        ) as Array<{
          key: number;
        }>
      ).map((row) => row.key);
      if (keys.length === 0) break;
      afterKey = keys[keys.length - 1]!;
      removed += this.statements.write(() => {
        let count = 0;
        for (const key of keys) {
          const row = recheck.get(key, ...where.params) as ExpiringRow | undefined;
          if (!row) continue;
          const owner = { appId: row.app_id, tenantId: row.tenant_id };
          if (criteria.action === 'purge') this.purgeRow(store, owner, row);
          else this.softDeleteRow(store, owner, row, 'expired', now);
          count += 1;
        }
        return count;
      });
      await yieldBetweenBatches();
    }
    return { matched: removed, removed };
  }

  /** Applies mutations inside the caller's transaction. */
  applyInTransaction(
    store: string,
    tenant: TenantKey,
    mutations: MemoryMutation[],
    now: number,
  ): void {
    for (const mutation of mutations) {
      if (mutation.type === 'insert') {
        this.insert(store, tenant, mutation.memory, now);
      } else {
        this.update(store, tenant, mutation.id, mutation.patch, mutation.reason, now);
      }
    }
  }

  private insert(store: string, tenant: TenantKey, memory: NewMemory, now: number): void {
    if (memory.scope.appId !== tenant.appId || memory.scope.tenantId !== tenant.tenantId) {
      throw new MnemosError('invalid_scope', 'a write fell outside its tenant', {
        category: 'system',
      });
    }
    const seq = this.statements.nextSeq();
    const result = this.statements
      .get(
        `INSERT INTO memories (id, store, app_id, tenant_id, agent_id, run_id, text, kind, salience, metadata, source, hash, embedding, created_at, updated_at, seq)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        memory.id,
        store,
        memory.scope.appId,
        memory.scope.tenantId,
        memory.scope.agentId,
        memory.scope.runId,
        memory.text,
        memory.kind,
        memory.salience,
        JSON.stringify(memory.metadata),
        encodeSources(memory.source, memory.mergedSources),
        memory.hash,
        vectorToBlob(memory.embedding),
        now,
        now,
        seq,
      );
    this.statements
      .get('INSERT INTO memories_fts (rowid, partition, tokens) VALUES (?, ?, ?)')
      .run(
        result.lastInsertRowid,
        partitionToken(store, tenant.appId, tenant.tenantId),
        memory.tokens,
      );
    this.addHistory(store, tenant, memory.id, 'ADD', null, memory.text, 'ingest', now);
  }

  private update(
    store: string,
    tenant: TenantKey,
    id: string,
    patch: MemoryPatch,
    reason: string,
    now: number,
  ): void {
    const row = this.statements
      .get(
        'SELECT key, text, source FROM memories WHERE id = ? AND store = ? AND app_id = ? AND tenant_id = ? AND deleted_at IS NULL',
      )
      .get(id, store, tenant.appId, tenant.tenantId) as
      | { key: number; text: string; source: string }
      | undefined;
    if (!row) throw new MnemosError('not_found', `memory ${id} not found`, { details: { id } });
    const sets = ['updated_at = ?', 'seq = ?'];
    const params: unknown[] = [now, this.statements.nextSeq()];
    const columns: Array<[string, unknown]> = [
      ['text', patch.text],
      ['hash', patch.hash],
      ['kind', patch.kind],
      ['salience', patch.salience],
      ['metadata', patch.metadata && JSON.stringify(patch.metadata)],
      ['embedding', patch.embedding && vectorToBlob(patch.embedding)],
      ['valid_to', patch.validTo],
      ['source', patch.addSource && appendSource(row.source, patch.addSource)],
    ];
    for (const [column, value] of columns) {
      if (value === undefined) continue;
      sets.push(`${column} = ?`);
      params.push(value);
    }
    this.statements.db
      .prepare(`UPDATE memories SET ${sets.join(', ')} WHERE key = ?`)
      .run(...params, row.key);
    if (patch.validTo !== undefined) {
      // Invalidated: out of default full-text search, into the tenant's partition of invalidated
      // memories (searched on request); the seq bump drops it from vector indexes.
      this.statements.get('DELETE FROM memories_fts WHERE rowid = ?').run(row.key);
      if (patch.tokens !== undefined) {
        this.statements
          .get('INSERT INTO memories_fts (rowid, partition, tokens) VALUES (?, ?, ?)')
          .run(row.key, invalidatedPartition(store, tenant), patch.tokens);
      }
      this.addHistory(store, tenant, id, 'INVALIDATE', row.text, patch.text ?? null, reason, now);
      return;
    }
    if (patch.tokens !== undefined) {
      this.statements.get('DELETE FROM memories_fts WHERE rowid = ?').run(row.key);
      this.statements
        .get('INSERT INTO memories_fts (rowid, partition, tokens) VALUES (?, ?, ?)')
        .run(row.key, partitionToken(store, tenant.appId, tenant.tenantId), patch.tokens);
    }
    // A source said again changes no text: its record is the memory's `sources`, not history.
    if (!sourceOnly(patch))
      this.addHistory(store, tenant, id, 'UPDATE', row.text, patch.text ?? row.text, reason, now);
  }

  private addHistory(
    store: string,
    tenant: TenantKey,
    memoryId: string,
    event: string,
    oldText: string | null,
    newText: string | null,
    reason: string,
    now: number,
  ): void {
    this.statements
      .get(
        'INSERT INTO memory_history (id, store, app_id, tenant_id, memory_id, event, old_text, new_text, reason, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        randomUUID(),
        store,
        tenant.appId,
        tenant.tenantId,
        memoryId,
        event,
        oldText,
        newText,
        reason,
        now,
      );
  }

  async get(
    store: string,
    tenant: TenantKey,
    ids: string[],
    options: DeletedOption = {},
  ): Promise<KeyedMemory[]> {
    const includeDeleted = options.includeDeleted ?? false;
    if (ids.length === 0) return [];
    const rows = this.statements
      .get(
        `SELECT ${prefixed('m')} FROM json_each(?) AS wanted CROSS JOIN memories m ON m.id = wanted.value
         WHERE m.store = ? AND m.app_id = ? AND m.tenant_id = ?${includeDeleted ? '' : ' AND m.deleted_at IS NULL'}`,
      )
      .all(JSON.stringify(ids), store, tenant.appId, tenant.tenantId) as MemoryRow[];
    return rows.map(memoryFromRow);
  }

  async getByKeys(store: string, tenant: TenantKey, keys: number[]): Promise<KeyedMemory[]> {
    if (keys.length === 0) return [];
    const rows = this.statements
      .get(
        // CROSS JOIN pins the loop order: one primary-key lookup per wanted key, never a tenant scan.
        `SELECT ${prefixed('m')} FROM json_each(?) AS wanted CROSS JOIN memories m ON m.key = wanted.value
         WHERE m.store = ? AND m.app_id = ? AND m.tenant_id = ?`,
      )
      .all(JSON.stringify(keys), store, tenant.appId, tenant.tenantId) as MemoryRow[];
    return rows.map(memoryFromRow);
  }

  async list(
    store: string,
    scope: ReadScope,
    page: Page,
    options: DeletedOption & { filter?: MemoryFilter } = {},
  ): Promise<KeyedMemory[]> {
    const where = memoryWhere(store, scope, options.filter ?? {}, options.includeDeleted ?? false);
    const rows = this.statements.db
      .prepare(
        `SELECT ${memoryColumns} FROM memories m WHERE ${where.sql} ORDER BY m.created_at DESC, m.key DESC LIMIT ? OFFSET ?`,
      )
      .all(...where.params, page.limit, page.offset) as MemoryRow[];
    return rows.map(memoryFromRow);
  }

  async count(
    store: string,
    scope: ReadScope,
    options: DeletedOption & { filter?: MemoryFilter } = {},
  ): Promise<number> {
    const where = memoryWhere(store, scope, options.filter ?? {}, options.includeDeleted ?? false);
    const row = this.statements
      .get(`SELECT count(*) AS n FROM memories m WHERE ${where.sql}`)
      .get(...where.params) as {
      n: number;
    };
    return row.n;
  }

  async findByHash(store: string, scope: Scope, hashes: string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    if (hashes.length === 0) return found;
    const rows = this.statements
      .get(
        `SELECT hash, id FROM memories WHERE store = ? AND app_id = ? AND tenant_id = ? AND agent_id = ?
         AND deleted_at IS NULL AND valid_to IS NULL AND hash IN (SELECT value FROM json_each(?))
         ORDER BY run_id = ? DESC, key`,
      )
      .all(
        store,
        scope.appId,
        scope.tenantId,
        scope.agentId,
        JSON.stringify(hashes),
        scope.runId,
      ) as Array<{
      hash: string;
      id: string;
    }>;
    for (const row of rows) if (!found.has(row.hash)) found.set(row.hash, row.id);
    return found;
  }

  /** Soft delete inside the caller's transaction. */
  private softDelete(
    store: string,
    tenant: TenantKey,
    id: string,
    reason: string,
    now: number,
  ): boolean {
    const row = this.statements
      .get(
        'SELECT key, text FROM memories WHERE id = ? AND store = ? AND app_id = ? AND tenant_id = ? AND deleted_at IS NULL',
      )
      .get(id, store, tenant.appId, tenant.tenantId) as { key: number; text: string } | undefined;
    if (!row) return false;
    this.softDeleteRow(store, tenant, { ...row, id }, reason, now);
    return true;
  }

  /** Soft-deletes a row known to be live, inside the caller's transaction. */
  private softDeleteRow(
    store: string,
    tenant: TenantKey,
    row: { key: number; id: string; text: string },
    reason: string,
    now: number,
  ): void {
    this.statements
      .get('UPDATE memories SET deleted_at = ?, updated_at = ?, seq = ? WHERE key = ?')
      .run(now, now, this.statements.nextSeq(), row.key);
    this.statements.get('DELETE FROM memories_fts WHERE rowid = ?').run(row.key);
    this.addHistory(store, tenant, row.id, 'DELETE', row.text, null, reason, now);
  }

  /** Removes a row, its full-text entry and its history, inside the caller's transaction. */
  private purgeRow(store: string, tenant: TenantKey, row: { key: number; id: string }): void {
    this.statements.get('DELETE FROM memories_fts WHERE rowid = ?').run(row.key);
    this.statements.get('DELETE FROM memories WHERE key = ?').run(row.key);
    this.statements
      .get(
        'DELETE FROM memory_history WHERE store = ? AND app_id = ? AND tenant_id = ? AND memory_id = ?',
      )
      .run(store, tenant.appId, tenant.tenantId, row.id);
  }

  async purge(store: string, tenant: TenantKey, id: string): Promise<boolean> {
    return this.statements.write(() => {
      const row = this.statements
        .get('SELECT key FROM memories WHERE id = ? AND store = ? AND app_id = ? AND tenant_id = ?')
        .get(id, store, tenant.appId, tenant.tenantId) as { key: number } | undefined;
      if (!row) return false;
      this.purgeRow(store, tenant, { key: row.key, id });
      return true;
    });
  }

  /** Ids of the memories a delete-by-scope forgets: every undeleted one, invalidated included. */
  private idsInScope(store: string, scope: ReadScope): string[] {
    const where = memoryWhere(store, scope, {}, 'undeleted');
    return (
      this.statements
        .get(`SELECT m.id FROM memories m WHERE ${where.sql}`)
        .all(...where.params) as Array<{ id: string }>
    ).map((row) => row.id);
  }

  async history(store: string, tenant: TenantKey, memoryId: string): Promise<HistoryEntry[]> {
    const rows = this.statements
      .get(
        'SELECT id, memory_id, event, old_text, new_text, reason, created_at FROM memory_history WHERE store = ? AND app_id = ? AND tenant_id = ? AND memory_id = ? ORDER BY created_at, rowid',
      )
      .all(store, tenant.appId, tenant.tenantId, memoryId) as HistoryRow[];
    return rows.map(historyFromRow);
  }

  async recordAccess(
    store: string,
    tenant: TenantKey,
    counts: Map<number, number>,
    at: number,
  ): Promise<void> {
    return this.statements.write(() => {
      const statement = this.statements.get(
        'UPDATE memories SET access_count = access_count + ?, last_accessed_at = ? WHERE key = ? AND store = ? AND app_id = ? AND tenant_id = ?',
      );
      for (const [key, count] of counts)
        statement.run(count, at, key, store, tenant.appId, tenant.tenantId);
    });
  }
}

/** A candidate row of `expire`. */
interface ExpiringRow {
  key: number;
  id: string;
  text: string;
  app_id: string;
  tenant_id: string;
}

/** FTS partition of a tenant's invalidated memories, apart from live ones so default searches never see them. */
export function invalidatedPartition(store: string, tenant: TenantKey): string {
  return partitionToken(`${store}\u0000invalidated`, tenant.appId, tenant.tenantId);
}
