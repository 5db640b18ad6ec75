import type { ReadScope } from '../../core/scope.js';
import { wildcard } from '../../core/scope.js';
import type { MemoryFilter } from '../../spec/storage.js';

/** Positional parameters of one statement: `add` returns the `$n` placeholder of a value. */
export class Params {
  readonly values: unknown[] = [];

  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/**
 * Which memories a condition keeps: `true` every row, `false` live rows, `invalidated` invalidated
 * rows that are not deleted, `undeleted` live and invalidated rows.
 */
export type Liveness = boolean | 'invalidated' | 'undeleted';

/** WHERE conditions for a read pattern and filter over the memories table aliased `m`. */
export function memoryWhere(
  params: Params,
  store: string,
  scope: ReadScope,
  filter: MemoryFilter,
  includeDeleted: Liveness,
): string {
  const conditions = [
    `m.store = ${params.add(store)}`,
    `m.app_id = ${params.add(scope.appId)}`,
    `m.tenant_id = ${params.add(scope.tenantId)}`,
  ];
  if (scope.agentId !== wildcard) conditions.push(`m.agent_id = ${params.add(scope.agentId)}`);
  if (scope.runId !== wildcard) conditions.push(`m.run_id = ${params.add(scope.runId)}`);
  if (includeDeleted === 'invalidated') {
    conditions.push('m.deleted_at IS NULL', 'm.valid_to IS NOT NULL');
  } else if (includeDeleted === 'undeleted') {
    conditions.push('m.deleted_at IS NULL');
  } else if (!includeDeleted) conditions.push('m.deleted_at IS NULL', 'm.valid_to IS NULL');
  if (filter.kinds && filter.kinds.length > 0)
    conditions.push(`m.kind = ANY(${params.add(filter.kinds)}::text[])`);
  const metadata = filter.metadata ?? {};
  // Containment of string values is equality per key, like json_extract in the SQLite backend.
  if (Object.keys(metadata).length > 0)
    conditions.push(`m.metadata::jsonb @> ${params.add(JSON.stringify(metadata))}::jsonb`);
  if (filter.createdAfter !== undefined)
    conditions.push(`m.created_at >= ${params.add(filter.createdAfter)}`);
  if (filter.createdBefore !== undefined)
    conditions.push(`m.created_at <= ${params.add(filter.createdBefore)}`);
  return conditions.join(' AND ');
}
