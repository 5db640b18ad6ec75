import { afterEach, describe, expect, it } from 'vitest';
import { type ModelServer, startModelServer } from '../../../test/support/model-server.js';
import { MnemosError } from '../../core/errors.js';
import type { RerankCandidate } from '../../spec/reranker.js';
import { HttpReranker, type HttpRerankerOptions } from './http-reranker.js';

let server: ModelServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(options: { apiKey?: string } = {}): Promise<ModelServer> {
  server = await startModelServer(options);
  return server;
}

function reranker(options: Partial<HttpRerankerOptions> = {}): HttpReranker {
  return new HttpReranker({
    url: `${server!.url}/rerank`,
    model: 'bge-reranker-v2-m3',
    retryBaseDelayMs: 1,
    retryMaxDelayMs: 5,
    ...options,
  });
}

function candidates(...texts: string[]): RerankCandidate[] {
  return texts.map((text, index) => ({ id: `m${index}`, text }));
}

async function failure(promise: Promise<unknown>): Promise<MnemosError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(MnemosError.isInstance(error)).toBe(true);
  return error as MnemosError;
}

describe('HttpReranker', () => {
  it('sends the Jina/Cohere body and maps best-first results back to candidate order', async () => {
    await start();
    const scores = await reranker().doRerank(
      'green tea',
      candidates('coffee please', 'the user drinks green tea', 'tea'),
    );
    // The server answers best first (index 1, 2, 0); scores come back in candidate order.
    expect(scores).toEqual([0, 1, 0.5]);
    expect(server!.requests).toHaveLength(1);
    expect(server!.requests[0]!.path).toBe('/v1/rerank');
    expect(server!.requests[0]!.body).toEqual({
      model: 'bge-reranker-v2-m3',
      query: 'green tea',
      documents: ['coffee please', 'the user drinks green tea', 'tea'],
      top_n: 3,
    });
  });

  it('has an id naming the model', async () => {
    await start();
    expect(reranker().id).toBe('http-rerank:bge-reranker-v2-m3');
    expect(reranker({ id: 'jina' }).id).toBe('jina');
  });

  it('splits many candidates into batches and keeps their order', async () => {
    await start();
    const texts = ['a tea', 'b', 'c tea', 'd', 'tea e'];
    const scores = await reranker({ batchSize: 2 }).doRerank('tea', candidates(...texts));
    expect(scores).toEqual([1, 0, 1, 0, 1]);
    expect(
      server!.requests.map((request) => (request.body as { documents: string[] }).documents),
    ).toEqual([['a tea', 'b'], ['c tea', 'd'], ['tea e']]);
  });

  it('speaks the TEI shape on /rerank', async () => {
    await start();
    const subject = reranker({ url: `${server!.origin}/rerank`, format: 'tei' });
    expect(subject.batchSize).toBe(32);
    const scores = await subject.doRerank('tea', candidates('coffee', 'tea time'));
    expect(scores).toEqual([0, 1]);
    expect(server!.requests[0]!.path).toBe('/rerank');
    expect(server!.requests[0]!.body).toEqual({
      query: 'tea',
      texts: ['coffee', 'tea time'],
      truncate: true,
      raw_scores: false,
    });
  });

  it('reranks Chinese text', async () => {
    await start();
    const scores = await reranker().doRerank(
      '回答风格',
      candidates('今天天气很好', '用户希望回答风格更加正式', '风格'),
    );
    expect(scores).toEqual([0, 1, 0.5]);
    expect((server!.requests[0]!.body as { query: string }).query).toBe('回答风格');
  });

  it('sends nothing for no candidates', async () => {
    await start();
    expect(await reranker().doRerank('q', [])).toEqual([]);
    expect(server!.requests).toHaveLength(0);
  });

  it('sends the API key and names the key to check when it is rejected', async () => {
    await start({ apiKey: 'jina-key' });
    expect(await reranker({ apiKey: 'jina-key' }).doRerank('a', candidates('a'))).toEqual([1]);
    expect(server!.requests[0]!.headers.authorization).toBe('Bearer jina-key');

    const error = await failure(
      reranker({ apiKey: 'nope', apiKeyEnv: 'JINA_API_KEY' }).doRerank('a', candidates('a')),
    );
    expect(error.category).toBe('upstream');
    expect(error.details).toMatchObject({ service: 'rerank', reason: 'auth', status: 401 });
    expect(error.message).toContain('check JINA_API_KEY');
    expect(server!.requests).toHaveLength(2);
  });

  it('retries after 429 and 500, then succeeds', async () => {
    await start();
    server!.failNext(1, 429);
    server!.failNext(1, 500);
    expect(await reranker().doRerank('a', candidates('a', 'b'))).toEqual([1, 0]);
    expect(server!.requests).toHaveLength(3);
  });

  it('fails with a clear error after its retries', async () => {
    await start();
    server!.failNext(10, 502);
    const error = await failure(reranker({ maxRetries: 1 }).doRerank('a', candidates('a')));
    expect(error.code).toBe('upstream_error');
    expect(error.details).toMatchObject({ reason: 'server_error', status: 502, attempts: 2 });
    expect(error.message).toContain(`rerank request to ${server!.url}/rerank failed with 502`);
  });

  it('times out', async () => {
    await start();
    server!.delayNext(1, 30_000);
    const error = await failure(
      reranker({ timeoutMs: 100, maxRetries: 0 }).doRerank('a', candidates('a')),
    );
    expect(error.details).toMatchObject({ reason: 'timeout' });
    expect(error.message).toContain('timed out after 100 ms');
  });

  it('explains a wrong URL', async () => {
    await start();
    const error = await failure(
      reranker({ url: `${server!.origin}/v1/rank` }).doRerank('a', candidates('a')),
    );
    expect(error.details).toMatchObject({ reason: 'not_found', attempts: 1 });
    expect(error.message).toContain('check the reranker URL');
  });

  it('reads the Voyage data and DashScope output.results shapes', async () => {
    await start();
    server!.replyNext(1, {
      body: {
        data: [
          { index: 1, relevance_score: 0.9 },
          { index: 0, relevance_score: 0.1 },
        ],
      },
    });
    expect(await reranker().doRerank('q', candidates('a', 'b'))).toEqual([0.1, 0.9]);
    server!.replyNext(1, { body: { output: { results: [{ index: 0, relevance_score: 0.3 }] } } });
    expect(await reranker().doRerank('q', candidates('a'))).toEqual([0.3]);
  });

  it('refuses an answer that leaves a candidate without a score', async () => {
    await start();
    server!.replyNext(1, { body: { results: [{ index: 1, relevance_score: 0.9 }] } });
    const missing = await failure(reranker().doRerank('q', candidates('a', 'b')));
    expect(missing.details).toMatchObject({ reason: 'bad_response' });
    expect(missing.message).toContain('no score for document 0 of 2');

    server!.replyNext(1, { body: { results: [{ index: 5, relevance_score: 0.9 }] } });
    const outOfRange = await failure(reranker().doRerank('q', candidates('a')));
    expect(outOfRange.message).toContain('a result with a bad index (5)');
  });

  it('rejects bad options with config errors', () => {
    for (const options of [{ url: 'nope' }, { model: '' }, { batchSize: 0 }]) {
      let caught: unknown;
      try {
        new HttpReranker({ url: 'http://127.0.0.1:1/rerank', model: 'm', ...options });
      } catch (error) {
        caught = error;
      }
      expect((caught as MnemosError).code).toBe('config_error');
    }
  });
});
