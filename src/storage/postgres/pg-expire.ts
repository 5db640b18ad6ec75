import type { TenantKey } from '../../core/scope.js';
import type { ExpireCriteria, ExpireOutcome } from '../../spec/storage.js';
import type { Database } from './database.js';
import { Params } from './filter-sql.js';
import { writeMemories } from './memory-transaction.js';
import { tsvSize, type WrittenRow } from './pg-memory-writes.js';

/** Memories per committed batch when the criteria name none. */
const defaultBatch = 500;

/** WHERE conditions over `memories m` for the candidates of `memories.expire`. */
function expireWhere(
  params: Params,
  store: string,
  tenant: TenantKey | null,
  criteria: ExpireCriteria,
): string {
  const conditions = [
    `m.store = ${params.add(store)}`,
    'm.deleted_at IS NULL',
    `m.updated_at < ${params.add(criteria.updatedBefore)}`,
  ];
  if (tenant) {
    conditions.push(
      `m.app_id = ${params.add(tenant.appId)}`,
      `m.tenant_id = ${params.add(tenant.tenantId)}`,
    );
  }
  if (criteria.keepAccessCount > 0)
    conditions.push(`m.access_count < ${params.add(criteria.keepAccessCount)}`);
  if (criteria.keepAccessedSince !== null) {
    conditions.push(
      `(m.last_accessed_at IS NULL OR m.last_accessed_at < ${params.add(criteria.keepAccessedSince)})`,
    );
  }
  if (criteria.keepKinds.length > 0)
    conditions.push(`NOT (m.kind = ANY(${params.add(criteria.keepKinds)}::text[]))`);
  return conditions.join(' AND ');
}

/**
 * `memories.expire` on Postgres: candidates are read in key order outside any transaction, then each
 * batch is checked again and removed in its own transaction holding its tenants' write locks.
 */
export async function expireMemories(
  db: Database,
  store: string,
  tenant: TenantKey | null,
  criteria: ExpireCriteria,
  now: number,
): Promise<ExpireOutcome> {
  if (criteria.dryRun) {
    const params = new Params();
    const where = expireWhere(params, store, tenant, criteria);
    const rows = await db.rows<{ n: number }>(
      `SELECT count(*)::int AS n FROM memories m WHERE ${where}`,
      params.values,
    );
    return { matched: rows[0]?.n ?? 0, removed: 0 };
  }
  const limit = criteria.batchSize ?? defaultBatch;
  let afterKey = 0;
  let removed = 0;
  for (;;) {
    const params = new Params();
    const where = expireWhere(params, store, tenant, criteria);
    const candidates = await db.rows<{ key: number; app_id: string; tenant_id: string }>(
      `SELECT m.key, m.app_id, m.tenant_id FROM memories m
       WHERE ${where} AND m.key > ${params.add(afterKey)} ORDER BY m.key LIMIT ${params.add(limit)}`,
      params.values,
    );
    if (candidates.length === 0) break;
    afterKey = candidates[candidates.length - 1]!.key;
    const tenants = new Map<string, TenantKey>();
    for (const row of candidates)
      tenants.set(`${row.app_id}\u001f${row.tenant_id}`, {
        appId: row.app_id,
        tenantId: row.tenant_id,
      });
    removed += await writeMemories(db, store, now, [...tenants.values()], async (writes, sql) => {
      // Checked again under the tenants' write locks: a memory updated meanwhile is no longer old.
      const again = new Params();
      const recheck = expireWhere(again, store, tenant, criteria);
      const rows = await sql.rows<{
        key: number;
        id: string;
        text: string;
        app_id: string;
        tenant_id: string;
        size: number | null;
      }>(
        `SELECT m.key, m.id, m.text, m.app_id, m.tenant_id, ${tsvSize.replaceAll('tsv', 'm.tsv')} AS size
         FROM memories m WHERE ${recheck} AND m.key = ANY(${again.add(candidates.map((row) => row.key))}::bigint[])
         ORDER BY m.key`,
        again.values,
      );
      const written: WrittenRow[] = rows.map((row) => ({
        tenant: tenants.get(`${row.app_id}\u001f${row.tenant_id}`)!,
        key: row.key,
        id: row.id,
        text: row.text,
        size: row.size,
      }));
      return criteria.action === 'purge'
        ? writes.purgeRows(written)
        : writes.softDeleteRows(written, 'expired');
    });
  }
  return { matched: removed, removed };
}
