import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { childEnv, cliPath } from './cli.js';

/** A running `mnemos gateway run` child (the built CLI). */
export interface GatewayChild {
  readonly child: ChildProcess;
  stderr(): string;
  /** SIGTERM (graceful) and wait for the exit; SIGKILL after 20 s. */
  stop(): Promise<void>;
}

/** `mnemos gateway run` as a child; resolves once it says it is running. */
export async function startGatewayChild(
  home: string,
  env: Record<string, string> = {},
): Promise<GatewayChild> {
  const child = spawn(process.execPath, [cliPath, 'gateway', 'run'], {
    env: childEnv(home, env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start: ${stderr}`)), 30_000);
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      if (chunk.includes('gateway running')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited with ${code}: ${stderr}`));
    });
  });
  return {
    child,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls `probe` every 100 ms until it gives a value; fails after `ms` naming `what`. */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  ms = 30_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
