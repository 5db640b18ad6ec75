import { afterEach, describe, expect, it } from 'vitest';
import {
  hashedEmbedding,
  type ModelServer,
  type ModelServerOptions,
  startModelServer,
} from '../../../test/support/model-server.js';
import { MnemosError } from '../../core/errors.js';
import { UPSTREAM_ERROR_CODE } from '../http/upstream-error.js';
import {
  OpenAICompatibleEmbedder,
  type OpenAICompatibleEmbedderOptions,
} from './openai-compatible-embedder.js';

let server: ModelServer | undefined;

async function start(options: ModelServerOptions = {}): Promise<ModelServer> {
  server = await startModelServer({ dimensions: 16, ...options });
  return server;
}

afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Fast retries so tests do not wait on backoff. */
function embedder(
  options: Partial<OpenAICompatibleEmbedderOptions> = {},
): OpenAICompatibleEmbedder {
  return new OpenAICompatibleEmbedder({
    baseURL: server!.url,
    model: 'text-embedding-v4',
    retryBaseDelayMs: 1,
    retryMaxDelayMs: 5,
    ...options,
  });
}

async function failure(promise: Promise<unknown>): Promise<MnemosError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(MnemosError.isInstance(error)).toBe(true);
  return error as MnemosError;
}

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let index = 0; index < a.length; index++) sum += a[index]! * b[index]!;
  return sum;
}

describe('OpenAICompatibleEmbedder', () => {
  it('sends the model, batched input and dimensions, and returns vectors in input order', async () => {
    await start();
    const texts = ['one', 'two', 'three', 'four', 'five', 'six', 'seven'];
    const subject = embedder({ dimensions: 8, batchSize: 3, concurrency: 1 });
    const vectors = await subject.doEmbed(texts);

    expect(server!.requests.map((request) => [request.method, request.path])).toEqual([
      ['POST', '/v1/embeddings'],
      ['POST', '/v1/embeddings'],
      ['POST', '/v1/embeddings'],
    ]);
    expect(server!.requests.map((request) => request.body)).toEqual([
      {
        model: 'text-embedding-v4',
        input: ['one', 'two', 'three'],
        encoding_format: 'float',
        dimensions: 8,
      },
      {
        model: 'text-embedding-v4',
        input: ['four', 'five', 'six'],
        encoding_format: 'float',
        dimensions: 8,
      },
      { model: 'text-embedding-v4', input: ['seven'], encoding_format: 'float', dimensions: 8 },
    ]);
    expect(server!.requests[0]!.headers['content-type']).toBe('application/json');
    expect(server!.requests[0]!.headers.authorization).toBeUndefined();
    expect(vectors).toHaveLength(7);
    texts.forEach((text, index) => {
      expect(vectors[index]).toBeInstanceOf(Float32Array);
      expect(Array.from(vectors[index]!)).toEqual(
        Array.from(Float32Array.from(hashedEmbedding(text, 8))),
      );
    });
    expect(subject.id).toBe('openai-compatible:text-embedding-v4:8');
    expect(subject.dimensions).toBe(8);
  });

  it('keeps input order with several batches in flight', async () => {
    await start();
    const texts = Array.from({ length: 23 }, (_, index) => `text number ${index}`);
    const vectors = await embedder({ batchSize: 2, concurrency: 4, dimensions: 16 }).doEmbed(texts);
    expect(server!.requests).toHaveLength(12);
    texts.forEach((text, index) => {
      expect(Array.from(vectors[index]!)).toEqual(
        Array.from(Float32Array.from(hashedEmbedding(text, 16))),
      );
    });
  });

  it('detects the dimension with one probe when none is configured', async () => {
    await start({ dimensions: 24 });
    const subject = embedder();
    expect(subject.ready).toBe(false);
    const early = (() => {
      try {
        return subject.dimensions;
      } catch (error) {
        return error;
      }
    })();
    expect(MnemosError.isInstance(early)).toBe(true);
    expect((early as MnemosError).message).toMatch(/init\(\)/);

    await subject.init();
    await subject.init();
    expect(subject.dimensions).toBe(24);
    expect(subject.id).toBe('openai-compatible:text-embedding-v4:24');
    expect(server!.requests).toHaveLength(1);
    const probe = server!.requests[0]!.body as Record<string, unknown>;
    expect(probe.model).toBe('text-embedding-v4');
    expect(probe).not.toHaveProperty('dimensions');

    const [vector] = await subject.doEmbed(['hello']);
    expect(vector).toHaveLength(24);
    expect(server!.requests).toHaveLength(2);
  });

  it('create() probes before returning; doEmbed probes on first use; a configured dimension needs no probe', async () => {
    await start({ dimensions: 12 });
    const created = await OpenAICompatibleEmbedder.create({ baseURL: server!.url, model: 'm' });
    expect(created.dimensions).toBe(12);
    expect(server!.requests).toHaveLength(1);

    server!.reset();
    const lazy = embedder();
    await lazy.doEmbed(['a', 'b']);
    expect(server!.requests.map((request) => (request.body as { input: string[] }).input)).toEqual([
      ['mnemos dimension probe'],
      ['a', 'b'],
    ]);

    server!.reset();
    await OpenAICompatibleEmbedder.create({ baseURL: server!.url, model: 'm', dimensions: 12 });
    expect(server!.requests).toHaveLength(0);
  });

  it('retries after 429 and 500, then succeeds', async () => {
    await start();
    server!.failNext(1, 429, { headers: { 'retry-after': '0' } });
    server!.failNext(1, 500);
    const vectors = await embedder({ dimensions: 16 }).doEmbed(['after a hiccup']);
    expect(vectors).toHaveLength(1);
    expect(server!.requests).toHaveLength(3);
    expect(new Set(server!.requests.map((request) => request.rawBody)).size).toBe(1);
  });

  it('retries a dropped connection', async () => {
    await start();
    server!.disconnectNext(1);
    await embedder({ dimensions: 16 }).doEmbed(['x']);
    expect(server!.requests).toHaveLength(2);
  });

  it('fails with a clear upstream error once retries are spent', async () => {
    await start();
    server!.failNext(10, 503, { error: 'model overloaded' });
    const error = await failure(embedder({ dimensions: 16, maxRetries: 2 }).doEmbed(['x']));
    expect(error.code).toBe(UPSTREAM_ERROR_CODE);
    expect(error.code).toBe('upstream_error');
    expect(error.category).toBe('upstream');
    expect(error.message).toContain(
      `embedding request to ${server!.url}/embeddings failed with 503`,
    );
    expect(error.message).toContain('after 3 attempts');
    expect(error.message).toContain('model overloaded');
    expect(error.details).toMatchObject({
      service: 'embedding',
      reason: 'server_error',
      status: 503,
      attempts: 3,
      providerMessage: 'model overloaded',
    });
    expect(server!.requests).toHaveLength(3);
  });

  it('says so when still rate limited', async () => {
    await start();
    server!.failNext(10, 429);
    const error = await failure(embedder({ dimensions: 16, maxRetries: 1 }).doEmbed(['x']));
    expect(error.details.reason).toBe('rate_limited');
    expect(error.message).toMatch(/still rate limited \(429/);
  });

  it('sends the API key as a bearer token', async () => {
    await start({ apiKey: 'sk-test-123' });
    await embedder({ apiKey: 'sk-test-123', dimensions: 16 }).doEmbed(['x']);
    expect(server!.requests[0]!.headers.authorization).toBe('Bearer sk-test-123');
  });

  it('does not retry a rejected key, and says which key to check', async () => {
    await start({ apiKey: 'sk-right' });
    const wrong = await failure(embedder({ apiKey: 'sk-wrong', dimensions: 16 }).doEmbed(['x']));
    expect(server!.requests).toHaveLength(1);
    expect(wrong.details).toMatchObject({ reason: 'auth', status: 401, attempts: 1 });
    expect(wrong.message).toContain('check OPENAI_API_KEY / the key in ~/.mnemos/.env');
    expect(wrong.message).toContain('Incorrect API key provided');
    expect(wrong.message).not.toContain('sk-wrong');
    expect(JSON.stringify(wrong.details)).not.toContain('sk-wrong');

    const missing = await failure(
      embedder({ apiKeyEnv: 'DASHSCOPE_API_KEY', dimensions: 16 }).doEmbed(['x']),
    );
    expect(missing.message).toContain('no API key was sent; set DASHSCOPE_API_KEY');
  });

  it('gives up on a slow request after the timeout, and retries it', async () => {
    await start();
    server!.delayNext(1, 30_000);
    const error = await failure(
      embedder({ dimensions: 16, timeoutMs: 100, maxRetries: 0 }).doEmbed(['slow']),
    );
    expect(error.details).toMatchObject({ reason: 'timeout', attempts: 1 });
    expect(error.message).toContain('timed out after 100 ms');
    expect(error.message).toContain(server!.origin);

    server!.reset();
    server!.delayNext(1, 30_000);
    const vectors = await embedder({ dimensions: 16, timeoutMs: 1_000, maxRetries: 1 }).doEmbed([
      'slow once',
    ]);
    expect(vectors).toHaveLength(1);
    expect(server!.requests).toHaveLength(2);
  });

  it('asks whether the server is running when the connection is refused', async () => {
    await start();
    const { url, origin } = server!;
    await server!.close();
    server = undefined;
    const error = await failure(
      new OpenAICompatibleEmbedder({
        baseURL: url,
        model: 'm',
        dimensions: 16,
        maxRetries: 1,
        retryBaseDelayMs: 1,
        retryMaxDelayMs: 5,
      }).doEmbed(['x']),
    );
    expect(error.details).toMatchObject({
      reason: 'network',
      networkCode: 'ECONNREFUSED',
      attempts: 2,
    });
    expect(error.message).toContain(`is the server at ${origin} running?`);
  });

  it('round-trips Chinese text unchanged', async () => {
    await start({ dimensions: 256 });
    const texts = ['用户希望回答风格更加正式', '回答风格', '今天天气很好，适合去公园散步'];
    const [sentence, query, unrelated] = await embedder({ dimensions: 256 }).doEmbed(texts);
    const body = server!.requests[0]!.body as { input: string[] };
    expect(body.input).toEqual(texts);
    expect(server!.requests[0]!.rawBody).toContain('用户希望回答风格更加正式');
    expect(Array.from(sentence!)).toEqual(
      Array.from(Float32Array.from(hashedEmbedding(texts[0]!, 256))),
    );
    expect(dot(query!, sentence!)).toBeGreaterThan(dot(query!, unrelated!));
  });

  it('does not send blank texts and gives them zero vectors', async () => {
    await start();
    const vectors = await embedder({ dimensions: 16 }).doEmbed(['', 'real text', '   ']);
    expect((server!.requests[0]!.body as { input: string[] }).input).toEqual(['real text']);
    expect(vectors.map((vector) => vector.length)).toEqual([16, 16, 16]);
    expect(Array.from(vectors[0]!).every((value) => value === 0)).toBe(true);
    expect(dot(vectors[1]!, vectors[1]!)).toBeCloseTo(1, 5);

    server!.reset();
    expect(await embedder({ dimensions: 16 }).doEmbed([])).toEqual([]);
    expect(server!.requests).toHaveLength(0);
  });

  it('refuses vectors of another dimension than configured', async () => {
    await start({ dimensions: 16 });
    const error = await failure(embedder({ dimensions: 8, sendDimensions: false }).doEmbed(['x']));
    expect((server!.requests[0]!.body as Record<string, unknown>).dimensions).toBeUndefined();
    expect(error.details).toMatchObject({ reason: 'bad_response', expected: 8, received: 16 });
    expect(error.message).toContain('set the embedder dimensions to 16');
  });

  it('explains a batch that is too large (DashScope caps batches at 10)', async () => {
    await start({ maxEmbeddingBatch: 10 });
    const texts = Array.from({ length: 11 }, (_, index) => `t${index}`);
    const error = await failure(embedder({ dimensions: 16, batchSize: 32 }).doEmbed(texts));
    expect(server!.requests).toHaveLength(1);
    expect(error.details).toMatchObject({ reason: 'bad_request', status: 400 });
    expect(error.message).toContain('lower the embedder batch size (now 32');

    server!.reset();
    await embedder({ dimensions: 16, batchSize: 10 }).doEmbed(texts);
    expect(
      server!.requests.map((request) => (request.body as { input: string[] }).input.length),
    ).toEqual([10, 1]);

    const dashscope = new OpenAICompatibleEmbedder({
      baseURL: 'https://dashscope.aliyuncs.com/compatible-mode/v1',
      model: 'text-embedding-v3',
      dimensions: 1024,
    });
    expect(dashscope.batchSize).toBe(10);
    expect(dashscope.url).toBe('https://dashscope.aliyuncs.com/compatible-mode/v1/embeddings');
    expect(
      new OpenAICompatibleEmbedder({ baseURL: 'https://api.openai.com/v1/', model: 'm' }).batchSize,
    ).toBe(32);
  });

  it('points at the base URL when the endpoint is not found', async () => {
    await start();
    const error = await failure(
      new OpenAICompatibleEmbedder({ baseURL: server!.origin, model: 'm', dimensions: 16 }).doEmbed(
        ['x'],
      ),
    );
    expect(error.details).toMatchObject({ reason: 'not_found', status: 404, attempts: 1 });
    expect(error.message).toContain('usually end in /v1');
  });

  it('accepts a base URL that already ends in /embeddings, and an explicit id', async () => {
    await start();
    const subject = embedder({
      baseURL: `${server!.url}/embeddings`,
      dimensions: 16,
      id: 'custom:id',
    });
    expect(subject.url).toBe(`${server!.url}/embeddings`);
    expect(subject.id).toBe('custom:id');
    await subject.doEmbed(['x']);
    expect(server!.requests[0]!.path).toBe('/v1/embeddings');
  });

  it('reads base64 embeddings and places answers by their index', async () => {
    await start();
    const b = Float32Array.from([0, 2]);
    server!.replyNext(1, {
      body: {
        object: 'list',
        data: [
          { object: 'embedding', index: 1, embedding: Buffer.from(b.buffer).toString('base64') },
          { object: 'embedding', index: 0, embedding: [3, 4] },
        ],
      },
    });
    const vectors = await embedder({ dimensions: 2 }).doEmbed(['a', 'b']);
    expect(vectors.map((vector) => Array.from(vector))).toEqual([
      [0.6000000238418579, 0.800000011920929],
      [0, 1],
    ]);
  });

  it('refuses an answer of the wrong shape', async () => {
    await start();
    server!.replyNext(1, { body: { data: [{ index: 0, embedding: [1] }] } });
    const short = await failure(embedder({ dimensions: 1 }).doEmbed(['a', 'b']));
    expect(short.message).toContain('returned 1 embeddings for 2 texts');
    expect(short.details).toMatchObject({ reason: 'bad_response' });

    server!.replyNext(1, { body: { results: [] } });
    const wrong = await failure(embedder({ dimensions: 1 }).doEmbed(['a']));
    expect(wrong.message).toContain('returned no data array');

    server!.replyNext(1, { body: { data: [{ index: 0, embedding: ['x'] }] } });
    const strings = await failure(embedder({ dimensions: 1 }).doEmbed(['a']));
    expect(strings.message).toContain('not an array of numbers');
  });

  it('rejects bad options with config errors', () => {
    const bad: Array<Partial<OpenAICompatibleEmbedderOptions>> = [
      { baseURL: 'not a url' },
      { baseURL: 'ftp://example.com/v1' },
      { model: ' ' },
      { dimensions: 0 },
      { batchSize: 1.5 },
      { maxRetries: -1 },
    ];
    for (const options of bad) {
      let caught: unknown;
      try {
        new OpenAICompatibleEmbedder({ baseURL: 'http://127.0.0.1:1/v1', model: 'm', ...options });
      } catch (error) {
        caught = error;
      }
      expect(MnemosError.isInstance(caught), JSON.stringify(options)).toBe(true);
      expect((caught as MnemosError).code).toBe('config_error');
    }
  });
});
