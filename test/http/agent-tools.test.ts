import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
 * Agent turns over HTTP come from strangers: with the default configuration they get no shell and
 * no file tools, and web_fetch cannot reach the server's own loopback (its /metrics); where file and
 * terminal tools are enabled, files stay in the tenant's workspace and commands refuse to run
 * without the sandbox. Each refusal is visible to the tenant in the turn's events.
 */

let model: ModelServer;
const servers: TestServer[] = [];
const secret = 'sk-home-dotenv-secret-0123456789';

beforeAll(async () => {
  model = await startModelServer();
  // As if loaded from the home's .env: the server process holds it, commands must not see it.
  process.env.MNEMOS_TOOLS_TEST_SECRET = secret;
});

afterAll(async () => {
  for (const server of servers) await server.remove();
  await model?.close();
  delete process.env.MNEMOS_TOOLS_TEST_SECRET;
});

/** A server whose home has a `.env` secret, with `agent` settings appended to the test config. */
async function serverWith(agentYaml: string): Promise<{ server: TestServer; key: string }> {
  const server = await startTestServer({
    config: `${baseConfig}llm:\n  base_url: ${model.url}\n  model: scripted\n${agentYaml}`,
  });
  servers.push(server);
  writeFileSync(join(server.home, '.env'), `MNEMOS_TOOLS_TEST_SECRET=${secret}\n`);
  const { key } = await server.mnemos.keys.create({ appId: 'shop', tenantId: 'stranger' });
  return { server, key };
}

interface ToolCall {
  name: string;
  arguments: Record<string, unknown>;
}

/** One streamed turn where the model asks for `calls`, one per step, then answers `final`. */
async function turnWith(
  server: TestServer,
  key: string,
  calls: ToolCall[],
  final = 'Finished.',
): Promise<{ events: SseEvent[]; results: Array<Record<string, unknown>>; offered: string[] }> {
  model.reset();
  model.script(...calls.map((toolCall) => ({ toolCalls: [toolCall] })), { text: final });
  const session = (await call(server.url, key, 'POST', '/v1/sessions', { title: 'tools' })).json<{
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
  const offered = (first?.tools ?? []).map((tool) => tool.function?.name ?? '');
  return {
    events,
    results: events.filter((event) => event.event === 'tool_result').map((event) => event.data),
    offered,
  };
}

const errorOf = (result: Record<string, unknown> | undefined): string =>
  String((result?.result as { error?: unknown } | undefined)?.error ?? '');

describe('HTTP agent turns with the default configuration', () => {
  it('offer no terminal or file tools, and refuse web_fetch of loopback /metrics', async () => {
    const { server, key } = await serverWith('');
    const metrics = `${server.url}/metrics`;
    expect((await fetch(metrics)).status).toBe(200);
    const { events, results, offered } = await turnWith(server, key, [
      { name: 'terminal', arguments: { command: `cat ${join(server.home, '.env')}` } },
      { name: 'read_file', arguments: { path: '../../' } },
      { name: 'read_file', arguments: { path: '/etc/passwd' } },
      { name: 'web_fetch', arguments: { url: metrics } },
    ]);
    expect(offered).toContain('web_fetch');
    for (const name of ['terminal', 'read_file', 'write_file', 'search_files']) {
      expect(offered).not.toContain(name);
    }
    expect(results).toHaveLength(4);
    for (const result of results) expect(result.isError).toBe(true);
    expect(errorOf(results[0])).toMatch(
      /^terminal is not available on http turns: the server's configuration does not enable the terminal toolset for agent default \(agent\.surfaces\.http\); available: /u,
    );
    expect(errorOf(results[1])).toMatch(
      /^read_file is not available on http turns: .* file toolset/u,
    );
    expect(errorOf(results[2])).toMatch(/^read_file is not available on http turns: /u);
    expect(errorOf(results[3])).toMatch(
      /^refused to fetch 127\.0\.0\.1:\d+: 127\.0\.0\.1 is a loopback address/u,
    );
    const done = events.at(-1)!;
    expect(done.event).toBe('done');
    expect(done.data).toMatchObject({ reason: 'answered', text: 'Finished.' });
    expect(JSON.stringify(events)).not.toContain(secret);
    expect(JSON.stringify(events)).not.toContain('mnemos_http_requests_total');
    // Nothing was created for the tenant on the server's disk.
    expect(existsSync(join(server.home, 'workspaces'))).toBe(false);
  });
});

describe('HTTP agent turns with file and terminal enabled', () => {
  it('confine files to the tenant workspace and refuse commands without the sandbox', async () => {
    const { server, key } = await serverWith(
      [
        'agent:',
        '  surfaces:',
        '    http:',
        '      toolsets: [file, terminal, web]',
        '  sandbox:',
        '    bwrap: /nonexistent/bwrap',
        '',
      ].join('\n'),
    );
    const { results, offered, events } = await turnWith(server, key, [
      { name: 'write_file', arguments: { path: 'note.txt', content: 'mine' } },
      { name: 'read_file', arguments: { path: '../../.env' } },
      { name: 'read_file', arguments: { path: '../../' } },
      { name: 'read_file', arguments: { path: '/etc/passwd' } },
      { name: 'read_file', arguments: { path: join(server.home, '.env') } },
      { name: 'terminal', arguments: { command: 'cat ../../.env; env' } },
      { name: 'read_file', arguments: { path: '/workspace/note.txt' } },
    ]);
    expect(offered).toEqual(expect.arrayContaining(['read_file', 'write_file', 'terminal']));
    expect(results[0]).toMatchObject({ isError: false, result: 'created note.txt (4 bytes)' });
    for (const result of results.slice(1, 5)) {
      expect(result.isError).toBe(true);
      expect(errorOf(result)).toMatch(/is outside the workspace/u);
    }
    expect(results[5]!.isError).toBe(true);
    expect(errorOf(results[5])).toMatch(
      /^command refused: the sandbox \(bubblewrap\) cannot run here: \/nonexistent\/bwrap was not found; .*apt-get install bubblewrap/u,
    );
    // The workspace as sandboxed commands see it names the same files.
    expect(results[6]).toMatchObject({ isError: false, result: 'mine' });
    expect(JSON.stringify(events)).not.toContain(secret);
    // The file landed in this tenant's own workspace under the home, not in the server's cwd.
    const workspaces = join(server.home, 'workspaces');
    const written = readFileSync(join(workspaces, readdirSync(workspaces)[0]!, 'note.txt'), 'utf8');
    expect(written).toBe('mine');
    expect(existsSync(join(process.cwd(), 'note.txt'))).toBe(false);
  });
});

const bwrapPresent = ['/usr/bin/bwrap', '/bin/bwrap', '/usr/local/bin/bwrap'].some(existsSync);
if (!bwrapPresent) {
  console.warn('[agent-tools] sandbox turns not run: bubblewrap (bwrap) is not installed');
}

describe.skipIf(!bwrapPresent)('HTTP agent turns with terminal enabled for one agent', () => {
  it('run commands in the sandbox: no home, no secrets, no network, one workspace per tenant', async () => {
    const { server, key } = await serverWith(
      [
        'agent:',
        '  surfaces:',
        '    http:',
        '      agents:',
        '        ops:',
        '          toolsets: [terminal, file]',
        '',
      ].join('\n'),
    );
    const other = (await server.mnemos.keys.create({ appId: 'shop', tenantId: 'neighbour' })).key;
    const port = new URL(server.url).port;
    const run = async (apiKey: string, command: string, agentId = 'ops'): Promise<string> => {
      model.reset();
      model.script({ toolCalls: [{ name: 'terminal', arguments: { command } }] }, { text: 'ok' });
      const session = (
        await call(server.url, apiKey, 'POST', '/v1/sessions', { title: 'sandbox' })
      ).json<{ id: string }>();
      const answer = await call(server.url, apiKey, 'POST', `/v1/sessions/${session.id}/messages`, {
        content: 'run it',
        stream: true,
        agentId,
      });
      const result = parseSse(answer.text).find((event) => event.event === 'tool_result')!;
      return JSON.stringify(result.data.result);
    };

    // The default agent of the same server still has no terminal.
    expect(await run(key, 'id', 'default')).toMatch(/terminal is not available on http turns/u);

    const dotenv = await run(key, `cat ${join(server.home, '.env')} ~/.mnemos/.env; echo "[$?]"`);
    expect(dotenv).toMatch(/No such file or directory/u);
    expect(dotenv).not.toContain(secret);

    const environment = await run(key, 'env; id -u');
    expect(environment).not.toContain(secret);
    expect(environment).not.toMatch(/MNEMOS_|_API_KEY|DATABASE_URL/u);
    expect(environment).toContain('HOME=/workspace');
    expect(environment).not.toMatch(/\\n0\\n/u);

    const network = await run(
      key,
      `cat /proc/net/dev; ${process.execPath} -e "fetch('http://127.0.0.1:${port}/health').then(() => console.log('REACHED'), (e) => console.log('UNREACHABLE', e.cause?.code))"`,
    );
    // Only the sandbox's own loopback exists, so the server's port there answers nobody.
    if (process.execPath.startsWith('/usr/')) expect(network).toContain('UNREACHABLE');
    expect(network).not.toContain('REACHED');
    expect(network).not.toMatch(/eth\d|ens\d/u);

    expect(await run(key, 'echo tenant-a-data > a.txt && ls')).toContain('a.txt');
    const neighbour = await run(other, 'ls -a; cat a.txt; ls /workspace/..');
    expect(neighbour).toMatch(/a\.txt: No such file/u);
    expect(neighbour).not.toContain('tenant-a-data');
    const workspaces = readdirSync(join(server.home, 'workspaces'));
    expect(workspaces).toHaveLength(2);
  }, 60_000);
});
