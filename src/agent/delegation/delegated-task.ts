import type { AgentEvent, DelegationStatus, TokenUsage } from '../../core/agent-events.js';
import { capToolValue } from '../../core/message-parts.js';
import type { DelegationBudget } from './delegation-budget.js';

/** One task for a child agent, its toolsets already checked against the parent's. */
export interface ChildTask {
  goal: string;
  context?: string | undefined;
  toolsets: string[];
}

/** What one delegated task gives back to the parent's model. */
export interface DelegationResult {
  goal: string;
  status: DelegationStatus;
  /** The child's answer (or what it had when stopped), at most {@link maxResultCharacters}. */
  text: string;
  steps: number;
  tokens: number;
  /** Why the task did not end with an answer. */
  error?: string;
}

/** The end of a child's turn. */
type TurnDone = Extract<AgentEvent, { type: 'done' }>;

/** What delegation uses of a child agent (an `Agent`). */
export interface ChildAgent {
  newSession(
    title: string,
    link: { parentId?: string; metadata?: Record<string, string> },
  ): Promise<{ id: string }>;
  turn(
    text: string,
    options: {
      signal: AbortSignal;
      maxIterations: number;
      onStep: (usage: TokenUsage) => void;
    },
  ): Promise<TurnDone>;
  close(): Promise<void>;
}

/** Builds a child agent with these toolsets: no delegation, no memory; `signal` stops it. */
export type SpawnChild = (toolsets: string[], signal: AbortSignal) => ChildAgent;

/** Longest answer of one child handed to the parent, characters. */
export const maxResultCharacters = 8_000;

/** How long a stopped child may take to wind down (save its turn) before it is left behind, ms. */
const windDownMs = 2_000;

/** What a task runs with besides itself. */
export interface DelegatedTaskRun {
  taskId: string;
  spawnChild: SpawnChild;
  budget: DelegationBudget;
  /** The parent's session: the child's session is linked to it. */
  parentSessionId: string;
  /** The parent's turn signal: cancelling the parent cancels the child. */
  signal: AbortSignal;
  emit: (event: AgentEvent) => void;
}

/**
 * Runs one task in a child agent: waits for a slot, reserves steps, opens a session `delegate:
 * <goal>` under the parent's and runs one turn, stopped by the parent's cancel, its timeout or the
 * shared token budget. Never throws: every ending is a result with a status.
 */
export async function runDelegatedTask(
  task: ChildTask,
  run: DelegatedTaskRun,
): Promise<DelegationResult> {
  const { budget, taskId } = run;
  const result = (
    status: DelegationStatus,
    text: string,
    used: { steps: number; tokens: number },
    error?: string,
  ): DelegationResult => ({
    goal: task.goal,
    status,
    text: capToolValue(text, maxResultCharacters).value as string,
    steps: used.steps,
    tokens: used.tokens,
    ...(error ? { error } : {}),
  });
  if (!(await budget.acquire(run.signal))) {
    return result('failed', '', { steps: 0, tokens: 0 }, 'cancelled before it started');
  }
  run.emit({ type: 'delegation_start', taskId, goal: task.goal });
  const used = { steps: 0, tokens: 0 };
  let sessionId: string | undefined;
  let outcome: DelegationResult;
  const reserved = budget.reserve();
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), budget.limits.timeoutMs);
  try {
    if (reserved === 0) {
      outcome = result(
        'budget',
        '',
        used,
        `not started: the children of this turn used their budget (agent.delegation.max_iterations_total ${budget.limits.maxIterationsTotal} steps, max_tokens_total ${budget.limits.maxTokensTotal} tokens)`,
      );
    } else {
      const signal = AbortSignal.any([run.signal, timeout.signal, budget.signal]);
      const stopReason = (): { status: DelegationStatus; error: string } =>
        timeout.signal.aborted
          ? {
              status: 'timeout',
              error: `stopped after ${budget.limits.timeoutMs} ms (agent.delegation.timeout_ms)`,
            }
          : budget.signal.aborted
            ? {
                status: 'budget',
                error: `stopped: the children of this turn used ${budget.tokens} tokens (agent.delegation.max_tokens_total ${budget.limits.maxTokensTotal})`,
              }
            : { status: 'failed', error: 'cancelled' };
      const work = (async (): Promise<TurnDone> => {
        const child = run.spawnChild(task.toolsets, signal);
        try {
          const session = await child.newSession(`delegate: ${task.goal}`.slice(0, 256), {
            parentId: run.parentSessionId,
            metadata: { delegated_from: run.parentSessionId },
          });
          sessionId = session.id;
          return await child.turn(childPrompt(task), {
            signal,
            maxIterations: reserved,
            onStep: (usage: TokenUsage) => {
              used.steps++;
              const tokens = usage.inputTokens + usage.outputTokens;
              used.tokens += tokens;
              budget.addTokens(tokens);
            },
          });
        } finally {
          await child.close().catch(() => undefined);
        }
      })();
      // A child that ignores its stop (a tool that never returns) is left behind, not waited for.
      work.catch(() => undefined);
      const done = await untilStopped(work, signal);
      if (done === 'left') {
        outcome = result(stopReason().status, '', used, stopReason().error);
      } else if (done.reason === 'answered') {
        outcome = result('ok', done.text, used);
      } else if (done.reason === 'cancelled') {
        outcome = result(stopReason().status, done.text, used, stopReason().error);
      } else if (done.reason === 'max_iterations') {
        outcome =
          reserved < budget.limits.maxIterations
            ? result(
                'budget',
                done.text,
                used,
                `stopped after ${reserved} model steps, what was left of agent.delegation.max_iterations_total`,
              )
            : result(
                'failed',
                done.text,
                used,
                `stopped after ${reserved} model steps (agent.delegation.max_iterations) without an answer`,
              );
      } else if (done.reason === 'limit') {
        outcome = result(
          'failed',
          done.text,
          used,
          "stopped at the agent's own limits (limits.max_tokens_per_turn or limits.timeout_ms)",
        );
      } else {
        outcome = result('failed', done.text, used, done.error ?? 'the child turn failed');
      }
    }
  } catch (error) {
    outcome = result('failed', '', used, error instanceof Error ? error.message : String(error));
  } finally {
    clearTimeout(timer);
    budget.settle(reserved, used.steps);
    budget.release();
  }
  run.emit({
    type: 'delegation_done',
    taskId,
    status: outcome.status,
    steps: outcome.steps,
    tokens: outcome.tokens,
    ...(sessionId ? { sessionId } : {}),
  });
  return outcome;
}

/** What the child is asked: the goal, the parent's context, and that only its answer goes back. */
function childPrompt(task: ChildTask): string {
  return [
    task.goal,
    ...(task.context?.trim()
      ? [`Context from the agent that delegated this task:\n${task.context}`]
      : []),
    'This task was delegated to you by another agent, which sees only your final answer: do the task with your tools, then answer with what you did and found, briefly and completely.',
  ].join('\n\n');
}

/** The work's result, or `left` when `signal` aborted and the work did not end within the wind-down. */
async function untilStopped<T>(work: Promise<T>, signal: AbortSignal): Promise<T | 'left'> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stopped = new Promise<'left'>((resolve) => {
    onAbort = () => {
      timer = setTimeout(() => resolve('left'), windDownMs);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work, stopped]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}
