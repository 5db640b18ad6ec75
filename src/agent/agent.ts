import type { ModelMessage } from 'ai';
import {
  type AgentEvent,
  addUsage,
  type ChainedModel,
  noUsage,
  type TokenUsage,
} from '../core/agent-events.js';
import { MnemosError } from '../core/errors.js';
import type { SessionRecord } from '../core/session-record.js';
import { maxAppendMessages, type SessionService } from '../sessions/session-service.js';
import {
  type CompressionPolicy,
  needsCompression,
  splitHistory,
  summarize,
} from './context/compressor.js';
import { buildSystemPrompt } from './context/system-prompt.js';
import { messageText } from './context/token-estimate.js';
import { fromStored, type StoredMessage, toStored } from './loop/stored-messages.js';
import { runTurnLoop } from './loop/turn-loop.js';
import type { MemoryManager } from './providers/memory-manager.js';
import type { AgentContext, HookMessage } from './providers/memory-provider.js';
import type { AgentSkills } from './skills/agent-skills.js';
import type { AnyTool } from './tools/tool.js';

/** Everything an agent runs on; built by `createAgent` from the configuration. */
export interface AgentOptions {
  /** Where the conversation is persisted. */
  sessions: SessionService;
  /** The primary model first, then fallbacks. */
  models: ChainedModel[];
  /** Core tools (file, terminal, web, todo, session_search); memory tools come from the manager. */
  tools: AnyTool[];
  memory: MemoryManager;
  appId: string;
  /** The user: tenant of sessions and memories. */
  userId: string;
  /** Profile / agent name: agent of sessions and memory writes. */
  agentName: string;
  platform: string;
  home: string;
  workspace: string;
  maxIterations: number;
  /** Tokens one turn's model steps may use together (`limits.max_tokens_per_turn`). */
  maxTokensPerTurn?: number | undefined;
  /** Wall time of one turn, ms (`limits.timeout_ms`); the turn is cancelled when it passes. */
  turnTimeoutMs?: number | undefined;
  /** The identity of the system prompt instead of the home's `SOUL.md`. */
  identity?: string | undefined;
  compression: CompressionPolicy;
  agentContext?: AgentContext;
  /** Asks the person to allow a dangerous tool action; absent when nobody can answer. */
  confirm?: ((question: string) => Promise<boolean>) | undefined;
  /** Tools not offered on this surface, with why (see `ToolContext.withheld`). */
  withheld?: ReadonlyMap<string, string>;
  /** Skills: tools, catalog, preloaded skills, `/skill-name` turns and the learning loop. */
  skills?: AgentSkills;
  /** Tools that need connecting (external MCP servers): awaited when a session opens. */
  toolSource?: AgentToolSource;
}

/** Tools reached asynchronously; `tools()` may be called again after `close()`. */
export interface AgentToolSource {
  tools(): Promise<AnyTool[]>;
  close(): Promise<void>;
}

/** The final event of a turn. */
export type TurnDone = Extract<AgentEvent, { type: 'done' }>;

/**
 * An agent with memory: a session of conversation persisted turn by turn, recall for the current
 * message, turn sync to memory, tools, and compression into a child session when the context fills.
 */
export class Agent {
  private session: SessionRecord | null = null;
  private history: ModelMessage[] = [];
  private system = '';
  private summary: string | undefined;
  private sessionUsage: TokenUsage = noUsage;
  private tools: AnyTool[] = [];
  private sourceTools: AnyTool[] = [];

  constructor(private options: AgentOptions) {}

  /** Current session id, once a session is open. */
  get sessionId(): string | null {
    return this.session?.id ?? null;
  }

  /** Tools offered to the model this session, with their toolsets. */
  get toolList(): Array<{ name: string; toolset: string; description: string }> {
    const tools = this.session ? this.tools : this.allTools();
    return tools.map((tool) => ({
      name: tool.name,
      toolset: tool.toolset,
      description: tool.description,
    }));
  }

  /** The agent's skills, when it has them. */
  get skills(): AgentSkills | undefined {
    return this.options.skills;
  }

  /** The model chain, primary first. */
  get models(): readonly ChainedModel[] {
    return this.options.models;
  }

  /** Replaces the model chain from the next turn on (`/model`). */
  setModels(models: ChainedModel[]): void {
    if (models.length === 0) throw new Error('the model chain needs at least one model');
    this.options.models = models;
  }

  /** Messages of the current session, for `/history`. */
  get messages(): readonly ModelMessage[] {
    return this.history;
  }

  /** Tokens used in the current session. */
  get usage(): TokenUsage {
    return this.sessionUsage;
  }

  /** Opens a new session (ending the current one). */
  async newSession(title = 'chat'): Promise<SessionRecord> {
    const previous = this.session;
    if (previous) await this.options.memory.onSessionEnd(previous.id, this.hookMessages());
    const session = await this.options.sessions.create(this.owner(), { title });
    await this.open(session, [], undefined, noUsage);
    await this.options.memory.onSessionSwitch({
      from: previous?.id ?? null,
      to: session.id,
      reason: 'new',
    });
    return session;
  }

  /** Continues an existing session of this user. */
  async resume(sessionId: string): Promise<SessionRecord> {
    const previous = this.session;
    const session = await this.options.sessions.get(this.owner(), sessionId);
    const stored = await this.allMessages(session.id);
    const summary = stored.find((message) => message.role === 'system')?.content;
    if (previous && previous.id !== session.id)
      await this.options.memory.onSessionEnd(previous.id, this.hookMessages());
    await this.open(session, fromStored(stored), summary, usageOf(session));
    await this.options.memory.onSessionSwitch({
      from: previous?.id ?? null,
      to: session.id,
      reason: 'resume',
    });
    return session;
  }

  /**
   * Runs one turn: recall for this message, the tool loop, persistence, sync to memory. Events
   * stream to `onEvent`; the returned `done` event is also the last one emitted.
   */
  async turn(
    text: string,
    options: { signal?: AbortSignal; onEvent?: (event: AgentEvent) => void } = {},
  ): Promise<TurnDone> {
    if (!this.session) await this.newSession(text.slice(0, 60));
    const session = this.session as SessionRecord;
    const timeout = this.options.turnTimeoutMs;
    const timer = timeout ? AbortSignal.timeout(timeout) : undefined;
    const signals = [options.signal, timer].filter(
      (value): value is AbortSignal => value !== undefined,
    );
    const signal = signals.length > 0 ? AbortSignal.any(signals) : new AbortController().signal;
    const emit = options.onEvent ?? (() => {});
    const at = new Date().toISOString();
    const skills = this.options.skills;
    const invoked = skills ? await skills.expand(text) : null;
    // Recall looks for what the user asked, not for the text of the skill they invoked.
    const asked = invoked ? invoked.instruction || text : text;
    skills?.startTurn({ sessionId: session.id, user: asked, usage: this.sessionUsage });
    await this.options.memory.onTurnStart(session.id, asked);
    const recall = await this.options.memory.prefetch(asked, session.id);
    if (recall.timedOut.length > 0) {
      emit({
        type: 'notice',
        level: 'debug',
        message: `recall: ${recall.timedOut.join(', ')} missed the budget (${Math.round(recall.ms)} ms)`,
      });
    }
    let turnUsage = noUsage;
    if (
      needsCompression(
        this.system,
        [...this.history, { role: 'user', content: text }],
        this.options.compression,
      )
    ) {
      turnUsage = addUsage(turnUsage, await this.compress(signal, emit));
    }
    const current = this.session as SessionRecord;
    const said = invoked ? invoked.message : text;
    const userForModel: ModelMessage = {
      role: 'user',
      content: recall.block ? `${said}\n\n${recall.block}` : said,
    };
    let done: TurnDone;
    let result: Awaited<ReturnType<typeof runTurnLoop>>;
    try {
      result = await runTurnLoop({
        models: this.options.models,
        system: this.system,
        messages: [...this.history, userForModel],
        tools: this.tools,
        maxIterations: this.options.maxIterations,
        maxTokens: this.options.maxTokensPerTurn,
        signal,
        toolContext: {
          signal,
          sessionId: current.id,
          workspace: this.options.workspace,
          confirm: this.options.confirm,
          withheld: this.options.withheld,
        },
        emit,
      });
    } catch (error) {
      this.sessionUsage = addUsage(this.sessionUsage, turnUsage);
      done = {
        type: 'done',
        sessionId: current.id,
        text: '',
        usage: turnUsage,
        sessionUsage: this.sessionUsage,
        steps: 0,
        reason: 'failed',
        error: error instanceof Error ? error.message : String(error),
      };
      await this.saveUsage(emit);
      emit(done);
      return done;
    }
    turnUsage = addUsage(turnUsage, result.usage);
    if (result.reason === 'cancelled' && timer?.aborted && !options.signal?.aborted) {
      emit({
        type: 'notice',
        level: 'warn',
        message: `stopped after ${timeout} ms (limits.timeout_ms); the task may be unfinished`,
      });
      result = { ...result, reason: 'limit' };
    }
    const userMessage: ModelMessage = { role: 'user', content: said };
    this.history.push(userMessage, ...result.added);
    await this.persistTurn(current.id, [userMessage, ...result.added], result.text, at, emit);
    if (result.reason !== 'cancelled' && result.text.trim() !== '') {
      this.options.memory.syncTurn({
        sessionId: current.id,
        user: text,
        assistant: result.text,
        at,
      });
      this.options.memory.queuePrefetch(text, current.id);
    }
    this.sessionUsage = addUsage(this.sessionUsage, turnUsage);
    done = {
      type: 'done',
      sessionId: current.id,
      text: result.text,
      usage: turnUsage,
      sessionUsage: this.sessionUsage,
      steps: result.steps,
      reason: result.reason,
    };
    await this.saveUsage(emit);
    if (result.reason === 'answered') {
      skills?.afterTurn(
        {
          sessionId: current.id,
          user: asked,
          added: result.added,
          answer: result.text,
          sessionUsage: this.sessionUsage,
        },
        this.history,
      );
    }
    emit(done);
    return done;
  }

  /** Resolves when work the agent does after turns (the skills review) has finished. */
  async idle(): Promise<void> {
    await this.options.skills?.idle();
  }

  /** Hands over queued turn syncs without ending the session (a server between requests). */
  async release(): Promise<void> {
    await this.options.memory.flush();
    await this.options.toolSource?.close();
  }

  /** Ends the session for the memory providers, finishes queued syncs and shuts them down. */
  async close(): Promise<void> {
    await this.idle();
    if (this.session) await this.options.memory.onSessionEnd(this.session.id, this.hookMessages());
    await this.options.memory.shutdown();
    await this.options.toolSource?.close();
  }

  private async open(
    session: SessionRecord,
    history: ModelMessage[],
    summary: string | undefined,
    usage: TokenUsage,
  ): Promise<void> {
    this.session = session;
    this.history = history;
    this.summary = summary;
    this.sessionUsage = usage;
    await this.options.memory.initialize({
      sessionId: session.id,
      userId: this.options.userId,
      agentIdentity: this.options.agentName,
      agentContext: this.options.agentContext ?? 'primary',
      home: this.options.home,
      platform: this.options.platform,
      parentSessionId: session.parentId ?? undefined,
    });
    this.sourceTools = (await this.options.toolSource?.tools()) ?? [];
    this.tools = this.allTools();
    await this.rebuildSystem();
  }

  private allTools(): AnyTool[] {
    const core = new Set(this.options.tools.map((tool) => tool.name));
    const skillTools = this.options.skills?.tools() ?? [];
    return [
      ...this.options.tools,
      ...this.sourceTools,
      ...skillTools,
      ...this.options.memory.tools(core),
    ];
  }

  private async rebuildSystem(): Promise<void> {
    this.system = buildSystemPrompt({
      home: this.options.home,
      identity: this.options.identity,
      memoryBlocks: await this.options.memory.systemPromptBlocks(),
      skillBlocks: (await this.options.skills?.systemBlocks()) ?? [],
      tools: this.tools,
      summary: this.summary,
      today: new Date().toISOString().slice(0, 10),
    });
  }

  /** Summarises older messages and continues in a child session holding the summary and the tail. */
  private async compress(
    signal: AbortSignal,
    emit: (event: AgentEvent) => void,
  ): Promise<TokenUsage> {
    const from = this.session as SessionRecord;
    const { older, kept } = splitHistory(this.history, this.options.compression.protectLast);
    if (older.length === 0) return noUsage;
    const notes = await this.options.memory.onPreCompress(older.map(toHook));
    const { summary, usage } = await summarize(
      this.options.models[0] as ChainedModel,
      older,
      notes,
      signal,
      this.summary,
    );
    const child = await this.options.sessions.create(this.owner(), {
      title: from.title,
      parentId: from.id,
      metadata: { compressed_from: from.id },
    });
    const at = new Date().toISOString();
    await this.appendAll(child.id, [
      { role: 'system', content: summary, createdAt: at, metadata: { kind: 'summary' } },
      ...kept.map((message) => toStored(message, at)),
    ]);
    this.session = child;
    this.history = kept;
    this.summary = summary;
    await this.options.memory.onSessionSwitch({
      from: from.id,
      to: child.id,
      reason: 'compression',
    });
    await this.rebuildSystem();
    emit({ type: 'compressed', from: from.id, to: child.id, summarized: older.length });
    return usage;
  }

  private async allMessages(sessionId: string) {
    const all = [];
    for (let offset = 0; ; offset += 100) {
      const page = await this.options.sessions.messages(this.owner(), sessionId, {
        limit: 100,
        offset,
      });
      all.push(...page);
      if (page.length < 100) return all;
    }
  }

  /**
   * Stores a finished turn. When the whole turn cannot be stored, the user's message and the
   * answer still are (without the tool calls, saying why in `persist_error`), so an answered turn
   * never leaves nothing behind; a failure of both is reported, and the answer is still returned.
   */
  private async persistTurn(
    sessionId: string,
    messages: ModelMessage[],
    answer: string,
    at: string,
    emit: (event: AgentEvent) => void,
  ): Promise<void> {
    const stored = messages.map((message) => toStored(message, at));
    const progress = { written: 0 };
    let reason: string;
    try {
      await this.appendAll(sessionId, stored, progress);
      return;
    } catch (error) {
      reason = describeFailure(error);
    }
    emit({
      type: 'notice',
      level: 'warn',
      message: `the tool calls of this turn could not be saved (${reason}); your message and the answer are kept`,
    });
    const kept: StoredMessage = {
      role: 'assistant',
      content: answer,
      createdAt: at,
      metadata: { persist_error: reason.slice(0, 1_000) },
    };
    try {
      await this.options.sessions.append(
        this.owner(),
        sessionId,
        progress.written === 0 ? [stored[0] as StoredMessage, kept] : [kept],
      );
    } catch (error) {
      emit({
        type: 'notice',
        level: 'warn',
        message: `this turn could not be saved to the session: ${describeFailure(error)}`,
      });
    }
  }

  /** Appends in order, in batches of what one append takes; `progress` counts what was written. */
  private async appendAll(
    sessionId: string,
    messages: StoredMessage[],
    progress = { written: 0 },
  ): Promise<void> {
    for (let start = 0; start < messages.length; start += maxAppendMessages) {
      const batch = messages.slice(start, start + maxAppendMessages);
      await this.options.sessions.append(this.owner(), sessionId, batch);
      progress.written += batch.length;
    }
  }

  private async saveUsage(emit: (event: AgentEvent) => void): Promise<void> {
    if (!this.session) return;
    try {
      await this.options.sessions.update(this.owner(), this.session.id, {
        metadata: {
          ...this.session.metadata,
          tokens_in: String(this.sessionUsage.inputTokens),
          tokens_out: String(this.sessionUsage.outputTokens),
        },
      });
    } catch (error) {
      emit({
        type: 'notice',
        level: 'warn',
        message: `the session's token counts could not be saved: ${describeFailure(error)}`,
      });
    }
  }

  private hookMessages(): HookMessage[] {
    return this.history.map(toHook);
  }

  private owner(): { appId: string; tenantId: string; agentId: string } {
    return {
      appId: this.options.appId,
      tenantId: this.options.userId,
      agentId: this.options.agentName,
    };
  }
}

function describeFailure(error: unknown): string {
  if (MnemosError.isInstance(error)) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

function toHook(message: ModelMessage): HookMessage {
  return { role: message.role, content: messageText(message) };
}

function usageOf(session: SessionRecord): TokenUsage {
  return {
    inputTokens: Number(session.metadata.tokens_in ?? 0) || 0,
    outputTokens: Number(session.metadata.tokens_out ?? 0) || 0,
  };
}
