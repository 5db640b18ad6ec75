import type { ApiKeyRecord, AuditEntry } from '../../core/key-record.js';
import type {
  ProfileEntry,
  ProfileHistoryEntry,
  ProfileSource,
} from '../../core/profile-record.js';
import type {
  SkillActor,
  SkillChangeAction,
  SkillFiles,
  SkillOrigin,
  SkillProvenance,
  SkillRecord,
  SkillStatus,
  SkillSummary,
  SkillVersionEntry,
} from '../../core/skill-record.js';

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

/** A `skills` row: files and provenance as JSON text. */
export interface SkillRow {
  name: string;
  description: string;
  origin: string;
  status: string;
  version: number;
  files: string;
  provenance: string;
  created_at: number;
  updated_at: number;
  last_used_at: number | null;
}

/** A `skill_history` row: files as JSON text, null for a deletion. */
export interface SkillHistoryRow {
  name: string;
  version: number;
  action: string;
  actor: string;
  note: string;
  files: string | null;
  created_at: number;
}

/** Columns of a skill row without its files, in {@link SkillRow} order. */
export const skillSummaryColumns =
  'name, description, origin, status, version, provenance, created_at, updated_at, last_used_at';

/** Columns of a skill row, in {@link SkillRow} order. */
export const skillColumns =
  'name, description, origin, status, version, files, provenance, created_at, updated_at, last_used_at';

/** Columns of a skill history row, in {@link SkillHistoryRow} order. */
export const skillHistoryColumns = 'name, version, action, actor, note, files, created_at';

/** A skill row without its files as the spec's summary. */
export function skillSummaryFromRow(row: Omit<SkillRow, 'files'>): SkillSummary {
  return {
    name: row.name,
    description: row.description,
    origin: row.origin as SkillOrigin,
    status: row.status as SkillStatus,
    version: row.version,
    provenance: JSON.parse(row.provenance) as SkillProvenance[],
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
    lastUsedAt: iso(row.last_used_at),
  };
}

/** A skill row as the spec's record. */
export function skillFromRow(row: SkillRow): SkillRecord {
  const { files, ...summary } = row;
  return { ...skillSummaryFromRow(summary), files: JSON.parse(files) as SkillFiles };
}

/** A skill history row as the spec's version entry. */
export function skillVersionFromRow(row: SkillHistoryRow): SkillVersionEntry {
  return {
    name: row.name,
    version: row.version,
    action: row.action as SkillChangeAction,
    actor: row.actor as SkillActor,
    note: row.note,
    files: row.files === null ? null : (JSON.parse(row.files) as SkillFiles),
    createdAt: new Date(row.created_at).toISOString(),
  };
}
