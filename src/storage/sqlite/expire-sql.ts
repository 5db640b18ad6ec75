import type { TenantKey } from '../../core/scope.js';
import type { ExpireCriteria } from '../../spec/storage.js';
import type { SqlFragment } from './filter-sql.js';

/** Memories per committed batch of `memories.expire` when the criteria name none. */
export const defaultExpireBatch = 500;

/** WHERE conditions over `memories m` for the candidates of `memories.expire`. */
export function expireWhere(
  store: string,
  tenant: TenantKey | null,
  criteria: ExpireCriteria,
): SqlFragment {
  const conditions = ['m.store = ?', 'm.deleted_at IS NULL', 'm.updated_at < ?'];
  const params: unknown[] = [store, criteria.updatedBefore];
  if (tenant) {
    conditions.push('m.app_id = ?', 'm.tenant_id = ?');
    params.push(tenant.appId, tenant.tenantId);
  }
  if (criteria.keepAccessCount > 0) {
    conditions.push('m.access_count < ?');
    params.push(criteria.keepAccessCount);
  }
  if (criteria.keepAccessedSince !== null) {
    conditions.push('(m.last_accessed_at IS NULL OR m.last_accessed_at < ?)');
    params.push(criteria.keepAccessedSince);
  }
  if (criteria.keepKinds.length > 0) {
    conditions.push(`m.kind NOT IN (${criteria.keepKinds.map(() => '?').join(', ')})`);
    params.push(...criteria.keepKinds);
  }
  return { sql: conditions.join(' AND '), params };
}

/** Lets other work on the event loop run between two committed batches. */
export function yieldBetweenBatches(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
