import type { MemoryFilter } from '../../storage/spec.js';
import { type ReadScope, wildcard } from '../scope.js';

/** True when a search narrows anything beyond the tenant, so index hits need a row-level filter. */
export function isNarrowing(scope: ReadScope, filter: MemoryFilter): boolean {
  return (
    scope.agentId !== wildcard ||
    scope.runId !== wildcard ||
    (filter.kinds?.length ?? 0) > 0 ||
    Object.keys(filter.metadata ?? {}).length > 0 ||
    filter.createdAfter !== undefined ||
    filter.createdBefore !== undefined
  );
}
