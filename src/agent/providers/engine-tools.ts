import type { MemoryKind } from '../../core/memory-record.js';
import type { ReadScope, Scope, TenantKey } from '../../core/scope.js';
import type { MemoryService } from '../../memory/memory-service.js';
import type { ProfileService } from '../../profile/profile-service.js';
import type { AnyTool, ToolContext } from '../tools/tool.js';
import { memoryToolSet } from './memory-tool-set.js';

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
  return memoryToolSet({
    canWrite: () => scopes.canWrite(),
    search: async (args) => {
      const { results } = await engine.memories.search({
        ...store(),
        scope: read(),
        query: args.query,
        topK: args.top_k,
        ...kinds(args.kinds),
      });
      return results;
    },
    remember: (args, context) =>
      engine.memories.add({
        ...store(),
        scope: scopes.write(context),
        text: args.content,
        sync: args.sync,
        ...(args.kind ? { kind: args.kind } : {}),
        metadata: { source: 'memory_remember' },
      }),
    list: async (args) => {
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
    forget: async (id) => {
      await engine.memories.delete({ ...store(), scope: scopes.tenant(), id });
    },
    profile: async (limit) => {
      const [profile, listed] = await Promise.all([
        engine.profile.asRecord(scopes.tenant()),
        engine.memories.list({ ...store(), scope: read(), limit }),
      ]);
      return { profile, listed };
    },
  });
}
