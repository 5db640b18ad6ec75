import { redactSecrets } from '../../redaction/redactor.js';
import type { AnyTool } from '../tools/tool.js';
import { fenceRecall } from './memory-context.js';
import type {
  CompletedTurn,
  HookMessage,
  MemoryProvider,
  MemoryWrite,
  ProviderSession,
  SessionSwitch,
} from './memory-provider.js';

/** Options of {@link MemoryManager}. */
export interface MemoryManagerOptions {
  /** Longest wait for prefetch; what arrived by then is used. Default 300 ms. */
  prefetchBudgetMs?: number;
  /** Where warnings and debug lines go; each provider failure kind is reported once. */
  log?: (level: 'warn' | 'debug', message: string) => void;
}

/** What recall produced for one turn. */
export interface Recall {
  /** The fenced `<memory-context>` block for the user message, or null when nothing was recalled. */
  block: string | null;
  /** Why recall was skipped, when it was. */
  skipped?: 'trivial' | undefined;
  /** Providers that missed the budget; their late answers are ignored. */
  timedOut: string[];
  /** Providers that failed. */
  failed: string[];
  /** Wall time of recall, ms. */
  ms: number;
}

const trivialReplies = new Set([
  'ok',
  'okay',
  'k',
  'thanks',
  'thank you',
  'thx',
  'ty',
  'yes',
  'no',
  'y',
  'n',
  'sure',
  'cool',
  'nice',
  'great',
  'hi',
  'hello',
  'hey',
  'bye',
  '好',
  '好的',
  '嗯',
  '谢谢',
  '多谢',
  '你好',
  '是',
  '不',
  '对',
  '行',
  '可以',
  '👍',
  '🙏',
]);

/** True for prompts that need no recall: acknowledgements, greetings and slash commands. */
export function isTrivialPrompt(text: string): boolean {
  const trimmed = text
    .trim()
    .toLowerCase()
    .replace(/[.!?。！？~～]+$/u, '');
  return trimmed === '' || trimmed.startsWith('/') || trivialReplies.has(trimmed);
}

/**
 * Runs every memory provider of an agent together: the built-in curated notes and any number of
 * others. Recall runs for the CURRENT user message within a latency budget; finished turns are
 * redacted and synced off the critical path, in order per session, and only by primary agents;
 * provider failures degrade to no recall and are reported once.
 */
export class MemoryManager {
  private session: ProviderSession | null = null;
  private readonly syncChains = new Map<string, Promise<void>>();
  private readonly reported = new Set<string>();
  private readonly budgetMs: number;

  constructor(
    readonly providers: readonly MemoryProvider[],
    private readonly options: MemoryManagerOptions = {},
  ) {
    this.budgetMs = options.prefetchBudgetMs ?? 300;
  }

  /** Initializes every provider for a session; a provider that fails to start is left out of recall. */
  async initialize(session: ProviderSession): Promise<void> {
    this.session = session;
    await this.each('initialize', (provider) => provider.initialize(session));
  }

  /** Static blocks of every provider for the system prompt, in provider order. */
  async systemPromptBlocks(): Promise<string[]> {
    const blocks: string[] = [];
    for (const provider of this.providers) {
      if (!provider.systemPromptBlock) continue;
      try {
        const block = await provider.systemPromptBlock();
        if (block.trim() !== '') blocks.push(block.trim());
      } catch (error) {
        this.report(provider, 'systemPromptBlock', error);
      }
    }
    return blocks;
  }

  /** Tools of every provider; a name already taken (by a core tool or an earlier provider) is dropped. */
  tools(taken: ReadonlySet<string> = new Set()): AnyTool[] {
    const names = new Set(taken);
    const tools: AnyTool[] = [];
    for (const provider of this.providers) {
      for (const tool of provider.tools?.() ?? []) {
        if (names.has(tool.name)) {
          this.once(
            `tool:${tool.name}`,
            'warn',
            `memory provider ${provider.name}: tool ${tool.name} is already defined; dropped`,
          );
          continue;
        }
        names.add(tool.name);
        tools.push(tool);
      }
    }
    return tools;
  }

  /** Recall for the current user message from every provider, bounded by the budget. */
  async prefetch(query: string, sessionId: string): Promise<Recall> {
    const started = performance.now();
    if (isTrivialPrompt(query))
      return { block: null, skipped: 'trivial', timedOut: [], failed: [], ms: 0 };
    const controller = new AbortController();
    const answers: Array<string | null> = this.providers.map(() => null);
    const done = new Set<number>();
    const failed: string[] = [];
    const calls = this.providers.map(async (provider, index) => {
      if (!provider.prefetch) {
        done.add(index);
        return;
      }
      try {
        answers[index] = await provider.prefetch(query, sessionId, controller.signal);
      } catch (error) {
        if (!controller.signal.aborted) {
          failed.push(provider.name);
          this.report(provider, 'prefetch', error);
        }
      }
      done.add(index);
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(calls),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.budgetMs);
      }),
    ]);
    clearTimeout(timer);
    controller.abort();
    const timedOut = this.providers
      .filter((provider, index) => provider.prefetch && !done.has(index))
      .map((provider) => provider.name);
    if (timedOut.length > 0) {
      this.options.log?.(
        'debug',
        `recall: ${timedOut.join(', ')} missed the ${this.budgetMs} ms budget; going on without them`,
      );
    }
    const parts = answers.filter(
      (answer, index): answer is string => done.has(index) && !!answer?.trim(),
    );
    return {
      block: parts.length > 0 ? fenceRecall(parts.join('\n')) : null,
      timedOut,
      failed,
      ms: performance.now() - started,
    };
  }

  /**
   * Hands a finished turn to every provider without waiting: secrets are redacted first, turns of a
   * session reach providers in order, and nothing is written unless the agent context is primary.
   */
  syncTurn(turn: CompletedTurn): void {
    if (this.session?.agentContext !== 'primary') return;
    const redacted: CompletedTurn = {
      ...turn,
      user: redactSecrets(turn.user),
      assistant: redactSecrets(turn.assistant),
    };
    const previous = this.syncChains.get(turn.sessionId) ?? Promise.resolve();
    const next = previous.then(() =>
      this.each('syncTurn', (provider) => provider.syncTurn?.(redacted)),
    );
    this.syncChains.set(turn.sessionId, next);
  }

  /** Asks providers to warm their caches for the next turn. */
  queuePrefetch(query: string, sessionId: string): void {
    if (isTrivialPrompt(query)) return;
    for (const provider of this.providers) {
      try {
        provider.queuePrefetch?.(query, sessionId);
      } catch (error) {
        this.report(provider, 'queuePrefetch', error);
      }
    }
  }

  /** Waits until every queued sync has been handed over (shutdown, tests). */
  async flush(): Promise<void> {
    await Promise.all(this.syncChains.values());
  }

  async onTurnStart(sessionId: string, userMessage: string): Promise<void> {
    await this.each('onTurnStart', (provider) => provider.onTurnStart?.(sessionId, userMessage));
  }

  async onSessionEnd(sessionId: string, messages: readonly HookMessage[]): Promise<void> {
    await this.flush();
    await this.each('onSessionEnd', (provider) => provider.onSessionEnd?.(sessionId, messages));
  }

  async onSessionSwitch(change: SessionSwitch): Promise<void> {
    if (this.session) this.session = { ...this.session, sessionId: change.to };
    await this.each('onSessionSwitch', (provider) => provider.onSessionSwitch?.(change));
  }

  /** Texts providers want kept in a compression summary. */
  async onPreCompress(messages: readonly HookMessage[]): Promise<string[]> {
    const texts: string[] = [];
    await this.each('onPreCompress', async (provider) => {
      const text = await provider.onPreCompress?.(messages);
      if (text?.trim()) texts.push(text.trim());
    });
    return texts;
  }

  /** Mirrors a write of the curated notes to the other providers. */
  async onMemoryWrite(write: MemoryWrite, from?: MemoryProvider): Promise<void> {
    await this.each('onMemoryWrite', (provider) =>
      provider === from ? undefined : provider.onMemoryWrite?.(write),
    );
  }

  async onDelegation(task: string, result: string): Promise<void> {
    await this.each('onDelegation', (provider) => provider.onDelegation?.(task, result));
  }

  /** Finishes queued syncs, then shuts every provider down. */
  async shutdown(): Promise<void> {
    await this.flush();
    await this.each('shutdown', (provider) => provider.shutdown?.());
  }

  private async each(hook: string, call: (provider: MemoryProvider) => unknown): Promise<void> {
    await Promise.all(
      this.providers.map(async (provider) => {
        try {
          await call(provider);
        } catch (error) {
          this.report(provider, hook, error);
        }
      }),
    );
  }

  private report(provider: MemoryProvider, hook: string, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.once(
      `${provider.name}:${hook}`,
      'warn',
      `memory provider ${provider.name} failed in ${hook}: ${message} (further failures of this kind are not repeated)`,
    );
  }

  private once(key: string, level: 'warn' | 'debug', message: string): void {
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.options.log?.(level, message);
  }
}
