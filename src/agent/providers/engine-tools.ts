import { z } from 'zod';
import { MnemosError } from '../../core/errors.js';
import { type MemoryKind, memoryKinds } from '../../core/memory-record.js';
import type { ReadScope, Scope, TenantKey } from '../../core/scope.js';
import type { MemoryService } from '../../memory/memory-service.js';
import type { ProfileService } from '../../profile/profile-service.js';
import type { AgentTool, AnyTool, ToolContext } from '../tools/tool.js';

/**
 * Where the memory tools read and write, asked at every call because the session (and with it the
 * run) can change. The agent and the MCP server fill it in differently; the tools are the same.
 */
export interface MemoryToolScopes {
  /** The (app, tenant) no call leaves; `memory_profile` and `memory_forget` act on it. */
  tenant(): TenantKey;
  /** The pattern searches and lists read; default: the tenant with agent and run `*`. */
  read?(): ReadScope;
  /** The exact scope `memory_remember` writes to, for the call's context. */
  write(context: ToolContext): Scope;
  /** Whether writes (`memory_remember`, `memory_forget`) are allowed: `true`, or why not. */
  canWrite(): true | string;
  /** Memory store; the configured default when omitted. */
  store?: string | undefined;
}

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
interface ToolMemory {
  id: string;
  text: string;
  kind: string;
  salience: number;
  createdAt: string;
}

/** Refuses a write when the scopes say writing is not allowed here, with their reason. */
export function requireWrite(allowed: true | string): void {
  if (allowed !== true)
    throw new MnemosError('invalid_scope', allowed, { details: { writable: false } });
}

/** What `memory_search` returns for a list of search results. */
export function searchToolResult(results: ReadonlyArray<{ memory: ToolMemory; score: number }>) {
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
export function rememberToolResult(job: {
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
export function profileToolResult(
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

/** The engine's services the memory tools and the engine provider use. */
export interface EngineMemory {
  memories: MemoryService;
  profile: ProfileService;
}

/**
 * The long-term memory tools over the Mnemos engine, in this order: `memory_search`,
 * `memory_remember`, `memory_list`, `memory_forget`, `memory_profile`.
 */
export function memoryTools(engine: EngineMemory, scopes: MemoryToolScopes): AnyTool[] {
  const store = (): { store?: string } => (scopes.store ? { store: scopes.store } : {});
  const read = (): ReadScope => scopes.read?.() ?? { ...scopes.tenant(), agentId: '*', runId: '*' };
  const kinds = (value: MemoryKind[] | undefined): { kinds?: MemoryKind[] } =>
    value ? { kinds: value } : {};

  const search: AgentTool<z.output<typeof memorySearchSchema>> = {
    name: 'memory_search',
    toolset: 'memory',
    description: memoryToolDescriptions.memory_search,
    schema: memorySearchSchema,
    execute: async (args) => {
      const { results } = await engine.memories.search({
        ...store(),
        scope: read(),
        query: args.query,
        topK: args.top_k,
        ...kinds(args.kinds),
      });
      return searchToolResult(results);
    },
  };

  const remember: AgentTool<z.output<typeof memoryRememberSchema>> = {
    name: 'memory_remember',
    toolset: 'memory',
    description: memoryToolDescriptions.memory_remember,
    schema: memoryRememberSchema,
    execute: async (args, context) => {
      requireWrite(scopes.canWrite());
      const job = await engine.memories.add({
        ...store(),
        scope: scopes.write(context),
        text: args.content,
        sync: args.sync,
        ...(args.kind ? { kind: args.kind } : {}),
        metadata: { source: 'memory_remember' },
      });
      return rememberToolResult(job);
    },
  };

  const list: AgentTool<z.output<typeof memoryListSchema>> = {
    name: 'memory_list',
    toolset: 'memory',
    description: memoryToolDescriptions.memory_list,
    schema: memoryListSchema,
    execute: async (args) => {
      const listed = await engine.memories.list({
        ...store(),
        scope: read(),
        limit: args.limit,
        offset: args.offset,
        ...kinds(args.kinds),
      });
      return {
        memories: listed.memories.map((memory) => ({
          id: memory.id,
          text: memory.text,
          kind: memory.kind,
          salience: memory.salience,
          agent_id: memory.scope.agentId,
          run_id: memory.scope.runId,
          created_at: memory.createdAt,
        })),
        count: listed.memories.length,
        total: listed.total,
      };
    },
  };

  const forget: AgentTool<z.output<typeof memoryForgetSchema>> = {
    name: 'memory_forget',
    toolset: 'memory',
    description: memoryToolDescriptions.memory_forget,
    schema: memoryForgetSchema,
    execute: async (args) => {
      requireWrite(scopes.canWrite());
      await engine.memories.delete({ ...store(), scope: scopes.tenant(), id: args.memory_id });
      return { forgotten: args.memory_id };
    },
  };

  const profile: AgentTool<z.output<typeof memoryProfileSchema>> = {
    name: 'memory_profile',
    toolset: 'memory',
    description: memoryToolDescriptions.memory_profile,
    schema: memoryProfileSchema,
    execute: async (args) => {
      const [entries, listed] = await Promise.all([
        engine.profile.asRecord(scopes.tenant()),
        engine.memories.list({ ...store(), scope: read(), limit: args.limit }),
      ]);
      return profileToolResult(entries, listed);
    },
  };

  return [search, remember, list, forget, profile];
}
