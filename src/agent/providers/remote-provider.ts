import { isUnavailable } from '../../client/client-errors.js';
import { MnemosClient } from '../../client/mnemos-client.js';
import type { ClientOptions } from '../../client/types.js';
import { MnemosError } from '../../core/errors.js';
import type { AnyTool } from '../tools/tool.js';
import { recallLines } from './memory-context.js';
import type {
  CompletedTurn,
  MemoryProvider,
  ProviderSession,
  SessionSwitch,
} from './memory-provider.js';
import { remoteMemoryTools } from './remote-provider-tools.js';

/** Options of {@link RemoteMemoryProvider}. */
export interface RemoteProviderOptions {
  /** A client of the service, or the options to make one; its API key fixes app and tenant. */
  client: MnemosClient | ClientOptions;
  /** Memories recalled per turn; default 5. */
  topK?: number;
  /** Store; default the service's. */
  store?: string;
  /** One `warn` line when the service goes down, one `info` line when it answers again. */
  log?: (level: 'warn' | 'info', message: string) => void;
  /** Provider name; default `mnemos-remote`. */
  name?: string;
}

/** Whether the service answers, and what was lost while it did not. */
export interface RemoteProviderStatus {
  available: boolean;
  /** When the current outage began (ISO), or null. */
  downSince: string | null;
  /** Finished turns not stored because the service was down (they are never retried). */
  droppedTurns: number;
}

/**
 * A Mnemos service as an agent's long-term memory, over HTTP: the same hooks and tools as the
 * engine provider, with the tenant fixed by the API key (bodies carry only agent and run). It
 * tolerates the service being down: recall degrades to nothing, a failed sync is dropped and
 * counted (never queued or retried, so a long outage cannot pile up work), one warning is logged
 * when it goes down and one line when it is back.
 */
export class RemoteMemoryProvider implements MemoryProvider {
  readonly name: string;
  readonly client: MnemosClient;
  private session: ProviderSession | null = null;
  private downSince: number | null = null;
  private droppedTurns = 0;
  private droppedInOutage = 0;

  constructor(private readonly options: RemoteProviderOptions) {
    this.name = options.name ?? 'mnemos-remote';
    this.client =
      options.client instanceof MnemosClient ? options.client : new MnemosClient(options.client);
  }

  async initialize(session: ProviderSession): Promise<void> {
    this.session = session;
  }

  /** The tenant's profile from the service, frozen for the session; empty while it is down. */
  async systemPromptBlock(): Promise<string> {
    const profile = await this.guard(() => this.client.profile.get());
    if (!profile || profile.length === 0) return '';
    return `USER PROFILE (from long-term memory)\n${profile.map((entry) => `- ${entry.key}: ${entry.value}`).join('\n')}`;
  }

  /** Memories of every agent and run of the tenant relevant to the message; null while down. */
  async prefetch(query: string, _sessionId: string, signal?: AbortSignal): Promise<string | null> {
    const output = await this.guard(
      () =>
        this.client.memories.search(
          { ...this.storeOption(), query, topK: this.options.topK ?? 5 },
          signal ? { signal } : {},
        ),
      signal,
    );
    if (!output || output.results.length === 0) return null;
    return recallLines(output.results);
  }

  /** Hands the turn to the service's ingestion (asynchronous); dropped and counted while it is down. */
  async syncTurn(turn: CompletedTurn): Promise<void> {
    if (this.session?.agentContext !== 'primary') return;
    const job = await this.guard(() =>
      this.client.memories.add({
        ...this.storeOption(),
        scope: this.writeScope(turn.sessionId),
        messages: [
          { role: 'user', content: turn.user, createdAt: turn.at },
          { role: 'assistant', content: turn.assistant, createdAt: turn.at },
        ],
        metadata: {
          platform: this.session?.platform ?? 'unknown',
          session_id: turn.sessionId,
          source: 'sync_turn',
        },
      }),
    );
    if (job === undefined) {
      this.droppedTurns++;
      this.droppedInOutage++;
    }
  }

  async onSessionSwitch(change: SessionSwitch): Promise<void> {
    if (this.session) this.session = { ...this.session, sessionId: change.to };
  }

  /** `memory_search`, `memory_remember`, `memory_forget`, `memory_profile` over HTTP. */
  tools(): AnyTool[] {
    return remoteMemoryTools(this.client, {
      store: this.options.store,
      write: (sessionId) => this.writeScope(sessionId),
      canWrite: () =>
        !this.session || this.session.agentContext === 'primary'
          ? true
          : `memory writes are off in a ${this.session.agentContext} agent; only the primary agent writes memory`,
      run: (call) => this.observe(call),
    });
  }

  /** Whether the service answers, and how many turns were dropped. */
  status(): RemoteProviderStatus {
    return {
      available: this.downSince === null,
      downSince: this.downSince === null ? null : new Date(this.downSince).toISOString(),
      droppedTurns: this.droppedTurns,
    };
  }

  /** Runs a call, noting whether the service answered; an outage yields `undefined`, not an error. */
  private async guard<T>(call: () => Promise<T>, signal?: AbortSignal): Promise<T | undefined> {
    try {
      return await this.observe(call);
    } catch (error) {
      // Aborted by the recall budget: says nothing about the service, and recall goes on without it.
      if (signal?.aborted || isUnavailable(error)) return undefined;
      throw error;
    }
  }

  /** Runs a call and tracks the service's availability from how it ended; errors pass through. */
  private async observe<T>(call: () => Promise<T>): Promise<T> {
    try {
      const value = await call();
      this.answered();
      return value;
    } catch (error) {
      if (isUnavailable(error)) this.unavailable(error);
      // Any other MnemosError is an answer of the service; aborts and the like tell nothing.
      else if (MnemosError.isInstance(error)) this.answered();
      throw error;
    }
  }

  private unavailable(error: unknown): void {
    if (this.downSince !== null) return;
    this.downSince = Date.now();
    this.droppedInOutage = 0;
    const reason = error instanceof Error ? error.message : String(error);
    this.options.log?.(
      'warn',
      `memory service ${this.client.baseUrl} is unavailable (${reason}); recall is off and finished turns are dropped, not queued, until it answers again`,
    );
  }

  private answered(): void {
    if (this.downSince === null) return;
    const seconds = Math.round((Date.now() - this.downSince) / 100) / 10;
    this.downSince = null;
    this.options.log?.(
      'info',
      `memory service ${this.client.baseUrl} is back after ${seconds} s; ${this.droppedInOutage} finished turn(s) were not stored while it was down`,
    );
  }

  private writeScope(sessionId: string): { agentId: string; runId: string } {
    return { agentId: this.session?.agentIdentity ?? 'default', runId: sessionId };
  }

  private storeOption(): { store?: string } {
    return this.options.store ? { store: this.options.store } : {};
  }
}
