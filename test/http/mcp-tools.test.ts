import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeFixtureServers, writeFixtureServer } from '../cli/mcp-fixture-server.js';
import { type ModelServer, startModelServer } from '../support/model-server.js';
import {
  baseConfig,
  call,
  parseSse,
  type SseEvent,
  startTestServer,
  type TestServer,
} from './helpers.js';

/**
 * HTTP agent turns come from strangers: a configured MCP server is offered only when the operator
 * lists its toolset `mcp_<name>` for the surface; then denied tools stay absent and tools needing
 * confirmation are refused, since nobody can confirm over HTTP.
 */

let model: ModelServer;
const servers: TestServer[] = [];
const script = writeFixtureServer();

beforeAll(async () => {
  model = await startModelServer();
});

afterAll(async () => {
  for (const server of servers) await server.remove();
  await model?.close();
  removeFixtureServers();
});

const mcpYaml = [
  'mcp_servers:',
  '  fx:',
  `    command: ${JSON.stringify(process.execPath)}`,
  `    args: [${JSON.stringify(script)}]`,
  '    denied_tools: [fail]',
  '    require_confirmation: [secret_env]',
  '',
].join('\n');

async function serverWith(extraYaml: string): Promise<{ server: TestServer; key: string }> {
  const server = await startTestServer({
    config: `${baseConfig}llm:\n  base_url: ${model.url}\n  model: scripted\n${mcpYaml}${extraYaml}`,
  });
  servers.push(server);
  const { key } = await server.mnemos.keys.create({ appId: 'shop', tenantId: 'stranger' });
  return { server, key };
}

interface ToolCall {
  name: string;
  arguments: Record<string, unknown>;
}

async function turnWith(
  server: TestServer,
  key: string,
  calls: ToolCall[],
): Promise<{ events: SseEvent[]; results: Array<Record<string, unknown>>; offered: string[] }> {
  model.reset();
  model.script(...calls.map((toolCall) => ({ toolCalls: [toolCall] })), { text: 'Finished.' });
  const session = (await call(server.url, key, 'POST', '/v1/sessions', { title: 'mcp' })).json<{
    id: string;
  }>();
  const answer = await call(server.url, key, 'POST', `/v1/sessions/${session.id}/messages`, {
    content: 'Please use your tools.',
    stream: true,
  });
  expect(answer.status, answer.text).toBe(200);
  const events = parseSse(answer.text);
  const first = model.requestsTo('/v1/chat/completions')[0]?.body as
    | { tools?: Array<{ function?: { name?: string } }> }
    | undefined;
  return {
    events,
    results: events.filter((event) => event.event === 'tool_result').map((event) => event.data),
    offered: (first?.tools ?? []).map((tool) => tool.function?.name ?? ''),
  };
}

const resultOf = (result: Record<string, unknown> | undefined): string =>
  JSON.stringify(result?.result ?? null);

describe('MCP servers on HTTP agent turns', () => {
  it('are not offered by default', async () => {
    const { server, key } = await serverWith('');
    const { results, offered } = await turnWith(server, key, [
      { name: 'mcp_fx_echo', arguments: { text: 'hi' } },
    ]);
    expect(offered.some((name) => name.startsWith('mcp_'))).toBe(false);
    expect(results[0]?.isError).toBe(true);
    expect(resultOf(results[0])).toContain('unknown tool mcp_fx_echo');
  });

  it('are offered when their toolset is listed: allowed tools run, denied are absent, confirmation is refused', async () => {
    const { server, key } = await serverWith(
      'agent:\n  surfaces:\n    http:\n      toolsets: [web, mcp_fx]\n',
    );
    const { results, offered, events } = await turnWith(server, key, [
      { name: 'mcp_fx_echo', arguments: { text: 'through http' } },
      { name: 'mcp_fx_secret_env', arguments: { name: 'PATH' } },
      { name: 'mcp_fx_pid', arguments: {} },
    ]);
    expect(offered).toContain('mcp_fx_echo');
    expect(offered).toContain('mcp_fx_secret_env');
    expect(offered).not.toContain('mcp_fx_fail');
    expect(results[0]).toMatchObject({ isError: false, result: 'through http' });
    expect(results[1]?.isError).toBe(true);
    expect(resultOf(results[1])).toMatch(
      /mcp_fx_secret_env needs confirmation .*nobody can confirm/,
    );
    expect(events.at(-1)?.data).toMatchObject({ reason: 'answered' });
    // The server's process ends with the turn: no child outlives the request.
    const pid = Number(results[2]?.result);
    expect(pid).toBeGreaterThan(0);
    const deadline = Date.now() + 5_000;
    while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(alive(pid)).toBe(false);
  });

  it('a listed toolset naming no configured server is still refused', async () => {
    const { server, key } = await serverWith(
      'agent:\n  surfaces:\n    http:\n      toolsets: [web, mcp_nope]\n',
    );
    model.reset();
    model.script({ text: 'never' });
    const session = (await call(server.url, key, 'POST', '/v1/sessions', { title: 'x' })).json<{
      id: string;
    }>();
    const answer = await call(server.url, key, 'POST', `/v1/sessions/${session.id}/messages`, {
      content: 'hi',
    });
    expect(answer.text).toContain('unknown toolset mcp_nope');
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
