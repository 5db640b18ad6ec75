import { MnemosError } from '../../core/errors.js';
import type { TenantKey } from '../../core/scope.js';
import type { TeamRunRecord } from '../../core/team-run-record.js';
import type { Page, TeamRunStorage } from '../../spec/storage.js';
import {
  type TeamRunRow,
  teamRunColumns,
  teamRunFromRow,
  teamRunValues,
} from '../shared/team-run-rows.js';
import type { Database } from './database.js';

/** The team runs of the Postgres backend: one row per run, its steps as JSON text. */
export class PostgresTeamRuns implements TeamRunStorage {
  constructor(private readonly db: Database) {}

  async create(tenant: TenantKey, run: TeamRunRecord): Promise<void> {
    const inserted = await this.db.run(
      `INSERT INTO team_runs (app_id, tenant_id, ${teamRunColumns})
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
       ON CONFLICT (app_id, tenant_id, id) DO NOTHING`,
      [tenant.appId, tenant.tenantId, ...teamRunValues(run)],
    );
    if (inserted === 0)
      throw new MnemosError('already_exists', `team run ${run.id} already exists`);
  }

  async update(tenant: TenantKey, run: TeamRunRecord): Promise<boolean> {
    const [id, ...rest] = teamRunValues(run);
    const changed = await this.db.run(
      `UPDATE team_runs SET team = $4, input = $5, status = $6, output = $7, steps = $8, usage = $9,
         error = $10, note = $11, started_at = $12, finished_at = $13
       WHERE app_id = $1 AND tenant_id = $2 AND id = $3`,
      [tenant.appId, tenant.tenantId, id, ...rest],
    );
    return changed > 0;
  }

  async get(tenant: TenantKey, id: string): Promise<TeamRunRecord | null> {
    const rows = await this.db.rows<TeamRunRow>(
      `SELECT ${teamRunColumns} FROM team_runs WHERE app_id = $1 AND tenant_id = $2 AND id = $3`,
      [tenant.appId, tenant.tenantId, id],
    );
    return rows[0] ? teamRunFromRow(rows[0]) : null;
  }

  async list(
    tenant: TenantKey,
    page: Page,
    options: { team?: string } = {},
  ): Promise<TeamRunRecord[]> {
    const params: unknown[] = [tenant.appId, tenant.tenantId, page.limit, page.offset];
    const team = options.team === undefined ? '' : ' AND team = $5';
    if (options.team !== undefined) params.push(options.team);
    const rows = await this.db.rows<TeamRunRow>(
      `SELECT ${teamRunColumns} FROM team_runs WHERE app_id = $1 AND tenant_id = $2${team}
       ORDER BY started_at DESC, seq DESC LIMIT $3 OFFSET $4`,
      params,
    );
    return rows.map(teamRunFromRow);
  }

  async failStale(startedBefore: number, error: string, now: number): Promise<number> {
    return this.db.run(
      `UPDATE team_runs SET status = 'failed', error = $1, finished_at = $2
       WHERE status = 'running' AND started_at < $3`,
      [error, now, startedBefore],
    );
  }
}
