import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { globToRegExp, searchFilesTool } from './search-files.js';
import type { ToolContext } from './tool.js';

let base: string;
let workspace: string;
let context: ToolContext;

async function put(relative: string, content: string | Buffer): Promise<void> {
  const file = path.join(workspace, relative);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
}

beforeEach(async () => {
  base = await mkdtemp(path.join(tmpdir(), 'mnemos-search-'));
  workspace = path.join(base, 'ws');
  await mkdir(workspace);
  context = { signal: new AbortController().signal, sessionId: 's1', workspace };
  await put('src/app.ts', 'export const Memory = 1;\n// memory is the product\n');
  await put('src/app.test.ts', 'test("MEMORY works")\n');
  await put('docs/readme.md', 'No match here.\nMemory docs.\n');
  await put('node_modules/dep/index.js', 'memory in a dependency\n');
  await put('.git/HEAD', 'memory in git\n');
  await put('bin/blob.bin', Buffer.concat([Buffer.from('memory'), Buffer.from([0, 0, 1])]));
});

afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('globToRegExp', () => {
  it.each([
    ['*.ts', 'app.ts', true],
    ['*.ts', 'src/app.ts', false],
    ['src/**/*.ts', 'src/a/b/c.ts', true],
    ['src/**/*.ts', 'src/c.ts', true],
    ['**/*.md', 'docs/readme.md', true],
    ['file?.txt', 'file1.txt', true],
    ['file?.txt', 'file10.txt', false],
    ['*.{ts,js}', 'x.js', true],
    ['*.{ts,js}', 'x.md', false],
    ['a+b(1).txt', 'a+b(1).txt', true],
    ['*.TS', 'app.ts', true],
  ] as const)('%s vs %s → %s', (glob, subject, expected) => {
    expect(globToRegExp(glob).test(subject)).toBe(expected);
  });
});

describe('search_files', () => {
  it('finds lines case-insensitively as path:line: text, skipping node_modules, .git and binaries', async () => {
    const result = await searchFilesTool().execute({ query: 'memory' }, context);
    expect(String(result).split('\n')).toEqual([
      'docs/readme.md:2: Memory docs.',
      'src/app.test.ts:1: test("MEMORY works")',
      'src/app.ts:1: export const Memory = 1;',
      'src/app.ts:2: // memory is the product',
    ]);
  });

  it('filters by name glob, alone or with a query, within a sub-folder', async () => {
    const search = searchFilesTool();
    expect(await search.execute({ glob: '*.ts' }, context)).toBe('src/app.test.ts\nsrc/app.ts');
    expect(await search.execute({ glob: '*.test.ts', query: 'memory' }, context)).toBe(
      'src/app.test.ts:1: test("MEMORY works")',
    );
    expect(await search.execute({ query: 'memory', path: 'docs' }, context)).toBe(
      'docs/readme.md:2: Memory docs.',
    );
    expect(await search.execute({ glob: 'src/**/*.ts', path: 'src' }, context)).toBe(
      'src/app.test.ts\nsrc/app.ts',
    );
    expect(await search.execute({ glob: '**/*.md' }, context)).toBe('docs/readme.md');
  });

  it('searches a single file given as path', async () => {
    const result = await searchFilesTool().execute(
      { query: 'product', path: 'src/app.ts' },
      context,
    );
    expect(result).toBe('src/app.ts:2: // memory is the product');
  });

  it('caps the results with a note', async () => {
    await put('many.txt', Array.from({ length: 50 }, (_, i) => `hit ${i}`).join('\n'));
    const result = String(
      await searchFilesTool({ maxSearchResults: 5 }).execute({ query: 'hit' }, context),
    );
    const lines = result.split('\n');
    expect(lines).toHaveLength(6);
    expect(lines[4]).toBe('many.txt:5: hit 4');
    expect(lines[5]).toBe('[showing the first 5 results; narrow the search]');
  });

  it('says when nothing matches and needs a query or glob', async () => {
    const search = searchFilesTool();
    expect(await search.execute({ query: 'absent-word' }, context)).toBe('no matches');
    await expect(search.execute({}, context)).rejects.toThrow('give a query, a glob, or both');
  });

  it('stays inside the workspace and does not follow symlinks out', async () => {
    const outside = path.join(base, 'outside');
    await mkdir(outside);
    await writeFile(path.join(outside, 'secret.txt'), 'memory outside\n');
    await symlink(outside, path.join(workspace, 'escape'));
    const search = searchFilesTool();
    await expect(search.execute({ query: 'memory', path: '..' }, context)).rejects.toThrow(
      /outside the workspace/u,
    );
    await expect(search.execute({ query: 'memory', path: 'escape' }, context)).rejects.toThrow(
      /outside the workspace/u,
    );
    expect(String(await search.execute({ query: 'outside' }, context))).toBe('no matches');
  });
});
