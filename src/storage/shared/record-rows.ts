import type { ApiKeyRecord, AuditEntry } from '../../core/key-record.js';
import type {
  ProfileEntry,
  ProfileHistoryEntry,
  ProfileSource,
} from '../../core/profile-record.js';

/** An `api_keys` row as both backends read it (SQLite stores `admin` as 0/1, Postgres as boolean). */
export interface KeyRow {
  id: string;
  prefix: string;
  name: string;
  app_id: string;
  tenant_id: string;
  admin: boolean | number;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

/** An `audit_log` row. */
export interface AuditRow {
  id: string;
  app_id: string;
  tenant_id: string;
  key_id: string;
  method: string;
  path: string;
  status: number;
  store: string | null;
  created_at: number;
}

/** A `profile_entries` row. */
export interface ProfileEntryRow {
  key: string;
  value: string;
  source: string;
  memory_id: string | null;
  updated_at: number;
}

/** A `profile_history` row. */
export interface ProfileHistoryRow {
  key: string;
  old_value: string | null;
  new_value: string | null;
  source: string;
  memory_id: string | null;
  created_at: number;
}

/** Columns of a key row, in {@link KeyRow} order. */
export const keyColumns =
  'id, prefix, name, app_id, tenant_id, admin, created_at, last_used_at, revoked_at';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** A key row as the spec's record; the same in every backend. */
export function keyFromRow(row: KeyRow): ApiKeyRecord {
  return {
    id: row.id,
    prefix: row.prefix,
    name: row.name,
    appId: row.app_id,
    tenantId: row.tenant_id,
    admin: row.admin === true || row.admin === 1,
    createdAt: new Date(row.created_at).toISOString(),
    lastUsedAt: iso(row.last_used_at),
    revokedAt: iso(row.revoked_at),
  };
}

/** An audit row as the spec's entry. */
export function auditFromRow(row: AuditRow): AuditEntry {
  return {
    id: row.id,
    appId: row.app_id,
    tenantId: row.tenant_id,
    keyId: row.key_id,
    method: row.method,
    path: row.path,
    status: row.status,
    store: row.store,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

/** A profile row as the spec's entry. */
export function profileEntryFromRow(row: ProfileEntryRow): ProfileEntry {
  return {
    key: row.key,
    value: row.value,
    source: row.source as ProfileSource,
    memoryId: row.memory_id,
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

/** A profile history row as the spec's entry. */
export function profileHistoryFromRow(row: ProfileHistoryRow): ProfileHistoryEntry {
  return {
    key: row.key,
    oldValue: row.old_value,
    newValue: row.new_value,
    source: row.source as ProfileSource,
    memoryId: row.memory_id,
    createdAt: new Date(row.created_at).toISOString(),
  };
}
