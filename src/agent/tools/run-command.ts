import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { CommandLaunch } from './command-sandbox.js';

/** How to run one shell command. */
export interface RunCommandOptions {
  cwd: string;
  timeoutMs: number;
  /** Cap of stdout and stderr together; the head and tail are kept around a marker. */
  maxOutputBytes: number;
  signal: AbortSignal;
  /** Wait between SIGTERM and SIGKILL of the process group (default 1 s). */
  killGraceMs?: number;
  /** Start the shell through this (a sandbox) with its environment only; default directly, in `cwd`. */
  launch?: CommandLaunch;
}

/** What a finished (or killed) command produced. */
export interface RunCommandResult {
  /** The shell's exit code; 128 + signal number when it was killed by a signal. */
  exitCode: number;
  output: string;
  timedOut: boolean;
  truncated: boolean;
  /** The signal aborted it. */
  aborted: boolean;
}

/** Keeps the first and last halves of a byte stream within a cap. */
class CappedOutput {
  private readonly head: Buffer[] = [];
  private tail: Buffer[] = [];
  private headBytes = 0;
  private tailBytes = 0;
  private total = 0;
  private readonly headMax: number;
  private readonly tailMax: number;

  constructor(private readonly max: number) {
    this.headMax = Math.floor(max / 2);
    this.tailMax = max - this.headMax;
  }

  push(chunk: Buffer): void {
    this.total += chunk.length;
    let rest = chunk;
    if (this.headBytes < this.headMax) {
      const take = Math.min(rest.length, this.headMax - this.headBytes);
      this.head.push(rest.subarray(0, take));
      this.headBytes += take;
      rest = rest.subarray(take);
    }
    if (rest.length === 0) return;
    this.tail.push(rest);
    this.tailBytes += rest.length;
    if (this.tailBytes > this.tailMax * 2) {
      const joined = Buffer.concat(this.tail);
      this.tail = [joined.subarray(joined.length - this.tailMax)];
      this.tailBytes = this.tailMax;
    }
  }

  result(): { output: string; truncated: boolean } {
    const head = Buffer.concat(this.head);
    const tail = Buffer.concat(this.tail);
    if (this.total <= this.max) {
      return { output: Buffer.concat([head, tail]).toString('utf8'), truncated: false };
    }
    let kept = tail.subarray(tail.length - this.tailMax);
    while (kept.length > 0 && (kept[0]! & 0xc0) === 0x80) kept = kept.subarray(1);
    const omitted = this.total - head.length - kept.length;
    const start = head.toString('utf8').replace(/\uFFFD$/u, '');
    return {
      output: `${start}\n[… ${omitted} bytes of output omitted …]\n${kept.toString('utf8')}`,
      truncated: true,
    };
  }
}

function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  return 128 + (signal ? (constants.signals[signal] ?? 0) : 0);
}

/**
 * Runs `command` with `/bin/sh -c` in its own process group, stderr joined to stdout so the output
 * keeps its order. On timeout, abort, and when the shell itself ends, the whole group gets SIGTERM and then SIGKILL, so background children never
 * outlive the call. Never rejects for the command's own failure, only when the shell cannot start.
 */
export function runCommand(command: string, options: RunCommandOptions): Promise<RunCommandResult> {
  const grace = options.killGraceMs ?? 1000;
  return new Promise((resolve, reject) => {
    const shell = ['/bin/sh', '-c', `exec 2>&1; ${command}`];
    const { launch } = options;
    const child = launch
      ? spawn(launch.file, [...launch.args, ...shell], {
          cwd: launch.cwd,
          detached: true,
          stdio: ['ignore', 'pipe', 'pipe'],
          env: launch.env,
        })
      : spawn(shell[0]!, shell.slice(1), {
          cwd: options.cwd,
          detached: true,
          stdio: ['ignore', 'pipe', 'pipe'],
          env: { ...process.env, PAGER: 'cat', GIT_PAGER: 'cat' },
        });
    const output = new CappedOutput(options.maxOutputBytes);
    let timedOut = false;
    let aborted = false;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let escalation: NodeJS.Timeout | undefined;
    let fallback: NodeJS.Timeout | undefined;
    let settled = false;

    const signalGroup = (signal: NodeJS.Signals): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // The group is already gone.
      }
    };
    const stopGroup = (): void => {
      signalGroup('SIGTERM');
      escalation ??= setTimeout(() => signalGroup('SIGKILL'), grace);
      escalation.unref();
    };
    const onAbort = (): void => {
      aborted = true;
      stopGroup();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stopGroup();
    }, options.timeoutMs);
    const cleanup = (): void => {
      settled = true;
      clearTimeout(timer);
      clearTimeout(fallback);
      options.signal.removeEventListener('abort', onAbort);
    };
    const finish = (): void => {
      if (settled) return;
      cleanup();
      child.stdout.destroy();
      child.stderr.destroy();
      const { output: text, truncated } = output.result();
      const code = exit ? exitCodeOf(exit.code, exit.signal) : -1;
      resolve({ exitCode: code, output: text, timedOut, truncated, aborted });
    };

    child.stdout.on('data', (chunk: Buffer) => output.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk));
    child.on('error', (error) => {
      if (settled) return;
      cleanup();
      signalGroup('SIGKILL');
      reject(new Error(`could not run the command: ${error.message}`));
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      stopGroup();
      fallback = setTimeout(finish, grace + 1000);
    });
    child.on('close', finish);
    if (options.signal.aborted) onAbort();
    else options.signal.addEventListener('abort', onAbort, { once: true });
  });
}
