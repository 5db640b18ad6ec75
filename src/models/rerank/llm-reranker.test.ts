import { afterEach, describe, expect, it } from 'vitest';
import {
  type ChatRequest,
  type ModelServer,
  startModelServer,
} from '../../../test/support/model-server.js';
import { MnemosError } from '../../core/errors.js';
import type { RerankCandidate } from '../../spec/reranker.js';
import { ChatClient } from '../llm/chat-client.js';
import { LlmReranker, type LlmRerankerOptions, type RerankUsage } from './llm-reranker.js';

let server: ModelServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

function reranker(options: Partial<LlmRerankerOptions> = {}): LlmReranker {
  return new LlmReranker({
    client: new ChatClient({
      baseURL: server!.url,
      model: 'qwen-test',
      maxRetries: 0,
      retryBaseDelayMs: 1,
      retryMaxDelayMs: 5,
    }),
    ...options,
  });
}

function candidates(...texts: string[]): RerankCandidate[] {
  return texts.map((text, index) => ({ id: `mem-${index}-4f1c9a`, text }));
}

function chat(index = 0): { body: ChatRequest; system: string; user: string } {
  const body = server!.requestsTo('/v1/chat/completions')[index]!.body as ChatRequest;
  return {
    body,
    system: body.messages![0]!.content as string,
    user: body.messages![1]!.content as string,
  };
}

async function failure(promise: Promise<unknown>): Promise<MnemosError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(MnemosError.isInstance(error)).toBe(true);
  return error as MnemosError;
}

describe('LlmReranker', () => {
  it('makes no call for zero candidates', async () => {
    server = await startModelServer();
    expect(await reranker().doRerank('anything', [])).toEqual([]);
    expect(server.requests).toHaveLength(0);
  });

  it('sends the query and passages under integer handles in JSON mode, never the ids', async () => {
    server = await startModelServer();
    server.script({ json: { scores: [] } });
    const passages = candidates(
      'The user drinks green tea',
      'The user lives\nin Berlin',
      `${'x'.repeat(30)}TAIL`,
    );
    await reranker({ maxPassageChars: 30 }).doRerank('  what does the user\tdrink? ', passages);
    expect(server.requests).toHaveLength(1);
    const { body, system, user } = chat();
    expect(body.model).toBe('qwen-test');
    expect(body.response_format).toEqual({ type: 'json_object' });
    expect(body.max_tokens).toBe(100 + 20 * 3);
    expect(body.messages).toHaveLength(2);
    expect(system).toContain('{"scores":[{"i":handle,"score":0-10}]}');
    expect(system).toContain('Never use a handle that is not listed');
    expect(system).toContain('Judge the meaning, not the wording or the language');
    expect(user).toBe(
      [
        'Score each passage for the query.',
        '',
        'QUERY',
        'what does the user drink?',
        'PASSAGES',
        '[0] The user drinks green tea',
        '[1] The user lives in Berlin',
        `[2] ${'x'.repeat(30)}…`,
      ].join('\n'),
    );
    for (const passage of passages) expect(system + user).not.toContain(passage.id);
  });

  it('maps scores back to candidate order, normalised to 0..1, and reports usage', async () => {
    server = await startModelServer();
    server.script({
      json: {
        scores: [
          { i: 2, score: 10 },
          { i: 0, score: 3 },
          { i: 1, score: '7.5' },
          { i: 3, score: 0 },
        ],
      },
      usage: { prompt_tokens: 420, completion_tokens: 36 },
    });
    const usages: RerankUsage[] = [];
    const component = reranker({ onUsage: (usage) => usages.push(usage) });
    expect(component.id).toBe('llm:qwen-test');
    const scores = await component.doRerank(
      'green tea',
      candidates('coffee', 'tea', 'the user drinks green tea', 'a cat named Miso'),
    );
    expect(scores).toEqual([0.3, 0.75, 1, 0]);
    expect(usages).toEqual([
      { promptTokens: 420, completionTokens: 36, model: 'qwen-test', candidates: 4, scored: 4 },
    ]);
  });

  it('ignores unknown handles, keeps the first of duplicates, and scores skipped passages 0', async () => {
    server = await startModelServer();
    server.script({
      json: {
        scores: [
          { i: 1, score: 8 },
          { i: 1, score: 2 },
          { i: '[2]', score: 6 },
          { i: 7, score: 10 },
          { i: -1, score: 10 },
          { i: 0.5, score: 10 },
          { i: 'mem-0-4f1c9a', score: 10 },
          { i: 3, score: 14 },
        ],
      },
    });
    const usages: RerankUsage[] = [];
    const scores = await reranker({ onUsage: (usage) => usages.push(usage) }).doRerank(
      'q',
      candidates('a', 'b', 'c', 'd', 'e'),
    );
    // Handle 0 and 4 were skipped; 3 was out of range and is clamped to 10.
    expect(scores).toEqual([0, 0.8, 0.6, 1, 0]);
    expect(usages[0]).toMatchObject({ candidates: 5, scored: 3 });
  });

  it('sends at most maxCandidates and keeps the rest in order below every scored one', async () => {
    server = await startModelServer();
    server.script({
      json: {
        scores: [
          { i: 0, score: 0 },
          { i: 1, score: 9 },
        ],
      },
    });
    const passages = candidates('a', 'b', 'c', 'd', 'e');
    const scores = await reranker({ maxCandidates: 3 }).doRerank('q', passages);
    const { body, user } = chat();
    expect(user).toContain('[0] a\n[1] b\n[2] c');
    expect(user).not.toContain('[3]');
    expect(body.max_tokens).toBe(100 + 20 * 3);
    expect(scores).toHaveLength(5);
    expect(scores.slice(0, 3)).toEqual([0, 0.9, 0]);
    expect(scores[3]).toBeLessThan(0);
    expect(scores[4]).toBeLessThan(scores[3]!);
    // A stable sort by score, as search does it, gives the scored ones first, then the rest in order.
    const order = passages
      .map((passage, index) => ({ text: passage.text, score: scores[index]! }))
      .sort((a, b) => b.score - a.score)
      .map((entry) => entry.text);
    expect(order).toEqual(['b', 'a', 'c', 'd', 'e']);
  });

  it('round-trips a Chinese query and passages', async () => {
    server = await startModelServer();
    // The scripted model scores passages by whether they mention 上海, read from the prompt it got.
    server.script((request) => {
      const user = request.messages![1]!.content as string;
      const lines = user.split('PASSAGES\n')[1]!.split('\n');
      return {
        json: {
          scores: lines.map((line) => {
            const [, handle, text] = /^\[(\d+)\] (.*)$/.exec(line)!;
            return { i: Number(handle), score: text!.includes('上海') ? 9 : 1 };
          }),
        },
      };
    });
    const scores = await reranker().doRerank(
      '用户现在住在哪个城市？',
      candidates('用户喜欢喝咖啡', '用户上个月搬到了上海 🏙️', 'The user works at Acme'),
    );
    expect(scores).toEqual([0.1, 0.9, 0.1]);
    const { user } = chat();
    expect(user).toContain('QUERY\n用户现在住在哪个城市？\n');
    expect(user).toContain('[1] 用户上个月搬到了上海 🏙️');
    expect(server.requests[0]!.rawBody).toContain('用户现在住在哪个城市？');
  });

  it('clips passages by characters, not UTF-16 units', async () => {
    server = await startModelServer();
    server.script({ json: { scores: [] } });
    await reranker({ maxPassageChars: 3 }).doRerank('q', candidates('😀😀😀😀', '上海市'));
    const { user } = chat();
    expect(user).toContain('[0] 😀😀😀…\n[1] 上海市');
  });

  it('turns malformed JSON and schema violations into upstream errors (bad_response)', async () => {
    server = await startModelServer();
    server.script(
      { text: '[0] 9, [1] 3' },
      { json: { scores: [{ i: 0, score: 'high' }] } },
      { json: { ranking: [1, 0] } },
    );
    for (const expected of ['not JSON', 'scores.0.score', 'scores']) {
      const error = await failure(reranker().doRerank('q', candidates('a', 'b')));
      expect(error).toMatchObject({
        code: 'upstream_error',
        category: 'upstream',
        details: { reason: 'bad_response' },
      });
      expect(error.message).toContain(expected);
    }
    expect(server.requests).toHaveLength(3);
  });

  it('lets client errors propagate', async () => {
    server = await startModelServer();
    server.failNext(1, 503);
    const error = await failure(reranker().doRerank('q', candidates('a', 'b')));
    expect(error).toMatchObject({
      code: 'upstream_error',
      details: { reason: 'server_error', status: 503 },
    });
  });

  it('rejects bad options as config errors', async () => {
    server = await startModelServer();
    for (const options of [
      { maxCandidates: 0 },
      { maxPassageChars: 2.5 },
      { maxTokens: -1 },
    ] satisfies Partial<LlmRerankerOptions>[]) {
      expect(() => reranker(options)).toThrowError(
        expect.objectContaining({ code: 'config_error' }),
      );
    }
    expect(reranker({ id: 'llm-rerank:custom' }).id).toBe('llm-rerank:custom');
  });
});
