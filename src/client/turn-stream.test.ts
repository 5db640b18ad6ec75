import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../../test/support/http-service.js';
import { MnemosError } from '../core/errors.js';
import { MnemosClient } from './mnemos-client.js';
import { readSse } from './sse.js';
import type { StreamedEvent } from './types.js';

let service: TestService;
let alice: MnemosClient;

beforeAll(async () => {
  service = await startTestService();
  alice = new MnemosClient({ baseUrl: service.server.url, apiKey: service.keys.alice });
  await alice.memories.add({ text: '我的猫叫年糕', sync: true });
});
afterAll(async () => {
  await service.close();
});
beforeEach(() => {
  service.chat.length = 0;
});

async function collect(events: AsyncIterable<StreamedEvent>): Promise<StreamedEvent[]> {
  const out: StreamedEvent[] = [];
  for await (const event of events) out.push(event);
  return out;
}

/** The agent looks the cat up with memory_search, then answers in two streamed pieces. */
function scriptToolTurn(): void {
  service.chat.push(
    { toolCalls: [{ name: 'memory_search', arguments: { query: '猫' } }] },
    { text: '你的猫叫年糕。', chunks: ['你的猫', '叫年糕。'] },
  );
}

describe('sessions.stream', () => {
  it('yields the typed events of an agent turn with their ids, ending with done', async () => {
    const session = await alice.sessions.create({ title: '猫' });
    scriptToolTurn();
    const events = await collect(alice.sessions.stream(session.id, '我的猫叫什么名字？'));
    const types = events.map((item) => item.event.type);
    expect(types).toContain('tool_call');
    expect(types).toContain('tool_result');
    expect(types.filter((type) => type === 'token').length).toBeGreaterThanOrEqual(2);
    expect(types.at(-1)).toBe('done');

    const turnId = events[0]!.turnId;
    expect(events.map((item) => item.id)).toEqual(events.map((_, n) => `${turnId}.${n + 1}`));
    const call = events.find((item) => item.event.type === 'tool_call')!.event;
    expect(call).toMatchObject({ name: 'memory_search', args: { query: '猫' } });
    const result = events.find((item) => item.event.type === 'tool_result')!.event;
    expect(JSON.stringify(result)).toContain('我的猫叫年糕');
    const done = events.at(-1)!.event;
    expect(done).toMatchObject({ type: 'done', text: '你的猫叫年糕。', reason: 'answered' });
    const tokens = events.flatMap((item) => (item.event.type === 'token' ? [item.event.text] : []));
    expect(tokens.join('')).toBe('你的猫叫年糕。');

    // Resuming after an event gives exactly the rest; without an id, the whole turn again.
    expect(await collect(alice.sessions.resume(session.id, turnId, events[1]!.id))).toEqual(
      events.slice(2),
    );
    expect(await collect(alice.sessions.resume(session.id, turnId))).toEqual(events);
    // stream() with lastEventId resumes that turn instead of starting another.
    const before = (await alice.sessions.get(session.id)).messageCount;
    const resumed = await collect(
      alice.sessions.stream(session.id, 'not sent', { lastEventId: events[0]!.id }),
    );
    expect(resumed).toEqual(events.slice(1));
    expect((await alice.sessions.get(session.id)).messageCount).toBe(before);
  });

  it('picks a broken stream up from its last event id: every event once, in order', async () => {
    const session = await alice.sessions.create();
    const requests: string[] = [];
    let cut = false;
    /** Ends the first event stream with a network error right after its first event. */
    const flaky: typeof fetch = async (input, init) => {
      requests.push(`${init?.method ?? 'GET'} ${new URL(String(input)).pathname}`);
      const response = await fetch(input, init);
      if (cut || !response.body || init?.method !== 'POST') return response;
      cut = true;
      return new Response(firstEventThenFail(response.body), {
        status: response.status,
        headers: response.headers,
      });
    };
    const client = new MnemosClient({
      baseUrl: service.server.url,
      apiKey: service.keys.alice,
      fetch: flaky,
    });
    service.chat.push({ text: '一二三四五六七八', chunks: ['一二', '三四', '五六', '七八'] });
    const events = await collect(client.sessions.stream(session.id, '数到八'));
    const turnId = events[0]!.turnId;
    expect(events.map((item) => item.id)).toEqual(events.map((_, n) => `${turnId}.${n + 1}`));
    expect(events.at(-1)!.event).toMatchObject({ type: 'done', text: '一二三四五六七八' });
    expect(requests).toEqual([
      `POST /v1/sessions/${session.id}/messages`,
      `GET /v1/sessions/${session.id}/turns/${turnId}/events`,
    ]);
  });

  it('send answers the finished turn as JSON', async () => {
    const session = await alice.sessions.create();
    service.chat.push({ text: '你好，爱丽丝。' });
    const turn = await alice.sessions.send(session.id, '你好', { agentId: 'greeter' });
    expect(turn).toMatchObject({
      sessionId: session.id,
      text: '你好，爱丽丝。',
      reason: 'answered',
    });
    expect(turn.turnId).toMatch(/^[0-9a-f-]{36}$/);
    expect((await alice.sessions.messages(session.id)).map((message) => message.role)).toEqual([
      'user',
      'assistant',
    ]);
  });

  it('errors: an unknown session, and a turn of another tenant', async () => {
    const missing = await collect(alice.sessions.stream('no-such-session', '你好')).catch(
      (error: unknown) => error,
    );
    expect(MnemosError.isInstance(missing) && missing.code).toBe('not_found');

    const session = await alice.sessions.create();
    const events = await collect(alice.sessions.stream(session.id, '你好'));
    const bob = new MnemosClient({ baseUrl: service.server.url, apiKey: service.keys.bob });
    const stolen = await collect(bob.sessions.resume(session.id, events[0]!.turnId)).catch(
      (error: unknown) => error,
    );
    expect(MnemosError.isInstance(stolen) && stolen.code).toBe('not_found');
  });

  it('stopping the iteration early closes the stream; the turn still finishes', async () => {
    const session = await alice.sessions.create();
    service.chat.push({ text: '很长的回答', chunks: ['很长', '的', '回答'] });
    let first: StreamedEvent | undefined;
    for await (const item of alice.sessions.stream(session.id, '说点什么')) {
      first = item;
      break;
    }
    const rest = await collect(alice.sessions.resume(session.id, first!.turnId, first!.id));
    expect(rest.at(-1)!.event).toMatchObject({ type: 'done', text: '很长的回答' });
  });
});

describe('readSse', () => {
  it('follows the SSE rules: CRLF split across chunks, comments, multi-line data, BOM', async () => {
    const chunks = [
      '\uFEFF: hello\r',
      '\nevent: token\r\nid: t.1\r\ndata: {"text":',
      '"a"}\r\n\r',
      '\n',
      'data: one\ndata: two\n\nevent: x\n',
    ];
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
        controller.close();
      },
    });
    const messages = [];
    for await (const message of readSse(body)) messages.push(message);
    expect(messages).toEqual([
      { event: 'token', id: 't.1', data: '{"text":"a"}' },
      { event: 'message', id: 't.1', data: 'one\ntwo' },
    ]);
  });
});

/** A body that passes its first event through, then fails like a dropped connection. */
function firstEventThenFail(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let seen = '';
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { value, done } = await reader.read();
      if (done) return controller.close();
      seen += decoder.decode(value, { stream: true });
      const end = seen.indexOf('\n\n');
      if (end < 0) return;
      controller.enqueue(new TextEncoder().encode(seen.slice(0, end + 2)));
      await reader.cancel();
      controller.error(new TypeError('terminated'));
    },
  });
}
