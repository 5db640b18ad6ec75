import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('../../scripts/check-layers.mjs', import.meta.url));
const roots: string[] = [];

/** A throwaway src/ tree with these files. */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'mnemos-layers-'));
  roots.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

function check(root: string): { status: number | null; output: string } {
  const run = spawnSync(process.execPath, [script, root], { encoding: 'utf8' });
  return { status: run.status, output: run.stdout + run.stderr };
}

afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

describe('check:layers', () => {
  it('passes on the repository itself', () => {
    const output = execFileSync(process.execPath, [script], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      encoding: 'utf8',
    });
    expect(output).toMatch(/no back-imports, no cycles/);
  });

  it('fails when a lower layer imports a higher one', () => {
    const root = tree({
      'core/scope.ts': "import { x } from '../memory/memory-service.js';\nexport const y = x;\n",
      'memory/memory-service.ts': "import { y } from '../core/scope.js';\nexport const x = 1;\n",
    });
    const { status, output } = check(root);
    expect(status).toBe(1);
    expect(output).toContain(
      'core/scope.ts imports memory/memory-service.ts: core (layer 0) imports services (layer 3)',
    );
  });

  it('fails when a service imports an adapter, or the client a service', () => {
    const root = tree({
      'memory/a.ts': "import type { B } from '../storage/b.js';\nexport type A = B;\n",
      'storage/b.ts': 'export type B = number;\n',
      'client/c.ts': "import type { A } from '../memory/a.js';\nexport type C = A;\n",
    });
    const { status, output } = check(root);
    expect(status).toBe(1);
    expect(output).toContain('services and adapters sit side by side');
    expect(output).toContain('client may import only core, client');
  });

  it('fails on a cycle between folders of one layer', () => {
    const root = tree({
      'http/app.ts': "import { route } from './routes/r.js';\nexport const app = route;\n",
      'http/routes/r.ts': "import type { Env } from '../env.js';\nexport const route = 1 as Env;\n",
      'http/env.ts': 'export type Env = number;\n',
    });
    const { status, output } = check(root);
    expect(status).toBe(1);
    expect(output).toContain('folders import each other in a cycle: http, http/routes');
  });

  it('names a folder that has no layer', () => {
    const { status, output } = check(tree({ 'gadgets/g.ts': 'export const g = 1;\n' }));
    expect(status).toBe(1);
    expect(output).toContain('folder gadgets has no layer');
  });
});
