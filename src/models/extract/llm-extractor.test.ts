import { afterEach, describe, expect, it } from 'vitest';
import {
  type ChatRequest,
  type ModelServer,
  startModelServer,
} from '../../../test/support/model-server.js';
import type { ConversationMessage } from '../../core/conversation-message.js';
import { MnemosError } from '../../core/errors.js';
import { ChatClient } from '../llm/chat-client.js';
import { type ExtractionUsage, LlmExtractor } from './llm-extractor.js';

let server: ModelServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

function extractor(onUsage?: (usage: ExtractionUsage) => void, maxFacts?: number): LlmExtractor {
  return new LlmExtractor({
    client: new ChatClient({
      baseURL: server!.url,
      model: 'qwen-test',
      retryBaseDelayMs: 1,
      retryMaxDelayMs: 5,
    }),
    onUsage,
    maxFacts,
  });
}

function sentRequest(index = 0): ChatRequest {
  return server!.requestsTo('/v1/chat/completions')[index]!.body as ChatRequest;
}

async function upstreamFailure(promise: Promise<unknown>): Promise<MnemosError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(MnemosError.isInstance(error)).toBe(true);
  const mnemosError = error as MnemosError;
  expect(mnemosError.code).toBe('upstream_error');
  expect(mnemosError.category).toBe('upstream');
  expect(mnemosError.details).toMatchObject({ reason: 'bad_response' });
  return mnemosError;
}

const chinese: ConversationMessage[] = [
  { role: 'user', content: '我叫王芳，住在成都。', createdAt: '2025-06-10T08:00:00+08:00' },
  { role: 'assistant', content: '你好王芳！', createdAt: '2025-06-10T08:00:05+08:00' },
  {
    role: 'user',
    content: '昨天我在 Apple Store 买了 MacBook Pro，花了 14,999 元。',
    createdAt: '2025-06-10T08:01:00+08:00',
  },
];

describe('LlmExtractor', () => {
  it('sends one JSON-mode request with the rules, the examples and dated messages', async () => {
    server = await startModelServer();
    server.script({ json: { facts: [] } });
    await extractor().doExtract([
      ...chinese,
      { role: 'system', content: 'You are helpful.' },
      { role: 'tool', content: '{"x":1}' },
    ]);
    expect(server.requests).toHaveLength(1);
    const request = sentRequest();
    expect(request.model).toBe('qwen-test');
    expect(request.response_format).toEqual({ type: 'json_object' });
    const [system, user] = request.messages!;
    expect(system!.role).toBe('system');
    const rules = system!.content as string;
    expect(rules).toContain('write each fact in the language the user wrote it in');
    expect(rules).toContain('Chinese stays Chinese');
    expect(rules).toContain('never translate');
    expect(rules).toContain('fact|preference|profile|decision|event|note');
    expect(rules).toContain('Nothing invented');
    expect(rules).toContain('using the date of the message they appear in');
    expect(rules).toContain('用户希望回答风格更加正式');
    expect(user!.role).toBe('user');
    const lines = (user!.content as string).split('\n').filter((line) => line.startsWith('{'));
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      { n: 0, role: 'user', date: '2025-06-10 (Tuesday)', text: '我叫王芳，住在成都。' },
      { n: 1, role: 'assistant', date: '2025-06-10 (Tuesday)', text: '你好王芳！' },
      {
        n: 2,
        role: 'user',
        date: '2025-06-10 (Tuesday)',
        text: '昨天我在 Apple Store 买了 MacBook Pro，花了 14,999 元。',
      },
    ]);
  });

  it('round-trips Chinese facts, keeping the language, names, numbers and resolved dates', async () => {
    server = await startModelServer();
    server.script({
      json: {
        facts: [
          {
            text: '用户名叫王芳，住在成都',
            kind: 'profile',
            salience: 0.9,
            entities: ['王芳', '成都'],
            date: null,
            sources: [0],
          },
          {
            text: '用户于 2025-06-09 在 Apple Store 花 14,999 元买了 MacBook Pro',
            kind: 'Event',
            salience: 0.6,
            entities: ['Apple Store', 'MacBook Pro'],
            date: '2025-06-09',
            sources: [2, 2, 7],
          },
        ],
      },
    });
    const memories = await extractor().doExtract(chinese);
    expect(memories).toEqual([
      {
        text: '用户名叫王芳，住在成都',
        kind: 'profile',
        salience: 0.9,
        sourceMessages: [0],
        metadata: { role: 'user', entities: '王芳, 成都' },
      },
      {
        text: '用户于 2025-06-09 在 Apple Store 花 14,999 元买了 MacBook Pro',
        kind: 'event',
        salience: 0.6,
        sourceMessages: [2],
        metadata: { role: 'user', entities: 'Apple Store, MacBook Pro', date: '2025-06-09' },
      },
    ]);
  });

  it('round-trips English facts; without sources a fact cites every user message', async () => {
    server = await startModelServer();
    server.script({
      json: {
        facts: [
          { text: 'The user prefers dark mode in every editor', kind: 'preference', salience: 0.8 },
          {
            text: 'The user starts at Globex on 2025-01-06',
            kind: 'event',
            salience: 0.7,
            entities: ['Globex'],
            date: '2025-01-06',
            sources: [],
          },
        ],
      },
      usage: { prompt_tokens: 900, completion_tokens: 60 },
    });
    const usages: ExtractionUsage[] = [];
    const english = extractor((usage) => usages.push(usage));
    const memories = await english.doExtract([
      { role: 'user', content: 'I always use dark mode.', createdAt: '2025-01-02T10:00:00Z' },
      { role: 'assistant', content: 'Noted.' },
      {
        role: 'user',
        content: 'I start at Globex next Monday.',
        createdAt: '2025-01-02T10:01:00Z',
      },
    ]);
    expect(memories).toEqual([
      {
        text: 'The user prefers dark mode in every editor',
        kind: 'preference',
        salience: 0.8,
        sourceMessages: [0, 2],
        metadata: { role: 'user' },
      },
      {
        text: 'The user starts at Globex on 2025-01-06',
        kind: 'event',
        salience: 0.7,
        sourceMessages: [0, 2],
        metadata: { role: 'user', entities: 'Globex', date: '2025-01-06' },
      },
    ]);
    expect(english.id).toBe('llm:qwen-test');
    expect(english.lastUsage).toEqual({ promptTokens: 900, completionTokens: 60 });
    expect(english.totalUsage).toEqual({ promptTokens: 900, completionTokens: 60 });
    expect(usages).toEqual([
      { promptTokens: 900, completionTokens: 60, model: 'qwen-test', messages: 3, facts: 2 },
    ]);
  });

  it('keeps the most salient facts up to maxFacts, in answer order', async () => {
    server = await startModelServer();
    server.script({
      json: {
        facts: [
          { text: 'a', kind: 'note', salience: 0.2 },
          { text: 'b', kind: 'note', salience: 0.9 },
          { text: 'c', kind: 'note', salience: 0.5 },
        ],
      },
    });
    const memories = await extractor(undefined, 2).doExtract([{ role: 'user', content: 'x' }]);
    expect(memories.map((memory) => memory.text)).toEqual(['b', 'c']);
  });

  it('makes no call when no user message says anything', async () => {
    server = await startModelServer();
    expect(
      await extractor().doExtract([
        { role: 'assistant', content: 'Hello!' },
        { role: 'user', content: '   ' },
      ]),
    ).toEqual([]);
    expect(await extractor().doExtract([])).toEqual([]);
    expect(server.requests).toHaveLength(0);
  });

  it('turns malformed JSON into an upstream error', async () => {
    server = await startModelServer();
    server.script({ text: '{"facts": [{"text": "用户住在成都",' });
    const error = await upstreamFailure(extractor().doExtract(chinese));
    expect(error.message).toContain('not JSON');
  });

  it('turns a schema violation into an upstream error', async () => {
    server = await startModelServer();
    server.script(
      { json: { facts: [{ text: '用户住在成都', kind: 'location', salience: 0.5 }] } },
      { json: { facts: [{ text: '用户住在成都', kind: 'profile', salience: 3 }] } },
      { json: { memories: [] } },
      { json: { facts: [{ text: 'x', kind: 'event', salience: 0.5, date: 'last week' }] } },
    );
    const messages: ConversationMessage[] = [{ role: 'user', content: '我住在成都' }];
    expect((await upstreamFailure(extractor().doExtract(messages))).message).toContain(
      'facts.0.kind',
    );
    expect((await upstreamFailure(extractor().doExtract(messages))).message).toContain(
      'facts.0.salience',
    );
    expect((await upstreamFailure(extractor().doExtract(messages))).message).toContain('(facts: ');
    expect((await upstreamFailure(extractor().doExtract(messages))).message).toContain(
      'facts.0.date',
    );
  });

  it('retries after a 500 and then succeeds', async () => {
    server = await startModelServer();
    server.failNext(1, 500, { path: '/v1/chat/completions' });
    server.script({ json: { facts: [{ text: '用户住在成都', kind: 'profile', salience: 0.8 }] } });
    const memories = await extractor().doExtract([{ role: 'user', content: '我住在成都' }]);
    expect(memories.map((memory) => memory.text)).toEqual(['用户住在成都']);
    expect(server.requests).toHaveLength(2);
  });
});
