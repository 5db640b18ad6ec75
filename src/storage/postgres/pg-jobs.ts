import type { JobInput, JobRecord } from '../../core/job-record.js';
import type { Scope, TenantKey } from '../../core/scope.js';
import type { JobClaim, JobCompletion, JobStorage, Page } from '../../spec/storage.js';
import { leaseLost } from '../shared/lease-lost.js';
import { type JobRow, jobFromRow } from '../shared/rows.js';
import type { Database, Sql } from './database.js';
import { Params } from './filter-sql.js';
import { writeMemories } from './memory-transaction.js';
import type { PostgresProfiles } from './pg-profiles.js';

const jobColumns =
  'id, store, app_id, tenant_id, agent_id, run_id, state, input, memory_ids, usage, error, attempts, created_at, updated_at';

/**
 * The durable ingestion queue of the Postgres backend. Claims lock rows with FOR UPDATE SKIP
 * LOCKED, so any number of processes on any hosts claim concurrently and never get the same job.
 */
export class PostgresJobs implements JobStorage {
  constructor(
    private readonly db: Database,
    private readonly profiles: PostgresProfiles,
  ) {}

  enqueue(
    store: string,
    jobs: Array<{ id: string; scope: Scope; input: JobInput }>,
    now: number,
    options: { claim?: { worker: string; leaseMs: number } } = {},
  ): Promise<JobRecord[]> {
    return this.db.transaction((sql) => this.insert(sql, store, jobs, now, options.claim));
  }

  commit(store: string, completions: JobCompletion[], now: number): Promise<void> {
    const tenants = completions.map((completion) => completion.tenant);
    return writeMemories(this.db, store, now, tenants, async (writes, sql) => {
      await this.checkHeld(sql, completions);
      for (const completion of completions) {
        await writes.apply(completion.tenant, completion.mutations);
        if (completion.profile?.length) {
          await writes.finish();
          await this.profiles.apply(sql, completion.tenant, completion.profile, now);
        }
      }
      await this.succeed(sql, completions, now);
    });
  }

  /** Records jobs in one statement; with `claim`, already leased to that worker. */
  private async insert(
    sql: Sql,
    store: string,
    jobs: Array<{ id: string; scope: Scope; input: JobInput }>,
    now: number,
    claim?: { worker: string; leaseMs: number },
  ): Promise<JobRecord[]> {
    if (jobs.length === 0) return [];
    const rows = await sql.rows<JobRow>(
      `INSERT INTO jobs (id, store, app_id, tenant_id, agent_id, run_id, input, state, owner, lease_until, attempts, created_at, updated_at)
       SELECT u.id, $1, u.app_id, u.tenant_id, u.agent_id, u.run_id, u.input, $2, $3, $4, $5, $6, $6
       FROM unnest($7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[])
         WITH ORDINALITY AS u(id, app_id, tenant_id, agent_id, run_id, input, position)
       ORDER BY u.position
       RETURNING ${jobColumns}`,
      [
        store,
        claim ? 'running' : 'queued',
        claim?.worker ?? null,
        claim ? now + claim.leaseMs : null,
        claim ? 1 : 0,
        now,
        jobs.map((job) => job.id),
        jobs.map((job) => job.scope.appId),
        jobs.map((job) => job.scope.tenantId),
        jobs.map((job) => job.scope.agentId),
        jobs.map((job) => job.scope.runId),
        jobs.map((job) => JSON.stringify(job.input)),
      ],
    );
    const byId = new Map(rows.map((row) => [row.id, jobFromRow(row)]));
    return jobs.map((job) => byId.get(job.id)!);
  }

  /**
   * Leases up to `limit` runnable jobs: queued ones past their retry time, oldest first, then
   * running ones whose lease expired or whose owner is dead (only a same-host owner can be seen
   * dead; others rely on their lease). One statement: the rows are locked, re-checked and
   * updated together, and rows another claim holds are skipped, not waited for.
   */
  async claim(request: {
    worker: string;
    limit: number;
    leaseMs: number;
    now: number;
    isOwnerAlive: (owner: string) => boolean;
  }): Promise<JobRecord[]> {
    const { worker, limit, leaseMs, now, isOwnerAlive } = request;
    const owners = await this.db.rows<{ owner: string }>(
      `SELECT DISTINCT owner FROM jobs
       WHERE state IN ('queued', 'running') AND state = 'running' AND lease_until >= $1 AND owner IS NOT NULL AND owner <> $2`,
      [now, worker],
    );
    const dead = owners.map((row) => row.owner).filter((owner) => !isOwnerAlive(owner));
    const rows = await this.db.rows<JobRow & { seq: number }>(
      `WITH picked AS (
         SELECT app_id, tenant_id, id FROM jobs
         WHERE state IN ('queued', 'running') AND (
           (state = 'queued' AND (lease_until IS NULL OR lease_until <= $1))
           OR (state = 'running' AND (lease_until IS NULL OR lease_until < $1 OR owner = ANY($2::text[])))
         )
         ORDER BY state = 'running', created_at, seq LIMIT $3
         FOR UPDATE SKIP LOCKED
       )
       UPDATE jobs j SET state = 'running', owner = $4, lease_until = $5, attempts = j.attempts + 1, updated_at = $1
       FROM picked WHERE j.app_id = picked.app_id AND j.tenant_id = picked.tenant_id AND j.id = picked.id
       RETURNING ${jobColumns
         .split(', ')
         .map((column) => `j.${column}`)
         .join(', ')}, j.seq`,
      [now, dead, limit, worker, now + leaseMs],
    );
    return rows
      .sort((a, b) => a.created_at - b.created_at || a.seq - b.seq)
      .map((row) => jobFromRow(row));
  }

  /** Marks jobs succeeded, in one statement inside the caller's transaction. */
  private async succeed(sql: Sql, completions: JobCompletion[], now: number): Promise<void> {
    if (completions.length === 0) return;
    await sql.run(
      `UPDATE jobs j SET state = 'succeeded', memory_ids = u.memory_ids, usage = u.usage, error = NULL,
         owner = NULL, lease_until = NULL, updated_at = $1
       FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS u(app_id, tenant_id, id, memory_ids, usage)
       WHERE j.app_id = u.app_id AND j.tenant_id = u.tenant_id AND j.id = u.id`,
      [
        now,
        completions.map((completion) => completion.tenant.appId),
        completions.map((completion) => completion.tenant.tenantId),
        completions.map((completion) => completion.jobId),
        completions.map((completion) => JSON.stringify(completion.memoryIds)),
        completions.map((completion) =>
          completion.usage ? JSON.stringify(completion.usage) : null,
        ),
      ],
    );
  }

  async fail(
    id: string,
    claim: JobClaim,
    failure: { error: string; retryAt: number | null; now: number },
  ): Promise<void> {
    const { error, retryAt, now } = failure;
    // A queued job's lease_until is the earliest time it may be retried (backoff).
    await this.db.run(
      `UPDATE jobs SET state = $1, error = $2, owner = NULL, lease_until = $3, updated_at = $4
       WHERE id = $5 AND state = 'running' AND attempts = $6 AND owner = $7`,
      [retryAt === null ? 'failed' : 'queued', error, retryAt, now, id, claim.attempt, claim.owner],
    );
  }

  /**
   * Locks the jobs of a commit and fails with `lease_lost` unless each still runs under its
   * attempt; a claim by another worker skips them while they are locked (SKIP LOCKED).
   */
  private async checkHeld(sql: Sql, completions: JobCompletion[]): Promise<void> {
    if (completions.length === 0) return;
    const held = await sql.rows<{ id: string }>(
      `SELECT j.id FROM jobs j
       JOIN unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[]) AS u(app_id, tenant_id, id, attempt, owner)
         ON j.app_id = u.app_id AND j.tenant_id = u.tenant_id AND j.id = u.id
       WHERE j.state = 'running' AND j.attempts = u.attempt AND j.owner = u.owner
       ORDER BY j.app_id, j.tenant_id, j.id
       FOR UPDATE OF j`,
      [
        completions.map((completion) => completion.tenant.appId),
        completions.map((completion) => completion.tenant.tenantId),
        completions.map((completion) => completion.jobId),
        completions.map((completion) => completion.attempt),
        completions.map((completion) => completion.owner),
      ],
    );
    const found = new Set(held.map((row) => row.id));
    const lost = completions.filter((completion) => !found.has(completion.jobId));
    if (lost.length > 0) throw leaseLost(lost.map((completion) => completion.jobId));
  }

  /** Extends the leases of jobs this worker still runs under these attempts. */
  async renew(
    worker: string,
    jobs: Array<{ id: string; attempt: number }>,
    lease: { leaseMs: number; now: number },
  ): Promise<number> {
    const until = lease.now + lease.leaseMs;
    if (jobs.length === 0) return 0;
    // SKIP LOCKED: rows the worker's own commit holds are being finished; waiting on them, in
    // another lock order than the commit's, could deadlock the two.
    return this.db.run(
      `UPDATE jobs j SET lease_until = $1
       FROM (
         SELECT k.app_id, k.tenant_id, k.id FROM jobs k
         JOIN unnest($2::text[], $3::int[]) AS u(id, attempt) ON k.id = u.id AND k.attempts = u.attempt
         WHERE k.state = 'running' AND k.owner = $4
         FOR UPDATE OF k SKIP LOCKED
       ) held
       WHERE j.app_id = held.app_id AND j.tenant_id = held.tenant_id AND j.id = held.id`,
      [until, jobs.map((job) => job.id), jobs.map((job) => job.attempt), worker],
    );
  }

  async retry(
    store: string,
    tenant: TenantKey,
    ids: string[] | 'all-failed',
    now: number,
  ): Promise<number> {
    const base = `UPDATE jobs SET state = 'queued', error = NULL, attempts = 0, lease_until = NULL, updated_at = $1
      WHERE app_id = $2 AND tenant_id = $3 AND store = $4 AND state = 'failed'`;
    const params: unknown[] = [now, tenant.appId, tenant.tenantId, store];
    if (ids === 'all-failed') return this.db.run(base, params);
    return this.db.run(`${base} AND id = ANY($5::text[])`, [...params, ids]);
  }

  async get(store: string, tenant: TenantKey, id: string): Promise<JobRecord | null> {
    const rows = await this.db.rows<JobRow>(
      `SELECT ${jobColumns} FROM jobs WHERE app_id = $1 AND tenant_id = $2 AND id = $3 AND store = $4`,
      [tenant.appId, tenant.tenantId, id, store],
    );
    return rows[0] ? jobFromRow(rows[0]) : null;
  }

  async list(
    store: string,
    tenant: TenantKey | null,
    states: string[],
    page: Page,
  ): Promise<JobRecord[]> {
    const params = new Params();
    const conditions = [`store = ${params.add(store)}`];
    if (tenant) {
      conditions.push(
        `app_id = ${params.add(tenant.appId)}`,
        `tenant_id = ${params.add(tenant.tenantId)}`,
      );
    }
    if (states.length > 0) conditions.push(`state = ANY(${params.add(states)}::text[])`);
    const rows = await this.db.rows<JobRow>(
      `SELECT ${jobColumns} FROM jobs WHERE ${conditions.join(' AND ')}
       ORDER BY created_at DESC, seq DESC LIMIT ${params.add(page.limit)} OFFSET ${params.add(page.offset)}`,
      params.values,
    );
    return rows.map(jobFromRow);
  }

  async pendingCount(store: string | null): Promise<number> {
    const rows = await this.db.rows<{ n: number }>(
      store === null
        ? "SELECT count(*) AS n FROM jobs WHERE state IN ('queued', 'running')"
        : "SELECT count(*) AS n FROM jobs WHERE state IN ('queued', 'running') AND store = $1",
      store === null ? [] : [store],
    );
    return rows[0]?.n ?? 0;
  }
}
