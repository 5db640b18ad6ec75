import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cliFor, cliPath, makeHome, removeHomes } from '../support/cli.js';
import {
  type ChatRequest,
  type ModelServer,
  type ScriptedReply,
  startModelServer,
} from '../support/model-server.js';
import { removeFixtureServers, writeFixtureServer } from './mcp-fixture-server.js';

let server: ModelServer;
const replies: Array<ScriptedReply | ((request: ChatRequest) => ScriptedReply)> = [];
const script = writeFixtureServer();

function system(request: ChatRequest): string {
  const first = request.messages?.[0];
  return first?.role === 'system' && typeof first.content === 'string' ? first.content : '';
}

function offered(request: ChatRequest): string[] {
  return (request.tools ?? []).map(
    (tool) => (tool as { function?: { name?: string } }).function?.name ?? '',
  );
}

function toolResults(request: ChatRequest): string[] {
  return (request.messages ?? [])
    .filter((message) => message.role === 'tool')
    .map((message) => JSON.stringify(message.content));
}

beforeAll(async () => {
  server = await startModelServer({
    defaultReply: (request) => {
      if (!system(request).startsWith('You are Mnemos')) return { json: { facts: [] } };
      const next = replies.shift();
      if (!next) return { text: 'done' };
      return typeof next === 'function' ? next(request) : next;
    },
  });
});
beforeEach(() => {
  server.reset();
  replies.length = 0;
});
afterAll(async () => {
  await server.close();
  removeHomes();
  removeFixtureServers();
});

const env = (): Record<string, string> => ({ OLLAMA_HOST: new URL(server.url).host });

/** A chat home whose config offers Mnemos' own `mnemos mcp` (on its own home) and the fixture. */
function homeWithServers(extra: Record<string, unknown> = {}): {
  home: string;
  memoryHome: string;
} {
  const home = makeHome();
  const memoryHome = makeHome();
  const config = {
    agent: { toolsets: ['todo'] },
    mcp_servers: {
      mnemos: {
        command: process.execPath,
        args: [cliPath, 'mcp'],
        env: { MNEMOS_HOME: memoryHome },
      },
      fx: {
        command: process.execPath,
        args: [script],
        env_from: { SECRET: 'MNEMOS_TEST_FIXTURE_SECRET' },
        denied_tools: ['fail'],
        require_confirmation: ['secret_env'],
      },
      ...extra,
    },
  };
  // JSON is YAML.
  writeFileSync(join(home, 'config.yaml'), JSON.stringify(config));
  // The secret env_from names lives in the home's .env, never in config.yaml.
  writeFileSync(join(home, '.env'), 'MNEMOS_TEST_FIXTURE_SECRET=from-dotenv-or-environment\n');
  return { home, memoryHome };
}

describe('mnemos mcp-servers', () => {
  it('lists the configured servers, and with --connect counts their tools', async () => {
    const { home } = homeWithServers({ off: { url: 'http://127.0.0.1:9/mcp', enabled: false } });
    const cli = cliFor(home);
    const list = await cli(['mcp-servers', 'list', '--json']);
    expect(list.code, list.stderr).toBe(0);
    const rows = list.json<{ servers: Array<Record<string, unknown>> }>().servers;
    expect(rows.map((row) => [row.name, row.transport, row.enabled])).toEqual([
      ['mnemos', 'stdio', true],
      ['fx', 'stdio', true],
      ['off', 'http', false],
    ]);
    const connected = await cli(['mcp-servers', 'list', '--connect', '--json'], { env: env() });
    expect(connected.code, connected.stderr).toBe(0);
    const counted = connected.json<{ servers: Array<Record<string, unknown>> }>().servers;
    expect(counted.find((row) => row.name === 'fx')).toMatchObject({ tools: 7, offered: 6 });
    expect((counted.find((row) => row.name === 'mnemos')?.tools as number) > 3).toBe(true);
    expect(counted.find((row) => row.name === 'off')?.tools).toBeUndefined();
    const table = await cli(['mcp-servers', 'list', '--connect'], { env: env() });
    expect(table.stdout).toContain('6 of 7 offered');
  });

  it('test NAME lists tools with their status; a server it cannot reach fails with the error', async () => {
    const { home } = homeWithServers({
      dead: { command: join(makeHome(), 'missing-server'), connect_timeout_ms: 2_000 },
    });
    const cli = cliFor(home);
    const result = await cli(['mcp-servers', 'test', 'fx', '--json'], { env: env() });
    expect(result.code, result.stderr).toBe(0);
    const tools = result.json<{
      tools: Array<{ tool: string; name: string | null; status: string }>;
    }>().tools;
    const status = Object.fromEntries(tools.map((tool) => [tool.tool, tool.status]));
    expect(status).toMatchObject({ echo: 'allowed', fail: 'denied', secret_env: 'confirm' });
    expect(tools.find((tool) => tool.tool === 'dash-name')?.name).toBe('mcp_fx_dash_name');
    expect(tools.find((tool) => tool.tool === 'fail')?.name).toBeNull();
    const text = await cli(['mcp-servers', 'test', 'fx'], { env: env() });
    expect(text.stdout).toContain('MCP server fx connected: 7 tools');
    const dead = await cli(['mcp-servers', 'test', 'dead', '--json']);
    expect(dead.code).not.toBe(0);
    expect(dead.errorJson().error.message).toContain('MCP server dead: could not connect');
    const unknown = await cli(['mcp-servers', 'test', 'nope', '--json']);
    expect(unknown.code).toBe(2);
    expect(unknown.errorJson().error.code).toBe('not_found');
  });
});

describe('mnemos chat with MCP servers', () => {
  it('calls a tool of mnemos mcp, offers allowed tools only, and refuses a confirmation tool in -q', async () => {
    const { home, memoryHome } = homeWithServers();
    const seen: string[][] = [];
    replies.push(
      (request) => {
        seen.push(offered(request));
        return {
          toolCalls: [
            {
              id: 'r1',
              name: 'mcp_mnemos_memory_remember',
              arguments: { content: 'The deploy key rotates every Tuesday', sync: true },
            },
            { id: 'r2', name: 'mcp_fx_echo', arguments: { text: 'echo through MCP' } },
            { id: 'r3', name: 'mcp_fx_secret_env', arguments: { name: 'SECRET' } },
          ],
        };
      },
      (request) => ({ text: `results: ${toolResults(request).join(' || ')}` }),
    );
    const chat = await cliFor(home)(['chat', '-q', 'remember the deploy rota', '--json'], {
      env: env(),
    });
    expect(chat.code, chat.stderr).toBe(0);
    const answer = chat.json<{ text: string }>().text;
    expect(answer).toContain('echo through MCP');
    expect(answer).toMatch(/mcp_fx_secret_env needs confirmation .*nobody can confirm/);
    expect(answer).not.toContain('from-dotenv-or-environment');
    const tools = seen[0] ?? [];
    expect(tools).toContain('mcp_mnemos_memory_remember');
    expect(tools).toContain('mcp_mnemos_memory_search');
    expect(tools).toContain('mcp_fx_echo');
    expect(tools).toContain('mcp_fx_secret_env');
    expect(tools).not.toContain('mcp_fx_fail');
    const search = await cliFor(memoryHome)(['mem', 'search', 'deploy key Tuesday', '--json']);
    expect(search.code, search.stderr).toBe(0);
    expect(search.stdout).toContain('The deploy key rotates every Tuesday');
  });

  it('in the REPL a confirmation tool runs when the person says yes, not when no; /tools lists MCP tools', async () => {
    const { home } = homeWithServers();
    const ask = {
      toolCalls: [{ id: 'c1', name: 'mcp_fx_secret_env', arguments: { name: 'SECRET' } }],
    };
    const answer = (request: ChatRequest): ScriptedReply => ({
      text: `secret says ${toolResults(request).at(-1)}`,
    });
    replies.push(ask, answer, ask, answer);
    const chat = await cliFor(home)(['chat'], {
      env: env(),
      input: 'what is the secret?\ny\nagain?\nn\n/tools\n/quit\n',
    });
    expect(chat.code, chat.stderr).toBe(0);
    expect(chat.stdout).toMatch(/secret says "from-dotenv-or-environment"/);
    expect(chat.stdout).toMatch(/secret says .*the user declined the call of mcp_fx_secret_env/);
    expect(chat.stdout).toMatch(/mcp_fx_echo\s+\[mcp_fx\]/);
    expect(chat.stdout).not.toContain('mcp_fx_fail');
  });

  it('a server that cannot start is a warning; the chat goes on with the others', async () => {
    const { home } = homeWithServers({ broken: { command: join(makeHome(), 'no-such-binary') } });
    replies.push((request) => ({ text: `tools: ${offered(request).join(',')}` }));
    const chat = await cliFor(home)(['chat', '-q', 'hi'], { env: env() });
    expect(chat.code, chat.stderr).toBe(0);
    expect(chat.stderr).toContain('MCP server broken: could not connect');
    expect(chat.stdout).toContain('mcp_fx_echo');
  });
});
