import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built CLI entry point (`npm run build` must have run). */
export const cliPath = fileURLToPath(new URL('../../bin/mnemos.js', import.meta.url));

/** The shared JSON error shape printed on stderr with `--json`. */
export interface CliErrorJson {
  error: { code: string; message: string; details: Record<string, unknown> };
}

/** What one CLI run produced. */
export interface CliResult {
  /** Exit code (a signal counts as -1). */
  code: number;
  stdout: string;
  stderr: string;
  /** Parses stdout as JSON. */
  json<T = unknown>(): T;
  /** Parses stderr as the single-line `{error:{code,message,details}}` object of `--json`. */
  errorJson(): CliErrorJson;
}

/** Options of one CLI run. */
export interface RunOptions {
  /** Value of MNEMOS_HOME for the child. */
  home: string;
  /** Written to standard input, which is then closed (it is always closed). */
  input?: string;
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Kill the child after this long (default 60 s) so a hang fails the test instead of stalling it. */
  timeoutMs?: number;
}

/** Parses text as JSON, naming the text when it is not JSON. */
export function json<T = unknown>(text: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new Error(
      `expected JSON, got ${JSON.stringify(text.slice(0, 500))}: ${(error as Error).message}`,
    );
  }
}

/** Variables that pick a model provider or a model cache; a developer's never reach a test child. */
const providerVariable = /_API_KEY$|^OLLAMA_HOST$|^HF_HOME$/;

/** Environment of a child: the parent's without MNEMOS_* and provider variables, then MNEMOS_HOME and extras. */
export function childEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('MNEMOS_') && !providerVariable.test(key)) env[key] = value;
  }
  return { ...env, NO_COLOR: '1', MNEMOS_HOME: home, ...extra };
}

/** Runs `node bin/mnemos.js ...args` as a child process and collects its output. */
export function runCli(args: string[], options: RunOptions): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], {
      env: childEnv(options.home, options.env),
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 60_000,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.stdin.on('error', () => {
      // The CLI may exit without reading stdin; a broken pipe is not a test failure.
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      resolve({
        code: code ?? -1,
        stdout,
        stderr,
        json: <T = unknown>() => json<T>(stdout),
        errorJson: () => {
          const lines = stderr.split('\n').filter((line) => line.trim() !== '');
          if (lines.length !== 1) {
            throw new Error(
              `expected one JSON line on stderr, got ${lines.length}${signal ? ` (killed by ${signal})` : ''}: ${JSON.stringify(stderr)}`,
            );
          }
          return json<CliErrorJson>(lines[0]!);
        },
      });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** Binds runCli to one home. */
export function cliFor(
  home: string,
): (args: string[], options?: Omit<RunOptions, 'home'>) => Promise<CliResult> {
  return (args, options = {}) => runCli(args, { ...options, home });
}

const homes: string[] = [];

/** A fresh, empty MNEMOS_HOME under the system temp folder; removed by `removeHomes`. */
export function makeHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'mnemos-cli-'));
  homes.push(home);
  return home;
}

/** Removes every home made by `makeHome` in this test file. */
export function removeHomes(): void {
  for (const home of homes.splice(0)) {
    if (existsSync(home)) rmSync(home, { recursive: true, force: true });
  }
}

/** Shape of a memory in `--json` output. */
export interface MemoryJson {
  id: string;
  store: string;
  text: string;
  kind: string;
  salience: number;
  scope: { appId: string; tenantId: string; agentId: string; runId: string };
  metadata: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  deletedAt: string | null;
}

/** `mem add --json`. */
export interface JobJson {
  id: string;
  status: 'running' | 'succeeded' | 'failed';
  memoryIds: string[];
  error: string | null;
}

/** `mem search --json`. */
export interface SearchJson {
  results: Array<{
    memory: MemoryJson;
    score: number;
    matched: string[];
    signals: Record<string, unknown>;
  }>;
  warnings: string[];
  count: number;
}

/** `mem list --json`. */
export interface ListJson {
  memories: MemoryJson[];
  total: number;
  count: number;
}

/** `mem history --json`. */
export interface HistoryJson {
  history: Array<{
    memoryId: string;
    event: 'ADD' | 'UPDATE' | 'DELETE';
    oldText: string | null;
    newText: string | null;
    reason: string;
  }>;
  count: number;
}

/** Runs `mem add --sync --json TEXT ...extra` and returns the id of the one memory written. */
export async function addSync(home: string, text: string, extra: string[] = []): Promise<string> {
  const result = await runCli(['mem', 'add', '--sync', '--json', ...extra, '--', text], { home });
  if (result.code !== 0) throw new Error(`mem add failed (${result.code}): ${result.stderr}`);
  const job = result.json<JobJson>();
  if (job.status !== 'succeeded' || job.memoryIds.length !== 1) {
    throw new Error(`mem add did not write exactly one memory: ${result.stdout}`);
  }
  return job.memoryIds[0]!;
}
