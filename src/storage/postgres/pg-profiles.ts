import type {
  ProfileChange,
  ProfileEntry,
  ProfileHistoryEntry,
} from '../../core/profile-record.js';
import type { TenantKey } from '../../core/scope.js';
import type { Page, ProfileStorage } from '../../spec/storage.js';
import {
  type ProfileEntryRow,
  type ProfileHistoryRow,
  profileEntryFromRow,
  profileHistoryFromRow,
} from '../shared/record-rows.js';
import type { Database, Sql } from './database.js';

/** The user profile of the Postgres backend: one row per key, and a history row per change. */
export class PostgresProfiles implements ProfileStorage {
  constructor(private readonly db: Database) {}

  change(tenant: TenantKey, changes: ProfileChange[], now: number): Promise<number> {
    return this.db.transaction((sql) => this.apply(sql, tenant, changes, now));
  }

  async get(tenant: TenantKey): Promise<ProfileEntry[]> {
    const rows = await this.db.rows<ProfileEntryRow>(
      'SELECT key, value, source, memory_id, updated_at FROM profile_entries WHERE app_id = $1 AND tenant_id = $2 ORDER BY key COLLATE "C"',
      [tenant.appId, tenant.tenantId],
    );
    return rows.map(profileEntryFromRow);
  }

  /**
   * Applies changes in order inside the caller's transaction; a change to the same value is
   * skipped. A transaction-scoped advisory lock per tenant serialises concurrent changes, so each
   * history row records the value it really replaced (a missing key has no row to lock).
   */
  async apply(
    sql: Sql,
    tenant: TenantKey,
    changes: readonly ProfileChange[],
    now: number,
  ): Promise<number> {
    if (changes.length === 0) return 0;
    await sql.run(
      "SELECT pg_advisory_xact_lock(hashtextextended('mnemos.profile' || chr(31) || $1 || chr(31) || $2, 0))",
      [tenant.appId, tenant.tenantId],
    );
    let applied = 0;
    for (const change of changes) {
      const current = await sql.rows<{ value: string }>(
        'SELECT value FROM profile_entries WHERE app_id = $1 AND tenant_id = $2 AND key = $3',
        [tenant.appId, tenant.tenantId, change.key],
      );
      const oldValue = current[0]?.value ?? null;
      if (oldValue === change.value) continue;
      if (change.value === null) {
        await sql.run(
          'DELETE FROM profile_entries WHERE app_id = $1 AND tenant_id = $2 AND key = $3',
          [tenant.appId, tenant.tenantId, change.key],
        );
      } else {
        await sql.run(
          `INSERT INTO profile_entries (app_id, tenant_id, key, value, source, memory_id, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (app_id, tenant_id, key) DO UPDATE SET
             value = excluded.value, source = excluded.source,
             memory_id = excluded.memory_id, updated_at = excluded.updated_at`,
          [
            tenant.appId,
            tenant.tenantId,
            change.key,
            change.value,
            change.source,
            change.memoryId ?? null,
            now,
          ],
        );
      }
      await sql.run(
        `INSERT INTO profile_history (app_id, tenant_id, key, old_value, new_value, source, memory_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [
          tenant.appId,
          tenant.tenantId,
          change.key,
          oldValue,
          change.value,
          change.source,
          change.memoryId ?? null,
          now,
        ],
      );
      applied++;
    }
    return applied;
  }

  /** Changes newest first, of one key or all. */
  async history(tenant: TenantKey, key: string | null, page: Page): Promise<ProfileHistoryEntry[]> {
    const rows = await this.db.rows<ProfileHistoryRow>(
      `SELECT key, old_value, new_value, source, memory_id, created_at FROM profile_history
       WHERE app_id = $1 AND tenant_id = $2${key === null ? '' : ' AND key = $5'}
       ORDER BY seq DESC LIMIT $3 OFFSET $4`,
      key === null
        ? [tenant.appId, tenant.tenantId, page.limit, page.offset]
        : [tenant.appId, tenant.tenantId, page.limit, page.offset, key],
    );
    return rows.map(profileHistoryFromRow);
  }
}
