import { afterEach, describe, expect, it } from 'vitest';
import { type ModelServer, startModelServer } from '../../../test/support/model-server.js';
import { MnemosError } from '../../core/errors.js';
import { type PostJsonOptions, postJson } from './post-json.js';

let server: ModelServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

function options(overrides: Partial<PostJsonOptions> = {}): PostJsonOptions {
  return {
    service: 'embedding',
    url: `${server!.url}/embeddings`,
    body: { model: 'm', input: ['a'] },
    apiKeyEnv: 'OPENAI_API_KEY',
    timeoutMs: 5_000,
    retry: { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 5 },
    ...overrides,
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

describe('postJson', () => {
  it('posts JSON with default and extra headers and returns the parsed answer', async () => {
    server = await startModelServer({ dimensions: 4 });
    const body = (await postJson(
      options({ apiKey: 'k', headers: { 'X-Extra': 'yes', Accept: 'application/json; q=1' } }),
    )) as { data: unknown[] };
    expect(body.data).toHaveLength(1);
    const [request] = server.requests;
    expect(request!.headers).toMatchObject({
      'content-type': 'application/json',
      accept: 'application/json; q=1',
      authorization: 'Bearer k',
      'x-extra': 'yes',
    });
    expect(request!.body).toEqual({ model: 'm', input: ['a'] });
  });

  it('reports a 200 answer that is not JSON, without retrying', async () => {
    server = await startModelServer();
    server.replyNext(1, { body: '<html>login page</html>' });
    const error = await failure(postJson(options()));
    expect(error.details).toMatchObject({ reason: 'bad_response', attempts: 1 });
    expect(error.message).toContain('a body that is not JSON (<html>login page</html>)');
    expect(server.requests).toHaveLength(1);
  });

  it('retries an HTML 502 from a proxy and quotes it when giving up', async () => {
    server = await startModelServer();
    server.replyNext(5, { status: 502, body: '<html>\n  Bad   Gateway\n</html>' });
    const error = await failure(postJson(options()));
    expect(server.requests).toHaveLength(3);
    expect(error.details).toMatchObject({
      reason: 'server_error',
      status: 502,
      attempts: 3,
      providerMessage: '<html> Bad Gateway </html>',
    });
  });

  it('honours Retry-After and retry-after-ms', async () => {
    server = await startModelServer();
    server.failNext(1, 429, { headers: { 'retry-after': '0' } });
    server.failNext(1, 503, { headers: { 'retry-after-ms': '1' } });
    await postJson(options());
    expect(server.requests).toHaveLength(3);
  });

  it('quotes FastAPI-style details and appends the caller hint on a refusal', async () => {
    server = await startModelServer();
    server.replyNext(1, { status: 422, body: { detail: [{ msg: 'field required' }] } });
    const error = await failure(
      postJson(options({ hint: (status) => (status === 422 ? 'fix the request' : undefined) })),
    );
    expect(server.requests).toHaveLength(1);
    expect(error.message).toContain('was refused with 422');
    expect(error.message).toContain('field required');
    expect(error.message).toMatch(/: fix the request$/);
  });

  it('says to check the URL on a 404 without a hint', async () => {
    server = await startModelServer();
    const error = await failure(postJson(options({ url: `${server.origin}/nowhere` })));
    expect(error.message).toMatch(/failed with 404 Not Found .*: check the URL$/);
  });
});
