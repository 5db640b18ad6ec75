import type { Scope } from '../../core/scope.js';
import type { AnyTool } from '../tools/tool.js';
import { type EngineMemory, memoryTools } from './engine-tools.js';
import { recallLines } from './memory-context.js';
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
    private readonly engine: EngineMemory,
    private readonly options: EngineProviderOptions,
  ) {}

  async initialize(session: ProviderSession): Promise<void> {
    this.session = session;
  }

  /** The user's profile, frozen for the session like the rest of the system prompt. */
  async systemPromptBlock(): Promise<string> {
    const profile = await this.engine.profile.get(this.tenant());
    if (profile.length === 0) return '';
    return `USER PROFILE (from long-term memory)\n${profile.map((entry) => `- ${entry.key}: ${entry.value}`).join('\n')}`;
  }

  async prefetch(query: string): Promise<string | null> {
    const { results } = await this.engine.memories.search({
      ...this.storeOption(),
      scope: this.readScope(),
      query,
      topK: this.options.topK ?? 5,
    });
    if (results.length === 0) return null;
    return recallLines(results);
  }

  async syncTurn(turn: CompletedTurn): Promise<void> {
    if (this.session?.agentContext !== 'primary') return;
    await this.engine.memories.add({
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

  /** The shared memory tools without `memory_list`: `memory_profile` already shows recent memories. */
  tools(): AnyTool[] {
    return memoryTools(this.engine, {
      tenant: () => this.tenant(),
      write: () => this.writeScope(this.session?.sessionId ?? 'default'),
      canWrite: () =>
        !this.session || this.session.agentContext === 'primary'
          ? true
          : `memory writes are off in a ${this.session.agentContext} agent; only the primary agent writes memory`,
      store: this.options.store,
    }).filter((tool) => tool.name !== 'memory_list');
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
