import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFileTool, writeFileTool } from './file-tools.js';
import type { ToolContext } from './tool.js';
import { resolveInWorkspace } from './workspace-path.js';

let base: string;
let workspace: string;
let outside: string;
let context: ToolContext;

beforeEach(async () => {
  base = await mkdtemp(path.join(tmpdir(), 'mnemos-files-'));
  workspace = path.join(base, 'ws');
  outside = path.join(base, 'outside');
  await mkdir(workspace);
  await mkdir(outside);
  await writeFile(path.join(outside, 'secret.txt'), 'top secret\n');
  context = { signal: new AbortController().signal, sessionId: 's1', workspace };
});

afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('workspace confinement', () => {
  it('resolves relative and absolute paths inside the workspace', async () => {
    const inside = await resolveInWorkspace(workspace, 'a/b.txt');
    expect(inside.display).toBe('a/b.txt');
    const absolute = await resolveInWorkspace(workspace, path.join(workspace, 'c.txt'));
    expect(absolute.display).toBe('c.txt');
    expect((await resolveInWorkspace(workspace, 'a/../.')).display).toBe('.');
  });

  it.each([['../outside/secret.txt'], ['a/../../outside/secret.txt'], ['..'], ['/etc/passwd']])(
    'rejects %s',
    async (requested) => {
      await expect(resolveInWorkspace(workspace, requested)).rejects.toThrow(
        /outside the workspace/u,
      );
    },
  );

  it('rejects an absolute path outside', async () => {
    await expect(resolveInWorkspace(workspace, path.join(outside, 'secret.txt'))).rejects.toThrow(
      /outside the workspace/u,
    );
  });

  it('rejects symlinks that point outside, for files and for folders', async () => {
    await symlink(path.join(outside, 'secret.txt'), path.join(workspace, 'link.txt'));
    await symlink(outside, path.join(workspace, 'linkdir'));
    const read = readFileTool();
    await expect(read.execute({ path: 'link.txt' }, context)).rejects.toThrow(/outside/u);
    await expect(read.execute({ path: 'linkdir/secret.txt' }, context)).rejects.toThrow(/outside/u);
    const write = writeFileTool();
    await expect(
      write.execute({ path: 'linkdir/new/file.txt', content: 'x' }, context),
    ).rejects.toThrow(/outside/u);
    await expect(write.execute({ path: 'link.txt', content: 'pwned' }, context)).rejects.toThrow(
      /outside/u,
    );
    expect(await readFile(path.join(outside, 'secret.txt'), 'utf8')).toBe('top secret\n');
    expect(await readdir(outside)).toEqual(['secret.txt']);
  });

  it('rejects writing through a dangling symlink', async () => {
    await symlink(path.join(outside, 'missing.txt'), path.join(workspace, 'dangling'));
    await expect(
      writeFileTool().execute({ path: 'dangling', content: 'x' }, context),
    ).rejects.toThrow(/broken symlink|outside/u);
    expect(await readdir(outside)).toEqual(['secret.txt']);
  });

  it('follows symlinks that stay inside', async () => {
    await writeFile(path.join(workspace, 'real.txt'), 'hello');
    await symlink(path.join(workspace, 'real.txt'), path.join(workspace, 'alias.txt'));
    expect(await readFileTool().execute({ path: 'alias.txt' }, context)).toBe('hello');
  });

  it('works when the workspace itself is reached through a symlink', async () => {
    const alias = path.join(base, 'alias-ws');
    await symlink(workspace, alias);
    await writeFile(path.join(workspace, 'f.txt'), 'via alias');
    const aliased = { ...context, workspace: alias };
    expect(await readFileTool().execute({ path: 'f.txt' }, aliased)).toBe('via alias');
    expect(await readFileTool().execute({ path: path.join(alias, 'f.txt') }, aliased)).toBe(
      'via alias',
    );
  });
});

describe('read_file', () => {
  const lines = Array.from({ length: 10 }, (_, i) => `line ${i + 1}`).join('\n');

  it('reads a whole file and line ranges', async () => {
    await writeFile(path.join(workspace, 'ten.txt'), `${lines}\n`);
    const read = readFileTool();
    expect(await read.execute({ path: 'ten.txt' }, context)).toBe(lines);
    expect(await read.execute({ path: 'ten.txt', offset: 3, limit: 2 }, context)).toBe(
      'line 3\nline 4\n[more lines follow; continue with offset=5]',
    );
    expect(await read.execute({ path: 'ten.txt', offset: 9 }, context)).toBe('line 9\nline 10');
    expect(await read.execute({ path: 'ten.txt', offset: 50 }, context)).toBe(
      '[ten.txt has only 10 lines]',
    );
  });

  it('caps the output and says where to continue', async () => {
    await writeFile(path.join(workspace, 'ten.txt'), lines);
    const result = await readFileTool({ maxReadBytes: 20 }).execute({ path: 'ten.txt' }, context);
    expect(result).toBe(
      'line 1\nline 2\n[output capped at 20 bytes: showed lines 1-2; continue with offset=3]',
    );
  });

  it('cuts a single line longer than the cap', async () => {
    await writeFile(path.join(workspace, 'long.txt'), 'x'.repeat(500));
    const result = String(
      await readFileTool({ maxReadBytes: 100 }).execute({ path: 'long.txt' }, context),
    );
    expect(result.startsWith(`${'x'.repeat(100)}\n[line 1 is longer`)).toBe(true);
  });

  it('refuses binary files, directories and missing files clearly', async () => {
    await writeFile(
      path.join(workspace, 'img.png'),
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2]),
    );
    await mkdir(path.join(workspace, 'dir'));
    const read = readFileTool();
    await expect(read.execute({ path: 'img.png' }, context)).rejects.toThrow(
      'img.png is a binary file (7 bytes); read_file only shows text',
    );
    await expect(read.execute({ path: 'dir' }, context)).rejects.toThrow(/is a directory/u);
    await expect(read.execute({ path: 'nope.txt' }, context)).rejects.toThrow(
      'file nope.txt does not exist',
    );
  });

  it('reads UTF-8 and empty files', async () => {
    await writeFile(path.join(workspace, 'zh.md'), '记忆是产品\r\n第二行\r\n');
    await writeFile(path.join(workspace, 'empty'), '');
    expect(await readFileTool().execute({ path: 'zh.md' }, context)).toBe('记忆是产品\n第二行');
    expect(await readFileTool().execute({ path: 'empty' }, context)).toBe('[empty file]');
  });
});

describe('write_file', () => {
  it('creates parent folders and writes atomically, leaving no temp files', async () => {
    const write = writeFileTool();
    expect(await write.execute({ path: 'a/b/c.txt', content: 'hello' }, context)).toBe(
      'created a/b/c.txt (5 bytes)',
    );
    expect(await readFile(path.join(workspace, 'a/b/c.txt'), 'utf8')).toBe('hello');
    expect(await write.execute({ path: 'a/b/c.txt', content: 'bye' }, context)).toBe(
      'overwrote a/b/c.txt (3 bytes)',
    );
    expect(await readFile(path.join(workspace, 'a/b/c.txt'), 'utf8')).toBe('bye');
    expect(await readdir(path.join(workspace, 'a/b'))).toEqual(['c.txt']);
  });

  it('keeps the mode of a file it replaces', async () => {
    const script = path.join(workspace, 'run.sh');
    await writeFile(script, 'echo 1', { mode: 0o755 });
    await writeFileTool().execute({ path: 'run.sh', content: 'echo 2' }, context);
    expect((await stat(script)).mode & 0o777).toBe(0o755);
  });

  it('caps the content size', async () => {
    const write = writeFileTool({ maxWriteBytes: 10 });
    await expect(
      write.execute({ path: 'big.txt', content: 'é'.repeat(6) }, context),
    ).rejects.toThrow('content is 12 bytes; write_file accepts at most 10 bytes');
    await expect(stat(path.join(workspace, 'big.txt'))).rejects.toThrow();
  });

  it('refuses to replace a directory or the workspace itself', async () => {
    await mkdir(path.join(workspace, 'dir'));
    const write = writeFileTool();
    await expect(write.execute({ path: 'dir', content: 'x' }, context)).rejects.toThrow(
      /is a directory/u,
    );
    await expect(write.execute({ path: '.', content: 'x' }, context)).rejects.toThrow(
      /is a directory/u,
    );
  });

  it('refuses ../ escapes without creating anything', async () => {
    await expect(
      writeFileTool().execute({ path: '../outside/new.txt', content: 'x' }, context),
    ).rejects.toThrow(/outside the workspace/u);
    expect(await readdir(outside)).toEqual(['secret.txt']);
  });
});
