import type { JobInput, JobRecord, JobUsage } from '../../core/job-record.js';
import type { Scope, TenantKey } from '../../core/scope.js';
import type { JobClaim, JobCompletion, JobStorage, Page } from '../../spec/storage.js';
import { leaseLost } from '../shared/lease-lost.js';
import { type JobRow, jobFromRow } from '../shared/rows.js';
import type { SqliteMemories } from './sqlite-memories.js';
import type { SqliteProfiles } from './sqlite-profiles.js';
import type { Statements } from './statements.js';

const jobColumns =
  'id, store, app_id, tenant_id, agent_id, run_id, state, input, memory_ids, usage, error, attempts, created_at, updated_at';

/** The durable ingestion queue of the SQLite backend. */
export class SqliteJobs implements JobStorage {
  constructor(
    private readonly statements: Statements,
    private readonly memories: SqliteMemories,
    private readonly profiles: SqliteProfiles,
  ) {}

  async enqueue(
    store: string,
    jobs: Array<{ id: string; scope: Scope; input: JobInput }>,
    now: number,
    options: { claim?: { worker: string; leaseMs: number } } = {},
  ): Promise<JobRecord[]> {
    return this.statements.write(() =>
      jobs.map((job) => this.enqueueOne(store, job.scope, job.input, job.id, now, options.claim)),
    );
  }

  async claim(request: {
    worker: string;
    limit: number;
    leaseMs: number;
    now: number;
    isOwnerAlive: (owner: string) => boolean;
  }): Promise<JobRecord[]> {
    const { worker, limit, leaseMs, now, isOwnerAlive } = request;
    return this.statements.write(() =>
      this.claimRunnable(worker, limit, leaseMs, now, isOwnerAlive),
    );
  }

  async commit(store: string, completions: JobCompletion[], now: number): Promise<void> {
    this.statements.write(() => {
      this.checkHeld(completions);
      for (const completion of completions) {
        this.memories.applyInTransaction(store, completion.tenant, completion.mutations, now);
        if (completion.profile?.length)
          this.profiles.applyInTransaction(completion.tenant, completion.profile, now);
        this.succeed(completion.jobId, completion.memoryIds, completion.usage, now);
      }
    });
  }

  async fail(
    id: string,
    claim: JobClaim,
    failure: { error: string; retryAt: number | null; now: number },
  ): Promise<void> {
    this.statements.write(() =>
      this.failAttempt(id, claim, failure.error, failure.retryAt, failure.now),
    );
  }

  async renew(
    worker: string,
    jobs: Array<{ id: string; attempt: number }>,
    lease: { leaseMs: number; now: number },
  ): Promise<number> {
    return this.statements.write(() => this.renewLeases(worker, jobs, lease.now + lease.leaseMs));
  }

  async retry(
    store: string,
    tenant: TenantKey,
    ids: string[] | 'all-failed',
    now: number,
  ): Promise<number> {
    return this.statements.write(() => this.retryFailed(store, tenant, ids, now));
  }

  private enqueueOne(
    store: string,
    scope: Scope,
    input: JobInput,
    id: string,
    now: number,
    claim?: { worker: string; leaseMs: number },
  ): JobRecord {
    this.statements
      .get(
        `INSERT INTO jobs (id, store, app_id, tenant_id, agent_id, run_id, state, input, owner, lease_until, attempts, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        store,
        scope.appId,
        scope.tenantId,
        scope.agentId,
        scope.runId,
        claim ? 'running' : 'queued',
        JSON.stringify(input),
        claim?.worker ?? null,
        claim ? now + claim.leaseMs : null,
        claim ? 1 : 0,
        now,
        now,
      );
    return jobFromRow(
      this.statements.get(`SELECT ${jobColumns} FROM jobs WHERE id = ?`).get(id) as JobRow,
    );
  }

  /** Claims runnable jobs; call inside an immediate transaction so two workers never claim one job. */
  private claimRunnable(
    worker: string,
    limit: number,
    leaseMs: number,
    now: number,
    isOwnerAlive: (owner: string) => boolean,
  ): JobRecord[] {
    // Queued jobs first, oldest first; then running ones whose lease ran out or whose owner died.
    // Two queries, so jobs leased by live workers never hide queued ones behind them.
    const chosen = (
      this.statements
        .get(
          `SELECT id FROM jobs WHERE state = 'queued' AND (lease_until IS NULL OR lease_until <= ?) ORDER BY created_at, rowid LIMIT ?`,
        )
        .all(now, limit) as Array<{ id: string }>
    ).map((row) => row.id);
    if (chosen.length < limit) {
      const running = this.statements
        .get(
          `SELECT id, owner, lease_until FROM jobs WHERE state = 'running' ORDER BY created_at, rowid`,
        )
        .all() as Array<{ id: string; owner: string | null; lease_until: number | null }>;
      for (const job of running) {
        if (chosen.length >= limit) break;
        const reclaimable =
          job.lease_until === null ||
          job.lease_until < now ||
          (job.owner !== null && job.owner !== worker && !isOwnerAlive(job.owner));
        if (reclaimable) chosen.push(job.id);
      }
    }
    const claim = this.statements.get(
      `UPDATE jobs SET state = 'running', owner = ?, lease_until = ?, attempts = attempts + 1, updated_at = ? WHERE id = ?`,
    );
    for (const id of chosen) claim.run(worker, now + leaseMs, now, id);
    return this.byIds(chosen);
  }

  private byIds(ids: string[]): JobRecord[] {
    if (ids.length === 0) return [];
    const rows = this.statements
      .get(
        `SELECT ${jobColumns} FROM jobs WHERE id IN (SELECT value FROM json_each(?)) ORDER BY created_at, rowid`,
      )
      .all(JSON.stringify(ids)) as JobRow[];
    return rows.map(jobFromRow);
  }

  /** Marks a job succeeded inside the caller's transaction. */
  private succeed(id: string, memoryIds: string[], usage: JobUsage | undefined, now: number): void {
    this.statements
      .get(
        `UPDATE jobs SET state = 'succeeded', memory_ids = ?, usage = ?, error = NULL, owner = NULL, lease_until = NULL, updated_at = ? WHERE id = ?`,
      )
      .run(JSON.stringify(memoryIds), usage ? JSON.stringify(usage) : null, now, id);
  }

  private failAttempt(
    id: string,
    claim: JobClaim,
    error: string,
    retryAt: number | null,
    now: number,
  ): void {
    // A queued job's lease_until is the earliest time it may be retried (backoff).
    this.statements
      .get(
        `UPDATE jobs SET state = ?, error = ?, owner = NULL, lease_until = ?, updated_at = ?
         WHERE id = ? AND state = 'running' AND attempts = ? AND owner = ?`,
      )
      .run(
        retryAt === null ? 'failed' : 'queued',
        error,
        retryAt,
        now,
        id,
        claim.attempt,
        claim.owner,
      );
  }

  /** Fails with `lease_lost` unless every job still runs under its attempt; call inside the commit's transaction. */
  private checkHeld(jobs: Array<{ jobId: string; attempt: number; owner: string }>): void {
    const held = this.statements.get(
      "SELECT 1 FROM jobs WHERE id = ? AND state = 'running' AND attempts = ? AND owner = ?",
    );
    const lost = jobs.filter((job) => held.get(job.jobId, job.attempt, job.owner) === undefined);
    if (lost.length > 0) throw leaseLost(lost.map((job) => job.jobId));
  }

  /** Extends the leases of jobs this worker still runs under these attempts. */
  private renewLeases(
    worker: string,
    jobs: Array<{ id: string; attempt: number }>,
    until: number,
  ): number {
    const renew = this.statements.get(
      "UPDATE jobs SET lease_until = ? WHERE id = ? AND state = 'running' AND attempts = ? AND owner = ?",
    );
    let renewed = 0;
    for (const job of jobs) renewed += renew.run(until, job.id, job.attempt, worker).changes;
    return renewed;
  }

  private retryFailed(
    store: string,
    tenant: TenantKey,
    ids: string[] | 'all-failed',
    now: number,
  ): number {
    const base = `UPDATE jobs SET state = 'queued', error = NULL, attempts = 0, lease_until = NULL, updated_at = ? WHERE store = ? AND app_id = ? AND tenant_id = ? AND state = 'failed'`;
    if (ids === 'all-failed')
      return this.statements.get(base).run(now, store, tenant.appId, tenant.tenantId).changes;
    return this.statements
      .get(`${base} AND id IN (SELECT value FROM json_each(?))`)
      .run(now, store, tenant.appId, tenant.tenantId, JSON.stringify(ids)).changes;
  }

  async get(store: string, tenant: TenantKey, id: string): Promise<JobRecord | null> {
    const row = this.statements
      .get(
        `SELECT ${jobColumns} FROM jobs WHERE id = ? AND store = ? AND app_id = ? AND tenant_id = ?`,
      )
      .get(id, store, tenant.appId, tenant.tenantId) as JobRow | undefined;
    return row ? jobFromRow(row) : null;
  }

  async list(
    store: string,
    tenant: TenantKey | null,
    states: string[],
    page: Page,
  ): Promise<JobRecord[]> {
    const conditions = ['store = ?'];
    const params: unknown[] = [store];
    if (tenant) {
      conditions.push('app_id = ?', 'tenant_id = ?');
      params.push(tenant.appId, tenant.tenantId);
    }
    if (states.length > 0) {
      conditions.push(`state IN (${states.map(() => '?').join(', ')})`);
      params.push(...states);
    }
    const rows = this.statements.db
      .prepare(
        `SELECT ${jobColumns} FROM jobs WHERE ${conditions.join(' AND ')} ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?`,
      )
      .all(...params, page.limit, page.offset) as JobRow[];
    return rows.map(jobFromRow);
  }

  async pendingCount(store: string | null): Promise<number> {
    const row = (
      store === null
        ? this.statements
            .get(`SELECT count(*) AS n FROM jobs WHERE state IN ('queued', 'running')`)
            .get()
        : this.statements
            .get(
              `SELECT count(*) AS n FROM jobs WHERE store = ? AND state IN ('queued', 'running')`,
            )
            .get(store)
    ) as { n: number };
    return row.n;
  }
}
