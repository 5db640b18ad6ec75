import { spawn } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempHome } from '../../../test/support/temp-home.js';
import { MnemosError } from '../../core/errors.js';
import { CuratedNotes } from './curated-notes.js';
import {
  charCount,
  hasSeparatorLine,
  parseEntries,
  serializeEntries,
  usedChars,
  withFileLock,
  writeFileAtomic,
} from './notes-file.js';

let home: ReturnType<typeof tempHome>;
beforeEach(() => {
  home = tempHome('mnemos-notes-');
});
afterEach(() => home.remove());

describe('notes file format', () => {
  it('splits on lines holding only §, trims entries and drops empty ones', () => {
    const text = 'first\n§\n  second\nline two  \n §  \n\n§\n用户喜欢 § 符号\r\n§\r\nlast\n';
    expect(parseEntries(text)).toEqual(['first', 'second\nline two', '用户喜欢 § 符号', 'last']);
    expect(parseEntries('')).toEqual([]);
  });

  it('round-trips entries, with CJK and inline §', () => {
    const entries = ['用户住在上海', 'See §3 of the spec\nsecond line', '日本語のメモ'];
    expect(serializeEntries(entries)).toBe(
      '用户住在上海\n§\nSee §3 of the spec\nsecond line\n§\n日本語のメモ\n',
    );
    expect(parseEntries(serializeEntries(entries))).toEqual(entries);
    expect(serializeEntries([])).toBe('');
  });

  it('counts code points, joiners included', () => {
    expect(charCount('用户')).toBe(2);
    expect(charCount('𠀀😀')).toBe(2); // astral characters are one each, not two UTF-16 units
    expect(usedChars(['ab', '用户'])).toBe(2 + 3 + 2);
    expect(usedChars([])).toBe(0);
  });

  it('detects a separator line but not an inline §', () => {
    expect(hasSeparatorLine('a\n§\nb')).toBe(true);
    expect(hasSeparatorLine('a\n  §  ')).toBe(true);
    expect(hasSeparatorLine('见§3')).toBe(false);
  });

  it('writes atomically, leaving no temporary file', async () => {
    const path = join(home.home, 'sub', 'MEMORY.md');
    await writeFileAtomic(path, 'one\n');
    await writeFileAtomic(path, 'two\n');
    expect(readdirSync(join(home.home, 'sub'))).toEqual(['MEMORY.md']);
  });
});

describe('withFileLock', () => {
  it('serialises critical sections and removes the lock afterwards', async () => {
    const path = join(home.home, 'MEMORY.md');
    const order: string[] = [];
    const section = (name: string) =>
      withFileLock(path, async () => {
        order.push(`${name} in`);
        await new Promise((done) => setTimeout(done, 20));
        order.push(`${name} out`);
      });
    await Promise.all([section('a'), section('b')]);
    const [first] = order[0]!.split(' ');
    const second = first === 'a' ? 'b' : 'a';
    expect(order).toEqual([`${first} in`, `${first} out`, `${second} in`, `${second} out`]);
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  it('times out with a system error while another owner holds the lock', async () => {
    const path = join(home.home, 'MEMORY.md');
    writeFileSync(`${path}.lock`, `${hostname()} ${process.pid} someone-else`);
    const error = await withFileLock(path, async () => 1, { timeoutMs: 100 }).catch((e) => e);
    expect(MnemosError.isInstance(error) && error.code).toBe('storage_error');
    expect(existsSync(`${path}.lock`)).toBe(true); // not ours: left alone
  });

  it('breaks a lock whose owner process is gone', async () => {
    const path = join(home.home, 'MEMORY.md');
    writeFileSync(`${path}.lock`, `${hostname()} 2147483646 dead-owner`);
    expect(await withFileLock(path, async () => 'ran', { timeoutMs: 1_000 })).toBe('ran');
  });

  it('breaks a lock older than staleMs', async () => {
    const path = join(home.home, 'MEMORY.md');
    writeFileSync(`${path}.lock`, 'other-host 1 token');
    await new Promise((done) => setTimeout(done, 30));
    expect(await withFileLock(path, async () => 'ran', { staleMs: 10, timeoutMs: 1_000 })).toBe(
      'ran',
    );
  });

  it('keeps every write of two processes adding to the same file', async () => {
    const module = resolve(import.meta.dirname, 'curated-notes.ts');
    const child = (name: string) =>
      new Promise<void>((done, fail) => {
        const script = `const { CuratedNotes } = await import(${JSON.stringify(module)});
const notes = new CuratedNotes({ dir: ${JSON.stringify(home.home)}, memoryLimit: 100000 });
for (let i = 0; i < 25; i++) {
  const result = await notes.add('memory', '${name} note ' + i);
  if (!result.ok) throw new Error(JSON.stringify(result));
}`;
        const process_ = spawn(process.execPath, ['--import', 'tsx', '-e', script], {
          cwd: resolve(import.meta.dirname, '../../..'),
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let stderr = '';
        process_.stderr.on('data', (chunk) => {
          stderr += chunk;
        });
        process_.on('exit', (code) => (code === 0 ? done() : fail(new Error(stderr))));
      });
    await Promise.all([child('alpha'), child('beta')]);
    const entries = await new CuratedNotes({ dir: home.home }).entries('memory');
    expect(entries).toHaveLength(50);
    expect(new Set(entries).size).toBe(50);
  });
});
