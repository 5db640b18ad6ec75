import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, realpath, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MnemosError } from '../../core/errors.js';
import { runCommand } from './run-command.js';
import { type TerminalResult, terminalTool } from './terminal-tool.js';
import type { ToolContext } from './tool.js';

let workspace: string;
let context: ToolContext;
const open = { allow: [], deny: [], confirmDangerous: true };

/** True while the process exists and is not a zombie waiting to be reaped. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function waitDead(pid: number, ms = 3000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!alive(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return !alive(pid);
}

async function run(command: string, extra: Partial<ToolContext> = {}, timeout?: number) {
  const tool = terminalTool(open);
  const args = timeout === undefined ? { command } : { command, timeout };
  return (await tool.execute(args, { ...context, ...extra })) as TerminalResult;
}

beforeEach(async () => {
  workspace = await mkdtemp(path.join(tmpdir(), 'mnemos-term-'));
  context = { signal: new AbortController().signal, sessionId: 's1', workspace };
});

afterEach(async () => {
  await rm(workspace, { recursive: true, force: true });
});

describe('terminal', () => {
  it('returns the exit code and combined output, in the workspace', async () => {
    const result = await run('echo out; echo err >&2; pwd; exit 3');
    expect(result).toEqual({
      exitCode: 3,
      output: `out\nerr\n${await realpath(workspace)}\n`,
      timedOut: false,
      truncated: false,
    });
  });

  it('keeps the head and tail of long output around a marker', async () => {
    const tool = terminalTool({ ...open, maxOutputBytes: 1000 });
    const result = (await tool.execute(
      { command: "echo START; head -c 100000 /dev/zero | tr '\\0' a; echo; echo END" },
      context,
    )) as TerminalResult;
    expect(result.truncated).toBe(true);
    expect(result.output.startsWith('START\naaa')).toBe(true);
    expect(result.output.endsWith('aaa\nEND\n')).toBe(true);
    expect(result.output).toMatch(/\n\[… 99\d{3} bytes of output omitted …\]\n/u);
    expect(result.output.length).toBeLessThan(1100);
  });

  it('kills the whole process group on timeout and returns promptly', async () => {
    const started = Date.now();
    const result = await run('sleep 30 & echo $!; sleep 30', {}, 0.5);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(result.timedOut).toBe(true);
    expect(result.exitCode).toBe(143);
    expect(result.output).toContain('[timed out after 0.5 s');
    const pid = Number(result.output.split('\n')[0]);
    expect(pid).toBeGreaterThan(0);
    expect(await waitDead(pid)).toBe(true);
  });

  it('stops background processes left behind when the command ends', async () => {
    const result = await run('sleep 30 > /dev/null 2>&1 & echo $!');
    expect(result.exitCode).toBe(0);
    expect(await waitDead(Number(result.output.trim()))).toBe(true);
  });

  it('kills the group when the signal aborts', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const started = Date.now();
    await expect(
      run('sleep 30 & echo $! > bg.pid; sleep 30', { signal: controller.signal }),
    ).rejects.toThrow(/command cancelled/u);
    expect(Date.now() - started).toBeLessThan(5000);
    const pid = Number(await readFile(path.join(workspace, 'bg.pid'), 'utf8'));
    expect(await waitDead(pid)).toBe(true);
  });

  it('does not start when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(run('touch ran', { signal: controller.signal })).rejects.toThrow(/cancelled/u);
    await expect(stat(path.join(workspace, 'ran'))).rejects.toThrow();
  });

  it('limits the timeout the model may ask for', () => {
    const tool = terminalTool({ ...open, timeoutMs: 10_000, maxTimeoutMs: 60_000 });
    expect(tool.schema.safeParse({ command: 'ls', timeout: 61 }).success).toBe(false);
    expect(tool.schema.safeParse({ command: 'ls', timeout: 60 }).success).toBe(true);
    expect(tool.description).toContain('Killed after 10 s');
  });

  it('throws config_error for an invalid policy at construction', () => {
    expect(() => terminalTool({ ...open, deny: ['/[/'] })).toThrow(MnemosError);
  });
});

describe('terminal permissions', () => {
  it('refuses denied commands without running them', async () => {
    const tool = terminalTool({ ...open, deny: ['git push*'] });
    await expect(tool.execute({ command: 'touch ran && git push' }, context)).rejects.toThrow(
      'command refused: "git push" matches the deny pattern git push*',
    );
    await expect(stat(path.join(workspace, 'ran'))).rejects.toThrow();
  });

  it('asks before a dangerous command: no runs nothing, yes runs it', async () => {
    const command = 'touch ran; echo "rm -rf /"';
    const no = vi.fn(async () => false);
    await expect(run(command, { confirm: no })).rejects.toThrow(/refused by the user/u);
    expect(no).toHaveBeenCalledOnce();
    expect(no.mock.calls[0]).toEqual([expect.stringContaining(command)]);
    await expect(stat(path.join(workspace, 'ran'))).rejects.toThrow();

    const yes = vi.fn(async () => true);
    const result = await run(command, { confirm: yes });
    expect(result.output).toBe('rm -rf /\n');
    expect((await stat(path.join(workspace, 'ran'))).isFile()).toBe(true);
  });

  it('refuses a dangerous command when nobody can confirm', async () => {
    await expect(run('sudo -n true')).rejects.toThrow(
      /command refused: dangerous: .*sudo.*nobody is here to confirm it/u,
    );
  });

  it('refuses without asking when confirmation is off', async () => {
    const confirm = vi.fn(async () => true);
    const tool = terminalTool({ ...open, confirmDangerous: false });
    await expect(
      tool.execute({ command: 'sudo -n true' }, { ...context, confirm }),
    ).rejects.toThrow(/confirmation is off/u);
    expect(confirm).not.toHaveBeenCalled();
  });

  it('asks for commands outside the allow list', async () => {
    const tool = terminalTool({ ...open, allow: ['echo *'] });
    const confirm = vi.fn(async () => true);
    const ok = (await tool.execute(
      { command: 'echo hi' },
      { ...context, confirm },
    )) as TerminalResult;
    expect(ok.output).toBe('hi\n');
    expect(confirm).not.toHaveBeenCalled();
    await tool.execute({ command: 'echo hi | wc -l' }, { ...context, confirm });
    expect(confirm).toHaveBeenCalledWith(
      expect.stringContaining('"wc -l" is not in the allow list'),
    );
  });
});

describe('runCommand', () => {
  it('escalates to SIGKILL when the group ignores SIGTERM', async () => {
    const started = Date.now();
    const result = await runCommand("trap '' TERM; sleep 30 & echo $!; wait", {
      cwd: workspace,
      timeoutMs: 300,
      maxOutputBytes: 1000,
      signal: new AbortController().signal,
      killGraceMs: 200,
    });
    expect(Date.now() - started).toBeLessThan(4000);
    expect(result.timedOut).toBe(true);
    expect(await waitDead(Number(result.output.trim()))).toBe(true);
  });

  it('rejects when the shell cannot start', async () => {
    await expect(
      runCommand('true', {
        cwd: path.join(workspace, 'missing'),
        timeoutMs: 1000,
        maxOutputBytes: 1000,
        signal: new AbortController().signal,
      }),
    ).rejects.toThrow(/could not run the command/u);
  });
});
