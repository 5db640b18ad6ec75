import { capToolValue } from '../../core/message-parts.js';
import type { AnyTool, ToolContext } from '../tools/tool.js';

/** A tool call the model asked for. */
export interface ToolCallRequest {
  id: string;
  name: string;
  args: unknown;
  /** Set when the SDK already found the arguments malformed. */
  invalid?: string | undefined;
}

/** The outcome of one call, as it goes back to the model. */
export interface ToolCallOutcome {
  id: string;
  name: string;
  result: unknown;
  isError: boolean;
}

/**
 * Runs the calls of one model step in parallel (they were asked for together, so none waits for
 * another). Unknown tools, invalid arguments and thrown errors become error results for the model;
 * nothing here throws, so a bad call never ends the turn.
 */
export async function runToolCalls(
  calls: readonly ToolCallRequest[],
  tools: ReadonlyMap<string, AnyTool>,
  context: ToolContext,
): Promise<ToolCallOutcome[]> {
  return Promise.all(calls.map((call) => runOne(call, tools, context)));
}

async function runOne(
  call: ToolCallRequest,
  tools: ReadonlyMap<string, AnyTool>,
  context: ToolContext,
): Promise<ToolCallOutcome> {
  const fail = (message: string): ToolCallOutcome => ({
    id: call.id,
    name: call.name,
    result: { error: message },
    isError: true,
  });
  const tool = tools.get(call.name);
  if (!tool) {
    const available = [...tools.keys()].join(', ');
    const withheld = context.withheld?.get(call.name);
    return fail(
      withheld
        ? `${withheld}; available: ${available}`
        : `unknown tool ${call.name}; available: ${available}`,
    );
  }
  if (call.invalid) return fail(`invalid arguments for ${call.name}: ${call.invalid}`);
  const parsed = tool.schema.safeParse(call.args);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((issue) => `${issue.path.join('.') || '(input)'}: ${issue.message}`)
      .join('; ');
    return fail(`invalid arguments for ${call.name}: ${problems}`);
  }
  try {
    const result = await tool.execute(parsed.data, context);
    // The model and the transcript get the same result: cut at the session cap, with its marker.
    return { id: call.id, name: call.name, result: capToolValue(result).value, isError: false };
  } catch (error) {
    if (context.signal.aborted) return fail('cancelled by the user');
    return fail(error instanceof Error ? error.message : String(error));
  }
}
