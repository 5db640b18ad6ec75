import type { AgentEvent } from '../core/agent-events.js';
import { MnemosError } from '../core/errors.js';
import { type HttpTransport, type OpenResponse, segment } from './http-transport.js';
import { readSse } from './sse.js';
import type { StreamedEvent } from './types.js';

/** Every event type of an agent turn; a `Record` so a new one fails to compile until listed. */
const eventTypes: Record<AgentEvent['type'], true> = {
  token: true,
  tool_call: true,
  tool_result: true,
  notice: true,
  model_fallback: true,
  compressed: true,
  delegation_start: true,
  delegation_done: true,
  done: true,
};

/** How often a stream that broke before `done` is picked up again from its last event id. */
const maxReconnects = 3;

/** What a turn stream starts from: a new turn (`content`), or an existing one after an event id. */
export type TurnStart =
  | { kind: 'new'; content: string; agentId?: string | undefined }
  | { kind: 'resume'; turnId: string; lastEventId?: string | undefined };

/**
 * The events of one agent turn, in order, ending with `done`. When the connection breaks first, the
 * stream is resumed from the last event id it saw (up to three times), so no event is lost or
 * repeated; events of unknown types (a newer server) are skipped.
 */
export async function* turnEvents(
  transport: HttpTransport,
  sessionId: string,
  start: TurnStart,
  signal?: AbortSignal,
): AsyncGenerator<StreamedEvent> {
  let turnId = start.kind === 'resume' ? start.turnId : undefined;
  let lastId = start.kind === 'resume' ? start.lastEventId : undefined;
  const base = `/v1/sessions${segment(sessionId)}`;
  for (let attempt = 0; ; attempt++) {
    let opened: OpenResponse;
    const method = turnId === undefined ? 'POST' : 'GET';
    const path =
      turnId === undefined ? `${base}/messages` : `${base}/turns${segment(turnId)}/events`;
    if (turnId === undefined && start.kind === 'new') {
      opened = await transport.open('POST', path, {
        body: {
          content: start.content,
          stream: true,
          ...(start.agentId ? { agentId: start.agentId } : {}),
        },
        headers: { accept: 'text/event-stream' },
        ...(signal ? { signal } : {}),
      });
      turnId = opened.response.headers.get('x-mnemos-turn') ?? undefined;
    } else {
      opened = await transport.open('GET', path, {
        headers: { accept: 'text/event-stream', ...(lastId ? { 'last-event-id': lastId } : {}) },
        ...(signal ? { signal } : {}),
      });
    }
    try {
      if (!opened.response.body) throw new Error('the event stream has no body');
      for await (const message of readSse(opened.response.body)) {
        if (!Object.hasOwn(eventTypes, message.event) || message.id === undefined) continue;
        const event = parseEvent(message.event, message.id, message.data);
        lastId = message.id;
        turnId ??= turnOf(message.id);
        yield { id: message.id, turnId, event };
        if (event.type === 'done') return;
      }
    } catch (error) {
      const failure = transport.failure(error, method, path, signal ? { signal } : {}, false);
      if (!MnemosError.isInstance(failure) || failure.code !== 'upstream_error') throw failure;
      if (turnId === undefined || attempt >= maxReconnects) throw failure;
      continue;
    } finally {
      opened.release();
    }
    if (turnId === undefined || attempt >= maxReconnects) {
      throw new MnemosError(
        'upstream_error',
        `the event stream of turn ${turnId ?? '(unknown)'} ended before its done event`,
        { category: 'upstream', details: { reason: 'network', turnId, lastEventId: lastId } },
      );
    }
  }
}

/** An agent event from its SSE name and JSON data (the event minus `type`). */
function parseEvent(type: string, id: string, data: string): AgentEvent {
  try {
    return { type, ...JSON.parse(data) } as AgentEvent;
  } catch {
    throw new MnemosError('internal_error', `event ${id} of the stream is not valid JSON`, {
      category: 'system',
      details: { id, type },
    });
  }
}

/** The turn an event id (`<turnId>.<n>`) belongs to. */
export function turnOf(eventId: string): string {
  const dot = eventId.lastIndexOf('.');
  return dot > 0 ? eventId.slice(0, dot) : eventId;
}
