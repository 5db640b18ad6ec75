import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type ModelServer, startModelServer } from '../../../test/support/model-server.js';
import { MnemosError } from '../../core/errors.js';
import { ChatClient, type ChatClientOptions, parseAnswer } from './chat-client.js';

let server: ModelServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

function client(overrides: Partial<ChatClientOptions> = {}): ChatClient {
  return new ChatClient({
    baseURL: server!.url,
    model: 'qwen-test',
    retryBaseDelayMs: 1,
    retryMaxDelayMs: 5,
    ...overrides,
  });
}

async function failure(promise: Promise<unknown>): Promise<MnemosError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(MnemosError.isInstance(error)).toBe(true);
  const mnemosError = error as MnemosError;
  expect(mnemosError.code).toBe('upstream_error');
  expect(mnemosError.category).toBe('upstream');
  return mnemosError;
}

const messages = [
  { role: 'system' as const, content: 'Answer in JSON.' },
  { role: 'user' as const, content: '你好' },
];

describe('ChatClient.completeJson', () => {
  it('asks for a JSON object and returns it parsed, with usage', async () => {
    server = await startModelServer();
    server.script({ json: { facts: [] }, usage: { prompt_tokens: 42, completion_tokens: 7 } });
    const result = await client({ apiKey: 'sk-test', maxTokens: 512 }).completeJson(
      messages,
      'facts',
    );
    expect(result).toEqual({
      json: { facts: [] },
      usage: { promptTokens: 42, completionTokens: 7 },
      model: 'qwen-test',
    });
    const [request] = server.requestsTo('/v1/chat/completions');
    expect(request!.headers.authorization).toBe('Bearer sk-test');
    expect(request!.body).toEqual({
      model: 'qwen-test',
      messages,
      response_format: { type: 'json_object' },
      temperature: 0,
      max_tokens: 512,
    });
  });

  it('accepts a base URL that already ends in /chat/completions, and a per-call token cap', async () => {
    server = await startModelServer();
    server.script({ json: { ok: true } });
    const chat = client({ baseURL: `${server.url}/chat/completions/` });
    expect(chat.url).toBe(`${server.url}/chat/completions`);
    await chat.completeJson(messages, 'x', { maxTokens: 99 });
    expect((server.requests[0]!.body as { max_tokens: number }).max_tokens).toBe(99);
  });

  it('reads JSON wrapped in a Markdown fence', async () => {
    server = await startModelServer();
    server.script({ text: '```json\n{"facts":[1]}\n```' });
    expect((await client().completeJson(messages, 'facts')).json).toEqual({ facts: [1] });
  });

  it('retries a 500 and then succeeds', async () => {
    server = await startModelServer();
    server.failNext(1, 500);
    server.script({ json: { facts: [] } });
    const result = await client().completeJson(messages, 'facts');
    expect(result.json).toEqual({ facts: [] });
    expect(server.requests).toHaveLength(2);
  });

  it('gives up after the retries with an upstream error', async () => {
    server = await startModelServer();
    server.failNext(5, 503);
    const error = await failure(client({ maxRetries: 1 }).completeJson(messages, 'facts'));
    expect(server.requests).toHaveLength(2);
    expect(error.details).toMatchObject({ reason: 'server_error', status: 503, attempts: 2 });
  });

  it('reports an assistant message that is not JSON, without retrying', async () => {
    server = await startModelServer();
    server.script({ text: 'Sure! Here are the facts: {facts: [oops' });
    const error = await failure(client().completeJson(messages, 'facts'));
    expect(server.requests).toHaveLength(1);
    expect(error.details).toMatchObject({ service: 'chat (facts)', reason: 'bad_response' });
    expect(error.message).toContain('not JSON (Sure! Here are the facts');
  });

  it('reports JSON that is not an object, an empty answer and a cut-off answer', async () => {
    server = await startModelServer();
    server.script({ json: [1, 2] }, { text: '' }, { text: '{"facts":[', finishReason: 'length' });
    expect((await failure(client().completeJson(messages, 'f'))).message).toContain(
      'not an object',
    );
    expect((await failure(client().completeJson(messages, 'f'))).message).toContain(
      'empty assistant message',
    );
    expect((await failure(client().completeJson(messages, 'f'))).message).toContain(
      'raise maxTokens',
    );
  });

  it('hints at the base URL and model on a 404', async () => {
    server = await startModelServer();
    const error = await failure(
      client({ baseURL: `${server.origin}/nowhere` }).completeJson(messages, 'facts'),
    );
    expect(error.message).toContain('check the chat base URL');
    expect(error.message).toContain('"qwen-test"');
  });

  it('rejects bad configuration', () => {
    expect(() => new ChatClient({ baseURL: 'nope', model: 'm' })).toThrow(/not a URL/);
    expect(() => new ChatClient({ baseURL: 'http://x/v1', model: ' ' })).toThrow(/model is empty/);
    expect(() => new ChatClient({ baseURL: 'http://x/v1', model: 'm', maxRetries: -1 })).toThrow(
      /max retries/,
    );
  });
});

describe('parseAnswer', () => {
  it('returns valid data and turns a violation into an upstream bad_response', async () => {
    const schema = z.object({ n: z.number() });
    const where = { service: 'chat (n)', url: 'http://x/v1/chat/completions' };
    expect(parseAnswer(schema, { n: 1 }, where)).toEqual({ n: 1 });
    const error = await failure(
      Promise.resolve().then(() => parseAnswer(schema, { n: 'a' }, where)),
    );
    expect(error.details).toMatchObject({ reason: 'bad_response', service: 'chat (n)' });
    expect(error.message).toContain('n: ');
  });
});

describe('ChatClient over the Anthropic Messages API', () => {
  it('sends the system prompt apart, the key in x-api-key, and reads the JSON text and usage', async () => {
    server = await startModelServer();
    server.script({
      json: { facts: ['李雷'] },
      usage: { prompt_tokens: 11, completion_tokens: 3 },
    });
    const chat = client({ provider: 'anthropic', apiKey: 'sk-ant-test', model: 'claude-test' });
    expect(chat.url).toBe(`${server.url}/messages`);
    const result = await chat.completeJson(messages, 'facts');
    expect(result).toEqual({
      json: { facts: ['李雷'] },
      usage: { promptTokens: 11, completionTokens: 3 },
      model: 'claude-test',
    });
    const [request] = server.requestsTo('/v1/messages');
    expect(request!.headers['x-api-key']).toBe('sk-ant-test');
    expect(request!.body).toMatchObject({
      model: 'claude-test',
      system: [{ type: 'text', text: 'Answer in JSON.' }],
      messages: [{ role: 'user', content: [{ type: 'text', text: '你好' }] }],
    });
  });

  it('retries a 529-style server error and then reports it as upstream', async () => {
    server = await startModelServer();
    server.failNext(3, 503);
    const chat = client({
      provider: 'anthropic',
      apiKey: 'k',
      model: 'claude-test',
      maxRetries: 2,
    });
    const error = await failure(chat.completeJson(messages, 'facts'));
    expect(server.requestsTo('/v1/messages')).toHaveLength(3);
    expect(error.details).toMatchObject({ reason: 'server_error', status: 503, attempts: 3 });
  });
});

describe('ChatClient authentication errors', () => {
  it('names the key variable when the server refuses the key', async () => {
    server = await startModelServer({ apiKey: 'right' });
    const error = await failure(
      client({ apiKey: 'wrong', apiKeyEnv: 'DASHSCOPE_API_KEY' }).completeJson(messages, 'facts'),
    );
    expect(error.details).toMatchObject({ reason: 'auth', status: 401, attempts: 1 });
    expect(error.message).toContain('DASHSCOPE_API_KEY');
  });
});
