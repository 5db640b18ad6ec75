import { existsSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MnemosError } from '../../core/errors.js';
import { bubblewrapSandbox } from './bubblewrap-sandbox.js';
import { createTenantWorkspace, tenantWorkspacePath } from './tenant-workspace.js';
import { type TerminalResult, terminalTool } from './terminal-tool.js';

const bwrapPresent = ['/usr/bin/bwrap', '/bin/bwrap', '/usr/local/bin/bwrap'].some(existsSync);
if (!bwrapPresent) {
  console.warn('[bubblewrap-sandbox] sandbox tests not run: bubblewrap (bwrap) is not installed');
}

const policy = { allow: [], deny: [], confirmDangerous: true };
const root = process.getuid?.() === 0;
const owner = root ? { uid: 65_534, gid: 65_534 } : undefined;
const secret = 'sk-server-secret-for-the-sandbox-test';

let home: string;
let server: Server;
let port: number;

beforeAll(async () => {
  home = await mkdtemp(path.join(tmpdir(), 'mnemos-sandbox-'));
  writeFileSync(path.join(home, '.env'), `OPENAI_API_KEY=${secret}\n`);
  process.env.MNEMOS_SANDBOX_TEST_SECRET = secret;
  server = createServer((_request, response) => response.end('reached'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  delete process.env.MNEMOS_SANDBOX_TEST_SECRET;
  await new Promise((resolve) => server.close(resolve));
  await rm(home, { recursive: true, force: true });
});

function workspaceOf(tenantId: string): string {
  return createTenantWorkspace(tenantWorkspacePath(home, 'app', tenantId), owner);
}

async function run(
  command: string,
  options: { tenant?: string; network?: boolean; timeout?: number } = {},
): Promise<TerminalResult> {
  const tool = terminalTool({
    ...policy,
    sandbox: bubblewrapSandbox({ network: options.network ?? false }),
  });
  return (await tool.execute(
    { command, ...(options.timeout ? { timeout: options.timeout } : {}) },
    {
      signal: new AbortController().signal,
      sessionId: 's',
      workspace: workspaceOf(options.tenant ?? 'a'),
    },
  )) as TerminalResult;
}

describe('the sandbox when bwrap cannot run', () => {
  it('refuses the command with a config_error saying why, and never runs it', async () => {
    const workspace = workspaceOf('missing');
    const tool = terminalTool({ ...policy, sandbox: bubblewrapSandbox({ bwrap: '/no/bwrap' }) });
    const error = await tool
      .execute(
        { command: 'touch ran' },
        { signal: new AbortController().signal, sessionId: 's', workspace },
      )
      .then(
        () => null,
        (caught: unknown) => caught,
      );
    expect(MnemosError.isInstance(error)).toBe(true);
    expect((error as MnemosError).code).toBe('config_error');
    expect((error as MnemosError).message).toMatch(
      /^command refused: the sandbox \(bubblewrap\) cannot run here: \/no\/bwrap was not found; commands of this surface only run sandboxed; install bubblewrap/u,
    );
    expect(existsSync(path.join(workspace, 'ran'))).toBe(false);
  });
});

describe.skipIf(!bwrapPresent)('the bubblewrap sandbox', () => {
  it('shows no home, no secrets and no server files', async () => {
    const result = await run(
      `cat ${path.join(home, '.env')}; cat ~/.mnemos/.env; ls /root; cat /etc/shadow; ls ${home}; env; id -u`,
    );
    expect(result.output).not.toContain(secret);
    expect(result.output).toMatch(new RegExp(`${path.join(home, '.env')}: No such file`, 'u'));
    expect(result.output).not.toMatch(/MNEMOS_|_API_KEY|DATABASE_URL/u);
    expect(result.output).toContain('HOME=/workspace');
    const uid = result.output.trim().split('\n').at(-1);
    expect(uid).not.toBe('0');
    expect(result.output).toMatch(/\/etc\/shadow: (No such file|Permission denied)/u);
  });

  it('has no network unless allowed, and then has it', async () => {
    const probe = `${process.execPath} -e "fetch('http://127.0.0.1:${port}/').then(async (r) => console.log('GOT', await r.text()), (e) => console.log('FAILED', e.cause?.code))"`;
    const isolated = await run(`cat /proc/net/dev; ${probe}`);
    expect(isolated.output).not.toMatch(/^\s*(eth|ens|enp|wl)\w*:/mu);
    if (process.execPath.startsWith('/usr/')) {
      expect(isolated.output).toContain('FAILED');
      const connected = await run(probe, { network: true });
      expect(connected.output).toContain('GOT reached');
    }
  });

  it('gives each tenant its own workspace, invisible to the others', async () => {
    const first = await run('echo private-a > a.txt; pwd; ls');
    expect(first.output).toBe('/workspace\na.txt\n');
    const second = await run(`pwd; ls -A; cat a.txt; ls ${workspaceOf('a')}; ls /workspace/..`, {
      tenant: 'b',
    });
    expect(second.output).not.toContain('private-a');
    expect(second.output).toMatch(/a\.txt: No such file/u);
    expect(workspaceOf('a')).not.toBe(workspaceOf('b'));
    // The file is really in tenant a's folder, owned by the sandbox user.
    const file = await stat(path.join(workspaceOf('a'), 'a.txt'));
    if (owner) expect(file.uid).toBe(owner.uid);
  });

  it('keeps system folders read-only and /tmp private', async () => {
    const result = await run(
      'touch /usr/x 2>&1; echo t > /tmp/t && cat /tmp/t; cd /etc && touch x 2>&1; echo end',
    );
    expect(result.output).toMatch(/touch: cannot touch '\/usr\/x': Read-only file system/u);
    expect(result.output).toContain('t\n');
    expect(result.output).toMatch(
      /touch: cannot touch 'x': (Read-only file system|Permission denied)/u,
    );
    expect(result.output.endsWith('end\n')).toBe(true);
  });

  it('keeps the timeout and stops background processes', async () => {
    const started = Date.now();
    const slow = await run('sleep 30', { timeout: 1 });
    expect(slow.timedOut).toBe(true);
    expect(Date.now() - started).toBeLessThan(10_000);
    const background = await run('(sleep 30 &) ; echo started');
    expect(background.output).toBe('started\n');
    const leftover = await run('ps -e -o comm= 2>/dev/null | grep -c sleep || true');
    expect(leftover.output.trim()).toBe('0');
  });
});
