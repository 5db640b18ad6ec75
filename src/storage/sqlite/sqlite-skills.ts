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
import type { Statements } from './statements.js';

/** The skills of the SQLite backend: one row per skill, and a history row per version. */
export class SqliteSkills implements SkillStorage {
  constructor(private readonly statements: Statements) {}

  async list(
    tenant: TenantKey,
    options: { includeArchived?: boolean } = {},
  ): Promise<SkillSummary[]> {
    const archived = options.includeArchived ? '' : " AND status <> 'archived'";
    const rows = this.statements
      .get(
        `SELECT ${skillSummaryColumns} FROM skills WHERE app_id = ? AND tenant_id = ?${archived} ORDER BY name`,
      )
      .all(tenant.appId, tenant.tenantId) as Array<Omit<SkillRow, 'files'>>;
    return rows.map(skillSummaryFromRow);
  }

  async get(tenant: TenantKey, name: string): Promise<SkillRecord | null> {
    const row = this.row(tenant, name);
    return row ? skillFromRow(row) : null;
  }

  async save(tenant: TenantKey, write: SkillWrite, now: number): Promise<SkillRecord> {
    rejectSkillNul(write.name, write);
    return this.statements.write(() => {
      const current = this.row(tenant, write.name);
      checkSkillVersion(write.name, write.expectedVersion, current?.version ?? null);
      const version = nextSkillVersion(
        this.highestVersion(tenant, write.name),
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
      this.statements
        .get(
          `INSERT INTO skills (app_id, tenant_id, ${skillColumns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (app_id, tenant_id, name) DO UPDATE SET
             description = excluded.description, origin = excluded.origin, status = excluded.status,
             version = excluded.version, files = excluded.files, provenance = excluded.provenance,
             updated_at = excluded.updated_at`,
        )
        .run(
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
        );
      this.appendHistory(tenant, {
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
    return this.statements.write(() => {
      const current = this.row(tenant, name);
      if (!current) return false;
      checkSkillVersion(name, deletion.expectedVersion, current.version);
      this.statements
        .get('DELETE FROM skills WHERE app_id = ? AND tenant_id = ? AND name = ?')
        .run(tenant.appId, tenant.tenantId, name);
      this.appendHistory(tenant, {
        name,
        version: nextSkillVersion(this.highestVersion(tenant, name), current.version),
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
    const rows = this.statements
      .get(
        `SELECT ${skillHistoryColumns} FROM skill_history WHERE app_id = ? AND tenant_id = ? AND name = ? ORDER BY version DESC LIMIT ? OFFSET ?`,
      )
      .all(tenant.appId, tenant.tenantId, name, page.limit, page.offset) as SkillHistoryRow[];
    return rows.map(skillVersionFromRow);
  }

  async version(
    tenant: TenantKey,
    name: string,
    version: number,
  ): Promise<SkillVersionEntry | null> {
    const row = this.statements
      .get(
        `SELECT ${skillHistoryColumns} FROM skill_history WHERE app_id = ? AND tenant_id = ? AND name = ? AND version = ?`,
      )
      .get(tenant.appId, tenant.tenantId, name, version) as SkillHistoryRow | undefined;
    return row ? skillVersionFromRow(row) : null;
  }

  /** Sets `last_used_at` of a stored skill; a missing one is left alone. */
  async markUsed(tenant: TenantKey, name: string, now: number): Promise<void> {
    this.statements.write(() =>
      this.statements
        .get('UPDATE skills SET last_used_at = ? WHERE app_id = ? AND tenant_id = ? AND name = ?')
        .run(now, tenant.appId, tenant.tenantId, name),
    );
  }

  private row(tenant: TenantKey, name: string): SkillRow | undefined {
    return this.statements
      .get(`SELECT ${skillColumns} FROM skills WHERE app_id = ? AND tenant_id = ? AND name = ?`)
      .get(tenant.appId, tenant.tenantId, name) as SkillRow | undefined;
  }

  private highestVersion(tenant: TenantKey, name: string): number | null {
    const row = this.statements
      .get(
        'SELECT max(version) AS version FROM skill_history WHERE app_id = ? AND tenant_id = ? AND name = ?',
      )
      .get(tenant.appId, tenant.tenantId, name) as { version: number | null };
    return row.version;
  }

  private appendHistory(tenant: TenantKey, row: SkillHistoryRow): void {
    this.statements
      .get(
        `INSERT INTO skill_history (app_id, tenant_id, ${skillHistoryColumns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        tenant.appId,
        tenant.tenantId,
        row.name,
        row.version,
        row.action,
        row.actor,
        row.note,
        row.files,
        row.created_at,
      );
  }
}
