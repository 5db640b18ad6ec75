import type { TenantKey } from '../../core/scope.js';
import type { SkillRecord, SkillSummary, SkillVersionEntry } from '../../core/skill-record.js';
import type { Page, SkillDeletion, SkillStorage, SkillWrite } from '../../spec/storage.js';
import {
  type SkillHistoryRow,
  type SkillRow,
  skillColumns,
  skillFromRow,
  skillHistoryColumns,
  skillSummaryColumns,
  skillSummaryFromRow,
  skillVersionFromRow,
} from '../shared/record-rows.js';
import { checkSkillVersion, nextSkillVersion, rejectSkillNul } from '../shared/skill-versions.js';
import type { Database, Sql } from './database.js';

/** The skills of the Postgres backend: one row per skill, and a history row per version. */
export class PostgresSkills implements SkillStorage {
  constructor(private readonly db: Database) {}

  async list(
    tenant: TenantKey,
    options: { includeArchived?: boolean } = {},
  ): Promise<SkillSummary[]> {
    const archived = options.includeArchived ? '' : " AND status <> 'archived'";
    const rows = await this.db.rows<Omit<SkillRow, 'files'>>(
      `SELECT ${skillSummaryColumns} FROM skills WHERE app_id = $1 AND tenant_id = $2${archived} ORDER BY name COLLATE "C"`,
      [tenant.appId, tenant.tenantId],
    );
    return rows.map(skillSummaryFromRow);
  }

  async get(tenant: TenantKey, name: string): Promise<SkillRecord | null> {
    const rows = await this.db.rows<SkillRow>(
      `SELECT ${skillColumns} FROM skills WHERE app_id = $1 AND tenant_id = $2 AND name = $3`,
      [tenant.appId, tenant.tenantId, name],
    );
    return rows[0] ? skillFromRow(rows[0]) : null;
  }

  async save(tenant: TenantKey, write: SkillWrite, now: number): Promise<SkillRecord> {
    rejectSkillNul(write.name, write);
    return this.db.transaction(async (sql) => {
      const current = await lockedRow(sql, tenant, write.name);
      checkSkillVersion(write.name, write.expectedVersion, current?.version ?? null);
      const version = nextSkillVersion(
        await highestVersion(sql, tenant, write.name),
        current?.version ?? null,
      );
      const row: SkillRow = {
        name: write.name,
        description: write.description,
        origin: write.origin,
        status: write.status,
        version,
        files: JSON.stringify(write.files),
        provenance: JSON.stringify(write.provenance),
        created_at: current?.created_at ?? now,
        updated_at: now,
        last_used_at: current?.last_used_at ?? null,
      };
      await sql.run(
        `INSERT INTO skills (app_id, tenant_id, ${skillColumns})
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (app_id, tenant_id, name) DO UPDATE SET
           description = excluded.description, origin = excluded.origin, status = excluded.status,
           version = excluded.version, files = excluded.files, provenance = excluded.provenance,
           updated_at = excluded.updated_at`,
        [
          tenant.appId,
          tenant.tenantId,
          row.name,
          row.description,
          row.origin,
          row.status,
          row.version,
          row.files,
          row.provenance,
          row.created_at,
          row.updated_at,
          row.last_used_at,
        ],
      );
      await appendHistory(sql, tenant, {
        name: write.name,
        version,
        action: write.action,
        actor: write.actor,
        note: write.note,
        files: row.files,
        created_at: now,
      });
      return skillFromRow(row);
    });
  }

  async delete(
    tenant: TenantKey,
    name: string,
    deletion: SkillDeletion,
    now: number,
  ): Promise<boolean> {
    rejectSkillNul(name, deletion);
    return this.db.transaction(async (sql) => {
      const current = await lockedRow(sql, tenant, name);
      if (!current) return false;
      checkSkillVersion(name, deletion.expectedVersion, current.version);
      await sql.run('DELETE FROM skills WHERE app_id = $1 AND tenant_id = $2 AND name = $3', [
        tenant.appId,
        tenant.tenantId,
        name,
      ]);
      await appendHistory(sql, tenant, {
        name,
        version: nextSkillVersion(await highestVersion(sql, tenant, name), current.version),
        action: 'delete',
        actor: deletion.actor,
        note: deletion.note,
        files: null,
        created_at: now,
      });
      return true;
    });
  }

  async history(tenant: TenantKey, name: string, page: Page): Promise<SkillVersionEntry[]> {
    const rows = await this.db.rows<SkillHistoryRow>(
      `SELECT ${skillHistoryColumns} FROM skill_history WHERE app_id = $1 AND tenant_id = $2 AND name = $3
       ORDER BY version DESC LIMIT $4 OFFSET $5`,
      [tenant.appId, tenant.tenantId, name, page.limit, page.offset],
    );
    return rows.map(skillVersionFromRow);
  }

  async version(
    tenant: TenantKey,
    name: string,
    version: number,
  ): Promise<SkillVersionEntry | null> {
    const rows = await this.db.rows<SkillHistoryRow>(
      `SELECT ${skillHistoryColumns} FROM skill_history WHERE app_id = $1 AND tenant_id = $2 AND name = $3 AND version = $4`,
      [tenant.appId, tenant.tenantId, name, version],
    );
    return rows[0] ? skillVersionFromRow(rows[0]) : null;
  }

  /** Sets `last_used_at` of a stored skill; a missing one is left alone. */
  async markUsed(tenant: TenantKey, name: string, now: number): Promise<void> {
    await this.db.run(
      'UPDATE skills SET last_used_at = $1 WHERE app_id = $2 AND tenant_id = $3 AND name = $4',
      [now, tenant.appId, tenant.tenantId, name],
    );
  }
}

/**
 * The stored row of a skill, read after taking a transaction-scoped advisory lock on its name:
 * concurrent changes of one skill run one after the other, each seeing the last one's version,
 * even when there is no row to lock yet (a create, or a name whose skill was deleted).
 */
async function lockedRow(sql: Sql, tenant: TenantKey, name: string): Promise<SkillRow | undefined> {
  await sql.run(
    "SELECT pg_advisory_xact_lock(hashtextextended('mnemos.skill' || chr(31) || $1 || chr(31) || $2 || chr(31) || $3, 0))",
    [tenant.appId, tenant.tenantId, name],
  );
  const rows = await sql.rows<SkillRow>(
    `SELECT ${skillColumns} FROM skills WHERE app_id = $1 AND tenant_id = $2 AND name = $3`,
    [tenant.appId, tenant.tenantId, name],
  );
  return rows[0];
}

async function highestVersion(sql: Sql, tenant: TenantKey, name: string): Promise<number | null> {
  const rows = await sql.rows<{ version: number | null }>(
    'SELECT max(version) AS version FROM skill_history WHERE app_id = $1 AND tenant_id = $2 AND name = $3',
    [tenant.appId, tenant.tenantId, name],
  );
  return rows[0]?.version ?? null;
}

async function appendHistory(sql: Sql, tenant: TenantKey, row: SkillHistoryRow): Promise<void> {
  await sql.run(
    `INSERT INTO skill_history (app_id, tenant_id, ${skillHistoryColumns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [
      tenant.appId,
      tenant.tenantId,
      row.name,
      row.version,
      row.action,
      row.actor,
      row.note,
      row.files,
      row.created_at,
    ],
  );
}
