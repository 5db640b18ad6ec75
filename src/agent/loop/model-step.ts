import { type ModelMessage, streamText, type ToolSet, tool } from 'ai';
import type { ChainedModel, TokenUsage } from '../../core/agent-events.js';
import { RecallScrubber, stripRecall } from '../providers/memory-context.js';
import type { AnyTool } from '../tools/tool.js';
import { parseReact, reactInstructions } from './react-protocol.js';
import type { ToolCallRequest } from './run-tools.js';

/** What one model call produced. */
export interface StepResult {
  /** Text shown to the user (the final answer part under ReAct). */
  text: string;
  /** The raw assistant text, as it goes back into the conversation. */
  raw: string;
  toolCalls: ToolCallRequest[];
  usage: TokenUsage;
  cancelled: boolean;
}

/** Inputs of one model call. */
export interface StepInput {
  model: ChainedModel;
  system: string;
  messages: ModelMessage[];
  tools: readonly AnyTool[];
  signal: AbortSignal;
  maxOutputTokens?: number | undefined;
  /** Receives visible text as it streams, recall blocks scrubbed. */
  onToken: (text: string) => void;
}

/**
 * One streamed model call. Native protocol: tools are offered as function schemas without
 * `execute`, so the calls come back to the loop. ReAct: tools are described in the system prompt
 * and the text is parsed; only a final answer is shown. A failure of the model throws.
 */
export async function modelStep(input: StepInput): Promise<StepResult> {
  const react = input.model.toolProtocol === 'react' && input.tools.length > 0;
  const scrubber = new RecallScrubber();
  const result = streamText({
    model: input.model.model,
    system: react ? `${input.system}\n\n${reactInstructions(input.tools)}` : input.system,
    messages: input.messages,
    ...(react || input.tools.length === 0 ? {} : { tools: toolSet(input.tools) }),
    abortSignal: input.signal,
    maxRetries: 0,
    // Errors arrive as stream parts and are thrown below; the SDK's default logs them to the console.
    onError: () => {},
    ...(input.model.temperature !== undefined ? { temperature: input.model.temperature } : {}),
    ...((input.maxOutputTokens ?? input.model.maxOutputTokens)
      ? { maxOutputTokens: input.maxOutputTokens ?? input.model.maxOutputTokens }
      : {}),
  });
  let raw = '';
  const toolCalls: ToolCallRequest[] = [];
  let usage: TokenUsage = { inputTokens: 0, outputTokens: 0 };
  let failure: unknown;
  let cancelled = false;
  for await (const part of result.fullStream) {
    switch (part.type) {
      case 'text-delta': {
        raw += part.text;
        if (!react) {
          const visible = scrubber.push(part.text);
          if (visible) input.onToken(visible);
        }
        break;
      }
      case 'tool-call':
        toolCalls.push({
          id: part.toolCallId,
          name: part.toolName,
          args: part.input,
          ...('invalid' in part && part.invalid ? { invalid: describe(part.error) } : {}),
        });
        break;
      case 'finish':
        usage = {
          inputTokens: part.totalUsage.inputTokens ?? 0,
          outputTokens: part.totalUsage.outputTokens ?? 0,
        };
        break;
      case 'abort':
        cancelled = true;
        break;
      case 'error':
        failure = part.error;
        break;
    }
  }
  if (input.signal.aborted) cancelled = true;
  if (failure !== undefined && !cancelled) throw failure;
  // Every assistant text of the agent comes from here: the turn's history, the stored transcript,
  // the answer and the memory sync all get it without a recall block the model echoed.
  if (raw.includes('<memory-context>')) raw = stripRecall(raw);
  if (!react) {
    const rest = scrubber.end();
    if (rest) input.onToken(rest);
    return { text: raw, raw, toolCalls, usage, cancelled };
  }
  const step = parseReact(raw);
  if (step.kind === 'action') {
    return {
      text: '',
      raw,
      toolCalls: [{ id: `react_${Date.now().toString(36)}`, name: step.tool, args: step.input }],
      usage,
      cancelled,
    };
  }
  const visible = scrubber.push(step.text) + scrubber.end();
  if (visible) input.onToken(visible);
  return { text: step.text, raw, toolCalls: [], usage, cancelled };
}

/** The AI SDK tool set of Mnemos tools: schemas only, executed by the loop. */
function toolSet(tools: readonly AnyTool[]): ToolSet {
  const set: ToolSet = {};
  for (const agentTool of tools) {
    set[agentTool.name] = tool({
      description: agentTool.description,
      inputSchema: agentTool.schema,
    });
  }
  return set;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
