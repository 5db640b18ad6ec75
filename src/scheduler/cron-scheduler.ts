import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { type CronJobRecord, type CronRunRecord, capCronOutput } from '../core/cron-record.js';
import { MnemosError } from '../core/errors.js';
import { nextSlot, parseSchedule } from '../cron/cron-schedule.js';
import type { Mnemos } from '../mnemos.js';
import type { Notifier } from '../spec/notifier.js';
import { type CronLog, deliverRun } from './cron-delivery.js';
import { type CronBuiltin, executeCronJob } from './cron-executor.js';
import { maintenanceJobs } from './maintenance-tasks.js';

/** Tunables of the scheduler; each defaults from config `cron.*`. */
export interface CronSchedulerOptions {
  tickMs?: number;
  leaseMs?: number;
  maxConcurrent?: number;
  timeoutMs?: number;
  keepRuns?: number;
  allowAgentScheduling?: boolean;
  /** Built-in jobs (maintenance), kept as jobs of the default tenant so their runs are in history. */
  builtins?: CronBuiltin[];
  /** Gateway targets; absent: only `log`, `file:` and `webhook:` deliver. */
  notifier?: Notifier | null;
  log?: CronLog;
  /** Longest wait for a webhook (default 10 s). */
  webhookTimeoutMs?: number;
}

/** Due jobs looked at per tick. */
const scanLimit = 100;

/**
 * Runs due cron jobs of every tenant: each tick releases expired leases, records slots of jobs
 * still running as `skipped`, and claims the others (compare-and-set, so replicas sharing the
 * database run each slot once) up to `max_concurrent`, each under a renewed lease and a timeout.
 * A job whose slots passed while nothing ran runs once, then goes on from its next slot after now.
 */
export class CronScheduler {
  /** This process's worker id: host, pid and a random suffix. */
  readonly worker = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly settings: Required<Omit<CronSchedulerOptions, 'builtins' | 'notifier' | 'log'>>;
  private readonly builtins: Map<string, CronBuiltin>;
  /** Jobs this process cannot deliver, already warned about. */
  private readonly waiting = new Set<string>();
  private notifier: Notifier | null;
  private readonly log: CronLog;
  private readonly running = new Map<
    string,
    { controller: AbortController; done: Promise<void> }
  >();
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<CronRunRecord[]> | null = null;
  private stopped = false;

  constructor(
    private readonly mnemos: Mnemos,
    options: CronSchedulerOptions = {},
  ) {
    const cron = mnemos.config.cron;
    this.settings = {
      tickMs: options.tickMs ?? cron.tick_ms,
      leaseMs: options.leaseMs ?? cron.lease_ms,
      maxConcurrent: options.maxConcurrent ?? cron.max_concurrent,
      timeoutMs: options.timeoutMs ?? cron.timeout_ms,
      keepRuns: options.keepRuns ?? cron.keep_runs,
      allowAgentScheduling: options.allowAgentScheduling ?? cron.allow_agent_scheduling,
      webhookTimeoutMs: options.webhookTimeoutMs ?? 10_000,
    };
    this.builtins = new Map((options.builtins ?? []).map((builtin) => [builtin.name, builtin]));
    this.notifier = options.notifier ?? null;
    this.log = options.log ?? (() => {});
  }

  /** Delivers gateway targets through this notifier from now on. */
  useNotifier(notifier: Notifier): void {
    this.notifier = notifier;
    this.mnemos.cron.useTargetCheck((target) => notifier.accepts(target));
  }

  /** Stores the built-in jobs (once, whichever replica starts first) and ticks every `tick_ms`. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.registerBuiltins();
    if (this.timer) return;
    this.timer = setInterval(() => {
      void this.tick().catch((error: unknown) => {
        this.log('warn', 'cron tick failed', { error: (error as Error).message });
      });
    }, this.settings.tickMs);
    this.timer.unref();
    void this.tick().catch((error: unknown) => {
      this.log('warn', 'cron tick failed', { error: (error as Error).message });
    });
  }

  /** Stops ticking; runs in progress are stopped and recorded as failed. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.ticking?.catch(() => {});
    for (const { controller } of this.running.values()) {
      controller.abort(new Error('the scheduler stopped'));
    }
    await this.idle();
  }

  /**
   * One tick without the timer (`mnemos cron tick`): stores the built-ins, runs what is due, waits
   * for those runs and returns them as recorded (skipped slots included).
   */
  async runDue(): Promise<CronRunRecord[]> {
    await this.registerBuiltins();
    const touched = await this.tick();
    await this.idle();
    const runs = await Promise.all(
      touched.map((run) =>
        this.mnemos.storage.cron.run({ appId: run.appId, tenantId: run.tenantId }, run.id),
      ),
    );
    return runs.map((run, index) => run ?? touched[index]!);
  }

  /** Resolves when no run of this process is in progress. */
  async idle(): Promise<void> {
    while (this.running.size > 0)
      await Promise.all([...this.running.values()].map((run) => run.done));
  }

  /**
   * One pass over due jobs; returns the runs it started or skipped. Started runs go on in the
   * background (`idle` waits for them). A tick already under way is joined, not repeated.
   */
  tick(): Promise<CronRunRecord[]> {
    this.ticking ??= this.scan().finally(() => {
      this.ticking = null;
    });
    return this.ticking;
  }

  private async scan(): Promise<CronRunRecord[]> {
    const storage = this.mnemos.storage.cron;
    const now = Date.now();
    for (const run of await storage.expire(now)) {
      this.log('warn', 'cron run lease expired', {
        job: run.jobName,
        run: run.id,
        worker: run.worker,
      });
    }
    const touched: CronRunRecord[] = [];
    for (const job of await storage.due(now, scanLimit)) {
      if (this.stopped) break;
      const tenant = { appId: job.appId, tenantId: job.tenantId };
      const slot = Date.parse(job.nextRunAt!);
      const claim = {
        jobId: job.id,
        expectedNextRunAt: slot,
        nextRunAt: this.nextAfter(job, now),
        worker: this.worker,
        now,
        runId: randomUUID(),
      };
      if (job.lease) {
        const skipped = await storage.skip(tenant, claim);
        if (skipped) {
          touched.push(skipped);
          this.log('info', 'cron slot skipped: the previous run is still going', {
            job: job.name,
            run: skipped.id,
          });
          await storage.pruneRuns(tenant, job.id, this.settings.keepRuns);
        }
        continue;
      }
      if (this.running.size >= this.settings.maxConcurrent) continue;
      if (!this.canDeliver(job)) continue;
      const run = await storage.claim(tenant, {
        ...claim,
        leaseUntil: now + this.settings.leaseMs,
      });
      if (!run) continue;
      touched.push(run);
      this.launch(job, run);
    }
    return touched;
  }

  /**
   * Whether this process can deliver every target of a job. A replica without the gateway leaves
   * jobs with messaging targets to one that runs it (warning once per job), so a slot is never
   * spent where its chat cannot be reached.
   */
  private canDeliver(job: CronJobRecord): boolean {
    const unreachable = job.deliver.filter(
      (target) =>
        target !== 'log' &&
        !target.startsWith('file:') &&
        !target.startsWith('webhook:') &&
        !(this.notifier?.accepts(target) ?? false),
    );
    if (unreachable.length === 0) {
      this.waiting.delete(job.id);
      return true;
    }
    if (!this.waiting.has(job.id)) {
      this.waiting.add(job.id);
      this.log('warn', 'cron job left to a replica running the gateway', {
        job: job.name,
        tenant: job.tenantId,
        targets: unreachable.join(','),
      });
    }
    return false;
  }

  /** The slot after this run: none for one-shots or once the repeat count is reached. */
  private nextAfter(job: CronJobRecord, now: number): number | null {
    if (job.repeat.times !== null && job.repeat.completed + 1 >= job.repeat.times) return null;
    if (job.scheduleKind === 'once') return null;
    try {
      return nextSlot(
        parseSchedule(job.schedule, { timezone: job.timezone, now, pastOk: true }),
        now,
        job.timezone,
      );
    } catch {
      return null;
    }
  }

  private launch(job: CronJobRecord, run: CronRunRecord): void {
    const controller = new AbortController();
    const done = this.carryOut(job, run, controller)
      .catch((error: unknown) => {
        this.log('warn', 'cron run could not be recorded', {
          job: job.name,
          run: run.id,
          error: (error as Error).message,
        });
      })
      .finally(() => this.running.delete(job.id));
    this.running.set(job.id, { controller, done });
  }

  private async carryOut(
    job: CronJobRecord,
    run: CronRunRecord,
    controller: AbortController,
  ): Promise<void> {
    const storage = this.mnemos.storage.cron;
    const tenant = { appId: job.appId, tenantId: job.tenantId };
    const { timeoutMs, leaseMs } = this.settings;
    const timeout = setTimeout(
      () =>
        controller.abort(new Error(`the run took longer than ${timeoutMs} ms (cron.timeout_ms)`)),
      timeoutMs,
    );
    const renewal = setInterval(
      () => {
        void storage
          .renew(tenant, job.id, run.id, this.worker, Date.now() + leaseMs)
          .catch(() => {});
      },
      Math.max(200, Math.floor(leaseMs / 3)),
    );
    renewal.unref();
    try {
      const outcome = await executeCronJob(this.mnemos, job, run, controller.signal, {
        builtins: this.builtins,
        allowAgentScheduling: this.settings.allowAgentScheduling,
        log: (level, message) =>
          this.log(level === 'warn' ? 'warn' : 'info', message, { job: job.name }),
      });
      // The lease stays renewed through delivery too: a slow chat (429 retries) must not let
      // another replica take the run over and deliver it twice.
      const delivered = await deliverRun(job, run, outcome, {
        home: this.mnemos.home,
        log: this.log,
        notifier: this.notifier,
        allowHosts: this.mnemos.config.agent.web.allow_hosts,
        webhookTimeoutMs: this.settings.webhookTimeoutMs,
      });
      const finished = await storage.finish(tenant, {
        jobId: job.id,
        runId: run.id,
        worker: this.worker,
        status: delivered.status,
        output: capCronOutput(outcome.output),
        error: outcome.error,
        deliveries: delivered.deliveries,
        sessionId: outcome.sessionId,
        now: Date.now(),
      });
      if (!finished)
        this.log('warn', 'cron run finished after its lease was lost', {
          job: job.name,
          run: run.id,
        });
      await storage.pruneRuns(tenant, job.id, this.settings.keepRuns);
    } finally {
      clearTimeout(timeout);
      clearInterval(renewal);
    }
  }

  private async registerBuiltins(): Promise<void> {
    const tenant = { appId: this.mnemos.config.app_id, tenantId: this.mnemos.config.tenant_id };
    for (const builtin of this.builtins.values()) {
      const input = {
        schedule: builtin.schedule,
        task: { type: 'maintenance', task: builtin.name },
      };
      const stored = await this.mnemos.storage.cron.get(tenant, builtin.name);
      try {
        if (!stored) {
          await this.mnemos.cron.add(tenant, { name: builtin.name, ...input, deliver: ['log'] });
        } else if (stored.task.type !== 'maintenance') {
          this.log(
            'warn',
            `cron job ${builtin.name} of ${tenant.tenantId} is not the built-in task; the built-in does not run`,
            {},
          );
        } else if (stored.schedule !== builtin.schedule) {
          await this.mnemos.cron.update(tenant, stored.id, { schedule: builtin.schedule });
        }
      } catch (error) {
        // Another replica stored it at the same moment.
        if (!(MnemosError.isInstance(error) && error.code === 'conflict')) throw error;
      }
    }
  }
}

/**
 * Starts the cron scheduler of a server (`mnemos serve`, the gateway) when `cron.enabled`;
 * returns it (stop it before closing Mnemos), or null when cron is off.
 */
export async function startCronScheduler(
  mnemos: Mnemos,
  options: CronSchedulerOptions = {},
): Promise<CronScheduler | null> {
  if (!mnemos.config.cron.enabled) return null;
  // The configured maintenance jobs (`maintenance:`) run beside the stored ones unless told otherwise.
  const scheduler = new CronScheduler(mnemos, {
    ...options,
    builtins: options.builtins ?? maintenanceJobs(mnemos, mnemos.config.maintenance),
  });
  if (options.notifier) scheduler.useNotifier(options.notifier);
  await scheduler.start();
  return scheduler;
}
