import type { AgentEvent, TokenUsage } from '../core/agent-events.js';
import type { KeyCreateInput } from '../core/key-inputs.js';
import type { AddMemoriesInput, MemoryPatch, SearchMemoriesInput } from '../core/memory-inputs.js';
import type { MemoryKind } from '../core/memory-record.js';
import type { Scope } from '../core/scope.js';
import type {
  AppendMessage,
  SessionCreateInput as LibrarySessionCreateInput,
} from '../core/session-inputs.js';

/**
 * Options of {@link MnemosClient}. The API key decides the (app, tenant) every call acts on; an admin
 * key may name another one with `forTenant`.
 */
export interface ClientOptions {
  /** Where `mnemos serve` listens, e.g. `http://127.0.0.1:8787`. */
  baseUrl: string;
  /** `mn_…`, from `mnemos keys create`. */
  apiKey: string;
  /** The fetch to use; default the global one. */
  fetch?: typeof fetch;
  /** Longest wait for an answer, ms (for streams: for the response headers); default 30 000, 0 = none. */
  timeoutMs?: number;
  /** Extra headers sent with every request. */
  headers?: Record<string, string>;
}

/** Per-call options. */
export interface CallOptions {
  signal?: AbortSignal;
  /** Overrides the client's `timeoutMs` for this call. */
  timeoutMs?: number;
}

/**
 * A scope as the client sends it: app and tenant come from the API key (naming another is refused),
 * so only agent and run are usually given.
 */
export type ClientScope = Partial<Scope>;

/** `store` of a call; the server's default store when omitted. */
export interface StoreOption {
  store?: string;
}

/** Input of `memories.add`: the library's, with the scope optional (agent and run default to `default`). */
export type ClientAddInput = Omit<AddMemoriesInput, 'scope'> & { scope?: ClientScope };

/** Input of `memories.search`: the library's, reading across agents and runs unless scoped. */
export type ClientSearchInput = Omit<SearchMemoriesInput, 'scope'> & { scope?: ClientScope };

/** Input of `memories.list`; the HTTP API filters by one kind. */
export interface ClientListInput extends StoreOption {
  scope?: Pick<ClientScope, 'agentId' | 'runId'>;
  kind?: MemoryKind;
  includeDeleted?: boolean;
  limit?: number;
  offset?: number;
}

export type { KeyCreateInput, MemoryPatch };

/** A raw message kept from ingestion (the short-term memory). */
export interface MemoryMessage {
  jobId: string;
  role: string;
  content: string;
  createdAt: string | null;
  scope: Record<string, string>;
}

/** Input of `sessions.create`: the library's, plus the agent that owns the session. */
export type SessionCreateInput = LibrarySessionCreateInput & {
  agentId?: string;
  /** An agent definition of the tenant the session talks to (`agents.list`); stored as its agentId. */
  agent?: string;
  /** The tenant the session is for: a tenant key's own, or any of its app for an admin key. */
  user_id?: string;
};

/** Messages `sessions.append` takes. */
export type SessionAppendInput = AppendMessage[];

/** Paging of lists. */
export interface PageOptions {
  limit?: number;
  offset?: number;
}

/** The `done` event of an agent turn. */
export type TurnDoneEvent = Extract<AgentEvent, { type: 'done' }>;

/** What `sessions.send` answers: one finished agent turn. */
export interface TurnResult {
  turnId: string;
  sessionId: string;
  /** The assistant's answer. */
  text: string;
  usage: TokenUsage;
  steps: number;
  reason: TurnDoneEvent['reason'];
  error?: string;
}

/** One event of a streamed turn, with its SSE id (`<turnId>.<n>`) for resuming. */
export interface StreamedEvent {
  id: string;
  turnId: string;
  event: AgentEvent;
}

/** Options of `sessions.stream`. */
export interface StreamOptions {
  /** Profile / agent name; default the server's `agent_id`. */
  agentId?: string;
  /** Stops reading (and closes the connection); the turn itself runs on. */
  signal?: AbortSignal;
  /**
   * Resume the turn this event id belongs to, after it, instead of starting a new turn (the content
   * is not sent again).
   */
  lastEventId?: string;
}
