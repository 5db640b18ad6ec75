import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ModelServer, startModelServer } from '../support/model-server.js';
import { baseConfig, call, parseSse, startTestServer, type TestServer } from './helpers.js';

/** `/metrics` counts the tool calls of agent turns by tool and outcome. */

let model: ModelServer;
let server: TestServer;

beforeAll(async () => {
  model = await startModelServer();
  server = await startTestServer({
    config: `${baseConfig}llm:\n  base_url: ${model.url}\n  model: scripted\n`,
  });
});
afterAll(async () => {
  await server?.remove();
  await model?.close();
});

function toolCounts(text: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const match = /^mnemos_tool_calls_total\{tool="([^"]*)",outcome="([^"]*)"\} (\S+)$/.exec(line);
    if (match) counts[`${match[1]}:${match[2]}`] = Number(match[3]);
  }
  return counts;
}

describe('mnemos_tool_calls_total', () => {
  it('counts ok and failed calls per tool, made-up tool names under (unknown)', async () => {
    const key = (await server.mnemos.keys.create({ appId: 'shop', tenantId: 'u1' })).key;
    const before = toolCounts((await call(server.url, null, 'GET', '/metrics')).text);
    expect(before).toEqual({});
    model.script(
      {
        toolCalls: [
          { name: 'session_search', arguments: { query: 'tea' } },
          { name: 'session_search', arguments: {} },
          { name: 'launch_rockets', arguments: {} },
        ],
      },
      { text: 'done' },
    );
    const session = (await call(server.url, key, 'POST', '/v1/sessions', {})).json<{
      id: string;
    }>();
    const answer = await call(server.url, key, 'POST', `/v1/sessions/${session.id}/messages`, {
      content: 'search',
      stream: true,
    });
    const results = parseSse(answer.text).filter((event) => event.event === 'tool_result');
    expect(results.map((event) => [event.data.name, event.data.isError])).toEqual([
      ['session_search', false],
      ['session_search', true],
      ['launch_rockets', true],
    ]);
    const after = toolCounts((await call(server.url, null, 'GET', '/metrics')).text);
    expect(after).toEqual({
      'session_search:ok': 1,
      'session_search:error': 1,
      '(unknown):error': 1,
    });
  });
});
