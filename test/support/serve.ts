import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { childEnv, cliPath } from './cli.js';

/** A running `mnemos serve` child (the built CLI, `npm run build` first). */
export interface ServeChild {
  readonly child: ChildProcess;
  /** The URL it printed first, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Everything it wrote on stderr so far. */
  stderr(): string;
  /** SIGTERM (graceful) and wait for the exit; SIGKILL after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<void>;
}

/**
 * Starts `mnemos serve --port 0 ...flags` with the environment of {@link childEnv} plus `env`,
 * and resolves once it prints its URL; fails when it exits first or prints nothing in time.
 */
export async function startServe(
  home: string,
  options: { env?: Record<string, string>; flags?: string[]; timeoutMs?: number } = {},
): Promise<ServeChild> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const child = spawn(
    process.execPath,
    [cliPath, 'serve', '--port', '0', ...(options.flags ?? [])],
    {
      env: childEnv(home, options.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  let stdout = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`mnemos serve printed no URL within ${timeoutMs} ms: ${stderr}`)),
      timeoutMs,
    );
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const newline = stdout.indexOf('\n');
      if (newline >= 0) {
        clearTimeout(timer);
        resolve(stdout.slice(0, newline));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`mnemos serve exited with ${code} before listening: ${stderr}`));
    });
  });
  return {
    child,
    url,
    stderr: () => stderr,
    async stop(stopTimeoutMs = 30_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
