import type { CronJobRecord, CronRunRecord } from '../../core/cron-record.js';
import { MnemosError } from '../../core/errors.js';
import { rejectNul } from '../../core/schemas.js';
import type { TenantKey } from '../../core/scope.js';
import type { CronClaim, CronFinish, CronStorage, Page } from '../../spec/storage.js';
import {
  type CronJobRow,
  type CronRunRow,
  claimedRun,
  cronJobColumns,
  cronJobFromRow,
  cronJobValues,
  cronNameTaken,
  cronRunColumns,
  cronRunFromRow,
  cronRunValues,
  leaseExpired,
} from '../shared/cron-rows.js';
import type { Statements } from './statements.js';

const jobPlaceholders = cronJobColumns
  .split(',')
  .map(() => '?')
  .join(', ');
const runPlaceholders = cronRunColumns
  .split(',')
  .map(() => '?')
  .join(', ');

/** Cron jobs and runs of the SQLite backend; claims run in immediate transactions. */
export class SqliteCron implements CronStorage {
  constructor(private readonly statements: Statements) {}

  async create(tenant: TenantKey, job: CronJobRecord): Promise<void> {
    rejectNul(job, 'cron job');
    this.statements.write(() => {
      const taken = (column: 'id' | 'name', value: string): boolean =>
        this.statements
          .get(`SELECT 1 FROM cron_jobs WHERE app_id = ? AND tenant_id = ? AND ${column} = ?`)
          .get(tenant.appId, tenant.tenantId, value) !== undefined;
      if (taken('name', job.name)) throw cronNameTaken(job.name);
      if (taken('id', job.id)) {
        throw new MnemosError('already_exists', `cron job ${job.id} already exists`);
      }
      this.statements
        .get(`INSERT INTO cron_jobs (${cronJobColumns}) VALUES (${jobPlaceholders})`)
        .run(...cronJobValues({ ...job, ...tenant }));
    });
  }

  async get(tenant: TenantKey, idOrName: string): Promise<CronJobRecord | null> {
    const row = this.jobRow(tenant, idOrName);
    return row ? cronJobFromRow(row) : null;
  }

  async list(tenant: TenantKey): Promise<CronJobRecord[]> {
    const rows = this.statements
      .get(
        `SELECT ${cronJobColumns} FROM cron_jobs WHERE app_id = ? AND tenant_id = ? ORDER BY name`,
      )
      .all(tenant.appId, tenant.tenantId) as CronJobRow[];
    return rows.map(cronJobFromRow);
  }

  async update(tenant: TenantKey, job: CronJobRecord): Promise<boolean> {
    rejectNul(job, 'cron job');
    return this.statements.write(() => {
      const other = this.statements
        .get('SELECT id FROM cron_jobs WHERE app_id = ? AND tenant_id = ? AND name = ? AND id <> ?')
        .get(tenant.appId, tenant.tenantId, job.name, job.id);
      if (other) throw cronNameTaken(job.name);
      const values = cronJobValues({ ...job, ...tenant });
      return (
        this.statements
          .get(
            `UPDATE cron_jobs SET name = ?, schedule = ?, schedule_kind = ?, timezone = ?, task = ?, agent = ?,
               deliver = ?, memory = ?, origin = ?, repeat_times = ?, paused = ?, next_run_at = ?,
               updated_at = ?
             WHERE app_id = ? AND tenant_id = ? AND id = ?`,
          )
          .run(
            ...values.slice(3, 13),
            values[14],
            values[15],
            values[23],
            tenant.appId,
            tenant.tenantId,
            job.id,
          ).changes > 0
      );
    });
  }

  async delete(tenant: TenantKey, id: string): Promise<boolean> {
    return this.statements.write(() => {
      this.statements
        .get('DELETE FROM cron_runs WHERE app_id = ? AND tenant_id = ? AND job_id = ?')
        .run(tenant.appId, tenant.tenantId, id);
      return (
        this.statements
          .get('DELETE FROM cron_jobs WHERE app_id = ? AND tenant_id = ? AND id = ?')
          .run(tenant.appId, tenant.tenantId, id).changes > 0
      );
    });
  }

  async due(now: number, limit: number): Promise<CronJobRecord[]> {
    const rows = this.statements
      .get(
        `SELECT ${cronJobColumns} FROM cron_jobs WHERE paused = 0 AND next_run_at IS NOT NULL AND next_run_at <= ?
         ORDER BY next_run_at LIMIT ?`,
      )
      .all(now, limit) as CronJobRow[];
    return rows.map(cronJobFromRow);
  }

  async claim(tenant: TenantKey, claim: CronClaim): Promise<CronRunRecord | null> {
    return this.statements.write(() => {
      const changed = this.statements
        .get(
          `UPDATE cron_jobs SET next_run_at = ?, lease_run = ?, lease_owner = ?, lease_until = ?
           WHERE app_id = ? AND tenant_id = ? AND id = ? AND paused = 0 AND next_run_at = ? AND lease_owner IS NULL`,
        )
        .run(
          claim.nextRunAt,
          claim.runId,
          claim.worker,
          claim.leaseUntil,
          tenant.appId,
          tenant.tenantId,
          claim.jobId,
          claim.expectedNextRunAt,
        ).changes;
      return changed > 0 ? this.insertRun(tenant, claim, 'running') : null;
    });
  }

  async skip(
    tenant: TenantKey,
    claim: Omit<CronClaim, 'leaseUntil'>,
  ): Promise<CronRunRecord | null> {
    return this.statements.write(() => {
      const changed = this.statements
        .get(
          `UPDATE cron_jobs SET next_run_at = ?, last_status = 'skipped'
           WHERE app_id = ? AND tenant_id = ? AND id = ? AND next_run_at = ? AND lease_owner IS NOT NULL`,
        )
        .run(
          claim.nextRunAt,
          tenant.appId,
          tenant.tenantId,
          claim.jobId,
          claim.expectedNextRunAt,
        ).changes;
      return changed > 0 ? this.insertRun(tenant, claim, 'skipped') : null;
    });
  }

  async renew(
    tenant: TenantKey,
    jobId: string,
    runId: string,
    worker: string,
    leaseUntil: number,
  ): Promise<boolean> {
    return this.statements.write(
      () =>
        this.statements
          .get(
            'UPDATE cron_jobs SET lease_until = ? WHERE app_id = ? AND tenant_id = ? AND id = ? AND lease_run = ? AND lease_owner = ?',
          )
          .run(leaseUntil, tenant.appId, tenant.tenantId, jobId, runId, worker).changes > 0,
    );
  }

  async finish(tenant: TenantKey, finish: CronFinish): Promise<CronRunRecord | null> {
    rejectNul(finish, 'cron run');
    return this.statements.write(() => {
      const released = this.statements
        .get(
          `UPDATE cron_jobs SET lease_run = NULL, lease_owner = NULL, lease_until = NULL, last_run_at = ?,
             last_status = ?, last_error = ?, repeat_completed = repeat_completed + 1
           WHERE app_id = ? AND tenant_id = ? AND id = ? AND lease_run = ? AND lease_owner = ?`,
        )
        .run(
          finish.now,
          finish.status,
          finish.error,
          tenant.appId,
          tenant.tenantId,
          finish.jobId,
          finish.runId,
          finish.worker,
        ).changes;
      if (released === 0) return null;
      this.statements
        .get(
          `UPDATE cron_runs SET status = ?, finished_at = ?, output = ?, error = ?, deliveries = ?, session_id = ?
           WHERE app_id = ? AND tenant_id = ? AND id = ?`,
        )
        .run(
          finish.status,
          finish.now,
          finish.output,
          finish.error,
          JSON.stringify(finish.deliveries),
          finish.sessionId,
          tenant.appId,
          tenant.tenantId,
          finish.runId,
        );
      return this.runRow(tenant, finish.runId);
    });
  }

  async expire(now: number): Promise<CronRunRecord[]> {
    return this.statements.write(() => {
      const jobs = this.statements
        .get(
          `SELECT ${cronJobColumns} FROM cron_jobs WHERE lease_until IS NOT NULL AND lease_until < ?`,
        )
        .all(now) as CronJobRow[];
      const runs: CronRunRecord[] = [];
      for (const job of jobs) {
        const tenant = { appId: job.app_id, tenantId: job.tenant_id };
        this.statements
          .get(
            `UPDATE cron_jobs SET lease_run = NULL, lease_owner = NULL, lease_until = NULL, last_run_at = ?,
               last_status = 'error', last_error = ?,
               next_run_at = CASE WHEN next_run_at IS NULL OR next_run_at > ? THEN ? ELSE next_run_at END
             WHERE app_id = ? AND tenant_id = ? AND id = ?`,
          )
          .run(now, leaseExpired, now, now, job.app_id, job.tenant_id, job.id);
        this.statements
          .get(
            `UPDATE cron_runs SET status = 'error', finished_at = ?, error = ?
             WHERE app_id = ? AND tenant_id = ? AND id = ? AND status = 'running'`,
          )
          .run(now, leaseExpired, job.app_id, job.tenant_id, job.lease_run);
        const run = job.lease_run ? this.runRow(tenant, job.lease_run) : null;
        if (run) runs.push(run);
      }
      return runs;
    });
  }

  async run(tenant: TenantKey, runId: string): Promise<CronRunRecord | null> {
    return this.runRow(tenant, runId);
  }

  async runs(
    tenant: TenantKey,
    page: Page,
    options: { jobId?: string } = {},
  ): Promise<CronRunRecord[]> {
    const rows = (
      options.jobId === undefined
        ? this.statements
            .get(
              `SELECT ${cronRunColumns} FROM cron_runs WHERE app_id = ? AND tenant_id = ?
               ORDER BY started_at DESC, rowid DESC LIMIT ? OFFSET ?`,
            )
            .all(tenant.appId, tenant.tenantId, page.limit, page.offset)
        : this.statements
            .get(
              `SELECT ${cronRunColumns} FROM cron_runs WHERE app_id = ? AND tenant_id = ? AND job_id = ?
               ORDER BY started_at DESC, rowid DESC LIMIT ? OFFSET ?`,
            )
            .all(tenant.appId, tenant.tenantId, options.jobId, page.limit, page.offset)
    ) as CronRunRow[];
    return rows.map(cronRunFromRow);
  }

  async pruneRuns(tenant: TenantKey, jobId: string, keep: number): Promise<number> {
    return this.statements.write(
      () =>
        this.statements
          .get(
            `DELETE FROM cron_runs WHERE app_id = ? AND tenant_id = ? AND job_id = ? AND status <> 'running'
               AND rowid NOT IN (
                 SELECT rowid FROM cron_runs WHERE app_id = ? AND tenant_id = ? AND job_id = ?
                 ORDER BY started_at DESC, rowid DESC LIMIT ?)`,
          )
          .run(tenant.appId, tenant.tenantId, jobId, tenant.appId, tenant.tenantId, jobId, keep)
          .changes,
    );
  }

  private insertRun(
    tenant: TenantKey,
    claim: Omit<CronClaim, 'leaseUntil'>,
    status: 'running' | 'skipped',
  ): CronRunRecord {
    const job = cronJobFromRow(this.jobRow(tenant, claim.jobId)!);
    const run = claimedRun(job, claim, status);
    this.statements
      .get(`INSERT INTO cron_runs (${cronRunColumns}) VALUES (${runPlaceholders})`)
      .run(...cronRunValues(run));
    return run;
  }

  private jobRow(tenant: TenantKey, idOrName: string): CronJobRow | undefined {
    return this.statements
      .get(
        `SELECT ${cronJobColumns} FROM cron_jobs WHERE app_id = ? AND tenant_id = ? AND (id = ? OR name = ?)
         ORDER BY id = ? DESC LIMIT 1`,
      )
      .get(tenant.appId, tenant.tenantId, idOrName, idOrName, idOrName) as CronJobRow | undefined;
  }

  private runRow(tenant: TenantKey, runId: string): CronRunRecord | null {
    const row = this.statements
      .get(`SELECT ${cronRunColumns} FROM cron_runs WHERE app_id = ? AND tenant_id = ? AND id = ?`)
      .get(tenant.appId, tenant.tenantId, runId) as CronRunRow | undefined;
    return row ? cronRunFromRow(row) : null;
  }
}
