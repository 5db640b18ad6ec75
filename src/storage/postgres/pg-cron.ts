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
import { type Database, type Sql, sqlState } from './database.js';

const placeholders = (columns: string): string =>
  columns
    .split(',')
    .map((_, index) => `$${index + 1}`)
    .join(', ');
const jobPlaceholders = placeholders(cronJobColumns);
const runPlaceholders = placeholders(cronRunColumns);

/** Cron jobs and runs of the Postgres backend; claims are row-level compare-and-set updates. */
export class PostgresCron implements CronStorage {
  constructor(private readonly db: Database) {}

  async create(tenant: TenantKey, job: CronJobRecord): Promise<void> {
    rejectNul(job, 'cron job');
    try {
      await this.db.transaction(async (sql) => {
        const [taken] = await sql.rows<{ id: string; name: string }>(
          'SELECT id, name FROM cron_jobs WHERE app_id = $1 AND tenant_id = $2 AND (name = $3 OR id = $4)',
          [tenant.appId, tenant.tenantId, job.name, job.id],
        );
        if (taken?.name === job.name) throw cronNameTaken(job.name);
        if (taken) throw new MnemosError('already_exists', `cron job ${job.id} already exists`);
        await sql.run(
          `INSERT INTO cron_jobs (${cronJobColumns}) VALUES (${jobPlaceholders})`,
          cronJobValues({ ...job, ...tenant }),
        );
      });
    } catch (error) {
      // Two creates of one name racing: the unique constraint decides, as `conflict`.
      if (sqlState((error as { cause?: unknown }).cause) === '23505') throw cronNameTaken(job.name);
      throw error;
    }
  }

  async get(tenant: TenantKey, idOrName: string): Promise<CronJobRecord | null> {
    const row = await jobRow(this.db, tenant, idOrName);
    return row ? cronJobFromRow(row) : null;
  }

  async list(tenant: TenantKey): Promise<CronJobRecord[]> {
    const rows = await this.db.rows<CronJobRow>(
      `SELECT ${cronJobColumns} FROM cron_jobs WHERE app_id = $1 AND tenant_id = $2 ORDER BY name COLLATE "C"`,
      [tenant.appId, tenant.tenantId],
    );
    return rows.map(cronJobFromRow);
  }

  async update(tenant: TenantKey, job: CronJobRecord): Promise<boolean> {
    rejectNul(job, 'cron job');
    const values = cronJobValues({ ...job, ...tenant });
    try {
      const changed = await this.db.run(
        `UPDATE cron_jobs SET name = $1, schedule = $2, schedule_kind = $3, timezone = $4, task = $5, agent = $6,
           deliver = $7, memory = $8, origin = $9, repeat_times = $10, paused = $11, next_run_at = $12,
           updated_at = $13
         WHERE app_id = $14 AND tenant_id = $15 AND id = $16`,
        [
          ...values.slice(3, 13),
          values[14],
          values[15],
          values[23],
          tenant.appId,
          tenant.tenantId,
          job.id,
        ],
      );
      return changed > 0;
    } catch (error) {
      if (sqlState((error as { cause?: unknown }).cause) === '23505') throw cronNameTaken(job.name);
      throw error;
    }
  }

  async delete(tenant: TenantKey, id: string): Promise<boolean> {
    return this.db.transaction(async (sql) => {
      await sql.run('DELETE FROM cron_runs WHERE app_id = $1 AND tenant_id = $2 AND job_id = $3', [
        tenant.appId,
        tenant.tenantId,
        id,
      ]);
      const changed = await sql.run(
        'DELETE FROM cron_jobs WHERE app_id = $1 AND tenant_id = $2 AND id = $3',
        [tenant.appId, tenant.tenantId, id],
      );
      return changed > 0;
    });
  }

  async due(now: number, limit: number): Promise<CronJobRecord[]> {
    const rows = await this.db.rows<CronJobRow>(
      `SELECT ${cronJobColumns} FROM cron_jobs WHERE paused = 0 AND next_run_at IS NOT NULL AND next_run_at <= $1
       ORDER BY next_run_at LIMIT $2`,
      [now, limit],
    );
    return rows.map(cronJobFromRow);
  }

  async claim(tenant: TenantKey, claim: CronClaim): Promise<CronRunRecord | null> {
    return this.db.transaction(async (sql) => {
      // Under READ COMMITTED a second claimant waits for the first's row lock, then re-checks the
      // WHERE clause against the row it committed: the slot has moved on, so it changes nothing.
      const rows = await sql.rows<CronJobRow>(
        `UPDATE cron_jobs SET next_run_at = $1, lease_run = $2, lease_owner = $3, lease_until = $4
         WHERE app_id = $5 AND tenant_id = $6 AND id = $7 AND paused = 0 AND next_run_at = $8 AND lease_owner IS NULL
         RETURNING ${cronJobColumns}`,
        [
          claim.nextRunAt,
          claim.runId,
          claim.worker,
          claim.leaseUntil,
          tenant.appId,
          tenant.tenantId,
          claim.jobId,
          claim.expectedNextRunAt,
        ],
      );
      return rows[0] ? insertRun(sql, cronJobFromRow(rows[0]), claim, 'running') : null;
    });
  }

  async skip(
    tenant: TenantKey,
    claim: Omit<CronClaim, 'leaseUntil'>,
  ): Promise<CronRunRecord | null> {
    return this.db.transaction(async (sql) => {
      const rows = await sql.rows<CronJobRow>(
        `UPDATE cron_jobs SET next_run_at = $1, last_status = 'skipped'
         WHERE app_id = $2 AND tenant_id = $3 AND id = $4 AND next_run_at = $5 AND lease_owner IS NOT NULL
         RETURNING ${cronJobColumns}`,
        [claim.nextRunAt, tenant.appId, tenant.tenantId, claim.jobId, claim.expectedNextRunAt],
      );
      return rows[0] ? insertRun(sql, cronJobFromRow(rows[0]), claim, 'skipped') : null;
    });
  }

  async renew(
    tenant: TenantKey,
    jobId: string,
    runId: string,
    worker: string,
    leaseUntil: number,
  ): Promise<boolean> {
    const changed = await this.db.run(
      'UPDATE cron_jobs SET lease_until = $1 WHERE app_id = $2 AND tenant_id = $3 AND id = $4 AND lease_run = $5 AND lease_owner = $6',
      [leaseUntil, tenant.appId, tenant.tenantId, jobId, runId, worker],
    );
    return changed > 0;
  }

  async finish(tenant: TenantKey, finish: CronFinish): Promise<CronRunRecord | null> {
    rejectNul(finish, 'cron run');
    return this.db.transaction(async (sql) => {
      const released = await sql.run(
        `UPDATE cron_jobs SET lease_run = NULL, lease_owner = NULL, lease_until = NULL, last_run_at = $1,
           last_status = $2, last_error = $3, repeat_completed = repeat_completed + 1
         WHERE app_id = $4 AND tenant_id = $5 AND id = $6 AND lease_run = $7 AND lease_owner = $8`,
        [
          finish.now,
          finish.status,
          finish.error,
          tenant.appId,
          tenant.tenantId,
          finish.jobId,
          finish.runId,
          finish.worker,
        ],
      );
      if (released === 0) return null;
      const rows = await sql.rows<CronRunRow>(
        `UPDATE cron_runs SET status = $1, finished_at = $2, output = $3, error = $4, deliveries = $5, session_id = $6
         WHERE app_id = $7 AND tenant_id = $8 AND id = $9 RETURNING ${cronRunColumns}`,
        [
          finish.status,
          finish.now,
          finish.output,
          finish.error,
          JSON.stringify(finish.deliveries),
          finish.sessionId,
          tenant.appId,
          tenant.tenantId,
          finish.runId,
        ],
      );
      return rows[0] ? cronRunFromRow(rows[0]) : null;
    });
  }

  async expire(now: number): Promise<CronRunRecord[]> {
    return this.db.transaction(async (sql) => {
      const jobs = await sql.rows<{
        app_id: string;
        tenant_id: string;
        id: string;
        lease_run: string;
      }>(
        `WITH expired AS (
           SELECT app_id, tenant_id, id, lease_run FROM cron_jobs
           WHERE lease_until IS NOT NULL AND lease_until < $1 FOR UPDATE SKIP LOCKED
         )
         UPDATE cron_jobs AS job SET lease_run = NULL, lease_owner = NULL, lease_until = NULL, last_run_at = $1,
           last_status = 'error', last_error = $2,
           next_run_at = CASE WHEN job.next_run_at IS NULL OR job.next_run_at > $1 THEN $1 ELSE job.next_run_at END
         FROM expired
         WHERE job.app_id = expired.app_id AND job.tenant_id = expired.tenant_id AND job.id = expired.id
         RETURNING expired.app_id, expired.tenant_id, expired.id, expired.lease_run`,
        [now, leaseExpired],
      );
      const runs: CronRunRecord[] = [];
      for (const job of jobs) {
        const rows = await sql.rows<CronRunRow>(
          `UPDATE cron_runs SET status = 'error', finished_at = $1, error = $2
           WHERE app_id = $3 AND tenant_id = $4 AND id = $5 AND status = 'running' RETURNING ${cronRunColumns}`,
          [now, leaseExpired, job.app_id, job.tenant_id, job.lease_run],
        );
        if (rows[0]) runs.push(cronRunFromRow(rows[0]));
      }
      return runs;
    });
  }

  async run(tenant: TenantKey, runId: string): Promise<CronRunRecord | null> {
    const rows = await this.db.rows<CronRunRow>(
      `SELECT ${cronRunColumns} FROM cron_runs WHERE app_id = $1 AND tenant_id = $2 AND id = $3`,
      [tenant.appId, tenant.tenantId, runId],
    );
    return rows[0] ? cronRunFromRow(rows[0]) : null;
  }

  async runs(
    tenant: TenantKey,
    page: Page,
    options: { jobId?: string } = {},
  ): Promise<CronRunRecord[]> {
    const rows =
      options.jobId === undefined
        ? await this.db.rows<CronRunRow>(
            `SELECT ${cronRunColumns} FROM cron_runs WHERE app_id = $1 AND tenant_id = $2
             ORDER BY started_at DESC, seq DESC LIMIT $3 OFFSET $4`,
            [tenant.appId, tenant.tenantId, page.limit, page.offset],
          )
        : await this.db.rows<CronRunRow>(
            `SELECT ${cronRunColumns} FROM cron_runs WHERE app_id = $1 AND tenant_id = $2 AND job_id = $3
             ORDER BY started_at DESC, seq DESC LIMIT $4 OFFSET $5`,
            [tenant.appId, tenant.tenantId, options.jobId, page.limit, page.offset],
          );
    return rows.map(cronRunFromRow);
  }

  async pruneRuns(tenant: TenantKey, jobId: string, keep: number): Promise<number> {
    return this.db.run(
      `DELETE FROM cron_runs WHERE app_id = $1 AND tenant_id = $2 AND job_id = $3 AND status <> 'running'
         AND seq NOT IN (
           SELECT seq FROM cron_runs WHERE app_id = $1 AND tenant_id = $2 AND job_id = $3
           ORDER BY started_at DESC, seq DESC LIMIT $4)`,
      [tenant.appId, tenant.tenantId, jobId, keep],
    );
  }
}

async function jobRow(
  sql: Sql | Database,
  tenant: TenantKey,
  idOrName: string,
): Promise<CronJobRow | undefined> {
  const rows = await sql.rows<CronJobRow>(
    `SELECT ${cronJobColumns} FROM cron_jobs WHERE app_id = $1 AND tenant_id = $2 AND (id = $3 OR name = $3)
     ORDER BY (id = $3) DESC LIMIT 1`,
    [tenant.appId, tenant.tenantId, idOrName],
  );
  return rows[0];
}

async function insertRun(
  sql: Sql,
  job: CronJobRecord,
  claim: Omit<CronClaim, 'leaseUntil'>,
  status: 'running' | 'skipped',
): Promise<CronRunRecord> {
  const run = claimedRun(job, claim, status);
  await sql.run(
    `INSERT INTO cron_runs (${cronRunColumns}) VALUES (${runPlaceholders})`,
    cronRunValues(run),
  );
  return run;
}
