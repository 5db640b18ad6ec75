import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  type ChatRequest,
  type ModelServer,
  startModelServer,
} from '../../../test/support/model-server.js';
import type { AgentEvent, ChainedModel } from '../../core/agent-events.js';
import { ChatClient } from '../../models/llm/chat-client.js';
import type { AnyTool } from '../tools/tool.js';
import { ModelBreaker } from './model-breaker.js';
import { runTurnLoop, type TurnLoopInput } from './turn-loop.js';

let server: ModelServer;

beforeAll(async () => {
  server = await startModelServer();
});
beforeEach(() => server.reset());
afterAll(async () => {
  await server.close();
});

function chained(
  name: string,
  protocol: 'native' | 'react' = 'native',
  maxRetries = 0,
): ChainedModel {
  const client = new ChatClient({
    baseURL: server.url,
    model: name,
    maxRetries,
    retryBaseDelayMs: 1,
  });
  return { name, model: client.languageModel, toolProtocol: protocol, contextWindow: 32_000 };
}

const calls: string[] = [];
const weather: AnyTool = {
  name: 'weather',
  description: 'Weather of a city',
  toolset: 'test',
  schema: z.object({ city: z.string() }),
  execute: async (args: { city: string }) => {
    calls.push(args.city);
    await new Promise((resolve) => setTimeout(resolve, 50));
    return { city: args.city, sky: args.city === '杭州' ? '晴' : 'rain' };
  },
};
const broken: AnyTool = {
  name: 'broken',
  description: 'Always fails',
  toolset: 'test',
  schema: z.object({}),
  execute: async () => {
    throw new Error('disk on fire');
  },
};

async function run(
  models: ChainedModel[],
  tools: AnyTool[] = [weather, broken],
  maxIterations = 5,
  extra: Partial<TurnLoopInput> = {},
) {
  const events: AgentEvent[] = [];
  const result = await runTurnLoop({
    ...extra,
    models,
    system: 'You are a test.',
    messages: [{ role: 'user', content: '杭州和伦敦的天气？' }],
    tools,
    maxIterations,
    signal: new AbortController().signal,
    toolContext: { signal: new AbortController().signal, sessionId: 's', workspace: '/tmp' },
    emit: (event) => events.push(event),
  });
  return { result, events };
}

describe('runTurnLoop', () => {
  beforeEach(() => {
    calls.length = 0;
  });

  it('runs parallel tool calls, returns results and errors to the model, then streams the answer', async () => {
    server.script(
      {
        toolCalls: [
          { id: 'a', name: 'weather', arguments: { city: '杭州' } },
          { id: 'b', name: 'weather', arguments: { city: 'London' } },
          { id: 'c', name: 'broken', arguments: {} },
          { id: 'd', name: 'nope', arguments: {} },
        ],
      },
      { text: '杭州晴，伦敦下雨。', chunks: ['杭州晴，', '伦敦下雨。'] },
    );
    const started = performance.now();
    const { result, events } = await run([chained('primary')]);
    expect(result.reason).toBe('answered');
    expect(result.text).toBe('杭州晴，伦敦下雨。');
    expect(calls.sort()).toEqual(['London', '杭州']);
    expect(performance.now() - started).toBeLessThan(5_000);
    const results = events.filter((event) => event.type === 'tool_result');
    expect(results.map((event) => [event.id, event.isError])).toEqual([
      ['a', false],
      ['b', false],
      ['c', true],
      ['d', true],
    ]);
    expect(
      events
        .filter((event) => event.type === 'token')
        .map((event) => event.text)
        .join(''),
    ).toBe('杭州晴，伦敦下雨。');
    // The second request carries the tool results, errors included.
    const second = server.requestsTo('/v1/chat/completions')[1]!.body as ChatRequest;
    const toolMessages = (second.messages ?? []).filter((message) => message.role === 'tool');
    expect(toolMessages).toHaveLength(4);
    expect(JSON.stringify(toolMessages)).toContain('disk on fire');
    expect(JSON.stringify(toolMessages)).toContain('unknown tool nope');
    expect(result.added.map((message) => message.role)).toEqual(['assistant', 'tool', 'assistant']);
  });

  it('stops at max iterations with a notice', async () => {
    server.script(
      { toolCalls: [{ name: 'weather', arguments: { city: 'a' } }] },
      { toolCalls: [{ name: 'weather', arguments: { city: 'b' } }] },
      { toolCalls: [{ name: 'weather', arguments: { city: 'c' } }] },
    );
    const { result, events } = await run([chained('primary')], [weather], 2);
    expect(result.reason).toBe('max_iterations');
    expect(calls).toEqual(['a', 'b']);
    expect(
      events.some((event) => event.type === 'notice' && event.message.includes('max_iterations')),
    ).toBe(true);
  });

  it('falls back to the next model when the primary keeps failing', async () => {
    server.failNext(2, 503);
    server.script({ text: 'fallback answer' });
    const { result, events } = await run([chained('primary', 'native', 1), chained('backup')]);
    expect(result.text).toBe('fallback answer');
    const fallback = events.find((event) => event.type === 'model_fallback');
    expect(fallback).toMatchObject({ from: 'primary', to: 'backup' });
    const models = server
      .requestsTo('/v1/chat/completions')
      .map((request) => (request.body as ChatRequest).model);
    expect(models).toEqual(['primary', 'primary', 'backup']);
  });

  it('uses tools through the ReAct text protocol for models without function calling', async () => {
    server.script(
      { text: 'Thought: need weather\nAction: weather\nAction Input: {"city": "杭州"}' },
      { text: 'Thought: done\nFinal Answer: 杭州今天晴。' },
    );
    const { result, events } = await run([chained('plain', 'react')]);
    expect(result.text).toBe('杭州今天晴。');
    expect(calls).toEqual(['杭州']);
    const first = server.requestsTo('/v1/chat/completions')[0]!.body as ChatRequest;
    expect(first.tools).toBeUndefined();
    expect(JSON.stringify(first.messages)).toContain('Action Input:');
    const second = server.requestsTo('/v1/chat/completions')[1]!.body as ChatRequest;
    expect(JSON.stringify(second.messages)).toContain(
      'Observation: {\\"city\\":\\"杭州\\",\\"sky\\":\\"晴\\"}',
    );
    expect(
      events
        .filter((event) => event.type === 'token')
        .map((event) => event.text)
        .join(''),
    ).toBe('杭州今天晴。');
  });

  describe('with a circuit breaker', () => {
    const clock = { now: 0 };
    const settings = { window: 10, failureRate: 0.5, minCalls: 2, cooldownMs: 1_000 };
    const modelsAsked = (): string[] =>
      server
        .requestsTo('/v1/chat/completions')
        .map((request) => (request.body as ChatRequest).model ?? '');

    it('skips a failing primary until the cooldown, then tries it once again', async () => {
      const breaker = new ModelBreaker(settings, () => clock.now);
      const chain = [chained('primary'), chained('backup')];
      const turn = () => run(chain, [], 5, { breaker });
      for (let failing = 0; failing < 2; failing++) {
        server.failNext(1, 500);
        const { result } = await turn();
        expect(result.text).toBe('ok');
      }
      expect(modelsAsked()).toEqual(['primary', 'backup', 'primary', 'backup']);
      expect(breaker.state('primary')).toBe('open');

      server.reset();
      for (let later = 0; later < 2; later++) {
        const { result, events } = await turn();
        expect(result.text).toBe('ok');
        expect(events.find((event) => event.type === 'model_fallback')).toMatchObject({
          from: 'primary',
          to: 'backup',
          reason: expect.stringMatching(/circuit open: 2 of the last 2 calls of primary failed/),
        });
      }
      // No request reached the primary while its circuit was open.
      expect(modelsAsked()).toEqual(['backup', 'backup']);

      server.reset();
      clock.now += 1_000;
      server.failNext(1, 500);
      await turn();
      // The trial failed: open again, the next turn goes straight to the backup.
      expect(modelsAsked()).toEqual(['primary', 'backup']);
      server.reset();
      await turn();
      expect(modelsAsked()).toEqual(['backup']);

      server.reset();
      clock.now += 1_000;
      const { events } = await turn();
      expect(events.some((event) => event.type === 'model_fallback')).toBe(false);
      expect(modelsAsked()).toEqual(['primary']);
      expect(breaker.state('primary')).toBe('closed');
    });

    it('still tries the primary when it has no fallback', async () => {
      const breaker = new ModelBreaker(settings, () => clock.now);
      server.failNext(2, 500);
      for (let i = 0; i < 2; i++)
        await expect(run([chained('alone')], [], 5, { breaker })).rejects.toThrow();
      expect(breaker.state('alone')).toBe('open');
      const { result } = await run([chained('alone')], [], 5, { breaker });
      expect(result.text).toBe('ok');
      expect(modelsAsked()).toEqual(['alone', 'alone', 'alone']);
    });
  });
});
