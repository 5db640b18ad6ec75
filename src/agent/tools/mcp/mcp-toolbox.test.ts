import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  removeFixtureServers,
  startHttpFixtureServer,
  writeFixtureServer,
} from '../../../../test/cli/mcp-fixture-server.js';
import { validateConfig } from '../../../config/config.js';
import type { AnyTool, ToolContext } from '../tool.js';
import { McpToolbox } from './mcp-toolbox.js';

const script = writeFixtureServer();
const home = mkdtempSync(join(tmpdir(), 'mnemos-mcp-home-'));
const open: McpToolbox[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((toolbox) => toolbox.close()));
});
afterAll(() => {
  delete process.env.MNEMOS_TEST_MCP_SECRET;
  delete process.env.MNEMOS_TEST_MCP_TOKEN;
  removeFixtureServers();
  rmSync(home, { recursive: true, force: true });
});

function toolbox(servers: Record<string, unknown>, warnings: string[] = []): McpToolbox {
  const config = validateConfig({ mcp_servers: servers }, 'test');
  const box = new McpToolbox({
    servers: config.mcp_servers,
    home,
    warn: (message) => warnings.push(message),
  });
  open.push(box);
  return box;
}

const fixture = (extra: Record<string, unknown> = {}) => ({
  command: process.execPath,
  args: [script],
  ...extra,
});

function context(extra: Partial<ToolContext> = {}): ToolContext {
  return { signal: new AbortController().signal, sessionId: 's', workspace: home, ...extra };
}

function named(tools: AnyTool[], name: string): AnyTool {
  const tool = tools.find((candidate) => candidate.name === name);
  if (!tool) throw new Error(`no tool ${name} in ${tools.map((t) => t.name).join(', ')}`);
  return tool;
}

async function call(tool: AnyTool, args: unknown, extra: Partial<ToolContext> = {}) {
  const parsed = tool.schema.parse(args);
  return tool.execute(parsed, context(extra));
}

describe('McpToolbox with a stdio server', () => {
  it('offers the tools namespaced, with toolset, description and a schema that checks arguments', async () => {
    const tools = await toolbox({ fx: fixture() }).tools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(
      [
        'mcp_fx_big',
        'mcp_fx_dash_name',
        'mcp_fx_echo',
        'mcp_fx_fail',
        'mcp_fx_pid',
        'mcp_fx_secret_env',
        'mcp_fx_slow',
      ].sort(),
    );
    const echo = named(tools, 'mcp_fx_echo');
    expect(echo.toolset).toBe('mcp_fx');
    expect(echo.description).toContain('Echoes the text');
    expect(echo.schema.safeParse({ text: 1 }).success).toBe(false);
    expect(await call(echo, { text: 'hi there' })).toBe('hi there');
    expect(await call(named(tools, 'mcp_fx_dash_name'), {})).toBe('dash');
  });

  it('denied_tools wins over allowed_tools, which keeps only its tools', async () => {
    const tools = await toolbox({
      fx: fixture({ allowed_tools: ['echo', 'fail'], denied_tools: ['fail'] }),
    }).tools();
    expect(tools.map((tool) => tool.name)).toEqual(['mcp_fx_echo']);
  });

  it('a tool needing confirmation asks, runs when allowed, and is refused when nobody can confirm', async () => {
    const tools = await toolbox({ fx: fixture({ require_confirmation: ['echo'] }) }).tools();
    const echo = named(tools, 'mcp_fx_echo');
    await expect(call(echo, { text: 'x' })).rejects.toThrow(
      /needs confirmation .*nobody can confirm/,
    );
    const questions: string[] = [];
    const yes = async (question: string): Promise<boolean> => {
      questions.push(question);
      return true;
    };
    expect(await call(echo, { text: 'ok' }, { confirm: yes })).toBe('ok');
    expect(questions[0]).toContain('call echo of MCP server fx');
    await expect(call(echo, { text: 'no' }, { confirm: async () => false })).rejects.toThrow(
      /declined/,
    );
    expect(await call(named(tools, 'mcp_fx_pid'), {})).toMatch(/^\d+$/);
  });

  it('passes env and env_from variables, and reports an unset env_from variable', async () => {
    process.env.MNEMOS_TEST_MCP_SECRET = 'from-the-environment';
    const tools = await toolbox({
      fx: fixture({
        env: { PLAIN: 'plain-value' },
        env_from: { SECRET: 'MNEMOS_TEST_MCP_SECRET' },
      }),
    }).tools();
    const secret = named(tools, 'mcp_fx_secret_env');
    expect(await call(secret, { name: 'SECRET' })).toBe('from-the-environment');
    expect(await call(secret, { name: 'PLAIN' })).toBe('plain-value');
    // The child gets a minimal environment, not the parent's.
    expect(await call(secret, { name: 'MNEMOS_TEST_MCP_SECRET' })).toBe('(unset)');
    const warnings: string[] = [];
    const none = await toolbox(
      { fx: fixture({ env_from: { SECRET: 'MNEMOS_TEST_MCP_UNSET' } }) },
      warnings,
    ).tools();
    expect(none).toEqual([]);
    expect(warnings.join('\n')).toContain(
      'mcp_servers.fx.env_from.SECRET: environment variable MNEMOS_TEST_MCP_UNSET is not set',
    );
  });

  it('an isError result becomes a tool error naming the server; results are capped', async () => {
    const tools = await toolbox({ fx: fixture() }).tools();
    await expect(call(named(tools, 'mcp_fx_fail'), {})).rejects.toThrow(
      'MCP server fx: tool fail reported an error: it broke on purpose',
    );
    const big = (await call(named(tools, 'mcp_fx_big'), { size: 100_000 })) as string;
    expect(big.length).toBeLessThanOrEqual(65_536);
    expect(big).toMatch(/\[truncated by Mnemos: \d+ characters, the first \d+ kept\]$/);
    const small = await call(named(tools, 'mcp_fx_big'), { size: 3 });
    expect(small).toBe('xxx\n[image image/png, 3 bytes]');
  });

  it('a call is bounded by timeout_ms and by the turn signal', async () => {
    const tools = await toolbox({ fx: fixture({ timeout_ms: 300 }) }).tools();
    const slow = named(tools, 'mcp_fx_slow');
    const started = Date.now();
    await expect(call(slow, { ms: 5_000 })).rejects.toThrow(
      'MCP server fx: tool slow failed: no answer within 300 ms (timeout_ms)',
    );
    expect(Date.now() - started).toBeLessThan(3_000);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const cancelled = Date.now();
    await expect(call(slow, { ms: 5_000 }, { signal: controller.signal })).rejects.toThrow();
    expect(Date.now() - cancelled).toBeLessThan(250);
    expect(await call(slow, { ms: 10 })).toBe('woke');
  });

  it('a server killed mid-session fails the call naming it, and the next call reconnects', async () => {
    const tools = await toolbox({ fx: fixture() }).tools();
    const pid = Number(await call(named(tools, 'mcp_fx_pid'), {}));
    const slow = call(named(tools, 'mcp_fx_slow'), { ms: 5_000 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    process.kill(pid, 'SIGKILL');
    await expect(slow).rejects.toThrow(/MCP server fx: tool slow failed: .*next call reconnects/);
    const again = Number(await call(named(tools, 'mcp_fx_pid'), {}));
    expect(again).not.toBe(pid);
    expect(await call(named(tools, 'mcp_fx_echo'), { text: 'back' })).toBe('back');
  });

  it('a server that cannot start is a warning and never blocks the others', async () => {
    const warnings: string[] = [];
    const tools = await toolbox(
      {
        broken: { command: join(home, 'no-such-server') },
        hung: {
          command: process.execPath,
          args: ['-e', 'setTimeout(() => {}, 60000)'],
          connect_timeout_ms: 300,
        },
        fx: fixture(),
      },
      warnings,
    ).tools();
    expect(tools.some((tool) => tool.name === 'mcp_fx_echo')).toBe(true);
    expect(tools.every((tool) => tool.toolset === 'mcp_fx')).toBe(true);
    expect(warnings).toHaveLength(2);
    expect(warnings.join('\n')).toContain('MCP server broken: could not connect');
    expect(warnings.join('\n')).toMatch(/MCP server hung: could not connect: .*300 ms/);
  });
});

describe('McpToolbox with a Streamable HTTP server', () => {
  it('a server that goes away fails the call naming it; once back, the next call reconnects', async () => {
    let server = await startHttpFixtureServer('sesame');
    try {
      const tools = await toolbox({
        web: { url: server.url, headers: { 'x-fixture-token': 'sesame' }, timeout_ms: 2_000 },
      }).tools();
      const whoami = named(tools, 'mcp_web_whoami');
      expect(await call(whoami, {})).toBe('hello from http-fixture');
      await server.close();
      await expect(call(whoami, {})).rejects.toThrow(
        /^MCP server web: tool whoami failed: .*the next call reconnects/,
      );
      server = await startHttpFixtureServer('sesame', server.port);
      expect(await call(whoami, { greeting: 'again' })).toBe('again from http-fixture');
    } finally {
      await server.close();
    }
  });

  it('sends the configured headers, from the environment too; without them it cannot connect', async () => {
    const server = await startHttpFixtureServer('sesame');
    try {
      process.env.MNEMOS_TEST_MCP_TOKEN = 'sesame';
      const tools = await toolbox({
        web: { url: server.url, headers_from_env: { 'x-fixture-token': 'MNEMOS_TEST_MCP_TOKEN' } },
      }).tools();
      expect(tools.map((tool) => tool.name)).toEqual(['mcp_web_whoami']);
      expect(await call(named(tools, 'mcp_web_whoami'), { greeting: 'hi' })).toBe(
        'hi from http-fixture',
      );
      const warnings: string[] = [];
      const none = await toolbox(
        { web: { url: server.url, headers: { 'x-fixture-token': 'wrong' } } },
        warnings,
      ).tools();
      expect(none).toEqual([]);
      expect(warnings[0]).toContain('MCP server web: could not connect');
    } finally {
      await server.close();
    }
  });
});
