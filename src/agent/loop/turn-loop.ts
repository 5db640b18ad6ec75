import type { ModelMessage } from 'ai';
import {
  type AgentEvent,
  addUsage,
  type ChainedModel,
  noUsage,
  type TokenUsage,
} from '../../core/agent-events.js';
import { MnemosError } from '../../core/errors.js';
import type { AnyTool, ToolContext } from '../tools/tool.js';
import type { ModelBreaker } from './model-breaker.js';
import { modelStep } from './model-step.js';
import type { QuotaGuard } from './quota-guard.js';
import { runToolCalls, type ToolCallOutcome } from './run-tools.js';

/** Inputs of one turn's tool loop. */
export interface TurnLoopInput {
  /** The primary model first, then fallbacks. */
  models: readonly ChainedModel[];
  system: string;
  /** The conversation so far, ending with the current user message. */
  messages: ModelMessage[];
  tools: readonly AnyTool[];
  maxIterations: number;
  /** Input plus output tokens the turn's model steps may use together; unset, no bound. */
  maxTokens?: number | undefined;
  signal: AbortSignal;
  toolContext: ToolContext;
  emit: (event: AgentEvent) => void;
  /** Called after every model step with its usage (budgets that span several turns). */
  onStep?: ((usage: TokenUsage) => void) | undefined;
  /** Circuit breakers of the models; without one every turn starts at the primary. */
  breaker?: ModelBreaker | undefined;
  /** Token quotas, checked before every model call (of `toolContext.sessionId`). */
  quota?: QuotaGuard | undefined;
}

/** What the loop produced: the answer, and the messages to keep in history. */
export interface TurnLoopResult {
  text: string;
  /** Assistant and tool messages of the turn, in order (the user message is not included). */
  added: ModelMessage[];
  usage: TokenUsage;
  steps: number;
  reason: 'answered' | 'max_iterations' | 'limit' | 'cancelled' | 'quota_exceeded';
  /** `quota_exceeded`: which quota, and when it resets. */
  error?: string;
}

/**
 * The tool loop of one turn: call the model, run the tools it asks for (in parallel), give it the
 * results, until it answers or `maxIterations` steps are used. A model that fails (after its own
 * retries) hands over to the next model of the chain for the rest of the turn; a model whose
 * circuit is open (see `ModelBreaker`) is skipped. Tool errors go back to the model; only a failure
 * of every model, a spent quota, or a cancel, ends the turn early.
 */
export async function runTurnLoop(input: TurnLoopInput): Promise<TurnLoopResult> {
  const messages = [...input.messages];
  const added: ModelMessage[] = [];
  const tools = new Map(input.tools.map((tool) => [tool.name, tool]));
  let usage = noUsage;
  let current = firstAvailable(input, 0);
  let text = '';
  const turn = { sessionId: input.toolContext.sessionId };
  for (let step = 1; step <= input.maxIterations; step++) {
    const model = input.models[current] as ChainedModel;
    try {
      await input.quota?.check(turn);
    } catch (error) {
      if (!MnemosError.isInstance(error) || error.code !== 'quota_exceeded') throw error;
      input.emit({ type: 'notice', level: 'warn', message: `stopped: ${error.message}` });
      return {
        text,
        added,
        usage,
        steps: step - 1,
        reason: 'quota_exceeded',
        error: error.message,
      };
    }
    let result: Awaited<ReturnType<typeof modelStep>>;
    try {
      result = await modelStep({
        model,
        system: input.system,
        messages,
        tools: input.tools,
        signal: input.signal,
        onToken: (token) => input.emit({ type: 'token', text: token }),
      });
    } catch (error) {
      if (input.signal.aborted) return { text, added, usage, steps: step, reason: 'cancelled' };
      input.breaker?.failure(model.name);
      if (current + 1 >= input.models.length) throw error;
      input.emit({
        type: 'model_fallback',
        from: model.name,
        to: (input.models[current + 1] as ChainedModel).name,
        reason: error instanceof Error ? error.message : String(error),
      });
      current = firstAvailable(input, current + 1);
      step--;
      continue;
    }
    if (!result.cancelled) input.breaker?.success(model.name);
    usage = addUsage(usage, result.usage);
    input.onStep?.(result.usage);
    await recordUsage(input, turn, result.usage);
    text = result.text;
    if (result.cancelled) return { text, added, usage, steps: step, reason: 'cancelled' };
    if (result.toolCalls.length === 0) {
      added.push({ role: 'assistant', content: result.raw });
      return { text, added, usage, steps: step, reason: 'answered' };
    }
    for (const call of result.toolCalls) {
      input.emit({ type: 'tool_call', id: call.id, name: call.name, args: call.args });
    }
    const outcomes = await runToolCalls(result.toolCalls, tools, input.toolContext);
    for (const outcome of outcomes) {
      input.emit({ type: 'tool_result', ...outcome });
    }
    const turnMessages =
      model.toolProtocol === 'react'
        ? reactMessages(result.raw, outcomes)
        : nativeMessages(result, outcomes);
    messages.push(...turnMessages);
    added.push(...turnMessages);
    if (input.signal.aborted) return { text, added, usage, steps: step, reason: 'cancelled' };
    const spent = usage.inputTokens + usage.outputTokens;
    if (input.maxTokens !== undefined && spent >= input.maxTokens) {
      input.emit({
        type: 'notice',
        level: 'warn',
        message: `stopped after ${spent} tokens (limits.max_tokens_per_turn ${input.maxTokens}); the task may be unfinished`,
      });
      return { text, added, usage, steps: step, reason: 'limit' };
    }
  }
  input.emit({
    type: 'notice',
    level: 'warn',
    message: `stopped after ${input.maxIterations} model steps (agent.max_iterations); the task may be unfinished`,
  });
  return { text, added, usage, steps: input.maxIterations, reason: 'max_iterations' };
}

/**
 * The first model from `from` on whose circuit lets it be called, announcing each one skipped;
 * `from` itself when every circuit is open (trying a failing model beats giving up).
 */
function firstAvailable(input: TurnLoopInput, from: number): number {
  const breaker = input.breaker;
  if (!breaker) return from;
  const skipped: ChainedModel[] = [];
  for (let index = from; index < input.models.length; index++) {
    const model = input.models[index] as ChainedModel;
    if (!breaker.tryAcquire(model.name)) {
      skipped.push(model);
      continue;
    }
    for (const [position, skip] of skipped.entries()) {
      input.emit({
        type: 'model_fallback',
        from: skip.name,
        to: (skipped[position + 1] ?? model).name,
        reason: breaker.describe(skip.name),
      });
    }
    return index;
  }
  return from;
}

/** Counts a call's tokens against the quotas; a failure to is reported and the turn goes on. */
async function recordUsage(
  input: TurnLoopInput,
  turn: { sessionId: string },
  usage: TokenUsage,
): Promise<void> {
  if (!input.quota) return;
  try {
    await input.quota.record(turn, usage);
  } catch (error) {
    input.emit({
      type: 'notice',
      level: 'warn',
      message: `the tokens of this model call could not be counted against the quotas: ${error instanceof Error ? error.message : String(error)}`,
    });
  }
}

function nativeMessages(
  result: { raw: string; toolCalls: Array<{ id: string; name: string; args: unknown }> },
  outcomes: ToolCallOutcome[],
): ModelMessage[] {
  return [
    {
      role: 'assistant',
      content: [
        ...(result.raw ? [{ type: 'text' as const, text: result.raw }] : []),
        ...result.toolCalls.map((call) => ({
          type: 'tool-call' as const,
          toolCallId: call.id,
          toolName: call.name,
          input: call.args,
        })),
      ],
    },
    {
      role: 'tool',
      content: outcomes.map((outcome) => ({
        type: 'tool-result' as const,
        toolCallId: outcome.id,
        toolName: outcome.name,
        output: outcome.isError
          ? typeof outcome.result === 'string'
            ? { type: 'error-text' as const, value: outcome.result }
            : { type: 'error-json' as const, value: (outcome.result ?? null) as never }
          : typeof outcome.result === 'string'
            ? { type: 'text' as const, value: outcome.result }
            : { type: 'json' as const, value: (outcome.result ?? null) as never },
      })),
    },
  ];
}

function reactMessages(raw: string, outcomes: ToolCallOutcome[]): ModelMessage[] {
  const observation = outcomes
    .map((outcome) =>
      typeof outcome.result === 'string' ? outcome.result : JSON.stringify(outcome.result),
    )
    .join('\n');
  return [
    { role: 'assistant', content: raw },
    { role: 'user', content: `Observation: ${observation}` },
  ];
}
