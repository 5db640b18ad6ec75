import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { MnemosError } from '../core/errors.js';
import type { JobRecord } from '../core/job-record.js';
import type { Storage } from '../spec/storage.js';

/** Tunables of the job runner. */
export interface JobRunnerOptions {
  /** Jobs claimed and processed together (one embedding call, one transaction). */
  batchSize: number;
  /** How long a claim holds before another worker may take the job over. */
  leaseMs: number;
  /** Attempts before a job is failed for good. */
  maxAttempts: number;
  /** First retry delay; doubles per attempt. */
  retryBaseMs: number;
  /**
   * Look for work every this many ms even when this process enqueued nothing, so a long-running
   * server takes over jobs of a replica that died or of other writers; off when undefined.
   */
  pollMs?: number | undefined;
}

/** Processes a batch; returns the ids that failed with their errors. Successes are committed by the handler. */
export type BatchHandler = (
  jobs: JobRecord[],
  /** The worker holding the jobs' claims, for the commit to check. */
  worker: string,
) => Promise<Array<{ job: JobRecord; error: Error }>>;

const thisHost = hostname();

/** True when a worker id names a live process on this host; other hosts' workers rely on leases. */
export function isOwnerAlive(owner: string): boolean {
  const [host, pid] = owner.split(':');
  if (host !== thisHost) return true;
  try {
    process.kill(Number(pid), 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Drains the durable job queue in the background of whichever process has Mnemos open.
 * Jobs left running by a crashed process are reclaimed as soon as its death is seen.
 */
export class JobRunner {
  /** This process's worker id: host, pid and a random suffix. */
  readonly worker = `${thisHost}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private loop: Promise<void> | null = null;
  private again = false;
  private closed = false;
  private retryTimer: NodeJS.Timeout | null = null;
  /** Why the last drain stopped early (storage unreachable, …); null after one that finished. */
  private failure: unknown = null;
  private readonly pollTimer: NodeJS.Timeout | null = null;
  private readonly batchListeners = new Set<(jobs: number) => void>();

  constructor(
    private readonly storage: Storage,
    private readonly handle: BatchHandler,
    private readonly options: JobRunnerOptions,
  ) {
    if (options.pollMs) {
      this.pollTimer = setInterval(() => this.kick(), options.pollMs);
      this.pollTimer.unref();
    }
  }

  /** The lease to enqueue jobs with when this process will run them at once (synchronous adds). */
  get claim(): { worker: string; leaseMs: number } {
    return { worker: this.worker, leaseMs: this.options.leaseMs };
  }

  /**
   * Processes jobs enqueued already claimed by this worker, without waiting for the queue: a
   * synchronous add costs two transactions (enqueue, commit) instead of three.
   */
  async runClaimed(jobs: JobRecord[]): Promise<void> {
    await this.process(jobs);
  }

  /** Calls `listener` with the batch's size after each batch this process finished; returns the unsubscribe. */
  onBatch(listener: (jobs: number) => void): () => void {
    this.batchListeners.add(listener);
    return () => this.batchListeners.delete(listener);
  }

  /** Starts draining if not already; cheap to call after every enqueue. */
  kick(): void {
    if (this.closed) return;
    if (this.loop) {
      this.again = true;
      return;
    }
    // A rejected drain (e.g. the database is down) must not become an unhandled rejection, which
    // ends the process: it is kept for `idle` and the drain is tried again after the retry delay.
    this.loop = this.drain()
      .then(
        () => {
          this.failure = null;
        },
        (error: unknown) => {
          this.failure = error;
          this.retryLater();
        },
      )
      .finally(() => {
        this.loop = null;
        if (this.again && !this.closed) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Resolves when the queue has nothing this process can claim right now; rejects when storage failed while draining. */
  async idle(): Promise<void> {
    while (this.loop) await this.loop;
    if (this.failure) throw this.failure;
  }

  /** Waits until a job has finished (here or in another process), up to `timeoutMs`. */
  async waitFor(store: string, job: JobRecord, timeoutMs: number): Promise<JobRecord> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      this.kick();
      if (this.loop) await this.loop;
      const current = await this.storage.jobs.get(store, job.scope, job.id);
      if (!current)
        throw new MnemosError('not_found', `job ${job.id} not found`, { details: { id: job.id } });
      if (current.state === 'succeeded' || current.state === 'failed') return current;
      if (Date.now() > deadline) {
        throw new MnemosError(
          'job_failed',
          `job ${job.id} did not finish within ${timeoutMs} ms; it is still queued`,
          {
            category: 'system',
            details: { id: job.id },
          },
        );
      }
      await sleep(25);
    }
  }

  /** Stops claiming new work and waits for the current batch to commit. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.pollTimer) clearInterval(this.pollTimer);
    while (this.loop) await this.loop;
  }

  private async drain(): Promise<void> {
    while (!this.closed) {
      const now = Date.now();
      const jobs = await this.storage.jobs.claim({
        worker: this.worker,
        limit: this.options.batchSize,
        leaseMs: this.options.leaseMs,
        now,
        isOwnerAlive,
      });
      if (jobs.length === 0) {
        await this.scheduleRetryCheck();
        return;
      }
      await this.process(jobs);
    }
  }

  /** Runs jobs this worker holds and records failures: retry with backoff, or failed for good. */
  private async process(jobs: JobRecord[]): Promise<void> {
    let failures: Array<{ job: JobRecord; error: Error }>;
    const renewal = this.renewWhileRunning(jobs);
    try {
      failures = await this.handle(jobs, this.worker);
    } catch (error) {
      failures = jobs.map((job) => ({ job, error: error as Error }));
    } finally {
      clearInterval(renewal);
    }
    for (const { job, error } of failures) {
      // Another worker holds the job now; its outcome is that worker's to record.
      if (MnemosError.isInstance(error) && error.code === 'lease_lost') continue;
      const final =
        job.attempts >= this.options.maxAttempts ||
        (MnemosError.isInstance(error) && error.category === 'user');
      const retryAt = final
        ? null
        : Date.now() + this.options.retryBaseMs * 2 ** (job.attempts - 1);
      const claim = { attempt: job.attempts, owner: this.worker };
      await this.storage.jobs.fail(job.id, claim, {
        error: error.message,
        retryAt,
        now: Date.now(),
      });
    }
    if (failures.length > 0) await this.scheduleRetryCheck();
    for (const listener of this.batchListeners) listener(jobs.length);
  }

  /**
   * Extends the batch's leases every third of a lease while this process works on it, so a batch
   * slower than `lease_ms` (a slow model) is not taken over by another worker while its owner
   * lives. Should the owner stall past its lease anyway, the commit's attempt check drops its result.
   */
  private renewWhileRunning(jobs: JobRecord[]): NodeJS.Timeout {
    const held = jobs.map((job) => ({ id: job.id, attempt: job.attempts }));
    const { leaseMs } = this.options;
    const timer = setInterval(
      () => {
        // A failed renewal (database unreachable) is not fatal: the lease simply runs its course.
        void this.storage.jobs
          .renew(this.worker, held, { leaseMs, now: Date.now() })
          .catch(() => {});
      },
      Math.max(10, Math.floor(leaseMs / 3)),
    );
    timer.unref();
    return timer;
  }

  /** Jobs waiting out a retry backoff need a later kick, since nothing else will come. */
  private async scheduleRetryCheck(): Promise<void> {
    if (this.retryTimer || this.closed) return;
    if ((await this.storage.jobs.pendingCount(null)) === 0) return;
    this.retryLater();
  }

  /** Kicks again after the first retry delay. */
  private retryLater(): void {
    if (this.retryTimer || this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.kick();
    }, this.options.retryBaseMs);
    this.retryTimer.unref();
  }
}
