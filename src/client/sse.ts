/** One server-sent event as it arrived: its `event` name (default `message`), `id` and `data`. */
export interface SseMessage {
  event: string;
  id: string | undefined;
  data: string;
}

const lineEnd = /\r\n|\r|\n/;

/**
 * Parses a `text/event-stream` body by the WHATWG rules (fields `event`, `data`, `id`; comments and
 * `retry` ignored; CRLF, CR or LF line ends, even split across chunks). Stopping the iteration
 * cancels the body, which closes the connection.
 */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let started = false;
  let event = '';
  let data: string[] = [];
  let id: string | undefined;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      if (!started && buffer.length > 0) {
        started = true;
        if (buffer.charCodeAt(0) === 0xfeff) buffer = buffer.slice(1);
      }
      for (;;) {
        const at = buffer.search(lineEnd);
        // A lone CR at the end may be the first half of a CRLF still on its way.
        if (at < 0 || (!done && at === buffer.length - 1 && buffer[at] === '\r')) break;
        const width = buffer.startsWith('\r\n', at) ? 2 : 1;
        const line = buffer.slice(0, at);
        buffer = buffer.slice(at + width);
        if (line === '') {
          if (data.length > 0) yield { event: event || 'message', id, data: data.join('\n') };
          event = '';
          data = [];
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let text = colon < 0 ? '' : line.slice(colon + 1);
        if (text.startsWith(' ')) text = text.slice(1);
        if (field === 'event') event = text;
        else if (field === 'data') data.push(text);
        else if (field === 'id' && !text.includes('\u0000')) id = text;
      }
      if (done) return;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
