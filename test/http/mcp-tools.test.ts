import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { McpToolbox } from '../../src/agent/tools/mcp/mcp-toolbox.js';
import type { AnyTool } from '../../src/agent/tools/tool.js';
import { validateConfig } from '../../src/config/config.js';
import { removeFixtureServers, writeFixtureServer } from '../cli/mcp-fixture-server.js';
import { makeHome, removeHomes, runCli } from '../support/cli.js';
import { type ModelServer, startModelServer } from '../support/model-server.js';
import { startServe } from '../support/serve.js';
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
  removeHomes();
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

describe("mnemos serve's /mcp as a Streamable HTTP server of the MCP client", () => {
  it('connects with the API key from the environment, remembers and searches; a wrong key cannot connect', async () => {
    const home = makeHome();
    writeFileSync(join(home, 'config.yaml'), 'extractor: passthrough\n');
    const created = await runCli(
      ['keys', 'create', '--app', 'shop', '--tenant', 'u1', '--name', 'mcp client', '--json'],
      { home },
    );
    expect(created.code, created.stderr).toBe(0);
    const { key } = created.json<{ key: string }>();
    const serve = await startServe(home, { timeoutMs: 20_000 });
    const toolboxFor = (variable: string, warnings: string[]): McpToolbox =>
      new McpToolbox({
        servers: validateConfig(
          {
            mcp_servers: {
              self: { url: `${serve.url}/mcp`, headers_from_env: { Authorization: variable } },
            },
          },
          'test',
        ).mcp_servers,
        home,
        warn: (message) => warnings.push(message),
      });
    process.env.MNEMOS_TEST_MCP_AUTH = `Bearer ${key}`;
    process.env.MNEMOS_TEST_MCP_WRONG = 'Bearer mnemos_wrong_key';
    const warnings: string[] = [];
    const toolbox = toolboxFor('MNEMOS_TEST_MCP_AUTH', warnings);
    const refused = toolboxFor('MNEMOS_TEST_MCP_WRONG', warnings);
    try {
      const tools = await toolbox.tools();
      const named = (name: string): AnyTool => {
        const tool = tools.find((candidate) => candidate.name === name);
        if (!tool)
          throw new Error(`no ${name} in ${tools.map((t) => t.name).join(', ')}: ${warnings}`);
        return tool;
      };
      const context = { signal: new AbortController().signal, sessionId: 's', workspace: home };
      const remember = named('mcp_self_memory_remember');
      await remember.execute(
        remember.schema.parse({ content: 'The warehouse opens at seven', sync: true }),
        context,
      );
      const search = named('mcp_self_memory_search');
      const found = await search.execute(
        search.schema.parse({ query: 'warehouse opens' }),
        context,
      );
      expect(String(found)).toContain('The warehouse opens at seven');
      expect(warnings).toEqual([]);
      expect(await refused.tools()).toEqual([]);
      expect(warnings[0]).toContain('MCP server self: could not connect');
    } finally {
      await toolbox.close();
      await refused.close();
      await serve.stop();
      delete process.env.MNEMOS_TEST_MCP_AUTH;
      delete process.env.MNEMOS_TEST_MCP_WRONG;
    }
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
