import type { SessionMessage, SessionRecord } from '../core/session-record.js';
import { type HttpTransport, segment } from './http-transport.js';
import { sessionEvents } from './session-stream.js';
import { turnEvents, turnOf } from './turn-stream.js';
import type {
  CallOptions,
  PageOptions,
  SessionAppendInput,
  SessionCreateInput,
  StreamedEvent,
  StreamOptions,
  TurnResult,
} from './types.js';

/** How long `send` waits for a whole agent turn unless told, ms. */
const turnTimeoutMs = 600_000;

/** Session history of the key's tenant, and the agent that answers in a session. */
export class SessionsApi {
  constructor(private readonly http: HttpTransport) {}

  /** Starts a session. */
  create(input: SessionCreateInput = {}, options: CallOptions = {}): Promise<SessionRecord> {
    return this.http.json('POST', '/v1/sessions', { ...options, body: input });
  }

  /** Sessions of the tenant, most recently active first. */
  async list(page: PageOptions = {}, options: CallOptions = {}): Promise<SessionRecord[]> {
    const { sessions } = await this.http.json<{ sessions: SessionRecord[] }>(
      'GET',
      '/v1/sessions',
      { ...options, query: { limit: page.limit, offset: page.offset } },
    );
    return sessions;
  }

  /** One session; `not_found` otherwise. */
  get(id: string, options: CallOptions = {}): Promise<SessionRecord> {
    return this.http.json('GET', `/v1/sessions${segment(id)}`, options);
  }

  /** Deletes a session and its messages. */
  async delete(id: string, options: CallOptions = {}): Promise<void> {
    await this.http.json('DELETE', `/v1/sessions${segment(id)}`, options);
  }

  /** Messages of a session, in order. */
  async messages(
    id: string,
    page: PageOptions = {},
    options: CallOptions = {},
  ): Promise<SessionMessage[]> {
    const { messages } = await this.http.json<{ messages: SessionMessage[] }>(
      'GET',
      `/v1/sessions${segment(id)}/messages`,
      { ...options, query: { limit: page.limit, offset: page.offset } },
    );
    return messages;
  }

  /** Appends messages without running the agent (the session history service); the stored ones. */
  async append(
    id: string,
    messages: SessionAppendInput,
    options: CallOptions = {},
  ): Promise<SessionMessage[]> {
    const { messages: stored } = await this.http.json<{ messages: SessionMessage[] }>(
      'POST',
      `/v1/sessions${segment(id)}/history`,
      { ...options, body: { messages } },
    );
    return stored;
  }

  /** Full-text search over the tenant's messages (CJK-aware), optionally in one session. */
  async search(
    query: string,
    filter: { sessionId?: string; limit?: number } = {},
    options: CallOptions = {},
  ): Promise<Array<SessionMessage & { score: number }>> {
    const { messages } = await this.http.json<{
      messages: Array<SessionMessage & { score: number }>;
    }>('GET', '/v1/sessions/search', {
      ...options,
      query: { query, sessionId: filter.sessionId, limit: filter.limit },
    });
    return messages;
  }

  /** Runs one agent turn and waits for its answer (up to ten minutes unless `timeoutMs` says). */
  send(
    sessionId: string,
    content: string,
    options: CallOptions & { agentId?: string } = {},
  ): Promise<TurnResult> {
    const { agentId, ...call } = options;
    return this.http.json('POST', `/v1/sessions${segment(sessionId)}/messages`, {
      ...call,
      timeoutMs: call.timeoutMs ?? Math.max(this.http.timeoutMs, turnTimeoutMs),
      body: { content, ...(agentId ? { agentId } : {}) },
    });
  }

  /**
   * Runs one agent turn and yields its events as they happen (`token`, `tool_call`, … `done`), each
   * with its id. With `lastEventId`, resumes the turn that id belongs to instead of starting one.
   * @example for await (const { event } of client.sessions.stream(id, '你好')) if (event.type === 'token') process.stdout.write(event.text);
   */
  stream(
    sessionId: string,
    content: string,
    options: StreamOptions = {},
  ): AsyncIterable<StreamedEvent> {
    const start = options.lastEventId
      ? ({
          kind: 'resume',
          turnId: turnOf(options.lastEventId),
          lastEventId: options.lastEventId,
        } as const)
      : ({ kind: 'new', content, agentId: options.agentId } as const);
    return turnEvents(this.http, sessionId, start, options.signal);
  }

  /** The events of a turn after `lastEventId` (all of them without it), live until `done`. */
  resume(
    sessionId: string,
    turnId: string,
    lastEventId?: string,
    options: { signal?: AbortSignal } = {},
  ): AsyncIterable<StreamedEvent> {
    return turnEvents(
      this.http,
      sessionId,
      { kind: 'resume', turnId, lastEventId },
      options.signal,
    );
  }

  /**
   * Every event of every turn of a session, whoever started the turn: kept ones after
   * `lastEventId`, then live ones, until `signal` aborts (the stream never ends by itself).
   * @example for await (const { event } of client.sessions.watch(id, { signal })) if (event.type === 'done') console.log(event.text);
   */
  watch(
    sessionId: string,
    options: { lastEventId?: string; signal?: AbortSignal } = {},
  ): AsyncIterable<StreamedEvent> {
    return sessionEvents(this.http, sessionId, options.lastEventId, options.signal);
  }
}
