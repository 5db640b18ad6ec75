import { spawn } from 'node:child_process';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, describe, expect, it } from 'vitest';
import { Mnemos } from '../../src/mnemos.js';
import { cliFor, cliPath, json, type ListJson, makeHome, removeHomes } from '../support/cli.js';

afterAll(() => removeHomes());

/** `mnemos mcp ...args` as a child process, spoken to by the SDK's stdio client. */
async function connect(
  home: string,
  args: string[] = [],
): Promise<{ client: Client; transport: StdioClientTransport; stderr: () => string }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [cliPath, 'mcp', ...args],
    env: { MNEMOS_HOME: home, NO_COLOR: '1' },
    stderr: 'pipe',
  });
  const errors: Buffer[] = [];
  transport.stderr?.on('data', (chunk: Buffer) => errors.push(chunk));
  const client = new Client({ name: 'mnemos-stdio-test', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport, stderr: () => Buffer.concat(errors).toString('utf8') };
}

async function call(
  client: Client,
  name: string,
  args: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const result = await client.callTool({ name, arguments: args });
  expect(result.isError ?? false).toBe(false);
  const [content] = result.content as Array<{ text: string }>;
  return JSON.parse(content!.text) as Record<string, unknown>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('mnemos mcp (stdio)', () => {
  it('lists tools, remembers and searches, and exits when stdin closes', async () => {
    const home = makeHome();
    const { client, transport, stderr } = await connect(home);
    const pid = transport.pid!;
    expect(client.getServerVersion()?.name).toBe('mnemos');
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual([
      'memory_forget',
      'memory_list',
      'memory_profile',
      'memory_remember',
      'memory_search',
      'session_search',
      'skill_view',
      'skills_list',
    ]);
    const remembered = await call(client, 'memory_remember', {
      content: '用户在上海工作，是一名前端工程师',
      sync: true,
    });
    expect(remembered.status).toBe('succeeded');
    const found = await call(client, 'memory_search', { query: '上海 工程师' });
    expect((found.results as Array<{ text: string }>)[0]!.text).toBe(
      '用户在上海工作，是一名前端工程师',
    );
    // The SDK ends stdin, waits 2 s, then sends SIGTERM: a quick close means stdin's end did it.
    const started = Date.now();
    await client.close();
    expect(Date.now() - started).toBeLessThan(1_900);
    expect(alive(pid)).toBe(false);
    expect(stderr()).toBe('');

    const listed = await cliFor(home)(['mem', 'list', '--json']);
    const memories = listed.json<ListJson>().memories;
    expect(
      memories.map((memory) => [memory.text, memory.scope.agentId, memory.scope.runId]),
    ).toEqual([['用户在上海工作，是一名前端工程师', 'mcp', 'mcp']]);
  });

  it('acts for the tenant of --app/--tenant, as the agent of --agent', async () => {
    const home = makeHome();
    const { client } = await connect(home, ['--app', 'notes', '--tenant', 'bob', '--agent', 'ide']);
    await call(client, 'memory_remember', { content: 'Bob 用 Neovim 写代码', sync: true });
    await client.close();
    const cli = cliFor(home);
    const bob = (
      await cli(['mem', 'list', '--app', 'notes', '--tenant', 'bob', '--json'])
    ).json<ListJson>();
    expect(bob.memories.map((memory) => [memory.text, memory.scope.agentId])).toEqual([
      ['Bob 用 Neovim 写代码', 'ide'],
    ]);
    const others = (await cli(['mem', 'list', '--json'])).json<ListJson>();
    expect(others.total).toBe(0);
  });

  it("views a skill stored for the tenant it serves, and not another tenant's", async () => {
    const home = makeHome();
    const content =
      '---\nname: git-release\ndescription: Tag and publish a release\n---\n\n# Steps\n\n1. git tag v1.2.3\n';
    const mnemos = await Mnemos.open({ home });
    try {
      await mnemos.skills
        .forTenant({ appId: 'notes', tenantId: 'bob' })
        .create({ 'SKILL.md': content }, 'user', { actor: 'user' });
    } finally {
      await mnemos.close();
    }
    const { client } = await connect(home, ['--app', 'notes', '--tenant', 'bob']);
    const listed = await call(client, 'skills_list', {});
    expect((listed.skills as Array<{ name: string }>).map((skill) => skill.name)).toEqual([
      'git-release',
    ]);
    const viewed = await call(client, 'skill_view', { name: 'git-release' });
    expect(viewed).toMatchObject({ name: 'git-release', content, files: [] });
    await client.close();

    const other = await connect(home, ['--app', 'notes', '--tenant', 'carol']);
    const refused = await other.client.callTool({
      name: 'skill_view',
      arguments: { name: 'git-release' },
    });
    expect(refused.isError).toBe(true);
    expect(JSON.stringify(refused.content)).toContain('not_found');
    await other.client.close();
  });

  it('on SIGTERM stores the queued memory and exits 0, with only protocol on stdout', async () => {
    const home = makeHome();
    const child = rawServer(home);
    child.send(initialize);
    await child.answered(1);
    child.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    child.send(remember(2, '周五下午有团队周会', false));
    await child.answered(2);
    child.kill('SIGTERM');
    expect(await child.exited).toEqual({ code: 0, signal: null, stderr: '' });
    const lines = child.lines();
    expect(lines.map((line) => line.jsonrpc)).toEqual(['2.0', '2.0']);
    expect(JSON.stringify(lines[1])).toContain('running');

    const listed = (await cliFor(home)(['mem', 'list', '--json'])).json<ListJson>();
    expect(listed.memories.map((memory) => memory.text)).toEqual(['周五下午有团队周会']);
  });

  it('answers the calls already received when stdin ends at once', async () => {
    const home = makeHome();
    const child = rawServer(home);
    child.send(initialize);
    child.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    child.send(remember(2, '喜欢在清晨跑步', true));
    for (let id = 3; id < 13; id += 1) {
      child.send({
        jsonrpc: '2.0',
        id,
        method: 'tools/call',
        params: { name: 'session_search', arguments: { query: `跑步 ${id}` } },
      });
    }
    child.end();
    expect(await child.exited).toEqual({ code: 0, signal: null, stderr: '' });
    const answers = child.lines();
    expect(answers.map((line) => line.id)).toEqual(
      expect.arrayContaining([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]),
    );
    expect(JSON.stringify(answers.find((line) => line.id === 2))).toContain('succeeded');
    expect(JSON.stringify(answers)).not.toContain('isError');
  });

  it('refuses a wildcard run at start', async () => {
    const result = await cliFor(makeHome())(['mcp', '--run', '*', '--json']);
    expect(result.code).toBe(2);
    expect(result.errorJson().error.code).toBe('invalid_scope');
  });
});

const initialize = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: {
    protocolVersion: '2025-06-18',
    capabilities: {},
    clientInfo: { name: 'raw', version: '1' },
  },
};

function remember(id: number, content: string, sync: boolean): object {
  return {
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: { name: 'memory_remember', arguments: { content, sync } },
  };
}

/** `mnemos mcp` spoken to line by line, to see exactly what reaches stdout and how it exits. */
function rawServer(home: string): {
  send(message: object): void;
  end(): void;
  kill(signal: NodeJS.Signals): void;
  answered(id: number): Promise<void>;
  lines(): Array<{ jsonrpc: string; id?: number }>;
  exited: Promise<{ code: number | null; signal: string | null; stderr: string }>;
} {
  const child = spawn(process.execPath, [cliPath, 'mcp'], {
    env: { PATH: process.env.PATH ?? '', MNEMOS_HOME: home, NO_COLOR: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
    timeout: 30_000,
  });
  let stdout = '';
  let stderr = '';
  const waiters: Array<() => void> = [];
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
    for (const wake of waiters.splice(0)) wake();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const lines = (): Array<{ jsonrpc: string; id?: number }> =>
    stdout
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => json<{ jsonrpc: string; id?: number }>(line));
  return {
    send: (message) => child.stdin.write(`${JSON.stringify(message)}\n`),
    end: () => child.stdin.end(),
    kill: (signal) => child.kill(signal),
    answered: async (id) => {
      while (!lines().some((line) => line.id === id))
        await new Promise<void>((wake) => waiters.push(wake));
    },
    lines,
    exited: new Promise((resolve) =>
      child.on('close', (code, signal) => resolve({ code, signal, stderr })),
    ),
  };
}
