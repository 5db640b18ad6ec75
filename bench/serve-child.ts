import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

/** The built CLI (`npm run build` first). */
export const cliPath = fileURLToPath(new URL('../bin/mnemos.js', import.meta.url));

/** The parent's environment without MNEMOS_* and model-provider variables, then MNEMOS_HOME and extras. */
export function childEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (name.startsWith('MNEMOS_') || /_API_KEY$|^OLLAMA_HOST$|^HF_HOME$/.test(name)) continue;
    env[name] = value;
  }
  return { ...env, NO_COLOR: '1', MNEMOS_HOME: home, ...extra };
}

/** Runs `node bin/mnemos.js ...args` and resolves with its stdout; fails on a non-zero exit. */
export function runCli(
  args: string[],
  home: string,
  extra: Record<string, string> = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], {
      env: childEnv(home, extra),
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`mnemos ${args.join(' ')} exited with ${code}: ${stderr}`));
    });
  });
}

/** A running `mnemos serve` child. */
export interface ServeChild {
  readonly child: ChildProcess;
  readonly url: string;
  /** Everything it wrote on stderr so far. */
  stderr(): string;
  /** SIGTERM (graceful) and wait for the exit; SIGKILL after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<void>;
}

/** Starts `mnemos serve --port 0 --quiet --rate-limit 0` and resolves with the URL it prints first. */
export async function startServe(
  home: string,
  extra: Record<string, string> = {},
): Promise<ServeChild> {
  const child = spawn(
    process.execPath,
    [cliPath, 'serve', '--port', '0', '--quiet', '--rate-limit', '0'],
    { env: childEnv(home, extra), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  let stdout = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`serve: no URL within 30 s: ${stderr}`)),
      30_000,
    );
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const newline = stdout.indexOf('\n');
      if (newline >= 0) {
        clearTimeout(timer);
        resolve(stdout.slice(0, newline));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code} before listening: ${stderr}`));
    });
  });
  return {
    child,
    url,
    stderr: () => stderr,
    async stop(timeoutMs = 30_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
