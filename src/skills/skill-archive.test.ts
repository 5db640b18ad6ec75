import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { create, Header } from 'tar';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MnemosError } from '../core/errors.js';
import { extractSkillArchive, readSkillFolder } from './skill-folder.js';

type EntryType = 'File' | 'Directory' | 'SymbolicLink' | 'Link' | 'CharacterDevice' | 'FIFO';

interface RawEntry {
  path: string;
  content?: string;
  type?: EntryType;
  linkpath?: string;
  mode?: number;
}

/** A tar archive written block by block, so it can hold entries no honest tool would write. */
function rawTar(entries: RawEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const body = Buffer.from(entry.content ?? '');
    const header = new Header({
      path: entry.path,
      type: entry.type ?? 'File',
      mode: entry.mode ?? (entry.type === 'Directory' ? 0o755 : 0o644),
      size: body.length,
      mtime: new Date(0),
      ...(entry.linkpath === undefined ? {} : { linkpath: entry.linkpath }),
    });
    const block = Buffer.alloc(512);
    header.encode(block, 0);
    blocks.push(block, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

const skillText = (name: string) =>
  `---\nname: ${name}\ndescription: The ${name} skill.\n---\n\n# ${name}\n`;
let base: string;

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'mnemos-skill-archive-'));
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

async function refusal(archive: Buffer, name = 'bad.tar.gz'): Promise<MnemosError> {
  const path = join(base, name);
  await writeFile(path, archive);
  const into = join(base, 'out', 'skills');
  const error = await extractSkillArchive(path, into).catch((cause: unknown) => cause);
  if (!MnemosError.isInstance(error)) throw new Error(`expected a refusal, got ${String(error)}`);
  expect(existsSync(into)).toBe(false);
  return error;
}

describe('extractSkillArchive', () => {
  it('extracts a valid .tgz with two skills and returns both folders', async () => {
    const source = join(base, 'src');
    await mkdir(join(source, 'alpha', 'scripts'), { recursive: true });
    await mkdir(join(source, 'beta', 'references'), { recursive: true });
    await writeFile(join(source, 'alpha', 'SKILL.md'), skillText('alpha'));
    await writeFile(join(source, 'alpha', 'scripts', 'run.sh'), '#!/bin/sh\necho alpha\n', {
      mode: 0o4755,
    });
    await writeFile(join(source, 'beta', 'SKILL.md'), skillText('beta'));
    await writeFile(join(source, 'beta', 'references', 'notes.md'), '# Notes\n', { mode: 0o666 });
    const archive = join(base, 'skills.tgz');
    await create({ gzip: true, file: archive, cwd: source }, ['alpha', 'beta']);

    const into = join(base, 'unpacked');
    const folders = await extractSkillArchive(archive, into);
    expect(folders).toEqual([join(into, 'alpha'), join(into, 'beta')]);
    expect((await readSkillFolder(join(into, 'beta'))).files).toEqual({
      'SKILL.md': skillText('beta'),
      'references/notes.md': '# Notes\n',
    });
    expect((await stat(join(into, 'alpha', 'scripts', 'run.sh'))).mode & 0o7777).toBe(0o755);
    expect((await stat(join(into, 'beta', 'references', 'notes.md'))).mode & 0o7777).toBe(0o644);
  });

  it('extracts a plain .tar with SKILL.md at the top', async () => {
    const archive = join(base, 'one.tar');
    await writeFile(
      archive,
      rawTar([
        { path: './SKILL.md', content: skillText('one') },
        { path: './assets/', type: 'Directory' },
      ]),
    );
    const into = join(base, 'one');
    expect(await extractSkillArchive(archive, into)).toEqual([into]);
    expect(await readFile(join(into, 'SKILL.md'), 'utf8')).toBe(skillText('one'));
  });

  it('refuses a ../evil entry and writes nothing, inside or outside', async () => {
    const error = await refusal(
      gzipSync(
        rawTar([
          { path: 'ok/SKILL.md', content: skillText('ok') },
          { path: '../evil', content: 'pwned' },
        ]),
      ),
    );
    expect(error.code).toBe('invalid_input');
    expect(error.details.entry).toBe('../evil');
    expect(existsSync(join(base, 'evil'))).toBe(false);
    expect(existsSync(join(base, 'out', 'evil'))).toBe(false);
    expect(await readdir(base)).toEqual(['bad.tar.gz']);
  });

  it.each<[string, RawEntry]>([
    ['an absolute path', { path: '/tmp/evil', content: 'x' }],
    ['a nested parent path', { path: 'ok/../../evil', content: 'x' }],
    ['a backslash path', { path: 'ok\\..\\evil', content: 'x' }],
    ['a symlink', { path: 'ok/link', type: 'SymbolicLink', linkpath: '/etc/passwd' }],
    ['a relative symlink', { path: 'ok/link', type: 'SymbolicLink', linkpath: 'SKILL.md' }],
    ['a hard link', { path: 'ok/hard', type: 'Link', linkpath: 'ok/SKILL.md' }],
    ['a device', { path: 'ok/tty', type: 'CharacterDevice' }],
    ['a pipe', { path: 'ok/fifo', type: 'FIFO' }],
  ])('refuses %s', async (_label, bad) => {
    const error = await refusal(
      rawTar([{ path: 'ok/SKILL.md', content: skillText('ok') }, bad]),
      'bad.tar',
    );
    expect(error.code).toBe('invalid_input');
  });

  it('leaves nothing behind when extraction fails half-way', async () => {
    const archive = join(base, 'clash.tar');
    const entries = [
      { path: 's/SKILL.md', content: skillText('s') },
      { path: 's/a', content: 'a file' },
      { path: 's/a/b', content: 'under the file' },
    ];
    await writeFile(archive, rawTar(entries));
    const fresh = join(base, 'fresh');
    const error = await extractSkillArchive(archive, fresh).catch((cause: unknown) => cause);
    expect(MnemosError.isInstance(error) && error.code).toBe('invalid_input');
    expect(existsSync(fresh)).toBe(false);
    const empty = join(base, 'empty');
    await mkdir(empty);
    await extractSkillArchive(archive, empty).catch(() => undefined);
    expect(await readdir(empty)).toEqual([]);
  });

  it('refuses archives over the entry limit', async () => {
    const entries = Array.from({ length: 2001 }, (_, i) => ({
      path: `s/references/${i}.md`,
      content: 'x',
    }));
    const error = await refusal(gzipSync(rawTar(entries)));
    expect(error.code).toBe('limit_exceeded');
  });

  it('refuses archives that unpack past the byte limit (a gzip bomb)', async () => {
    const big = 'x'.repeat(9 * 1024 * 1024);
    const entries = Array.from({ length: 4 }, (_, i) => ({
      path: `s/assets/${i}.txt`,
      content: big,
    }));
    const archive = gzipSync(rawTar(entries));
    expect(archive.length).toBeLessThan(1024 * 1024);
    const error = await refusal(archive);
    expect(error.code).toBe('limit_exceeded');
  });

  it('refuses a file that is not a tar archive, a missing file and a non-empty target', async () => {
    const error = await refusal(
      Buffer.from('this is not a tarball at all, just text\n'.repeat(40)),
      'x.tgz',
    );
    expect(error.code).toBe('invalid_input');
    const missing = await extractSkillArchive(join(base, 'nope.tgz'), join(base, 'o')).catch(
      (e: unknown) => e,
    );
    expect(MnemosError.isInstance(missing) && missing.code).toBe('not_found');
    const archive = join(base, 'ok.tar');
    await writeFile(archive, rawTar([{ path: 'SKILL.md', content: skillText('ok') }]));
    await mkdir(join(base, 'full'));
    await writeFile(join(base, 'full', 'keep.txt'), 'x');
    const full = await extractSkillArchive(archive, join(base, 'full')).catch((e: unknown) => e);
    expect(MnemosError.isInstance(full) && full.code).toBe('invalid_input');
  });
});
