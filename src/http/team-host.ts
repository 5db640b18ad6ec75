import { randomUUID } from 'node:crypto';
import { teamAgentFactory } from '../agent/team-agents.js';
import type { TeamRunRecord } from '../core/team-run-record.js';
import type { Mnemos } from '../mnemos.js';
import type { NumberedTeamEvent } from '../teams/team-runner.js';
import type { ServerMetrics } from './metrics.js';
import type { TenantContext } from './tenant-context.js';

interface RunLog {
  events: NumberedTeamEvent[];
  done: boolean;
  listeners: Set<(event: NumberedTeamEvent | null) => void>;
  owner: string;
  controller: AbortController;
  finished: Promise<unknown>;
}

/** How long a finished run's events stay available for resuming, ms. */
const keepMs = 10 * 60_000;

/**
 * Runs teams for HTTP requests, an untrusted surface: every member gets only the toolsets of
 * `agent.surfaces.http` and works for the key's tenant. A run goes on when its stream drops; its
 * events stay ten minutes so a client can resume from its `Last-Event-ID`.
 */
export class TeamHost {
  private readonly runs = new Map<string, RunLog>();

  constructor(
    private readonly mnemos: Mnemos,
    private readonly metrics: ServerMetrics,
  ) {}

  /**
   * Checks the team and input (throwing before anything starts), then starts the run; returns its
   * id at once and the promise of the finished run.
   */
  start(
    tenant: TenantContext,
    name: string,
    input: string,
  ): { runId: string; done: Promise<TeamRunRecord> } {
    this.mnemos.teams.check(name, input);
    const runId = randomUUID();
    const controller = new AbortController();
    const log: RunLog = {
      events: [],
      done: false,
      listeners: new Set(),
      owner: ownerKey(tenant),
      controller,
      finished: Promise.resolve(),
    };
    this.runs.set(runId, log);
    const done = this.mnemos.teams
      .run({ appId: tenant.appId, tenantId: tenant.tenantId }, name, input, {
        runId,
        signal: controller.signal,
        agents: teamAgentFactory(this.mnemos, {
          appId: tenant.appId,
          userId: tenant.tenantId,
          surface: 'http',
        }),
        onEvent: (event) => {
          log.events.push(event);
          for (const listener of log.listeners) listener(event);
        },
      })
      .then((run) => {
        this.metrics.tokens.inc({ kind: 'input' }, run.usage.inputTokens);
        this.metrics.tokens.inc({ kind: 'output' }, run.usage.outputTokens);
        return run;
      })
      .finally(() => {
        log.done = true;
        for (const listener of log.listeners) listener(null);
        setTimeout(() => this.runs.delete(runId), keepMs).unref();
      });
    log.finished = done.catch(() => undefined);
    return { runId, done };
  }

  /** Events of a run after `lastId`, then live ones until it ends; null when unknown to this tenant. */
  follow(
    tenant: TenantContext,
    runId: string,
    lastId: string | undefined,
    onEvent: (event: NumberedTeamEvent) => void,
  ): Promise<void> | null {
    const log = this.runs.get(runId);
    if (!log || log.owner !== ownerKey(tenant)) return null;
    const after = lastId ? log.events.findIndex((event) => event.id === lastId) + 1 : 0;
    for (const event of log.events.slice(after)) onEvent(event);
    if (log.done) return Promise.resolve();
    return new Promise((resolve) => {
      const listener = (event: NumberedTeamEvent | null): void => {
        if (event) onEvent(event);
        else {
          log.listeners.delete(listener);
          resolve();
        }
      };
      log.listeners.add(listener);
    });
  }

  /** True when the run's events are kept and it belongs to this tenant. */
  has(tenant: TenantContext, runId: string): boolean {
    return this.runs.get(runId)?.owner === ownerKey(tenant);
  }

  /** Runs still going (for graceful shutdown). */
  get running(): number {
    return [...this.runs.values()].filter((log) => !log.done).length;
  }

  /** Stops every run still going and waits until each has stored its end. */
  async stopAll(): Promise<void> {
    const open = [...this.runs.values()].filter((log) => !log.done);
    for (const log of open) log.controller.abort();
    await Promise.all(open.map((log) => log.finished));
  }
}

function ownerKey(tenant: TenantContext): string {
  return `${tenant.appId}\u0000${tenant.tenantId}`;
}
