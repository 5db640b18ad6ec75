import { MnemosError } from '../../core/errors.js';
import type { ReadScope, TenantKey } from '../../core/scope.js';
import type { MemoryMutation, MemoryPatch, NewMemory } from '../../spec/storage.js';
import { appendSource, encodeSources, sourceOnly } from '../shared/memory-sources.js';
import type { TextStatistics } from './bm25.js';
import type { ChangeSequence } from './change-sequence.js';
import type { Sql } from './database.js';
import { memoryWhere, Params } from './filter-sql.js';
import { HistoryBuffer } from './history-buffer.js';
import { partitionLexeme, tsvectorLiteral } from './text-search.js';
import { vectorLiteral } from './vectors.js';

/** The tsvector literal of a memory's tokens in its tenant's partition, with its count of distinct tokens. */
export function memoryTsv(
  store: string,
  tenant: TenantKey,
  tokens: string,
): { literal: string; lexemes: number } {
  return tsvectorLiteral(partitionLexeme(store, tenant.appId, tenant.tenantId), tokens);
}

/** Distinct tokens of a row's tsvector (without the partition lexeme), or null when it has none. */
export const tsvSize = 'CASE WHEN tsv IS NULL THEN NULL ELSE length(tsv) - 1 END';

/** A memory row a bulk write changes: its keys, text and full-text size, with its tenant. */
export interface WrittenRow {
  tenant: TenantKey;
  key: number;
  id: string;
  text: string;
  size: number | null;
}

/**
 * Memory writes of one store inside one transaction whose tenants' change sequences are locked.
 * Inserts are sent in multi-row statements and history rows in one statement at the end, in the
 * order they happened.
 */
export class MemoryWrites {
  private readonly pending: Array<{ tenant: TenantKey; memory: NewMemory }> = [];
  private readonly history: HistoryBuffer;

  constructor(
    private readonly sql: Sql,
    private readonly store: string,
    private readonly sequence: ChangeSequence,
    private readonly statistics: TextStatistics,
    private readonly now: number,
  ) {
    this.history = new HistoryBuffer(store, now);
  }

  /** Applies a tenant's mutations in order. */
  async apply(tenant: TenantKey, mutations: MemoryMutation[]): Promise<void> {
    for (const mutation of mutations) {
      if (mutation.type === 'insert') {
        if (
          mutation.memory.scope.appId !== tenant.appId ||
          mutation.memory.scope.tenantId !== tenant.tenantId
        ) {
          throw new MnemosError('invalid_scope', 'a write fell outside its tenant', {
            category: 'system',
          });
        }
        this.pending.push({ tenant, memory: mutation.memory });
      } else {
        await this.flushInserts();
        await this.update(tenant, mutation.id, mutation.patch, mutation.reason);
      }
    }
  }

  /** Soft-deletes one live memory; false when absent or already deleted. */
  async softDelete(tenant: TenantKey, id: string, reason: string): Promise<boolean> {
    const row = await this.liveRow(tenant, id);
    if (!row) return false;
    this.uncount(tenant, row.size);
    await this.sql.run(
      'UPDATE memories SET deleted_at = $1, updated_at = $1, seq = $2, tsv = NULL WHERE app_id = $3 AND tenant_id = $4 AND key = $5',
      [this.now, await this.sequence.next(tenant), tenant.appId, tenant.tenantId, row.key],
    );
    this.history.push({
      tenant,
      memoryId: id,
      event: 'DELETE',
      oldText: row.text,
      newText: null,
      reason,
    });
    return true;
  }

  /** Soft-deletes every undeleted memory matching the pattern, invalidated ones included; returns how many. */
  async deleteByScope(scope: ReadScope): Promise<number> {
    const params = new Params();
    const where = memoryWhere(params, this.store, scope, {}, 'undeleted');
    const rows = await this.sql.rows<{
      key: number;
      id: string;
      text: string;
      size: number | null;
    }>(
      `SELECT m.key, m.id, m.text, ${tsvSize.replaceAll('tsv', 'm.tsv')} AS size FROM memories m WHERE ${where} ORDER BY m.key`,
      params.values,
    );
    return this.softDeleteRows(
      rows.map((row) => ({ ...row, tenant: scope })),
      'delete_by_scope',
    );
  }

  /** Soft-deletes rows known to be undeleted, of any tenants whose sequences are locked; returns how many. */
  async softDeleteRows(rows: WrittenRow[], reason: string): Promise<number> {
    if (rows.length === 0) return 0;
    for (const row of rows) this.uncount(row.tenant, row.size);
    const seqs: number[] = [];
    for (const row of rows) seqs.push(await this.sequence.next(row.tenant));
    await this.sql.run(
      `UPDATE memories m SET deleted_at = $1, updated_at = $1, seq = u.seq, tsv = NULL
       FROM unnest($2::text[], $3::text[], $4::bigint[], $5::bigint[]) AS u(app_id, tenant_id, key, seq)
       WHERE m.app_id = u.app_id AND m.tenant_id = u.tenant_id AND m.key = u.key`,
      [
        this.now,
        rows.map((row) => row.tenant.appId),
        rows.map((row) => row.tenant.tenantId),
        rows.map((row) => row.key),
        seqs,
      ],
    );
    for (const row of rows) {
      this.history.push({
        tenant: row.tenant,
        memoryId: row.id,
        event: 'DELETE',
        oldText: row.text,
        newText: null,
        reason,
      });
    }
    return rows.length;
  }

  /** Removes rows and their history for good, of any tenants whose sequences are locked; returns how many. */
  async purgeRows(rows: WrittenRow[]): Promise<number> {
    if (rows.length === 0) return 0;
    const appIds = rows.map((row) => row.tenant.appId);
    const tenantIds = rows.map((row) => row.tenant.tenantId);
    await this.sql.run(
      `DELETE FROM memories m USING unnest($1::text[], $2::text[], $3::bigint[]) AS u(app_id, tenant_id, key)
       WHERE m.app_id = u.app_id AND m.tenant_id = u.tenant_id AND m.key = u.key`,
      [appIds, tenantIds, rows.map((row) => row.key)],
    );
    await this.sql.run(
      `DELETE FROM memory_history h USING unnest($2::text[], $3::text[], $4::text[]) AS u(app_id, tenant_id, memory_id)
       WHERE h.store = $1 AND h.app_id = u.app_id AND h.tenant_id = u.tenant_id AND h.memory_id = u.memory_id`,
      [this.store, appIds, tenantIds, rows.map((row) => row.id)],
    );
    for (const row of rows) this.uncount(row.tenant, row.size);
    return rows.length;
  }

  /** Removes a memory row and its history for good; false when absent. */
  async purge(tenant: TenantKey, id: string): Promise<boolean> {
    const rows = await this.sql.rows<{ size: number | null }>(
      `DELETE FROM memories WHERE app_id = $1 AND tenant_id = $2 AND id = $3 AND store = $4 RETURNING ${tsvSize} AS size`,
      [tenant.appId, tenant.tenantId, id, this.store],
    );
    if (!rows[0]) return false;
    this.uncount(tenant, rows[0].size);
    await this.sql.run(
      'DELETE FROM memory_history WHERE store = $1 AND app_id = $2 AND tenant_id = $3 AND memory_id = $4',
      [this.store, tenant.appId, tenant.tenantId, id],
    );
    return true;
  }

  /** Takes a row's tokens out of the tenant's full-text statistics. */
  private uncount(tenant: TenantKey, size: number | null): void {
    if (size !== null) this.statistics.add(this.store, tenant, -1, -size);
  }

  /** Sends what is buffered; call before commit. */
  async finish(): Promise<void> {
    await this.flushInserts();
    await this.history.flush(this.sql);
  }

  private async flushInserts(): Promise<void> {
    if (this.pending.length === 0) return;
    const items = this.pending.splice(0);
    const seqs: number[] = [];
    for (const item of items) seqs.push(await this.sequence.next(item.tenant));
    const column = <T>(pick: (memory: NewMemory, tenant: TenantKey) => T): T[] =>
      items.map((item) => pick(item.memory, item.tenant));
    const tsvs = items.map((item) => {
      const tsv = memoryTsv(this.store, item.tenant, item.memory.tokens);
      this.statistics.add(this.store, item.tenant, 1, tsv.lexemes);
      return tsv.literal;
    });
    await this.sql.run(
      `INSERT INTO memories (id, store, app_id, tenant_id, agent_id, run_id, text, kind, salience, metadata, source, hash, embedding, tsv, created_at, updated_at, seq)
       SELECT u.id, $1, u.app_id, u.tenant_id, u.agent_id, u.run_id, u.text, u.kind, u.salience, u.metadata, u.source, u.hash,
              u.embedding::vector, u.tsv::tsvector, $2, $2, u.seq
       FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::float8[],
                   $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::bigint[])
         WITH ORDINALITY AS u(id, app_id, tenant_id, agent_id, run_id, text, kind, salience, metadata, source, hash, embedding, tsv, seq, position)
       ORDER BY u.position`,
      [
        this.store,
        this.now,
        column((memory) => memory.id),
        column((memory) => memory.scope.appId),
        column((memory) => memory.scope.tenantId),
        column((memory) => memory.scope.agentId),
        column((memory) => memory.scope.runId),
        column((memory) => memory.text),
        column((memory) => memory.kind),
        column((memory) => memory.salience),
        column((memory) => JSON.stringify(memory.metadata)),
        column((memory) => encodeSources(memory.source, memory.mergedSources)),
        column((memory) => memory.hash),
        column((memory) => vectorLiteral(memory.embedding)),
        tsvs,
        seqs,
      ],
    );
    for (const item of items) {
      this.history.push({
        tenant: item.tenant,
        memoryId: item.memory.id,
        event: 'ADD',
        oldText: null,
        newText: item.memory.text,
        reason: 'ingest',
      });
    }
  }

  private async liveRow(
    tenant: TenantKey,
    id: string,
  ): Promise<{ key: number; text: string; source: string; size: number | null } | undefined> {
    const rows = await this.sql.rows<{
      key: number;
      text: string;
      source: string;
      size: number | null;
    }>(
      `SELECT key, text, source, ${tsvSize} AS size FROM memories WHERE app_id = $1 AND tenant_id = $2 AND id = $3 AND store = $4 AND deleted_at IS NULL`,
      [tenant.appId, tenant.tenantId, id, this.store],
    );
    return rows[0];
  }

  private async update(
    tenant: TenantKey,
    id: string,
    patch: MemoryPatch,
    reason: string,
  ): Promise<void> {
    const row = await this.liveRow(tenant, id);
    if (!row) throw new MnemosError('not_found', `memory ${id} not found`, { details: { id } });
    const params = new Params();
    const sets = [
      `updated_at = ${params.add(this.now)}`,
      `seq = ${params.add(await this.sequence.next(tenant))}`,
    ];
    const columns: Array<[string, unknown, string]> = [
      ['text', patch.text, ''],
      ['hash', patch.hash, ''],
      ['kind', patch.kind, ''],
      ['salience', patch.salience, ''],
      ['metadata', patch.metadata && JSON.stringify(patch.metadata), ''],
      ['embedding', patch.embedding && vectorLiteral(patch.embedding), '::vector'],
      ['valid_to', patch.validTo, ''],
      ['source', patch.addSource && appendSource(row.source, patch.addSource), ''],
    ];
    for (const [name, value, cast] of columns) {
      if (value !== undefined) sets.push(`${name} = ${params.add(value)}${cast}`);
    }
    const invalidating = patch.validTo !== undefined;
    // Invalidated: out of default full-text search, still found with `invalidated` when its
    // tokens are given (the column condition on valid_to keeps it apart); without tokens, gone.
    if (patch.tokens !== undefined) {
      const tsv = memoryTsv(this.store, tenant, patch.tokens);
      this.uncount(tenant, row.size);
      this.statistics.add(this.store, tenant, 1, tsv.lexemes);
      sets.push(`tsv = ${params.add(tsv.literal)}::tsvector`);
    } else if (invalidating) {
      this.uncount(tenant, row.size);
      sets.push('tsv = NULL');
    }
    await this.sql.run(
      `UPDATE memories SET ${sets.join(', ')} WHERE app_id = ${params.add(tenant.appId)} AND tenant_id = ${params.add(tenant.tenantId)} AND key = ${params.add(row.key)}`,
      params.values,
    );
    // A source said again changes no text: its record is the memory's `sources`, not history.
    if (sourceOnly(patch)) return;
    this.history.push(
      invalidating
        ? {
            tenant,
            memoryId: id,
            event: 'INVALIDATE',
            oldText: row.text,
            newText: patch.text ?? null,
            reason,
          }
        : {
            tenant,
            memoryId: id,
            event: 'UPDATE',
            oldText: row.text,
            newText: patch.text ?? row.text,
            reason,
          },
    );
  }
}
