import type { ModelMessage } from 'ai';
import {
  type AgentEvent,
  addUsage,
  type ChainedModel,
  noUsage,
  type TokenUsage,
} from '../../core/agent-events.js';
import type { AnyTool, ToolContext } from '../tools/tool.js';
import { modelStep } from './model-step.js';
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
}

/** What the loop produced: the answer, and the messages to keep in history. */
export interface TurnLoopResult {
  text: string;
  /** Assistant and tool messages of the turn, in order (the user message is not included). */
  added: ModelMessage[];
  usage: TokenUsage;
  steps: number;
  reason: 'answered' | 'max_iterations' | 'limit' | 'cancelled';
}

/**
 * The tool loop of one turn: call the model, run the tools it asks for (in parallel), give it the
 * results, until it answers or `maxIterations` steps are used. A model that fails (after its own
 * retries) hands over to the next model of the chain for the rest of the turn. Tool errors go back
 * to the model; only a failure of every model, or a cancel, ends the turn early.
 */
export async function runTurnLoop(input: TurnLoopInput): Promise<TurnLoopResult> {
  const messages = [...input.messages];
  const added: ModelMessage[] = [];
  const tools = new Map(input.tools.map((tool) => [tool.name, tool]));
  let usage = noUsage;
  let current = 0;
  let text = '';
  for (let step = 1; step <= input.maxIterations; step++) {
    const model = input.models[current] as ChainedModel;
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
      const next = input.models[current + 1];
      if (!next) throw error;
      input.emit({
        type: 'model_fallback',
        from: model.name,
        to: next.name,
        reason: error instanceof Error ? error.message : String(error),
      });
      current++;
      step--;
      continue;
    }
    usage = addUsage(usage, result.usage);
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
