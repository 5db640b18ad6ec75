import type { TenantKey } from '../../core/scope.js';
import type { Sql } from './database.js';

const tenantId = (tenant: TenantKey): string => `${tenant.appId}\u001f${tenant.tenantId}`;
const storeLockKey = "hashtextextended('mnemos.store' || chr(31) || $1, 0)";

/**
 * Takes a store's swap lock exclusively: a re-embedding swap waits for the store's memory writes in
 * flight and holds new ones back until it commits, so no write lands a vector of the old embedder
 * after the swap.
 */
export async function lockStoreExclusively(sql: Sql, store: string): Promise<void> {
  await sql.run(`SELECT pg_advisory_xact_lock(${storeLockKey})`, [store]);
}

/**
 * The change sequences of one store's tenants inside one write transaction. Locking a tenant's
 * counter row is also the tenant's write lock for memories: writes of one tenant commit in
 * sequence order, so a reader that has seen sequence n has seen every change up to n, while
 * writes of different tenants never wait on each other (no global counter row).
 */
export class ChangeSequence {
  private readonly values = new Map<string, { tenant: TenantKey; value: number; start: number }>();
  private storeLocked = false;

  constructor(
    private readonly sql: Sql,
    private readonly store: string,
  ) {}

  /** Locks the counters of these tenants, in one sorted order so two transactions never deadlock. */
  async lock(tenants: TenantKey[]): Promise<void> {
    const wanted = new Map<string, TenantKey>();
    for (const tenant of tenants) {
      if (!this.values.has(tenantId(tenant))) wanted.set(tenantId(tenant), tenant);
    }
    if (wanted.size === 0) return;
    if (!this.storeLocked) {
      await this.sql.run(`SELECT pg_advisory_xact_lock_shared(${storeLockKey})`, [this.store]);
      this.storeLocked = true;
    }
    const sorted = [...wanted.values()].sort((a, b) =>
      a.appId === b.appId ? compare(a.tenantId, b.tenantId) : compare(a.appId, b.appId),
    );
    const rows = await this.sql.rows<{ app_id: string; tenant_id: string; value: number }>(
      `INSERT INTO memory_sequences (store, app_id, tenant_id, value)
       SELECT $1, t.app_id, t.tenant_id, 0 FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS t(app_id, tenant_id, position)
       ORDER BY t.position
       ON CONFLICT (store, app_id, tenant_id) DO UPDATE SET value = memory_sequences.value
       RETURNING app_id, tenant_id, value`,
      [this.store, sorted.map((tenant) => tenant.appId), sorted.map((tenant) => tenant.tenantId)],
    );
    for (const row of rows) {
      const tenant = { appId: row.app_id, tenantId: row.tenant_id };
      this.values.set(tenantId(tenant), { tenant, value: row.value, start: row.value });
    }
  }

  /** The next sequence number of a tenant, locking its counter first if needed. */
  async next(tenant: TenantKey): Promise<number> {
    await this.lock([tenant]);
    const entry = this.values.get(tenantId(tenant))!;
    entry.value += 1;
    return entry.value;
  }

  /** Writes the advanced counters back; call once, before commit. */
  async flush(): Promise<void> {
    const changed = [...this.values.values()].filter((entry) => entry.value !== entry.start);
    if (changed.length === 0) return;
    await this.sql.run(
      `UPDATE memory_sequences s SET value = u.value
       FROM unnest($2::text[], $3::text[], $4::bigint[]) AS u(app_id, tenant_id, value)
       WHERE s.store = $1 AND s.app_id = u.app_id AND s.tenant_id = u.tenant_id`,
      [
        this.store,
        changed.map((entry) => entry.tenant.appId),
        changed.map((entry) => entry.tenant.tenantId),
        changed.map((entry) => entry.value),
      ],
    );
    for (const entry of changed) entry.start = entry.value;
  }
}

/** Byte-order comparison, the same in every locale. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
