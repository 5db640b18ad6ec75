import { randomUUID } from 'node:crypto';
import type { TurnDone } from '../agent/agent.js';
import { createAgent, definitionOptions } from '../agent/create-agent.js';
import { tenantNotesDir } from '../agent/tools/tenant-workspace.js';
import type { AgentDefinitionRecord } from '../core/agent-definition.js';
import type { AgentEvent } from '../core/agent-events.js';
import type { Mnemos } from '../mnemos.js';
import type { ServerMetrics } from './metrics.js';
import type { TenantContext } from './tenant-context.js';

/** An agent event with its id (`<turn>.<n>`), so SSE clients can order and resume. */
export interface NumberedEvent {
  id: string;
  event: AgentEvent;
}

interface TurnLog {
  id: string;
  events: NumberedEvent[];
  done: boolean;
  listeners: Set<(event: NumberedEvent | null) => void>;
  owner: string;
}

/** The kept turns of one session, and who watches all of its events. */
interface SessionLog {
  /** In the order they started; turns of a session run one at a time, in this order. */
  turns: TurnLog[];
  watchers: Set<(event: NumberedEvent) => void>;
}

/** A client following every turn of a session (`watch`). */
export interface SessionWatch {
  /** Stops delivering events (the client went away). */
  stop(): void;
  /** Resolves once the watch is stopped, by `stop` or by the host ending every stream. */
  ended: Promise<void>;
}

/** How long a finished turn's events stay available for resuming, ms. */
const keepMs = 10 * 60_000;

/**
 * Runs agent turns for HTTP requests, an untrusted surface (toolsets of `agent.surfaces.http`, no
 * file or terminal tools unless configured, then sandboxed in the tenant's own workspace): one turn
 * at a time per session (later requests wait), each tenant with its own curated notes, and every
 * event kept for ten minutes so a client that lost the stream can resume from its `Last-Event-ID`,
 * per turn (`follow`) or across every turn of a session (`watch`).
 */
export class AgentHost {
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly turns = new Map<string, TurnLog>();
  private readonly sessions = new Map<string, SessionLog>();
  private readonly watches = new Set<() => void>();

  constructor(
    private readonly mnemos: Mnemos,
    private readonly metrics: ServerMetrics,
  ) {
    metrics.watching = () => this.watches.size;
  }

  /** Starts a turn; returns its id at once and the promise of its `done` event. */
  start(
    tenant: TenantContext,
    sessionId: string,
    content: string,
    options: { agentName?: string | undefined; signal?: AbortSignal } = {},
  ): { turnId: string; done: Promise<TurnDone> } {
    const turnId = randomUUID();
    const log: TurnLog = {
      id: turnId,
      events: [],
      done: false,
      listeners: new Set(),
      owner: ownerKey(tenant),
    };
    this.turns.set(turnId, log);
    const queueKey = sessionKey(tenant, sessionId);
    const session = this.session(queueKey);
    session.turns.push(log);
    const previous = this.queues.get(queueKey) ?? Promise.resolve();
    const done = previous
      .catch(() => undefined)
      .then(() => this.run(tenant, sessionId, content, log, session, options));
    this.queues.set(queueKey, done);
    // The caller owns `done` and its failure; this bookkeeping branch must not reject on its own.
    const forget = (): void => {
      if (this.queues.get(queueKey) === done) this.queues.delete(queueKey);
    };
    done.then(forget, forget);
    return { turnId, done };
  }

  /** Events of a turn after `lastId`, then live ones until it ends; null when unknown to this tenant. */
  follow(
    tenant: TenantContext,
    turnId: string,
    lastId: string | undefined,
    onEvent: (event: NumberedEvent) => void,
  ): Promise<void> | null {
    const log = this.turns.get(turnId);
    if (!log || log.owner !== ownerKey(tenant)) return null;
    const after = lastId ? log.events.findIndex((event) => event.id === lastId) + 1 : 0;
    for (const event of log.events.slice(after)) onEvent(event);
    if (log.done) return Promise.resolve();
    return new Promise((resolve) => {
      const listener = (event: NumberedEvent | null): void => {
        if (event) onEvent(event);
        else {
          log.listeners.delete(listener);
          resolve();
        }
      };
      log.listeners.add(listener);
    });
  }

  /**
   * Throws `quota_exceeded` when a token quota (`agent.quotas`) of the tenant or the session is
   * spent, so a turn is refused before it starts; the turn itself checks before every model call.
   */
  async admit(tenant: TenantContext, sessionId: string): Promise<void> {
    if (!this.mnemos.usage.limited) return;
    await this.mnemos.usage.check(tenantKey(tenant), sessionId);
  }

  /**
   * Every event of a session's turns: those kept after `lastId` (a `<turn>.<n>` id; all kept ones
   * when absent or of a turn no longer kept), then live ones of running and later turns until
   * stopped. The caller checks that the session is the tenant's.
   */
  watch(
    tenant: TenantContext,
    sessionId: string,
    lastId: string | undefined,
    onEvent: (event: NumberedEvent) => void,
  ): SessionWatch {
    const key = sessionKey(tenant, sessionId);
    const session = this.session(key);
    const dot = lastId ? lastId.lastIndexOf('.') : -1;
    const from = lastId ? session.turns.findIndex((turn) => turn.id === lastId.slice(0, dot)) : -1;
    for (const [index, turn] of session.turns.entries()) {
      if (index < from) continue;
      const after = index === from ? turn.events.findIndex((event) => event.id === lastId) + 1 : 0;
      for (const event of turn.events.slice(after)) onEvent(event);
    }
    session.watchers.add(onEvent);
    let stop = (): void => {};
    const ended = new Promise<void>((resolve) => {
      stop = () => {
        if (!session.watchers.delete(onEvent)) return;
        this.watches.delete(stop);
        this.forgetSession(key, session);
        resolve();
      };
    });
    this.watches.add(stop);
    return { stop, ended };
  }

  /** Clients watching sessions now. */
  get watching(): number {
    return this.watches.size;
  }

  /** Ends every session watch (shutdown, once running turns are done). */
  endWatches(): void {
    for (const stop of [...this.watches]) stop();
  }

  /** True when the turn exists and belongs to this tenant. */
  has(tenant: TenantContext, turnId: string): boolean {
    return this.turns.get(turnId)?.owner === ownerKey(tenant);
  }

  /** Turns still running (for graceful shutdown). */
  get running(): number {
    return [...this.turns.values()].filter((log) => !log.done).length;
  }

  private session(key: string): SessionLog {
    let session = this.sessions.get(key);
    if (!session) {
      session = { turns: [], watchers: new Set() };
      this.sessions.set(key, session);
    }
    return session;
  }

  private forgetSession(key: string, session: SessionLog): void {
    if (session.turns.length === 0 && session.watchers.size === 0) this.sessions.delete(key);
  }

  private async run(
    tenant: TenantContext,
    sessionId: string,
    content: string,
    log: TurnLog,
    session: SessionLog,
    options: { agentName?: string | undefined; signal?: AbortSignal },
  ): Promise<TurnDone> {
    const turnId = log.id;
    // Names the model made up are counted under one label, so they cannot grow the metric unbounded.
    let offered = new Set<string>();
    const emit = (event: AgentEvent): void => {
      if (event.type === 'tool_result') {
        this.metrics.toolCalls.inc({
          tool: offered.has(event.name) ? event.name : '(unknown)',
          outcome: event.isError ? 'error' : 'ok',
        });
      }
      const numbered = { id: `${turnId}.${log.events.length + 1}`, event };
      log.events.push(numbered);
      for (const listener of log.listeners) listener(numbered);
      for (const watcher of session.watchers) watcher(numbered);
    };
    try {
      const definition = await this.definitionOf(tenant, sessionId, options.agentName);
      const agent = createAgent({
        mnemos: this.mnemos,
        appId: tenant.appId,
        userId: tenant.tenantId,
        ...(definition
          ? definitionOptions(definition)
          : { agentName: options.agentName ?? this.mnemos.config.agent_id }),
        platform: 'http',
        surface: 'http',
        notesDir: tenantNotesDir(this.mnemos.home, tenant.appId, tenant.tenantId),
      });
      try {
        await agent.resume(sessionId);
        offered = new Set(agent.toolList.map((tool) => tool.name));
        const done = await agent.turn(content, {
          onEvent: emit,
          ...(options.signal ? { signal: options.signal } : {}),
        });
        this.metrics.tokens.inc({ kind: 'input' }, done.usage.inputTokens);
        this.metrics.tokens.inc({ kind: 'output' }, done.usage.outputTokens);
        return done;
      } finally {
        await agent.release();
      }
    } catch (error) {
      const done: TurnDone = {
        type: 'done',
        sessionId,
        text: '',
        usage: { inputTokens: 0, outputTokens: 0 },
        sessionUsage: { inputTokens: 0, outputTokens: 0 },
        steps: 0,
        reason: 'failed',
        error: error instanceof Error ? error.message : String(error),
      };
      emit(done);
      throw error;
    } finally {
      log.done = true;
      for (const listener of log.listeners) listener(null);
      setTimeout(() => {
        this.turns.delete(turnId);
        const at = session.turns.indexOf(log);
        if (at >= 0) session.turns.splice(at, 1);
        this.forgetSession(sessionKey(tenant, sessionId), session);
      }, keepMs).unref();
    }
  }

  /**
   * The definition the turn's agent is built from: the agent the message names, else the session's
   * agent, when the tenant's catalog (its own definitions, then the home's) has one of that name.
   */
  private async definitionOf(
    tenant: TenantContext,
    sessionId: string,
    agentName: string | undefined,
  ): Promise<AgentDefinitionRecord | null> {
    const scope = { appId: tenant.appId, tenantId: tenant.tenantId };
    const name = agentName ?? (await this.mnemos.sessions.get(scope, sessionId)).agentId;
    return this.mnemos.agents.forTenant(scope).get(name);
  }
}

function tenantKey(tenant: TenantContext): { appId: string; tenantId: string } {
  return { appId: tenant.appId, tenantId: tenant.tenantId };
}

function sessionKey(tenant: TenantContext, sessionId: string): string {
  return `${ownerKey(tenant)}\u0000${sessionId}`;
}

function ownerKey(tenant: TenantContext): string {
  return `${tenant.appId}\u0000${tenant.tenantId}`;
}
