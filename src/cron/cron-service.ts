import { randomBytes } from 'node:crypto';
import {
  type CreateCronJobInput,
  createCronJobSchema,
  type UpdateCronJobInput,
  updateCronJobSchema,
} from '../core/cron-inputs.js';
import type { CronJobRecord, CronOrigin, CronRunRecord } from '../core/cron-record.js';
import { MnemosError } from '../core/errors.js';
import { parseInput } from '../core/schemas.js';
import type { TenantKey } from '../core/scope.js';
import type { CronStorage, Page } from '../spec/storage.js';
import { nextSlot, type ParsedSchedule, parseSchedule, shortestGapMs } from './cron-schedule.js';

/** Messaging platforms a target may name before a gateway is running to ask. */
const messagingPlatforms = new Set(['telegram', 'slack', 'discord', 'email', 'all', 'route']);

/** Whether a messaging target (`telegram:123`, `slack`, `all`) can be reached; the gateway's notifier answers. */
export type TargetCheck = (target: string) => boolean;

/** How the service is set up: the default of `memory`, and the clock (tests). */
export interface CronServiceOptions {
  /** Whether a job writes long-term memory when its input does not say (config `cron.memory_writes`). */
  memoryWrites: boolean;
  /** Messaging targets; default: any target naming a known platform. */
  acceptsTarget?: TargetCheck;
  /**
   * Limits on jobs created over HTTP or from a chat (config `cron.untrusted`): each run costs
   * tokens, so a tenant gets a bounded number of jobs, none more often than `minIntervalMs`.
   */
  untrusted?: { maxJobs: number; minIntervalMs: number };
  /**
   * The `platform:id` accounts of a tenant (the gateway's approved and configured accounts): the
   * only chats a job created over HTTP or from a chat may deliver to.
   */
  ownTargets?: (tenant: TenantKey) => Promise<string[]>;
  now?: () => number;
}

/** Who asks: the surface a job is created or changed from, which it then runs with. */
export interface CronCaller {
  /** Default `local`. */
  origin?: CronOrigin;
}

/**
 * Cron jobs of each (app, tenant): validated once here for the CLI, HTTP and the `cronjob` tool
 * alike, with their next slot computed from the schedule. The scheduler runs them.
 */
export class CronService {
  private acceptsTarget: TargetCheck;
  private readonly adding = new Map<string, Promise<void>>();
  private readonly now: () => number;

  constructor(
    private readonly storage: CronStorage,
    private readonly options: CronServiceOptions,
  ) {
    this.acceptsTarget =
      options.acceptsTarget ?? ((target) => messagingPlatforms.has(target.split(':')[0] ?? ''));
    this.now = options.now ?? Date.now;
  }

  /** Checks messaging targets with the running gateway's notifier from now on. */
  useTargetCheck(check: TargetCheck): void {
    this.acceptsTarget = check;
  }

  /** Creates a job; `conflict` when the tenant has one of that name. */
  async add(tenant: TenantKey, input: unknown, caller: CronCaller = {}): Promise<CronJobRecord> {
    // Adds of one tenant run one at a time here, so concurrent requests cannot pass the job cap
    // together (replicas may still each add one at the cap; the count is checked again below).
    const key = `${tenant.appId}\u0000${tenant.tenantId}`;
    const previous = this.adding.get(key) ?? Promise.resolve();
    const next = previous.then(
      () => this.addNow(tenant, input, caller),
      () => this.addNow(tenant, input, caller),
    );
    const settled = next.then(
      () => {},
      () => {},
    );
    this.adding.set(key, settled);
    void settled.then(() => {
      if (this.adding.get(key) === settled) this.adding.delete(key);
    });
    return next;
  }

  private async addNow(
    tenant: TenantKey,
    input: unknown,
    caller: CronCaller,
  ): Promise<CronJobRecord> {
    const parsed: CreateCronJobInput = parseInput(createCronJobSchema, input, 'cron job');
    const origin = caller.origin ?? 'local';
    const now = this.now();
    this.checkTask(parsed.task, origin);
    const schedule = parseSchedule(parsed.schedule, { timezone: parsed.timezone ?? null, now });
    this.checkFrequency(schedule, parsed.timezone ?? null, origin, now);
    if (origin !== 'local' && this.options.untrusted) {
      const { maxJobs } = this.options.untrusted;
      const count = (await this.storage.list(tenant)).length;
      if (count >= maxJobs) {
        throw new MnemosError(
          'limit_exceeded',
          `cron job: at most ${maxJobs} jobs per tenant (cron.untrusted.max_jobs); remove one first`,
          { details: { limit: maxJobs, actual: count } },
        );
      }
    }
    const deliver = await this.checkTargets(parsed.deliver ?? [], origin, tenant);
    const paused = parsed.paused ?? false;
    const job: CronJobRecord = {
      id: randomBytes(6).toString('hex'),
      appId: tenant.appId,
      tenantId: tenant.tenantId,
      name: parsed.name,
      schedule: parsed.schedule.trim(),
      scheduleKind: schedule.kind,
      timezone: parsed.timezone ?? null,
      task: parsed.task,
      agent: parsed.agent ?? null,
      deliver,
      memory: parsed.memory ?? this.options.memoryWrites,
      origin,
      repeat: {
        times: parsed.repeat === undefined ? (schedule.kind === 'once' ? 1 : null) : parsed.repeat,
        completed: 0,
      },
      paused,
      nextRunAt: iso(nextSlot(schedule, now, parsed.timezone)),
      lastRunAt: null,
      lastStatus: null,
      lastError: null,
      lease: null,
      createdAt: iso(now)!,
      updatedAt: iso(now)!,
    };
    await this.storage.create(tenant, job);
    return job;
  }

  /** The tenant's jobs by name. */
  list(tenant: TenantKey): Promise<CronJobRecord[]> {
    return this.storage.list(tenant);
  }

  /** A job by name or id; `not_found` when the tenant has none. */
  async get(tenant: TenantKey, nameOrId: string): Promise<CronJobRecord> {
    const job = await this.storage.get(tenant, nameOrId);
    if (!job) throw notFound(nameOrId);
    return job;
  }

  /**
   * Changes a job's fields; a new schedule, timezone or repeat count computes the next slot again
   * from now. The job keeps its origin unless the caller's is less trusted.
   */
  async update(
    tenant: TenantKey,
    nameOrId: string,
    input: unknown,
    caller: CronCaller = {},
  ): Promise<CronJobRecord> {
    const changes: UpdateCronJobInput = parseInput(updateCronJobSchema, input, 'cron job update');
    const current = await this.get(tenant, nameOrId);
    guardBuiltin(current, caller);
    const origin: CronOrigin =
      caller.origin && caller.origin !== 'local' ? caller.origin : current.origin;
    const now = this.now();
    const next: CronJobRecord = {
      ...current,
      ...(changes.task ? { task: changes.task } : {}),
      ...(changes.agent !== undefined ? { agent: changes.agent } : {}),
      ...(changes.memory !== undefined ? { memory: changes.memory } : {}),
      ...(changes.paused !== undefined ? { paused: changes.paused } : {}),
      origin,
      updatedAt: iso(now)!,
    };
    this.checkTask(next.task, origin);
    next.deliver = await this.checkTargets(changes.deliver ?? current.deliver, origin, tenant);
    const rescheduled =
      changes.schedule !== undefined ||
      changes.timezone !== undefined ||
      changes.repeat !== undefined;
    if (changes.schedule !== undefined) next.schedule = changes.schedule.trim();
    if (changes.timezone !== undefined) next.timezone = changes.timezone;
    if (changes.repeat !== undefined) next.repeat = { ...current.repeat, times: changes.repeat };
    if (rescheduled) {
      const parsed = parseSchedule(next.schedule, { timezone: next.timezone, now });
      this.checkFrequency(parsed, next.timezone, origin, now);
      next.scheduleKind = parsed.kind;
      next.nextRunAt = this.nextAfterChange(next, now);
    } else if (current.paused && !next.paused && next.scheduleKind !== 'once') {
      // Slots missed while paused are not caught up: the job goes on from its next one.
      next.nextRunAt = this.nextAfterChange(next, now);
    }
    if (!(await this.storage.update(tenant, next))) throw notFound(nameOrId);
    return next;
  }

  /** Deletes a job and its runs. */
  async remove(
    tenant: TenantKey,
    nameOrId: string,
    caller: CronCaller = {},
  ): Promise<CronJobRecord> {
    const job = await this.get(tenant, nameOrId);
    guardBuiltin(job, caller);
    if (!(await this.storage.delete(tenant, job.id))) throw notFound(nameOrId);
    return job;
  }

  /** Stops a job from running until resumed (a run in progress finishes). */
  pause(tenant: TenantKey, nameOrId: string, caller: CronCaller = {}): Promise<CronJobRecord> {
    return this.update(tenant, nameOrId, { paused: true }, caller);
  }

  /** Lets a paused job run again, from its next slot after now. */
  resume(tenant: TenantKey, nameOrId: string, caller: CronCaller = {}): Promise<CronJobRecord> {
    return this.update(tenant, nameOrId, { paused: false }, caller);
  }

  /**
   * Makes a job due now, so the next tick of any replica runs it (its schedule goes on after);
   * `conflict` while a run of it is in progress, `invalid_input` when it is paused.
   */
  async runNow(
    tenant: TenantKey,
    nameOrId: string,
    caller: CronCaller = {},
  ): Promise<CronJobRecord> {
    const job = await this.get(tenant, nameOrId);
    guardBuiltin(job, caller);
    const origin = caller.origin ?? 'local';
    const least = this.options.untrusted?.minIntervalMs;
    const last = job.lastRunAt ? Date.parse(job.lastRunAt) : null;
    if (origin !== 'local' && least && last !== null && this.now() - last < least) {
      // The schedule's bound holds for runs on demand too.
      throw new MnemosError(
        'rate_limited',
        `cron job ${job.name} ran less than ${least / 1000}s ago (cron.untrusted.min_interval_s); try again later`,
        { details: { limit: least, retryAfterMs: least - (this.now() - last) } },
      );
    }
    if (job.lease) {
      throw new MnemosError(
        'conflict',
        `cron job ${job.name} is running (run ${job.lease.runId})`,
        {
          details: { job: job.name, run: job.lease.runId },
        },
      );
    }
    if (job.paused) {
      throw new MnemosError('invalid_input', `cron job ${job.name} is paused; resume it first`);
    }
    const now = this.now();
    const due: CronJobRecord = { ...job, nextRunAt: iso(now), updatedAt: iso(now)! };
    // A job whose repeat count was reached runs once more, and is done again after.
    if (due.repeat.times !== null && due.repeat.completed >= due.repeat.times) {
      due.repeat = { ...due.repeat, times: due.repeat.completed + 1 };
    }
    if (!(await this.storage.update(tenant, due))) throw notFound(nameOrId);
    return due;
  }

  /** A job's runs, newest first. */
  async history(tenant: TenantKey, nameOrId: string, page: Page): Promise<CronRunRecord[]> {
    const job = await this.get(tenant, nameOrId);
    return this.storage.runs(tenant, page, { jobId: job.id });
  }

  /** The tenant's runs of every job, newest first. */
  runs(tenant: TenantKey, page: Page): Promise<CronRunRecord[]> {
    return this.storage.runs(tenant, page);
  }

  /** One run by id; `not_found` when the tenant has none. */
  async run(tenant: TenantKey, runId: string): Promise<CronRunRecord> {
    const run = await this.storage.run(tenant, runId);
    if (!run) {
      throw new MnemosError('not_found', `cron run ${runId} not found`, {
        details: { run: runId },
      });
    }
    return run;
  }

  /** Fails with `invalid_input` naming the first target nothing can reach; returns them deduplicated. */
  async checkTargets(targets: string[], origin: CronOrigin, tenant: TenantKey): Promise<string[]> {
    let own: Set<string> | null = null;
    for (const [index, target] of targets.entries()) {
      let problem = this.targetProblem(target, origin);
      if (!problem && origin !== 'local' && isMessagingTarget(target)) {
        own ??= new Set(await (this.options.ownTargets?.(tenant) ?? Promise.resolve([])));
        problem = ownTargetProblem(target, own, origin);
      }
      if (problem) {
        throw new MnemosError('invalid_input', `deliver.${index}: ${problem}`, {
          details: { target },
        });
      }
    }
    return [...new Set(targets)];
  }

  private targetProblem(target: string, origin: CronOrigin): string | null {
    if (target === 'log') return null;
    if (target.startsWith('file:')) {
      return origin === 'local'
        ? null
        : `file targets are only for jobs created locally (this one comes from ${origin})`;
    }
    if (target.startsWith('webhook:')) {
      try {
        const url = new URL(target.slice('webhook:'.length));
        if (url.protocol !== 'https:' && url.protocol !== 'http:')
          return 'webhooks are http(s) URLs';
        if (url.username || url.password) return 'a webhook URL carries no credentials';
        return null;
      } catch {
        return `'${target.slice(8)}' is not a URL`;
      }
    }
    return this.acceptsTarget(target)
      ? null
      : `nothing delivers to '${target}' (targets: log, file:<path>, webhook:<url>, or a configured gateway target such as telegram:<chat>)`;
  }

  /** Refuses schedules of untrusted jobs that run more often than `cron.untrusted.min_interval_s`. */
  private checkFrequency(
    schedule: ParsedSchedule,
    timezone: string | null,
    origin: CronOrigin,
    now: number,
  ): void {
    if (origin === 'local' || !this.options.untrusted) return;
    const gap = shortestGapMs(schedule, now, timezone);
    const least = this.options.untrusted.minIntervalMs;
    if (gap !== null && gap < least) {
      throw new MnemosError(
        'invalid_input',
        `schedule: jobs created over ${origin} run at most every ${least / 1000}s (cron.untrusted.min_interval_s); this one runs every ${Math.round(gap / 1000)}s`,
        { details: { limit: least, actual: gap } },
      );
    }
  }

  private checkTask(task: CronJobRecord['task'], origin: CronOrigin): void {
    if (task.type === 'maintenance' && origin !== 'local') {
      throw new MnemosError(
        'invalid_input',
        `task: maintenance tasks are built in, not scheduled over ${origin}`,
      );
    }
  }

  /** The next slot of a changed job: none once its repeat count is reached. */
  private nextAfterChange(job: CronJobRecord, now: number): string | null {
    if (job.repeat.times !== null && job.repeat.completed >= job.repeat.times) return null;
    const schedule = parseSchedule(job.schedule, { timezone: job.timezone, now });
    return iso(nextSlot(schedule, now, job.timezone));
  }
}

function notFound(nameOrId: string): MnemosError {
  return new MnemosError('not_found', `cron job ${nameOrId} not found`, {
    details: { job: nameOrId },
  });
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** Whether a target goes to a messaging platform (not `log`, a file or a webhook). */
function isMessagingTarget(target: string): boolean {
  return target !== 'log' && !target.startsWith('file:') && !target.startsWith('webhook:');
}

/**
 * Why an untrusted job may not deliver to `target`: only one chat per target, and only the
 * tenant's own accounts, so nobody can make the bot message strangers or the operator's chats.
 */
function ownTargetProblem(target: string, own: Set<string>, origin: CronOrigin): string | null {
  const colon = target.indexOf(':');
  if (colon < 0 || target.includes(',')) {
    return `jobs created over ${origin} deliver to one of their own accounts per target (platform:id), not '${target}'`;
  }
  const platform = target.slice(0, colon);
  const id = target.slice(colon + 1);
  const address = `${platform}:${platform === 'email' ? id.toLowerCase() : id}`;
  return own.has(address)
    ? null
    : `'${target}' is not one of this tenant's accounts (jobs created over ${origin} deliver only to them: ${[...own].join(', ') || 'none linked yet'})`;
}

/** Built-in maintenance jobs belong to the operator: only local callers may change or run them. */
function guardBuiltin(job: CronJobRecord, caller: CronCaller): void {
  const origin = caller.origin ?? 'local';
  if (job.task.type === 'maintenance' && origin !== 'local') {
    throw new MnemosError(
      'forbidden',
      `cron job ${job.name} is a built-in maintenance job: only the operator changes it (config maintenance.*)`,
    );
  }
}
