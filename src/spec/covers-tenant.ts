import { type ReadScope, wildcard } from '../core/scope.js';
import type { MemoryFilter } from './storage.js';

/** True when a read pattern and filter select every live memory of the tenant, so no row-level filter is needed. */
export function coversTenant(scope: ReadScope, filter: MemoryFilter): boolean {
  return (
    scope.agentId === wildcard &&
    scope.runId === wildcard &&
    (filter.kinds?.length ?? 0) === 0 &&
    Object.keys(filter.metadata ?? {}).length === 0 &&
    filter.createdAfter === undefined &&
    filter.createdBefore === undefined
  );
}
