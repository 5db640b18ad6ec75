import { MnemosError } from '../core/errors.js';
import { type HttpTransport, type OpenResponse, segment } from './http-transport.js';
import { readSse } from './sse.js';
import { isEventType, parseEvent, turnOf } from './turn-stream.js';
import type { StreamedEvent } from './types.js';

/** How often in a row a broken session stream is opened again before the failure is thrown. */
const maxReconnects = 3;

/**
 * Every event of every turn of a session (`GET /v1/sessions/{id}/stream`), kept ones after
 * `lastEventId` first, then live ones, until `signal` aborts. A connection that breaks or ends is
 * opened again from the last event id seen (three times in a row at most), so none is lost or
 * repeated while the server keeps the events.
 */
export async function* sessionEvents(
  transport: HttpTransport,
  sessionId: string,
  lastEventId?: string,
  signal?: AbortSignal,
): AsyncGenerator<StreamedEvent> {
  let lastId = lastEventId;
  const path = `/v1/sessions${segment(sessionId)}/stream`;
  for (let failures = 0; ; ) {
    let opened: OpenResponse;
    try {
      opened = await transport.open('GET', path, {
        headers: { accept: 'text/event-stream', ...(lastId ? { 'last-event-id': lastId } : {}) },
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      if (signal?.aborted) return;
      if (!MnemosError.isInstance(error) || error.code !== 'upstream_error') throw error;
      if (++failures > maxReconnects) throw error;
      continue;
    }
    try {
      if (!opened.response.body) throw new Error('the event stream has no body');
      for await (const message of readSse(opened.response.body)) {
        if (!isEventType(message.event) || message.id === undefined) continue;
        failures = 0;
        lastId = message.id;
        yield {
          id: message.id,
          turnId: turnOf(message.id),
          event: parseEvent(message.event, message.id, message.data),
        };
      }
    } catch (error) {
      if (signal?.aborted) return;
      const failure = transport.failure(error, 'GET', path, signal ? { signal } : {}, false);
      if (!MnemosError.isInstance(failure) || failure.code !== 'upstream_error') throw failure;
    } finally {
      opened.release();
    }
    if (signal?.aborted) return;
    if (++failures > maxReconnects) {
      throw new MnemosError(
        'upstream_error',
        `the event stream of session ${sessionId} kept closing; last event ${lastId ?? '(none)'}`,
        { category: 'upstream', details: { reason: 'network', sessionId, lastEventId: lastId } },
      );
    }
  }
}
