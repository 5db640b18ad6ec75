import { afterEach, describe, expect, it } from 'vitest';
import {
  type ChatRequest,
  type ModelServer,
  startModelServer,
} from '../../../test/support/model-server.js';
import { MnemosError } from '../../core/errors.js';
import type { NewFact } from '../../spec/reconciler.js';
import { ChatClient } from '../llm/chat-client.js';
import { LlmReconciler } from './reconciler.js';

let server: ModelServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

function reconciler(): LlmReconciler {
  return new LlmReconciler({
    client: new ChatClient({
      baseURL: server!.url,
      model: 'qwen-test',
      retryBaseDelayMs: 1,
      retryMaxDelayMs: 5,
    }),
  });
}

function prompt(): { system: string; user: string } {
  const body = server!.requestsTo('/v1/chat/completions')[0]!.body as ChatRequest;
  return {
    system: body.messages![0]!.content as string,
    user: body.messages![1]!.content as string,
  };
}

const beijing = { id: 'mem-7f3a9c21-beijing', text: '用户住在北京' };
const coffee = { id: 'mem-0b44e1d9-coffee', text: '用户喜欢喝咖啡' };
const acme = { id: 'mem-5c2d8e10-acme', text: 'The user works at Acme' };

const facts: NewFact[] = [
  { text: '用户上个月搬到了上海', similar: [beijing] },
  { text: '用户喜欢喝美式咖啡，不加糖', similar: [coffee, beijing] },
  { text: 'The user works at Acme', similar: [acme] },
  { text: 'The user has a cat named Miso', similar: [] },
  { text: 'The user is a data engineer', similar: [acme] },
];

describe('LlmReconciler', () => {
  it('makes no call when no new fact has a similar existing fact', async () => {
    server = await startModelServer();
    const result = await reconciler().reconcile([
      { text: '用户养了一只猫', similar: [] },
      { text: 'The user likes tea', similar: [] },
    ]);
    expect(result).toEqual({
      decisions: [
        { event: 'ADD', fact: 0, text: '用户养了一只猫' },
        { event: 'ADD', fact: 1, text: 'The user likes tea' },
      ],
      warnings: [],
      usage: undefined,
    });
    expect(await reconciler().reconcile([])).toEqual({
      decisions: [],
      warnings: [],
      usage: undefined,
    });
    expect(server.requests).toHaveLength(0);
  });

  it('shows existing facts under integer handles, never their ids, with the language rule', async () => {
    server = await startModelServer();
    server.script({ json: { decisions: [] } });
    await reconciler().reconcile(facts);
    expect(server.requests).toHaveLength(1);
    const body = server.requests[0]!.body as ChatRequest;
    expect(body.model).toBe('qwen-test');
    expect(body.response_format).toEqual({ type: 'json_object' });
    const { system, user } = prompt();
    expect(system).toContain('language the user wrote');
    expect(system).toContain('Chinese stays Chinese');
    expect(system).toContain('Never use a handle that is not listed');
    expect(user).toContain(
      [
        'EXISTING',
        '[0] 用户住在北京',
        '[1] 用户喜欢喝咖啡',
        '[2] The user works at Acme',
        'NEW',
        'fact 0: 用户上个月搬到了上海 (similar: [0])',
        'fact 1: 用户喜欢喝美式咖啡，不加糖 (similar: [1], [0])',
        'fact 2: The user works at Acme (similar: [2])',
        'fact 4: The user is a data engineer (similar: [2])',
      ].join('\n'),
    );
    expect(user).not.toContain('Miso');
    for (const existing of [beijing, coffee, acme]) {
      expect(system + user).not.toContain(existing.id);
    }
  });

  it('maps ADD, UPDATE, INVALIDATE and NONE decisions back to ids', async () => {
    server = await startModelServer();
    server.script({
      json: {
        decisions: [
          { fact: 0, event: 'INVALIDATE', target: 0 },
          { fact: 1, event: 'update', target: '[1]', text: '用户喜欢喝美式咖啡，不加糖' },
          { fact: 2, event: 'NONE', target: 2 },
          { fact: 4, event: 'ADD', target: null },
        ],
      },
      usage: { prompt_tokens: 300, completion_tokens: 40 },
    });
    const component = reconciler();
    const result = await component.reconcile(facts);
    expect(result.decisions).toEqual([
      {
        event: 'INVALIDATE',
        fact: 0,
        text: '用户上个月搬到了上海',
        targetId: beijing.id,
        previousText: '用户住在北京',
      },
      {
        event: 'UPDATE',
        fact: 1,
        text: '用户喜欢喝美式咖啡，不加糖',
        targetId: coffee.id,
        previousText: '用户喜欢喝咖啡',
      },
      { event: 'NONE', fact: 2, text: 'The user works at Acme', targetId: acme.id },
      { event: 'ADD', fact: 3, text: 'The user has a cat named Miso' },
      { event: 'ADD', fact: 4, text: 'The user is a data engineer' },
    ]);
    expect(result.warnings).toEqual([]);
    expect(result.usage).toEqual({ promptTokens: 300, completionTokens: 40 });
    expect(component.lastUsage).toEqual({ promptTokens: 300, completionTokens: 40 });
  });

  it('rejects invented handles and other unusable answers as ADD, with warnings', async () => {
    server = await startModelServer();
    server.script({
      json: {
        decisions: [
          { fact: 0, event: 'INVALIDATE', target: 7 },
          { fact: 1, event: 'UPDATE', target: 'mem-0b44e1d9-coffee', text: 'x' },
          { fact: 2, event: 'UPDATE', target: 2, text: 'The user works at Acme' },
          { fact: 2, event: 'NONE', target: 2 },
          { fact: 4, event: 'INVALIDATE', target: 2 },
          { fact: 9, event: 'NONE', target: 0 },
        ],
      },
    });
    const result = await reconciler().reconcile(facts);
    expect(result.decisions.map((decision) => decision.event)).toEqual([
      'ADD',
      'ADD',
      'UPDATE',
      'ADD',
      'ADD',
    ]);
    expect(result.decisions[2]).toMatchObject({ targetId: acme.id });
    expect(result.warnings).toEqual([
      'INVALIDATE of fact 0 names handle 7, which was not shown; treated as ADD',
      'UPDATE of fact 1 names handle "mem-0b44e1d9-coffee", which was not shown; treated as ADD',
      'second decision for fact 2 ignored',
      'INVALIDATE of fact 4 targets [2], already changed by another fact of the batch; treated as ADD',
      'decision for fact 9, which was not asked about, ignored',
    ]);
  });

  it('treats a fact the model skipped as ADD, with a warning', async () => {
    server = await startModelServer();
    server.script({ json: { decisions: [{ fact: 0, event: 'NONE', target: 0 }] } });
    const result = await reconciler().reconcile(facts.slice(0, 2));
    expect(result.decisions).toEqual([
      { event: 'NONE', fact: 0, text: '用户上个月搬到了上海', targetId: beijing.id },
      { event: 'ADD', fact: 1, text: '用户喜欢喝美式咖啡，不加糖' },
    ]);
    expect(result.warnings).toEqual(['no decision for fact 1; treated as ADD']);
  });

  it('turns malformed JSON and schema violations into upstream errors', async () => {
    server = await startModelServer();
    server.script(
      { text: 'ADD, UPDATE' },
      { json: { decisions: [{ fact: 0, event: 'MERGE', target: 0 }] } },
    );
    for (const expected of ['not JSON', 'decisions.0.event']) {
      const error = await reconciler()
        .reconcile(facts)
        .then(
          () => undefined,
          (caught: unknown) => caught,
        );
      expect(MnemosError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({
        code: 'upstream_error',
        category: 'upstream',
        details: { reason: 'bad_response' },
      });
      expect((error as MnemosError).message).toContain(expected);
    }
  });
});
