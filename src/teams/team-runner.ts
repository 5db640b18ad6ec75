import { randomUUID } from 'node:crypto';
import { type AgentDefinition, agentDefinitionSchema } from '../core/agent-definition.js';
import { type AgentEvent, addUsage, noUsage, type TokenUsage } from '../core/agent-events.js';
import type { TeamDefinition, TeamMember } from '../core/team-definition.js';
import type { TeamRunRecord, TeamRunStatus, TeamRunStep } from '../core/team-run-record.js';
import type { TeamFlow } from './team-flow.js';

/** The final event of an agent turn, as far as a team reads it. */
export type TeamTurnDone = Extract<AgentEvent, { type: 'done' }>;

/** What a team needs of an agent: a fresh session and one turn (the runtime's `Agent`). */
export interface TeamAgent {
  newSession(title?: string): Promise<unknown>;
  turn(
    text: string,
    options: { signal?: AbortSignal; onEvent?: (event: AgentEvent) => void },
  ): Promise<TeamTurnDone>;
  /** Hands over queued work and closes connections once the step is done. */
  release(): Promise<void>;
}

/** Builds the agent of one step from the member's merged definition. */
export type TeamAgentFactory = (
  definition: AgentDefinition,
  signal: AbortSignal,
) => TeamAgent | Promise<TeamAgent>;

/** Finds a named agent definition (a member's `agent`). */
export type ResolveAgent = (name: string) => Promise<AgentDefinition>;

/** What a team run reports while it runs; `done` is always last. */
export type TeamEvent =
  | { type: 'run_start'; runId: string; team: string }
  | { type: 'step_start'; role: string; round: number }
  | { type: 'token'; role: string; text: string }
  | { type: 'tool_call'; role: string; name: string; args: unknown }
  | {
      type: 'step_done';
      role: string;
      round: number;
      output: string;
      usage: TokenUsage;
      steps: number;
    }
  | { type: 'step_failed'; role: string; round: number; error: string }
  | {
      type: 'done';
      status: Exclude<TeamRunStatus, 'running'>;
      output: string;
      usage: TokenUsage;
      reason?: string;
    };

/** A team event with its id, `<runId>.<n>`, so a stream can be resumed after the last one seen. */
export interface NumberedTeamEvent {
  id: string;
  event: TeamEvent;
}

/** One run of a team. */
export interface TeamRunOptions {
  team: TeamDefinition;
  flow: TeamFlow;
  input: string;
  agents: TeamAgentFactory;
  resolveAgent: ResolveAgent;
  /** Model steps of a member that names no `max_iter` (config `agent.max_iterations`). */
  defaultMaxIter: number;
  /** Awaited in order, one event at a time. */
  onEvent?: (event: NumberedTeamEvent) => void | Promise<void>;
  /**
   * The record after each change (start, each step, the end), awaited in order: for storage. The
   * run does not start when the first call fails.
   */
  onRecord?: (record: TeamRunRecord) => void | Promise<void>;
  /** Stops the run (status `stopped`, reason `cancelled`). */
  signal?: AbortSignal;
  runId?: string;
}

/** How a member's step ended, as the scheduler sees it. */
type StepEnd =
  | { kind: 'ok'; output: string }
  | { kind: 'approved'; output: string }
  | { kind: 'failed'; error: string }
  | { kind: 'stopped'; reason: string };

/** The bounds of a run, read-only once started. */
interface Budget {
  turns: number;
  tokens: number;
}

/**
 * Runs a team on an input: each step starts once the steps it waits for are done, at most
 * `limits.max_parallel` at once, each a fresh agent in a new session taking one turn on the input
 * and its predecessors' outputs. Limits span every step: model steps, tokens, wall time of the run
 * and of each step; reaching one stops the run (running steps are aborted). A critic reviews one
 * step and either approves (the run ends with that output) or has it redone with the critique.
 */
export async function runTeam(options: TeamRunOptions): Promise<TeamRunRecord> {
  return new TeamRun(options).run();
}

class TeamRun {
  private readonly runId: string;
  private readonly record: TeamRunRecord;
  private readonly outputs = new Map<string, string>();
  private readonly aborts = new Set<AbortController>();
  private readonly budget: Budget;
  private used = { turns: 0, usage: noUsage };
  private counter = 0;
  private emitting: Promise<void> = Promise.resolve();
  private saving: Promise<void> = Promise.resolve();
  /** Set once the run must end: the first limit, failure, approval or cancel wins. */
  private ending: {
    status: Exclude<TeamRunStatus, 'running'>;
    reason?: string;
    output?: string;
  } | null = null;

  constructor(private readonly options: TeamRunOptions) {
    this.runId = options.runId ?? randomUUID();
    const limits = options.team.limits;
    this.budget = { turns: limits.max_turns, tokens: limits.max_tokens };
    this.record = {
      id: this.runId,
      team: options.team.name,
      input: options.input,
      status: 'running',
      output: '',
      steps: [],
      usage: noUsage,
      startedAt: new Date().toISOString(),
      finishedAt: null,
    };
  }

  async run(): Promise<TeamRunRecord> {
    const { team, signal } = this.options;
    // A run that cannot be stored does not start; later saves are best effort.
    await this.options.onRecord?.(structuredClone(this.record));
    this.emit({ type: 'run_start', runId: this.runId, team: team.name });
    const onCancel = (): void => this.end({ status: 'stopped', reason: 'cancelled' });
    signal?.addEventListener('abort', onCancel, { once: true });
    if (signal?.aborted) onCancel();
    const timer = setTimeout(
      () =>
        this.end({
          status: 'stopped',
          reason: `timeout_ms: the run took longer than ${team.limits.timeout_ms} ms`,
        }),
      team.limits.timeout_ms,
    );
    try {
      await this.schedule();
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onCancel);
    }
    const ending = this.ending ?? { status: 'succeeded' as const };
    const last = this.options.flow.order.at(-1) as string;
    const output =
      ending.output ?? (ending.status === 'succeeded' ? (this.outputs.get(last) ?? '') : '');
    Object.assign(this.record, {
      status: ending.status,
      output,
      usage: this.used.usage,
      finishedAt: new Date().toISOString(),
    });
    if (ending.reason !== undefined) {
      if (ending.status === 'succeeded') this.record.note = ending.reason;
      else this.record.error = ending.reason;
    }
    this.save();
    this.emit({
      type: 'done',
      status: ending.status,
      output,
      usage: this.used.usage,
      ...(ending.reason !== undefined ? { reason: ending.reason } : {}),
    });
    await this.emitting;
    await this.saving;
    return structuredClone(this.record);
  }

  /** Starts ready steps while slots are free, until every step is done or the run ends. */
  private async schedule(): Promise<void> {
    const { flow, team } = this.options;
    const started = new Set<string>();
    const done = new Set<string>();
    const running = new Map<string, Promise<void>>();
    for (;;) {
      if (!this.ending) {
        for (const role of flow.order) {
          if (running.size >= team.limits.max_parallel) break;
          if (started.has(role)) continue;
          const waits = flow.predecessors.get(role) ?? [];
          if (!waits.every((before) => done.has(before))) continue;
          const exhausted = this.exhausted();
          if (exhausted) {
            this.end({ status: 'stopped', reason: exhausted });
            break;
          }
          started.add(role);
          const task = this.member(role).then((end) => {
            running.delete(role);
            done.add(role);
            if (end.kind === 'ok') return;
            if (end.kind === 'approved')
              this.end({ status: 'succeeded', reason: 'approved by critic', output: end.output });
            else if (end.kind === 'failed') this.end({ status: 'failed', reason: end.error });
            else this.end({ status: 'stopped', reason: end.reason });
          });
          running.set(role, task);
        }
      }
      if (running.size === 0) break;
      await Promise.race(running.values());
    }
    if (this.ending) {
      for (const role of flow.order) {
        if (started.has(role)) continue;
        this.addStep({ role, round: 1, status: 'skipped', output: '', usage: noUsage, steps: 0 });
      }
    }
  }

  /** Why no new step may start (a spent limit), or null. */
  private exhausted(): string | null {
    const { turns, tokens } = this.budget;
    if (this.used.turns >= turns)
      return `max_turns: the members took ${this.used.turns} model steps (limit ${turns})`;
    const spent = spentTokens(this.used.usage);
    if (spent >= tokens) return `max_tokens: the members used ${spent} tokens (limit ${tokens})`;
    return null;
  }

  /** Ends the run with the first reason given and aborts every running step. */
  private end(ending: NonNullable<TeamRun['ending']>): void {
    if (this.ending) return;
    this.ending = ending;
    for (const controller of this.aborts)
      controller.abort(new Error(ending.reason ?? ending.status));
  }

  /** One role of the flow: its step, and when the critic reviews it, the review rounds. */
  private async member(role: string): Promise<StepEnd> {
    const { team, input } = this.options;
    const critic = team.critic;
    const base = this.turnText(role);
    let end = await this.step(role, 1, base);
    if (!critic || critic.reviews !== role || end.kind !== 'ok') return end;
    for (let round = 1; ; round++) {
      const reviewed = end.output;
      if (this.ending) return { kind: 'ok', output: reviewed };
      const spent = this.exhausted();
      if (spent) return { kind: 'stopped', reason: spent };
      const verdict = await this.step(
        critic.role,
        round,
        [
          input,
          delimited(`${role} (output to review)`, reviewed),
          `Review the output of ${role} for the task above. If it is good enough, answer with ${critic.approve_marker}; otherwise say precisely what to change.`,
        ].join('\n\n'),
      );
      if (verdict.kind !== 'ok') return verdict;
      if (verdict.output.includes(critic.approve_marker))
        return { kind: 'approved', output: reviewed };
      if (round >= critic.max_rounds) return end;
      if (this.ending) return { kind: 'ok', output: reviewed };
      const exhausted = this.exhausted();
      if (exhausted) return { kind: 'stopped', reason: exhausted };
      end = await this.step(
        role,
        round + 1,
        [
          base,
          delimited('your previous output', reviewed),
          delimited(`critique by ${critic.role}`, verdict.output),
          'Redo your part, addressing the critique.',
        ].join('\n\n'),
      );
      if (end.kind !== 'ok') return end;
    }
  }

  /** The turn of a role: the team input, then each predecessor's output under its role. */
  private turnText(role: string): string {
    const parts = [this.options.input];
    for (const before of this.options.flow.predecessors.get(role) ?? []) {
      parts.push(delimited(`output of ${before}`, this.outputs.get(before) ?? ''));
    }
    return parts.join('\n\n');
  }

  /** One step: a fresh agent, one turn, bounded by the step timeout and the remaining budget. */
  private async step(role: string, round: number, text: string): Promise<StepEnd> {
    const { team } = this.options;
    const member = team.agents.find((candidate) => candidate.role === role) as TeamMember;
    const controller = new AbortController();
    this.aborts.add(controller);
    const stepTimeout = team.limits.step_timeout_ms;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error('step_timeout_ms'));
    }, stepTimeout);
    const step = this.addStep({
      role,
      round,
      status: 'running',
      output: '',
      usage: noUsage,
      steps: 0,
    });
    this.emit({ type: 'step_start', role, round });
    let done: TeamTurnDone | null = null;
    let failure: string | null = null;
    let capped = false;
    let tokensCapped = false;
    try {
      const definition = await this.definitionOf(member);
      // A step may spend what is left of the run's budget and no more.
      const remaining = Math.max(1, this.budget.turns - this.used.turns);
      const own = definition.max_iter ?? this.options.defaultMaxIter;
      capped = remaining < own;
      const tokensLeft = Math.max(100, this.budget.tokens - spentTokens(this.used.usage));
      const ownTokens = definition.limits.max_tokens_per_turn;
      tokensCapped = ownTokens === undefined || tokensLeft < ownTokens;
      const agent = await this.options.agents(
        {
          ...definition,
          max_iter: Math.min(own, remaining, 100),
          limits: {
            ...definition.limits,
            max_tokens_per_turn: Math.min(ownTokens ?? tokensLeft, tokensLeft),
          },
        },
        controller.signal,
      );
      try {
        await agent.newSession(`team ${team.name}: ${role}`);
        if (!controller.signal.aborted) {
          done = await agent.turn(text, {
            signal: controller.signal,
            onEvent: (event) => this.forward(role, event),
          });
        }
      } finally {
        await agent.release().catch(() => {});
      }
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error);
    } finally {
      clearTimeout(timer);
      this.aborts.delete(controller);
    }
    const usage = done?.usage ?? noUsage;
    const steps = done?.steps ?? 0;
    this.used = { turns: this.used.turns + steps, usage: addUsage(this.used.usage, usage) };
    Object.assign(step, { usage, steps, finishedAt: new Date().toISOString() });
    const exhausted = this.exhausted();
    let end: StepEnd;
    if (timedOut) {
      end = {
        kind: 'stopped',
        reason: `step_timeout_ms: step ${role} took longer than ${stepTimeout} ms`,
      };
    } else if (this.ending && (controller.signal.aborted || done?.reason === 'cancelled')) {
      end = { kind: 'stopped', reason: this.ending.reason ?? 'stopped' };
    } else if (failure !== null || done?.reason === 'failed' || done?.reason === 'quota_exceeded') {
      end = {
        kind: 'failed',
        error: `step ${role}: ${failure ?? done?.error ?? 'the turn failed'}`,
      };
    } else if (done?.reason === 'max_iterations') {
      end = capped
        ? {
            kind: 'stopped',
            reason: exhausted ?? `max_turns: step ${role} used the last model steps`,
          }
        : {
            kind: 'failed',
            error: `step ${role}: stopped at its max_iter (${steps} model steps) without an answer`,
          };
    } else if (done?.reason === 'limit') {
      end =
        tokensCapped && exhausted
          ? { kind: 'stopped', reason: exhausted }
          : {
              kind: 'failed',
              error: `step ${role}: stopped by its own limits (limits.max_tokens_per_turn or limits.timeout_ms)`,
            };
    } else if (done?.reason === 'cancelled' || done === null) {
      end = { kind: 'stopped', reason: 'cancelled' };
    } else {
      end = { kind: 'ok', output: done.text };
    }
    if (end.kind === 'ok') {
      step.status = 'succeeded';
      step.output = end.output;
      this.outputs.set(role, end.output);
      this.emit({ type: 'step_done', role, round, output: end.output, usage, steps });
      // Over a limit after this step: stop now rather than let parallel steps run on.
      if (exhausted && this.aborts.size > 0) return { kind: 'stopped', reason: exhausted };
    } else {
      const error = end.kind === 'failed' ? end.error : end.reason;
      // A step cut short because the critic approved another is not a failure.
      step.status = this.ending?.status === 'succeeded' ? 'skipped' : 'failed';
      step.error = error;
      this.emit({ type: 'step_failed', role, round, error });
    }
    this.save();
    return end;
  }

  /** The member over its named agent definition; a team member writes no long-term memory. */
  private async definitionOf(member: TeamMember): Promise<AgentDefinition> {
    const base = member.agent
      ? await this.options.resolveAgent(member.agent)
      : agentDefinitionSchema.parse({ name: member.role });
    const merged: AgentDefinition = {
      ...base,
      memory: { ...base.memory, enabled: false, notes: false },
      limits: { ...base.limits, ...(member.limits ?? {}) },
    };
    if (member.description !== undefined) merged.description = member.description;
    if (member.llm !== undefined) merged.llm = member.llm;
    if (member.system_prompt !== undefined) merged.system_prompt = member.system_prompt;
    if (member.tools !== undefined) merged.tools = member.tools;
    if (member.max_iter !== undefined) merged.max_iter = member.max_iter;
    return merged;
  }

  /** Agent events a team passes on, tagged with the role. */
  private forward(role: string, event: AgentEvent): void {
    if (event.type === 'token') this.emit({ type: 'token', role, text: event.text });
    else if (event.type === 'tool_call')
      this.emit({ type: 'tool_call', role, name: event.name, args: event.args });
  }

  private addStep(fields: Omit<TeamRunStep, 'startedAt' | 'finishedAt'>): TeamRunStep {
    const now = new Date().toISOString();
    const step: TeamRunStep = {
      ...fields,
      startedAt: now,
      finishedAt: fields.status === 'running' ? null : now,
    };
    this.record.steps.push(step);
    return step;
  }

  private emit(event: TeamEvent): void {
    const numbered = { id: `${this.runId}.${++this.counter}`, event };
    const listener = this.options.onEvent;
    if (!listener) return;
    this.emitting = this.emitting.then(() => listener(numbered)).catch(() => {});
  }

  private save(): void {
    const listener = this.options.onRecord;
    if (!listener) return;
    const snapshot = structuredClone({ ...this.record, usage: this.used.usage });
    this.saving = this.saving.then(() => listener(snapshot)).catch(() => {});
  }
}

function spentTokens(usage: TokenUsage): number {
  return usage.inputTokens + usage.outputTokens;
}

/** A block of text under a heading, so one step's output cannot pass for another's. */
function delimited(title: string, text: string): string {
  return `=== ${title} ===\n${text}\n=== end of ${title} ===`;
}
