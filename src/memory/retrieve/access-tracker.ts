import type { TenantKey } from '../../core/scope.js';
import type { Storage } from '../../spec/storage.js';

/**
 * Buffers "this memory was recalled" counts and writes them in one transaction every few seconds,
 * keeping a durable write off the search path. Counts buffered at a crash are lost, by design.
 */
export class AccessTracker {
  private readonly pending = new Map<
    string,
    { store: string; tenant: TenantKey; counts: Map<number, number> }
  >();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly storage: Storage,
    private readonly flushMs: number,
    /** False for a read-only engine (`doctor`, `migrate`'s verification): searches change nothing. */
    private readonly enabled = true,
  ) {}

  /** Notes that these rows were returned by a search. */
  record(store: string, tenant: TenantKey, keys: number[]): void {
    if (!this.enabled || keys.length === 0) return;
    const id = `${store}\u0000${tenant.appId}\u0000${tenant.tenantId}`;
    let entry = this.pending.get(id);
    if (!entry) {
      entry = {
        store,
        tenant: { appId: tenant.appId, tenantId: tenant.tenantId },
        counts: new Map(),
      };
      this.pending.set(id, entry);
    }
    for (const key of keys) entry.counts.set(key, (entry.counts.get(key) ?? 0) + 1);
    if (!this.timer) {
      // A failed background flush (database unreachable) drops these counts, as a crash would; it
      // must not become an unhandled rejection, which ends the process.
      this.timer = setTimeout(() => void this.flush().catch(() => {}), this.flushMs);
      this.timer.unref();
    }
  }

  /** Writes everything buffered. */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const entries = [...this.pending.values()];
    this.pending.clear();
    const now = Date.now();
    for (const entry of entries)
      await this.storage.memories.recordAccess(entry.store, entry.tenant, entry.counts, now);
  }
}
