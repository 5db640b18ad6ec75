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

/** Longest tool result sent back to the model, in characters. */
const maxResultCharacters = 50_000;

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
  if (!tool) return fail(`unknown tool ${call.name}; available: ${[...tools.keys()].join(', ')}`);
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
    return { id: call.id, name: call.name, result: capped(result), isError: false };
  } catch (error) {
    if (context.signal.aborted) return fail('cancelled by the user');
    return fail(error instanceof Error ? error.message : String(error));
  }
}

function capped(result: unknown): unknown {
  const text = typeof result === 'string' ? result : JSON.stringify(result ?? null);
  if (text.length <= maxResultCharacters) return result;
  return `${text.slice(0, maxResultCharacters)}\n[… ${text.length - maxResultCharacters} more characters cut]`;
}
