import { z } from 'zod';
import { memoryKinds } from '../../memory/record.js';
import type { Scope } from '../../memory/scope.js';
import type { Mnemos } from '../../mnemos.js';
import type { AnyTool } from '../tools/tool.js';
import type {
  CompletedTurn,
  MemoryProvider,
  ProviderSession,
  SessionSwitch,
} from './memory-provider.js';

/** Options of {@link EngineMemoryProvider}. */
export interface EngineProviderOptions {
  /** Application of every scope (config `app_id`). */
  appId: string;
  /** Memories recalled per turn; default 5. */
  topK?: number;
  /** Store; default the configured one. */
  store?: string;
}

/**
 * The Mnemos memory engine as an agent's long-term memory. Scope: appId from config, tenant = the
 * user, agent = the profile, run = the session. Turns are written to the exact scope; recall and the
 * memory tools read across the user's agents and runs (`*`), so what one agent learns, others recall.
 */
export class EngineMemoryProvider implements MemoryProvider {
  readonly name = 'mnemos';
  private session: ProviderSession | null = null;

  constructor(
    private readonly mnemos: Mnemos,
    private readonly options: EngineProviderOptions,
  ) {}

  async initialize(session: ProviderSession): Promise<void> {
    this.session = session;
  }

  /** The user's profile, frozen for the session like the rest of the system prompt. */
  async systemPromptBlock(): Promise<string> {
    const profile = await this.mnemos.profile.get(this.tenant());
    if (profile.length === 0) return '';
    return `USER PROFILE (from long-term memory)\n${profile.map((entry) => `- ${entry.key}: ${entry.value}`).join('\n')}`;
  }

  async prefetch(query: string): Promise<string | null> {
    const { results } = await this.mnemos.memories.search({
      ...this.storeOption(),
      scope: this.readScope(),
      query,
      topK: this.options.topK ?? 5,
    });
    if (results.length === 0) return null;
    return results
      .map(
        (result) =>
          `- ${result.memory.text}${describeDate(result.memory.metadata.date ?? result.memory.createdAt)}`,
      )
      .join('\n');
  }

  async syncTurn(turn: CompletedTurn): Promise<void> {
    if (this.session?.agentContext !== 'primary') return;
    await this.mnemos.memories.add({
      ...this.storeOption(),
      scope: this.writeScope(turn.sessionId),
      messages: [
        { role: 'user', content: turn.user, createdAt: turn.at },
        { role: 'assistant', content: turn.assistant, createdAt: turn.at },
      ],
      metadata: {
        platform: this.session.platform,
        session_id: turn.sessionId,
        source: 'sync_turn',
      },
    });
  }

  async onSessionSwitch(change: SessionSwitch): Promise<void> {
    if (this.session) this.session = { ...this.session, sessionId: change.to };
  }

  tools(): AnyTool[] {
    return [this.searchTool(), this.rememberTool(), this.forgetTool(), this.profileTool()];
  }

  private searchTool(): AnyTool {
    return {
      name: 'memory_search',
      toolset: 'memory',
      description:
        "Search the user's long-term memory (facts, preferences, decisions from past conversations, across sessions and agents). Use it when the answer may depend on something the user said before.",
      schema: z.object({
        query: z.string().min(1).describe('what to look for, in any language'),
        top_k: z.number().int().min(1).max(50).default(8),
        kinds: z.array(z.enum(memoryKinds)).optional(),
      }),
      execute: async (args: {
        query: string;
        top_k: number;
        kinds?: Array<(typeof memoryKinds)[number]>;
      }) => {
        const { results } = await this.mnemos.memories.search({
          ...this.storeOption(),
          scope: this.readScope(),
          query: args.query,
          topK: args.top_k,
          ...(args.kinds ? { kinds: args.kinds } : {}),
        });
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
      },
    };
  }

  private rememberTool(): AnyTool {
    return {
      name: 'memory_remember',
      toolset: 'memory',
      description:
        'Store something worth remembering about the user in long-term memory. With sync=true it waits until the memory is searchable.',
      schema: z.object({
        content: z.string().min(1).max(32_000),
        sync: z.boolean().default(false),
        kind: z.enum(memoryKinds).optional(),
      }),
      execute: async (args: {
        content: string;
        sync: boolean;
        kind?: (typeof memoryKinds)[number];
      }) => {
        this.requirePrimary();
        const job = await this.mnemos.memories.add({
          ...this.storeOption(),
          scope: this.writeScope(this.session?.sessionId ?? 'default'),
          text: args.content,
          sync: args.sync,
          ...(args.kind ? { kind: args.kind } : {}),
          metadata: { source: 'memory_remember' },
        });
        return { job_id: job.id, status: job.status, memory_ids: job.memoryIds };
      },
    };
  }

  private forgetTool(): AnyTool {
    return {
      name: 'memory_forget',
      toolset: 'memory',
      description: 'Forget one long-term memory by its id (from memory_search or memory_profile).',
      schema: z.object({ memory_id: z.string().min(1) }),
      execute: async (args: { memory_id: string }) => {
        this.requirePrimary();
        await this.mnemos.memories.delete({
          ...this.storeOption(),
          scope: this.tenant(),
          id: args.memory_id,
        });
        return { forgotten: args.memory_id };
      },
    };
  }

  private profileTool(): AnyTool {
    return {
      name: 'memory_profile',
      toolset: 'memory',
      description:
        'List what long-term memory holds about the user: the profile (name, language, style, …) and the most recent memories.',
      schema: z.object({ limit: z.number().int().min(1).max(100).default(10) }),
      execute: async (args: { limit: number }) => {
        const [profile, listed] = await Promise.all([
          this.mnemos.profile.asRecord(this.tenant()),
          this.mnemos.memories.list({
            ...this.storeOption(),
            scope: this.readScope(),
            limit: args.limit,
          }),
        ]);
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
      },
    };
  }

  private requirePrimary(): void {
    if (this.session && this.session.agentContext !== 'primary') {
      throw new Error(
        `memory writes are off in a ${this.session.agentContext} agent; only the primary agent writes memory`,
      );
    }
  }

  private tenant(): { appId: string; tenantId: string } {
    return { appId: this.options.appId, tenantId: this.session?.userId ?? 'default' };
  }

  private readScope(): { appId: string; tenantId: string; agentId: string; runId: string } {
    return { ...this.tenant(), agentId: '*', runId: '*' };
  }

  private writeScope(sessionId: string): Scope {
    return {
      ...this.tenant(),
      agentId: this.session?.agentIdentity ?? 'default',
      runId: sessionId,
    };
  }

  private storeOption(): { store?: string } {
    return this.options.store ? { store: this.options.store } : {};
  }
}

function describeDate(iso: string | undefined): string {
  return iso && /^\d{4}-\d{2}-\d{2}/.test(iso) ? ` (${iso.slice(0, 10)})` : '';
}
