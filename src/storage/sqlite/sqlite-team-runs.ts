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
import type { Statements } from './statements.js';

/** The team runs of the SQLite backend: one row per run, its steps as JSON. */
export class SqliteTeamRuns implements TeamRunStorage {
  constructor(private readonly statements: Statements) {}

  async create(tenant: TenantKey, run: TeamRunRecord): Promise<void> {
    const values = teamRunValues(run);
    this.statements.write(() => {
      const inserted = this.statements
        .get(
          `INSERT INTO team_runs (app_id, tenant_id, ${teamRunColumns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (app_id, tenant_id, id) DO NOTHING`,
        )
        .run(tenant.appId, tenant.tenantId, ...values);
      if (inserted.changes === 0)
        throw new MnemosError('already_exists', `team run ${run.id} already exists`);
    });
  }

  async update(tenant: TenantKey, run: TeamRunRecord): Promise<boolean> {
    const [id, team, input, status, output, steps, usage, error, note, startedAt, finishedAt] =
      teamRunValues(run);
    return this.statements.write(
      () =>
        this.statements
          .get(
            `UPDATE team_runs SET team = ?, input = ?, status = ?, output = ?, steps = ?, usage = ?,
               error = ?, note = ?, started_at = ?, finished_at = ?
             WHERE app_id = ? AND tenant_id = ? AND id = ?`,
          )
          .run(
            team,
            input,
            status,
            output,
            steps,
            usage,
            error,
            note,
            startedAt,
            finishedAt,
            tenant.appId,
            tenant.tenantId,
            id,
          ).changes > 0,
    );
  }

  async get(tenant: TenantKey, id: string): Promise<TeamRunRecord | null> {
    const row = this.statements
      .get(`SELECT ${teamRunColumns} FROM team_runs WHERE app_id = ? AND tenant_id = ? AND id = ?`)
      .get(tenant.appId, tenant.tenantId, id) as TeamRunRow | undefined;
    return row ? teamRunFromRow(row) : null;
  }

  async list(
    tenant: TenantKey,
    page: Page,
    options: { team?: string } = {},
  ): Promise<TeamRunRecord[]> {
    const team = options.team === undefined ? '' : ' AND team = ?';
    const params: unknown[] = [tenant.appId, tenant.tenantId];
    if (options.team !== undefined) params.push(options.team);
    const rows = this.statements
      .get(
        `SELECT ${teamRunColumns} FROM team_runs WHERE app_id = ? AND tenant_id = ?${team}
         ORDER BY started_at DESC, rowid DESC LIMIT ? OFFSET ?`,
      )
      .all(...params, page.limit, page.offset) as TeamRunRow[];
    return rows.map(teamRunFromRow);
  }

  async failStale(startedBefore: number, error: string, now: number): Promise<number> {
    return this.statements.write(
      () =>
        this.statements
          .get(
            `UPDATE team_runs SET status = 'failed', error = ?, finished_at = ?
             WHERE status = 'running' AND started_at < ?`,
          )
          .run(error, now, startedBefore).changes,
    );
  }
}
