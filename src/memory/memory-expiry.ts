import {
  type ExpireMemoriesInput,
  type ExpireMemoriesOutput,
  expireMemoriesSchema,
} from '../core/expiry-inputs.js';
import { parseInput } from '../core/schemas.js';
import { tenantScope } from '../core/scope.js';
import type { Storage } from '../spec/storage.js';
import type { StoreService } from './stores/store-service.js';

/**
 * Expires old memories of one store or every store, of one tenant or every tenant (the operator's
 * maintenance job): validated whole first, then each store in committed batches.
 */
export async function expireMemories(
  storage: Storage,
  stores: StoreService,
  input: ExpireMemoriesInput,
  now: number = Date.now(),
): Promise<ExpireMemoriesOutput> {
  const parsed = parseInput(expireMemoriesSchema, input, 'memory expiry');
  const tenant = parsed.tenant ? tenantScope(parsed.tenant) : null;
  const names =
    parsed.store === undefined
      ? (await storage.stores.list()).map((store) => store.name)
      : [await stores.get(parsed.store)].map((store) => store.name);
  const criteria = {
    updatedBefore: now - parsed.olderThanMs,
    keepAccessCount: parsed.keepAccessCount,
    keepAccessedSince: parsed.keepAccessedWithinMs > 0 ? now - parsed.keepAccessedWithinMs : null,
    keepKinds: parsed.keepKinds,
    action: parsed.action,
    dryRun: parsed.dryRun,
  };
  const output: ExpireMemoriesOutput = {
    action: parsed.action,
    dryRun: parsed.dryRun,
    matched: 0,
    removed: 0,
    stores: [],
  };
  for (const store of names) {
    const outcome = await storage.memories.expire(store, tenant, criteria, now);
    output.stores.push({ store, ...outcome });
    output.matched += outcome.matched;
    output.removed += outcome.removed;
  }
  return output;
}
