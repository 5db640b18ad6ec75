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
import type { Statements } from './statements.js';

/** The user profile of the SQLite backend: one row per key, and a history row per change. */
export class SqliteProfiles implements ProfileStorage {
  constructor(private readonly statements: Statements) {}

  async change(tenant: TenantKey, changes: ProfileChange[], now: number): Promise<number> {
    return this.statements.write(() => this.applyInTransaction(tenant, changes, now));
  }

  async get(tenant: TenantKey): Promise<ProfileEntry[]> {
    const rows = this.statements
      .get(
        'SELECT key, value, source, memory_id, updated_at FROM profile_entries WHERE app_id = ? AND tenant_id = ? ORDER BY key',
      )
      .all(tenant.appId, tenant.tenantId) as ProfileEntryRow[];
    return rows.map(profileEntryFromRow);
  }

  /** Applies changes in order inside the caller's transaction; a change to the same value is skipped. */
  applyInTransaction(tenant: TenantKey, changes: readonly ProfileChange[], now: number): number {
    let applied = 0;
    for (const change of changes) {
      const current = this.statements
        .get('SELECT value FROM profile_entries WHERE app_id = ? AND tenant_id = ? AND key = ?')
        .get(tenant.appId, tenant.tenantId, change.key) as { value: string } | undefined;
      const oldValue = current?.value ?? null;
      if (oldValue === change.value) continue;
      if (change.value === null) {
        this.statements
          .get('DELETE FROM profile_entries WHERE app_id = ? AND tenant_id = ? AND key = ?')
          .run(tenant.appId, tenant.tenantId, change.key);
      } else {
        this.statements
          .get(
            `INSERT INTO profile_entries (app_id, tenant_id, key, value, source, memory_id, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (app_id, tenant_id, key) DO UPDATE SET
               value = excluded.value, source = excluded.source,
               memory_id = excluded.memory_id, updated_at = excluded.updated_at`,
          )
          .run(
            tenant.appId,
            tenant.tenantId,
            change.key,
            change.value,
            change.source,
            change.memoryId ?? null,
            now,
          );
      }
      this.statements
        .get(
          `INSERT INTO profile_history (app_id, tenant_id, key, old_value, new_value, source, memory_id, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          tenant.appId,
          tenant.tenantId,
          change.key,
          oldValue,
          change.value,
          change.source,
          change.memoryId ?? null,
          now,
        );
      applied++;
    }
    return applied;
  }

  /** Changes newest first, of one key or all. */
  async history(tenant: TenantKey, key: string | null, page: Page): Promise<ProfileHistoryEntry[]> {
    const rows = (
      key === null
        ? this.statements
            .get(
              'SELECT key, old_value, new_value, source, memory_id, created_at FROM profile_history WHERE app_id = ? AND tenant_id = ? ORDER BY seq DESC LIMIT ? OFFSET ?',
            )
            .all(tenant.appId, tenant.tenantId, page.limit, page.offset)
        : this.statements
            .get(
              'SELECT key, old_value, new_value, source, memory_id, created_at FROM profile_history WHERE app_id = ? AND tenant_id = ? AND key = ? ORDER BY seq DESC LIMIT ? OFFSET ?',
            )
            .all(tenant.appId, tenant.tenantId, key, page.limit, page.offset)
    ) as ProfileHistoryRow[];
    return rows.map(profileHistoryFromRow);
  }
}
