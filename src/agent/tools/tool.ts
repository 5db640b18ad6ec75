import type { z } from 'zod';
import type { AgentEvent } from '../../core/agent-events.js';

/** What a tool may use while it runs. */
export interface ToolContext {
  /** Aborted when the user cancels the turn (Ctrl-C); long tools should stop. */
  signal: AbortSignal;
  /** Session the call belongs to. */
  sessionId: string;
  /** Folder file and terminal tools are confined to (absolute path). */
  workspace: string;
  /**
   * Asks the person at the keyboard to allow something (a dangerous command); absent when nobody
   * can answer (one-shot, HTTP), in which case the tool must refuse.
   */
  confirm?: ((question: string) => Promise<boolean>) | undefined;
  /**
   * Tools that exist but are not offered on this surface, with why (so a call to one tells the
   * model, and through it the user, what the server's configuration decided).
   */
  withheld?: ReadonlyMap<string, string> | undefined;
  /** Events for whoever watches the turn (progress of long tools such as `delegate_task`). */
  emit?: ((event: AgentEvent) => void) | undefined;
  /** Differs from one turn to the next: tools keep per-turn state (budgets) under it. */
  turnId?: string | undefined;
}

/**
 * A tool the agent's model can call. Arguments are validated with `schema` before `execute` runs;
 * the result (a string or a JSON-able value) goes back to the model. A thrown error also goes back
 * to the model as the tool's result, never ending the turn.
 */
export interface AgentTool<Args = unknown> {
  /** Unique name, `snake_case`, e.g. `read_file`. */
  readonly name: string;
  /** What the tool does and when to use it, for the model. */
  readonly description: string;
  /** Group it belongs to, selectable in config: `file`, `terminal`, `web`, `todo`, `memory`, `session_search`. */
  readonly toolset: string;
  /** zod schema of the arguments; also the JSON schema the model sees. */
  readonly schema: z.ZodType<Args>;
  execute(args: Args, context: ToolContext): Promise<unknown>;
}

/** A tool of any argument type, as registries hold them. */
// biome-ignore lint/suspicious/noExplicitAny: registries hold tools of every argument type.
export type AnyTool = AgentTool<any>;
