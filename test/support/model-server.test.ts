import { afterEach, describe, expect, it } from 'vitest';
import {
  holdUntilClosed,
  type ModelServer,
  type ModelServerOptions,
  startModelServer,
} from './model-server.js';

let server: ModelServer | undefined;

async function start(options: ModelServerOptions = {}): Promise<ModelServer> {
  server = await startModelServer(options);
  return server;
}

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

interface EmbeddingResponse {
  object: string;
  data: Array<{ object: string; index: number; embedding: number[] }>;
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}

function dot(a: number[], b: number[]): number {
  return a.reduce((sum, value, index) => sum + value * (b[index] ?? 0), 0);
}

/** Reads an SSE body into its `data:` payloads. */
async function sse(response: Response): Promise<string[]> {
  const text = await response.text();
  return text
    .split('\n\n')
    .filter((event) => event.startsWith('data: '))
    .map((event) => event.slice('data: '.length));
}

describe('startModelServer', () => {
  it('listens on 127.0.0.1 with an ephemeral port and exposes the /v1 base URL', async () => {
    const { url, origin } = await start();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    expect(url).toBe(`${origin}/v1`);
    const models = await fetch(`${url}/models`);
    expect(models.status).toBe(200);
    expect(((await models.json()) as { object: string }).object).toBe('list');
  });

  describe('embeddings', () => {
    it('answers a batch in the OpenAI shape with deterministic unit vectors', async () => {
      const { url } = await start({ dimensions: 16 });
      const response = await post(`${url}/embeddings`, {
        model: 'm',
        input: ['the user likes tea', 'the user likes tea', '完全不同的内容'],
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as EmbeddingResponse;
      expect(body.object).toBe('list');
      expect(body.model).toBe('m');
      expect(body.usage.prompt_tokens).toBeGreaterThan(0);
      expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens);
      expect(body.data.map((item) => [item.object, item.index])).toEqual([
        ['embedding', 0],
        ['embedding', 1],
        ['embedding', 2],
      ]);
      const [a, b, c] = body.data.map((item) => item.embedding);
      expect(a).toHaveLength(16);
      expect(a).toEqual(b);
      expect(dot(a!, a!)).toBeCloseTo(1, 6);
      expect(c).not.toEqual(a);
    });

    it('gives texts sharing words closer vectors than unrelated texts, Chinese included', async () => {
      const { url } = await start({ dimensions: 256 });
      const response = await post(`${url}/embeddings`, {
        model: 'm',
        input: ['用户喜欢喝茶', '用户喜欢喝绿茶', '明天去机场'],
      });
      const [query, related, unrelated] = ((await response.json()) as EmbeddingResponse).data.map(
        (item) => item.embedding,
      );
      expect(dot(query!, related!)).toBeGreaterThan(dot(query!, unrelated!));
    });

    it('accepts a single string, honours dimensions and base64 encoding', async () => {
      const { url } = await start({ dimensions: 16 });
      const asked = (await (
        await post(`${url}/embeddings`, { model: 'm', input: 'hello', dimensions: 5 })
      ).json()) as EmbeddingResponse;
      expect(asked.data).toHaveLength(1);
      expect(asked.data[0]!.embedding).toHaveLength(5);

      const encoded = (await (
        await post(`${url}/embeddings`, { model: 'm', input: 'hello', encoding_format: 'base64' })
      ).json()) as { data: Array<{ embedding: string }> };
      const bytes = Buffer.from(encoded.data[0]!.embedding, 'base64');
      const decoded = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
      const plain = (await (
        await post(`${url}/embeddings`, { model: 'm', input: 'hello' })
      ).json()) as EmbeddingResponse;
      expect(Array.from(decoded)).toEqual(
        plain.data[0]!.embedding.map((value) => Math.fround(value)),
      );
    });

    it('refuses bad input and batches above maxEmbeddingBatch with 400', async () => {
      const { url } = await start({ maxEmbeddingBatch: 2 });
      const tooMany = await post(`${url}/embeddings`, { model: 'm', input: ['a', 'b', 'c'] });
      expect(tooMany.status).toBe(400);
      expect(((await tooMany.json()) as { error: { message: string } }).error.message).toMatch(
        /larger than 2/,
      );
      expect((await post(`${url}/embeddings`, { model: 'm', input: [1, 2] })).status).toBe(400);
      const notJson = await fetch(`${url}/embeddings`, { method: 'POST', body: '{oops' });
      expect(notJson.status).toBe(400);
    });
  });

  describe('chat completions', () => {
    it('answers scripted replies first in, first out, then the default reply', async () => {
      const { url, pendingScript } = await start();
      server!.script({ text: 'first' }, { json: { answer: 42 } });
      expect(pendingScript()).toBe(2);
      const contents: Array<string | null> = [];
      for (let turn = 0; turn < 3; turn++) {
        const response = await post(`${url}/chat/completions`, {
          model: 'chat-model',
          messages: [{ role: 'user', content: 'hi' }],
        });
        expect(response.status).toBe(200);
        const body = (await response.json()) as {
          object: string;
          model: string;
          choices: Array<{
            message: { role: string; content: string | null };
            finish_reason: string;
          }>;
          usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
        };
        expect(body.object).toBe('chat.completion');
        expect(body.model).toBe('chat-model');
        expect(body.choices[0]!.message.role).toBe('assistant');
        expect(body.choices[0]!.finish_reason).toBe('stop');
        expect(body.usage.total_tokens).toBe(
          body.usage.prompt_tokens + body.usage.completion_tokens,
        );
        contents.push(body.choices[0]!.message.content);
      }
      expect(contents).toEqual(['first', '{"answer":42}', 'ok']);
      expect(pendingScript()).toBe(0);
    });

    it('returns tool calls with JSON-encoded arguments', async () => {
      const { url } = await start();
      server!.script({
        toolCalls: [
          { name: 'search_memory', arguments: { query: '回答风格' } },
          { id: 'call_fixed', name: 'noop', arguments: '{}' },
        ],
      });
      const body = (await (
        await post(`${url}/chat/completions`, {
          model: 'm',
          messages: [{ role: 'user', content: 'x' }],
          tools: [{ type: 'function', function: { name: 'search_memory', parameters: {} } }],
        })
      ).json()) as {
        choices: Array<{
          message: {
            content: string | null;
            tool_calls: Array<{
              id: string;
              type: string;
              function: { name: string; arguments: string };
            }>;
          };
          finish_reason: string;
        }>;
      };
      const choice = body.choices[0]!;
      expect(choice.finish_reason).toBe('tool_calls');
      expect(choice.message.content).toBeNull();
      expect(choice.message.tool_calls.map((call) => call.function.name)).toEqual([
        'search_memory',
        'noop',
      ]);
      expect(JSON.parse(choice.message.tool_calls[0]!.function.arguments)).toEqual({
        query: '回答风格',
      });
      expect(choice.message.tool_calls[0]!.type).toBe('function');
      expect(choice.message.tool_calls[1]!.id).toBe('call_fixed');
    });

    it('answers a scripted HTTP error and lets a handler compute the reply', async () => {
      const { url } = await start();
      server!.script(
        { status: 429, error: 'slow down', headers: { 'retry-after': '0' } },
        (request) => ({
          text: `you said ${String(request.messages?.at(-1)?.content)}`,
        }),
      );
      const failed = await post(`${url}/chat/completions`, { model: 'm', messages: [] });
      expect(failed.status).toBe(429);
      expect(failed.headers.get('retry-after')).toBe('0');
      expect(((await failed.json()) as { error: { message: string } }).error.message).toBe(
        'slow down',
      );
      const handled = (await (
        await post(`${url}/chat/completions`, {
          model: 'm',
          messages: [{ role: 'user', content: 'ping' }],
        })
      ).json()) as { choices: Array<{ message: { content: string } }> };
      expect(handled.choices[0]!.message.content).toBe('you said ping');
    });

    it('lets a handler hold a request until the client goes away (holdUntilClosed)', async () => {
      const { url } = await start();
      let released = false;
      server!.script(async (_request, _recorded, closed) => {
        const reply = await holdUntilClosed(closed);
        released = true;
        return reply;
      });
      await expect(
        fetch(`${url}/chat/completions`, {
          method: 'POST',
          body: JSON.stringify({ model: 'm', messages: [] }),
          signal: AbortSignal.timeout(100),
        }),
      ).rejects.toThrow();
      while (!released) await new Promise((resolve) => setTimeout(resolve, 5));
      const next = (await (
        await post(`${url}/chat/completions`, { model: 'm', messages: [] })
      ).json()) as { choices: Array<{ message: { content: string } }> };
      expect(next.choices[0]!.message.content).toBe('ok');
    });

    it('defaults to {} when JSON output is requested', async () => {
      const { url } = await start();
      const body = (await (
        await post(`${url}/chat/completions`, {
          model: 'm',
          messages: [],
          response_format: { type: 'json_object' },
        })
      ).json()) as { choices: Array<{ message: { content: string } }> };
      expect(JSON.parse(body.choices[0]!.message.content)).toEqual({});
    });

    it('streams content and tool call deltas as SSE, ending with [DONE]', async () => {
      const { url } = await start();
      server!.script({
        text: '你好，世界 and a longer English tail',
        toolCalls: [{ name: 'remember', arguments: { text: '用户喜欢绿茶', tags: ['drink'] } }],
      });
      const response = await post(`${url}/chat/completions`, {
        model: 'm',
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
        stream_options: { include_usage: true },
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/event-stream');
      const events = await sse(response);
      expect(events.at(-1)).toBe('[DONE]');
      const chunks = events.slice(0, -1).map(
        (event) =>
          JSON.parse(event) as {
            object: string;
            choices: Array<{
              delta: {
                role?: string;
                content?: string;
                tool_calls?: Array<{
                  index: number;
                  id?: string;
                  function: { name?: string; arguments: string };
                }>;
              };
              finish_reason: string | null;
            }>;
            usage?: { total_tokens: number };
          },
      );
      expect(chunks.every((chunk) => chunk.object === 'chat.completion.chunk')).toBe(true);
      expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
      let content = '';
      const calls: Array<{ id?: string; name?: string; arguments: string }> = [];
      let finish: string | null = null;
      for (const chunk of chunks) {
        const choice = chunk.choices[0];
        if (!choice) continue;
        content += choice.delta.content ?? '';
        for (const call of choice.delta.tool_calls ?? []) {
          const slot = calls[call.index] ?? { arguments: '' };
          calls[call.index] = slot;
          if (call.id) slot.id = call.id;
          if (call.function.name) slot.name = call.function.name;
          slot.arguments += call.function.arguments;
        }
        finish = choice.finish_reason ?? finish;
      }
      expect(content).toBe('你好，世界 and a longer English tail');
      expect(calls).toHaveLength(1);
      expect(calls[0]!.name).toBe('remember');
      expect(calls[0]!.id).toMatch(/^call_/);
      expect(JSON.parse(calls[0]!.arguments)).toEqual({ text: '用户喜欢绿茶', tags: ['drink'] });
      expect(finish).toBe('tool_calls');
      const usage = chunks.at(-1)!;
      expect(usage.choices).toEqual([]);
      expect(usage.usage!.total_tokens).toBeGreaterThan(0);
    });

    it('streams scripted chunks exactly as given', async () => {
      const { url } = await start();
      server!.script({ text: 'ignored', chunks: ['Hel', 'lo'] });
      const events = await sse(
        await post(`${url}/chat/completions`, { model: 'm', messages: [], stream: true }),
      );
      const deltas = events
        .slice(0, -1)
        .map((event) => JSON.parse(event) as { choices: Array<{ delta: { content?: string } }> })
        .map((chunk) => chunk.choices[0]?.delta.content)
        .filter((content) => content);
      expect(deltas).toEqual(['Hel', 'lo']);
    });
  });

  describe('rerank', () => {
    it('scores documents by query word overlap on /v1/rerank and /rerank', async () => {
      const { url, origin } = await start();
      const documents = ['nothing relevant', 'the user drinks green tea', 'tea'];
      for (const endpoint of [`${url}/rerank`, `${origin}/rerank`]) {
        const response = await post(endpoint, { model: 'r', query: 'green tea', documents });
        expect(response.status).toBe(200);
        const body = (await response.json()) as {
          model: string;
          results: Array<{ index: number; relevance_score: number }>;
        };
        expect(body.model).toBe('r');
        expect(body.results).toEqual([
          { index: 1, relevance_score: 1 },
          { index: 2, relevance_score: 0.5 },
          { index: 0, relevance_score: 0 },
        ]);
      }
    });

    it('honours top_n, {text} documents, Chinese, and the TEI texts shape', async () => {
      const { origin } = await start();
      const top = (await (
        await post(`${origin}/rerank`, {
          model: 'r',
          query: '绿茶',
          documents: [{ text: '咖啡' }, { text: '用户喜欢绿茶' }],
          top_n: 1,
        })
      ).json()) as { results: Array<{ index: number; relevance_score: number }> };
      expect(top.results).toEqual([{ index: 1, relevance_score: 1 }]);

      const tei = (await (
        await post(`${origin}/rerank`, { query: 'tea', texts: ['coffee', 'tea time'] })
      ).json()) as Array<{ index: number; score: number }>;
      expect(tei).toEqual([
        { index: 1, score: 1 },
        { index: 0, score: 0 },
      ]);
    });
  });

  describe('recording, auth and faults', () => {
    it('records method, path, headers and parsed body of every request', async () => {
      const { url } = await start();
      await post(
        `${url}/embeddings?x=1`,
        { model: 'm', input: 'a' },
        { authorization: 'Bearer k' },
      );
      await fetch(`${url}/missing`, { method: 'POST', body: '{}' }).then((response) =>
        expect(response.status).toBe(404),
      );
      expect(server!.requests).toHaveLength(2);
      const [first] = server!.requests;
      expect(first).toMatchObject({
        method: 'POST',
        path: '/v1/embeddings',
        body: { model: 'm', input: 'a' },
      });
      expect(first!.headers.authorization).toBe('Bearer k');
      expect(server!.requestsTo('/v1/missing')).toHaveLength(1);
      server!.reset();
      expect(server!.requests).toHaveLength(0);
    });

    it('requires the API key when one is configured', async () => {
      const { url } = await start({ apiKey: 'sk-test' });
      const missing = await post(`${url}/embeddings`, { model: 'm', input: 'a' });
      expect(missing.status).toBe(401);
      expect(((await missing.json()) as { error: { code: string } }).error.code).toBe(
        'invalid_api_key',
      );
      const ok = await post(
        `${url}/embeddings`,
        { model: 'm', input: 'a' },
        { authorization: 'Bearer sk-test' },
      );
      expect(ok.status).toBe(200);
    });

    it('fails the next N requests with a status, optionally on one path only', async () => {
      const { url } = await start();
      server!.failNext(2, 503, { path: '/v1/embeddings', headers: { 'retry-after': '1' } });
      const rerank = await post(`${url}/rerank`, { model: 'r', query: 'a', documents: ['a'] });
      expect(rerank.status).toBe(200);
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 3; attempt++) {
        const response = await post(`${url}/embeddings`, { model: 'm', input: 'a' });
        statuses.push(response.status);
        if (response.status === 503) expect(response.headers.get('retry-after')).toBe('1');
      }
      expect(statuses).toEqual([503, 503, 200]);
      expect(server!.requestsTo('/v1/embeddings')).toHaveLength(3);
    });

    it('answers the next requests with a canned reply, raw text included', async () => {
      const { url } = await start();
      server!.replyNext(
        1,
        { body: 'not json', headers: { 'x-test': '1' } },
        { path: '/v1/embeddings' },
      );
      server!.replyNext(1, { status: 201, body: { data: [] } });
      const raw = await post(`${url}/embeddings`, { model: 'm', input: 'a' });
      expect(raw.status).toBe(200);
      expect(raw.headers.get('x-test')).toBe('1');
      expect(await raw.text()).toBe('not json');
      const json = await post(`${url}/rerank`, { model: 'r', query: 'a', documents: ['a'] });
      expect(json.status).toBe(201);
      expect(await json.json()).toEqual({ data: [] });
      expect((await post(`${url}/embeddings`, { model: 'm', input: 'a' })).status).toBe(200);
    });

    it('delays and disconnects the next requests', async () => {
      const { url } = await start();
      server!.delayNext(1, 20);
      expect((await post(`${url}/embeddings`, { model: 'm', input: 'a' })).status).toBe(200);
      server!.disconnectNext(1);
      await expect(post(`${url}/embeddings`, { model: 'm', input: 'a' })).rejects.toThrow();
      expect((await post(`${url}/embeddings`, { model: 'm', input: 'a' })).status).toBe(200);
    });

    it('survives a client that gives up on a delayed request, and closes with it pending', async () => {
      const { url } = await start();
      server!.delayNext(1, 60_000);
      await expect(
        fetch(`${url}/embeddings`, {
          method: 'POST',
          body: JSON.stringify({ model: 'm', input: 'a' }),
          signal: AbortSignal.timeout(50),
        }),
      ).rejects.toThrow();
      expect((await post(`${url}/embeddings`, { model: 'm', input: 'b' })).status).toBe(200);
      server!.delayNext(1, 60_000);
      const pending = post(`${url}/embeddings`, { model: 'm', input: 'c' }).catch(
        (error: unknown) => error,
      );
      while (server!.requests.length < 3) await new Promise((resolve) => setTimeout(resolve, 5));
      await server!.close();
      server = undefined;
      expect(await pending).toBeInstanceOf(Error);
    });
  });
});
