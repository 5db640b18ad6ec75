import { z } from 'zod';
import { MnemosError } from '../../core/errors.js';
import { memoryKinds } from '../../core/memory-record.js';
import type { AgentTool, AnyTool, ToolContext } from '../tools/tool.js';

const kindSchema = z.enum(memoryKinds);

/** Arguments of `memory_search`. */
export const memorySearchSchema = z.object({
  query: z.string().min(1).describe('what to look for, in any language'),
  top_k: z.number().int().min(1).max(50).default(8),
  kinds: z.array(kindSchema).optional(),
});

/** Arguments of `memory_remember`. */
export const memoryRememberSchema = z.object({
  // The 32,000-character limit is the service's, so every surface answers it with limit_exceeded.
  content: z.string().min(1).describe('the note to remember, at most 32,000 characters'),
  sync: z.boolean().default(false),
  kind: kindSchema.optional(),
});

/** Arguments of `memory_list`. */
export const memoryListSchema = z.object({
  limit: z.number().int().min(1).max(100).default(20),
  offset: z.number().int().min(0).default(0).describe('memories to skip, for paging'),
  kinds: z.array(kindSchema).optional(),
});

/** Arguments of `memory_forget`. */
export const memoryForgetSchema = z.object({ memory_id: z.string().min(1) });

/** Arguments of `memory_profile`. */
export const memoryProfileSchema = z.object({
  limit: z.number().int().min(1).max(100).default(10),
});

/** Descriptions the model sees, the same for the engine's tools and the remote provider's. */
export const memoryToolDescriptions = {
  memory_search:
    "Search the user's long-term memory (facts, preferences, decisions from past conversations, across sessions and agents). Use it when the answer may depend on something the user said before.",
  memory_remember:
    'Store something worth remembering about the user in long-term memory. With sync=true it waits until the memory is searchable.',
  memory_list:
    "List the user's long-term memories, newest first, a page at a time (limit, offset), optionally only some kinds.",
  memory_forget: 'Forget one long-term memory by its id (from memory_search or memory_profile).',
  memory_profile:
    'List what long-term memory holds about the user: the profile (name, language, style, …) and the most recent memories.',
} as const;

/** The fields of a memory the tools return, engine or service alike. */
export interface ToolMemory {
  id: string;
  text: string;
  kind: string;
  salience: number;
  createdAt: string;
}

/** Refuses a write when the scopes say writing is not allowed here, with their reason. */
function requireWrite(allowed: true | string): void {
  if (allowed !== true)
    throw new MnemosError('invalid_scope', allowed, { details: { writable: false } });
}

/** What `memory_search` returns for a list of search results. */
function searchToolResult(results: ReadonlyArray<{ memory: ToolMemory; score: number }>) {
  return {
    results: results.map((result) => ({
      id: result.memory.id,
      text: result.memory.text,
      kind: result.memory.kind,
      score: Number(result.score.toFixed(4)),
      created_at: result.memory.createdAt,
    })),
    count: results.length,
  };
}

/** What `memory_remember` returns for the add's job. */
function rememberToolResult(job: {
  id: string;
  status: string;
  memoryIds: string[];
  redacted?: number;
  warnings?: string[];
}) {
  return {
    job_id: job.id,
    status: job.status,
    memory_ids: job.memoryIds,
    // Tells the caller its secrets were replaced before storing (kinds only, never the values).
    ...(job.redacted ? { redacted: job.redacted, warnings: job.warnings ?? [] } : {}),
  };
}

/** What `memory_profile` returns: the profile as a record and the newest memories. */
function profileToolResult(
  profile: Record<string, string>,
  listed: { memories: ReadonlyArray<ToolMemory>; total: number },
) {
  return {
    profile,
    memories: listed.memories.map((memory) => ({
      id: memory.id,
      text: memory.text,
      kind: memory.kind,
      salience: memory.salience,
      created_at: memory.createdAt,
    })),
    count: listed.total,
  };
}

/** A job as `memory_remember` reports it. */
export interface RememberedJob {
  id: string;
  status: string;
  memoryIds: string[];
  redacted?: number;
  warnings?: string[];
}

/** What the memory tools call: the engine's services in process, or a Mnemos service over HTTP. */
export interface MemoryToolBackend {
  /** Whether writes (`memory_remember`, `memory_forget`) are allowed: `true`, or why not. */
  canWrite(): true | string;
  search(
    args: z.output<typeof memorySearchSchema>,
    context: ToolContext,
  ): Promise<ReadonlyArray<{ memory: ToolMemory; score: number }>>;
  remember(
    args: z.output<typeof memoryRememberSchema>,
    context: ToolContext,
  ): Promise<RememberedJob>;
  /** `memory_list`, offered only when the backend has it. */
  list?(args: z.output<typeof memoryListSchema>, context: ToolContext): Promise<unknown>;
  forget(id: string, context: ToolContext): Promise<void>;
  /** The profile as a record and the newest `limit` memories. */
  profile(
    limit: number,
    context: ToolContext,
  ): Promise<{
    profile: Record<string, string>;
    listed: { memories: ReadonlyArray<ToolMemory>; total: number };
  }>;
}

/**
 * The long-term memory tools, with one definition for every backend, in this order: `memory_search`,
 * `memory_remember`, `memory_list` (when the backend lists), `memory_forget`, `memory_profile`.
 */
export function memoryToolSet(backend: MemoryToolBackend): AnyTool[] {
  const tool = <T>(
    name: keyof typeof memoryToolDescriptions,
    schema: z.ZodType<T>,
    execute: AgentTool<T>['execute'],
  ): AgentTool<T> => ({
    name,
    toolset: 'memory',
    description: memoryToolDescriptions[name],
    schema,
    execute,
  });
  const list = backend.list?.bind(backend);
  return [
    tool('memory_search', memorySearchSchema, async (args, context) =>
      searchToolResult(await backend.search(args, context)),
    ),
    tool('memory_remember', memoryRememberSchema, async (args, context) => {
      requireWrite(backend.canWrite());
      return rememberToolResult(await backend.remember(args, context));
    }),
    ...(list
      ? [tool('memory_list', memoryListSchema, (args, context) => list(args, context))]
      : []),
    tool('memory_forget', memoryForgetSchema, async (args, context) => {
      requireWrite(backend.canWrite());
      await backend.forget(args.memory_id, context);
      return { forgotten: args.memory_id };
    }),
    tool('memory_profile', memoryProfileSchema, async (args, context) => {
      const { profile, listed } = await backend.profile(args.limit, context);
      return profileToolResult(profile, listed);
    }),
  ] as AnyTool[];
}
