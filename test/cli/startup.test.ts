import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { addSync, childEnv, cliPath, makeHome, removeHomes } from '../support/cli.js';

afterAll(removeHomes);

const preload = fileURLToPath(new URL('../support/module-trace.mjs', import.meta.url));

/** Packages that cost tens of ms each to load and that --help and a SQLite search never use. */
const heavy = [
  'ai',
  '@ai-sdk/anthropic',
  '@ai-sdk/openai-compatible',
  '@modelcontextprotocol/sdk',
  'pg',
  'hono',
  '@hono/node-server',
  '@hono/zod-openapi',
  'onnxruntime-node',
  '@huggingface/tokenizers',
  'prom-client',
  'undici',
  'cli-progress',
];

/** The npm packages (and the count of Mnemos' own modules) one CLI run loads. */
function packagesLoaded(args: string[], home: string): { packages: Set<string>; stdout: string } {
  const folder = mkdtempSync(join(tmpdir(), 'mnemos-trace-'));
  const trace = join(folder, 'modules.txt');
  try {
    const result = spawnSync(process.execPath, ['--import', preload, cliPath, ...args], {
      env: childEnv(home, { MNEMOS_MODULE_TRACE: trace }),
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status, result.stderr).toBe(0);
    const packages = new Set<string>();
    for (const url of readFileSync(trace, 'utf8').split('\n')) {
      const name = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1];
      if (name) packages.add(name);
    }
    return { packages, stdout: result.stdout };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

describe('CLI start-up', () => {
  it('--help loads commander and nothing heavier', () => {
    const { packages, stdout } = packagesLoaded(['--help'], makeHome());
    expect(stdout).toContain('Usage: mnemos');
    expect([...packages]).toEqual(['commander']);
  });

  it('the help of every command loads no heavy package', () => {
    const home = makeHome();
    for (const command of ['chat', 'serve', 'mcp', 'migrate', 'gateway']) {
      const { packages } = packagesLoaded([command, '--help'], home);
      expect([...packages]).toEqual(['commander']);
    }
  });

  it('mem search on a SQLite home loads no AI SDK, MCP SDK, pg, Hono or ONNX', async () => {
    const home = makeHome();
    await addSync(home, 'I drink green tea every morning');
    const { packages, stdout } = packagesLoaded(['mem', 'search', '--json', 'green tea'], home);
    expect(JSON.parse(stdout).count).toBe(1);
    expect(packages.has('better-sqlite3')).toBe(true);
    expect(heavy.filter((name) => packages.has(name))).toEqual([]);
  });
});
