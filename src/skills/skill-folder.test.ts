import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MnemosError } from '../core/errors.js';
import { readSkillFolder, writeSkillFolder } from './skill-folder.js';
import { skillLimits } from './skill-limits.js';

const markdown = '---\nname: git-flow\ndescription: Branch and commit.\n---\n\n# Steps\n';
let base: string;

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'mnemos-skill-folder-'));
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

async function put(path: string, content: string | Buffer): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, content);
}

function rules(issues: { rule: string; file?: string }[]): string[] {
  return issues.map((issue) => `${issue.rule}:${issue.file ?? ''}`).sort();
}

describe('readSkillFolder', () => {
  it('reads SKILL.md and nested files with / paths', async () => {
    const dir = join(base, 'git-flow');
    await put(join(dir, 'SKILL.md'), markdown);
    await put(join(dir, 'scripts', 'run.sh'), 'echo hi\n');
    await put(join(dir, 'references', 'deep', 'notes.md'), '# Notes\n');
    await put(join(dir, 'references', '中文.md'), '说明\n');
    const { files, issues } = await readSkillFolder(dir);
    expect(files).toEqual({
      'SKILL.md': markdown,
      'references/deep/notes.md': '# Notes\n',
      'references/中文.md': '说明\n',
      'scripts/run.sh': 'echo hi\n',
    });
    expect(issues).toEqual([]);
  });

  it('refuses a symlink pointing outside the folder and never reads its target', async () => {
    const dir = join(base, 'skill');
    await put(join(dir, 'SKILL.md'), markdown);
    await put(join(base, 'outside', 'secret.txt'), 'TOP SECRET');
    await symlink(join(base, 'outside', 'secret.txt'), join(dir, 'leak.txt'));
    await symlink(join(base, 'outside'), join(dir, 'references'));
    const { files, issues } = await readSkillFolder(dir);
    expect(Object.keys(files)).toEqual(['SKILL.md']);
    expect(JSON.stringify(files)).not.toContain('TOP SECRET');
    expect(rules(issues)).toEqual(['file_symlink:leak.txt', 'file_symlink:references']);
    expect(issues.every((issue) => issue.level === 'error')).toBe(true);
  });

  it('refuses a symlinked SKILL.md', async () => {
    const dir = join(base, 'skill');
    await put(join(base, 'other.md'), markdown);
    await mkdir(dir);
    await symlink(join(base, 'other.md'), join(dir, 'SKILL.md'));
    const { files, issues } = await readSkillFolder(dir);
    expect(files).toEqual({});
    expect(rules(issues)).toEqual(['file_symlink:SKILL.md']);
  });

  it('follows a symlink to the skill folder itself', async () => {
    const dir = join(base, 'real');
    await put(join(dir, 'SKILL.md'), markdown);
    await symlink(dir, join(base, 'linked'));
    expect((await readSkillFolder(join(base, 'linked'))).files).toEqual({ 'SKILL.md': markdown });
  });

  it('skips binary and invalid UTF-8 files, hidden entries and .git', async () => {
    const dir = join(base, 'skill');
    await put(join(dir, 'SKILL.md'), markdown);
    await put(join(dir, 'assets', 'logo.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 1]));
    await put(join(dir, 'assets', 'latin1.txt'), Buffer.from([0x63, 0x61, 0x66, 0xe9]));
    await put(join(dir, '.git', 'config'), '[core]\n');
    await put(join(dir, '.env'), 'KEY=value\n');
    const { files, issues } = await readSkillFolder(dir);
    expect(Object.keys(files)).toEqual(['SKILL.md']);
    expect(rules(issues)).toEqual([
      'binary_file:assets/latin1.txt',
      'binary_file:assets/logo.png',
      'file_hidden:.env',
      'file_hidden:.git',
    ]);
    expect(issues.every((issue) => issue.level === 'warning')).toBe(true);
  });

  it('reports a missing SKILL.md and a missing folder', async () => {
    await put(join(base, 'empty', 'README.md'), 'x');
    const { issues } = await readSkillFolder(join(base, 'empty'));
    expect(rules(issues)).toEqual(['skill_md_missing:SKILL.md']);
    const missing = await readSkillFolder(join(base, 'nope')).catch((error: unknown) => error);
    expect(MnemosError.isInstance(missing) && missing.code).toBe('not_found');
  });

  it('stops at the file-count, file-size and skill-size limits', async () => {
    const many = join(base, 'many');
    await put(join(many, 'SKILL.md'), markdown);
    for (let i = 0; i < skillLimits.maxFiles + 5; i += 1) {
      await put(join(many, 'references', `${String(i).padStart(3, '0')}.md`), 'x');
    }
    const counted = await readSkillFolder(many);
    expect(Object.keys(counted.files)).toHaveLength(skillLimits.maxFiles);
    expect(counted.files['SKILL.md']).toBe(markdown);
    expect(rules(counted.issues)).toEqual(['too_many_files:']);

    const big = join(base, 'big');
    await put(join(big, 'SKILL.md'), markdown);
    await put(join(big, 'assets', 'big.txt'), 'x'.repeat(skillLimits.maxFileBytes + 1));
    for (let i = 0; i < 5; i += 1)
      await put(join(big, 'references', `${i}.txt`), 'y'.repeat(250_000));
    const sized = await readSkillFolder(big);
    expect(Object.keys(sized.files)).toEqual([
      'SKILL.md',
      'references/0.txt',
      'references/1.txt',
      'references/2.txt',
      'references/3.txt',
    ]);
    expect(rules(sized.issues)).toEqual([
      'file_too_large:assets/big.txt',
      'skill_too_large:references/4.txt',
    ]);
  });
});

describe('writeSkillFolder', () => {
  it('writes files with normal modes and keeps the exec bit under scripts/', async () => {
    const dir = join(base, 'skills', 'git-flow');
    await writeSkillFolder(dir, { 'SKILL.md': markdown, 'scripts/run.sh': '#!/bin/sh\necho hi\n' });
    expect(await readFile(join(dir, 'SKILL.md'), 'utf8')).toBe(markdown);
    expect((await stat(join(dir, 'scripts', 'run.sh'))).mode & 0o777).toBe(0o755);
    expect((await stat(join(dir, 'SKILL.md'))).mode & 0o777).toBe(0o644);
    expect((await stat(dir)).mode & 0o777).toBe(0o755);
    expect((await readSkillFolder(dir)).files).toEqual({
      'SKILL.md': markdown,
      'scripts/run.sh': '#!/bin/sh\necho hi\n',
    });
  });

  it('replaces the old content and leaves no temporary folders', async () => {
    const dir = join(base, 'git-flow');
    await writeSkillFolder(dir, { 'SKILL.md': markdown, 'references/old.md': 'old' });
    await writeSkillFolder(dir, { 'SKILL.md': `${markdown}\nv2\n`, 'assets/new.txt': 'new' });
    expect((await readSkillFolder(dir)).files).toEqual({
      'SKILL.md': `${markdown}\nv2\n`,
      'assets/new.txt': 'new',
    });
    expect(await readdir(base)).toEqual(['git-flow']);
  });

  it('refuses unsafe paths before writing anything', async () => {
    const dir = join(base, 'skill');
    for (const path of ['../evil.txt', '/tmp/evil', 'a\\b', 'a/../../x', 'scripts//x', 'A.md']) {
      const files: Record<string, string> = { 'SKILL.md': markdown, [path]: 'x' };
      if (path === 'A.md') files['a.md'] = 'y';
      const error = await writeSkillFolder(dir, files).catch((cause: unknown) => cause);
      expect(MnemosError.isInstance(error) && error.code).toBe('invalid_input');
    }
    const clash = await writeSkillFolder(dir, {
      'SKILL.md': markdown,
      scripts: 'x',
      'scripts/a': 'y',
    }).catch((cause: unknown) => cause);
    expect(MnemosError.isInstance(clash) && clash.code).toBe('invalid_input');
    expect(await readdir(base)).toEqual([]);
    expect(existsSync(join(base, '..', 'evil.txt'))).toBe(false);
  });

  it('refuses to write over a symlink or a file', async () => {
    await put(join(base, 'file'), 'x');
    await mkdir(join(base, 'target'));
    await symlink(join(base, 'target'), join(base, 'link'));
    for (const dir of [join(base, 'file'), join(base, 'link')]) {
      const error = await writeSkillFolder(dir, { 'SKILL.md': markdown }).catch(
        (cause: unknown) => cause,
      );
      expect(MnemosError.isInstance(error) && error.code).toBe('invalid_input');
    }
    expect(await readdir(join(base, 'target'))).toEqual([]);
  });
});
