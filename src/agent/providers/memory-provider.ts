import type { AnyTool } from '../tools/tool.js';

/** Why an agent runs: only `primary` conversations write memory; the others only read. */
export type AgentContext = 'primary' | 'subagent' | 'cron' | 'flush';

/** Who and where a provider serves, given once at `initialize`. */
export interface ProviderSession {
  sessionId: string;
  /** The user; becomes the tenant of memory scopes. */
  userId: string;
  /** Profile / agent name; becomes the agent of memory scopes. */
  agentIdentity: string;
  agentContext: AgentContext;
  /** The Mnemos home of the profile. */
  home: string;
  /** `cli`, `http`, … */
  platform: string;
  parentSessionId?: string | undefined;
}

/** One finished turn, with secrets already redacted. */
export interface CompletedTurn {
  sessionId: string;
  user: string;
  assistant: string;
  /** When the user wrote (ISO 8601). */
  at: string;
}

/** A message as hooks see it. */
export interface HookMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
}

/** How the session changed, for `onSessionSwitch`. */
export interface SessionSwitch {
  from: string | null;
  to: string;
  reason: 'new' | 'resume' | 'branch' | 'compression';
}

/** A write of the built-in curated memory, mirrored to providers by `onMemoryWrite`. */
export interface MemoryWrite {
  action: 'add' | 'replace' | 'remove';
  /** `memory` (agent notes) or `user` (user profile notes). */
  target: 'memory' | 'user';
  content: string;
}

/**
 * A long-term memory behind the agent, with the lifecycle of Hermes' `MemoryProvider`. Only `name`
 * and `initialize` are required; every other hook is optional. Hooks must not throw for ordinary
 * failures (a service that is down): they degrade, and the manager logs once.
 */
export interface MemoryProvider {
  readonly name: string;
  /** Called once per session before anything else; no network required. */
  initialize(session: ProviderSession): Promise<void>;
  /** Static text for the system prompt (cached prefix); called once per session. */
  systemPromptBlock?(): string | Promise<string>;
  /** Recall for the CURRENT user message; the manager bounds it with a latency budget. */
  prefetch?(query: string, sessionId: string, signal: AbortSignal): Promise<string | null>;
  /** Warm a cache for the likely next turn after this one. */
  queuePrefetch?(query: string, sessionId: string): void;
  /** Store a finished turn; the manager calls it off the turn's critical path, in turn order. */
  syncTurn?(turn: CompletedTurn): Promise<void>;
  /** Tools this provider offers the model. */
  tools?(): AnyTool[];
  onTurnStart?(sessionId: string, userMessage: string): void | Promise<void>;
  onSessionEnd?(sessionId: string, messages: readonly HookMessage[]): Promise<void>;
  onSessionSwitch?(change: SessionSwitch): Promise<void>;
  /** Text to keep in the summary when older messages are compressed. */
  onPreCompress?(messages: readonly HookMessage[]): Promise<string | null>;
  onMemoryWrite?(write: MemoryWrite): Promise<void>;
  onDelegation?(task: string, result: string): Promise<void>;
  shutdown?(): Promise<void>;
}
