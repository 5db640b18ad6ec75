import { type AddMemoriesInput, Mnemos } from '../src/index.js';
import { cpuMs } from './stats.js';

/** The tenant every synthetic benchmark writes to and reads from. */
export const benchTenant = { appId: 'bench', tenantId: 'tenant-1' } as const;

/** Read scope covering the whole bench tenant. */
export const wholeTenant = { ...benchTenant, agentId: '*', runId: '*' } as const;

/** Opens the engine on a home with the default configuration (app id `bench`). */
export function openEngine(home: string): Promise<Mnemos> {
  return Mnemos.open({
    home,
    config: { app_id: benchTenant.appId, tenant_id: benchTenant.tenantId },
  });
}

/** What a batched load did: requests loaded, wall and process CPU milliseconds. */
export interface LoadResult {
  loaded: number;
  ms: number;
  cpuMs: number;
}

/**
 * Enqueues requests with `addMany` in batches, each followed by `drain()`, stopping early (after
 * a whole batch) once `deadline` (a `performance.now()` time) has passed.
 */
export async function loadInBatches(
  mnemos: Mnemos,
  inputs: readonly AddMemoriesInput[],
  batchSize: number,
  deadline = Number.POSITIVE_INFINITY,
  onBatch?: (done: number) => void,
): Promise<LoadResult> {
  const start = performance.now();
  const cpuStart = cpuMs();
  let loaded = 0;
  while (loaded < inputs.length && performance.now() < deadline) {
    const batch = inputs.slice(loaded, loaded + batchSize);
    await mnemos.memories.addMany(batch);
    await mnemos.drain();
    loaded += batch.length;
    onBatch?.(loaded);
  }
  return { loaded, ms: performance.now() - start, cpuMs: cpuMs() - cpuStart };
}

/** Live memories stored in the bench tenant (near-duplicates merge, so this can be below the requests). */
export async function storedCount(
  mnemos: Mnemos,
  tenant: { appId: string; tenantId: string } = benchTenant,
): Promise<number> {
  return (await mnemos.memories.list({ scope: { ...tenant, agentId: '*', runId: '*' }, limit: 1 }))
    .total;
}
