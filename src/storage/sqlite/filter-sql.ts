import type { ReadScope } from '../../core/scope.js';
import { wildcard } from '../../core/scope.js';
import type { MemoryFilter } from '../../spec/storage.js';

/** A WHERE fragment with its positional parameters. */
export interface SqlFragment {
  sql: string;
  params: unknown[];
}

/** WHERE conditions for a read pattern and filter over the memories table aliased `m`. */
export function memoryWhere(
  store: string,
  scope: ReadScope,
  filter: MemoryFilter,
  /**
   * `true`: every row; `false`: live rows; `invalidated`: invalidated rows that are not deleted;
   * `undeleted`: live and invalidated rows.
   */
  includeDeleted: boolean | 'invalidated' | 'undeleted',
): SqlFragment {
  const conditions = ['m.store = ?', 'm.app_id = ?', 'm.tenant_id = ?'];
  const params: unknown[] = [store, scope.appId, scope.tenantId];
  if (scope.agentId !== wildcard) {
    conditions.push('m.agent_id = ?');
    params.push(scope.agentId);
  }
  if (scope.runId !== wildcard) {
    conditions.push('m.run_id = ?');
    params.push(scope.runId);
  }
  if (includeDeleted === 'invalidated') {
    conditions.push('m.deleted_at IS NULL', 'm.valid_to IS NOT NULL');
  } else if (includeDeleted === 'undeleted') {
    conditions.push('m.deleted_at IS NULL');
  } else if (!includeDeleted) conditions.push('m.deleted_at IS NULL', 'm.valid_to IS NULL');
  if (filter.kinds && filter.kinds.length > 0) {
    conditions.push(`m.kind IN (${filter.kinds.map(() => '?').join(', ')})`);
    params.push(...filter.kinds);
  }
  for (const [key, value] of Object.entries(filter.metadata ?? {})) {
    conditions.push('json_extract(m.metadata, ?) = ?');
    params.push(`$."${key}"`, value);
  }
  if (filter.createdAfter !== undefined) {
    conditions.push('m.created_at >= ?');
    params.push(filter.createdAfter);
  }
  if (filter.createdBefore !== undefined) {
    conditions.push('m.created_at <= ?');
    params.push(filter.createdBefore);
  }
  return { sql: conditions.join(' AND '), params };
}
