import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { safeFileName, saveAttachments } from './save-attachments.js';

describe('safeFileName', () => {
  it('keeps only the last path part, safe characters and no leading dot', () => {
    expect(safeFileName('../../x')).toBe('x');
    expect(safeFileName('..')).toBe('file');
    expect(safeFileName('')).toBe('file');
    expect(safeFileName('.env')).toBe('env');
    expect(safeFileName('C:\\Users\\me\\report 1.pdf')).toBe('report_1.pdf');
    expect(safeFileName('/etc/passwd')).toBe('passwd');
    expect(safeFileName('旅行 計画.txt')).toBe('旅行_計画.txt');
    expect(safeFileName('a\u0000b;rm -rf.sh')).toBe('a_b_rm_-rf.sh');
    expect(safeFileName(`${'x'.repeat(300)}.png`)).toHaveLength(100);
  });
});

describe('saveAttachments', () => {
  const file = (name: string, text: string) => ({
    name,
    mimeType: 'text/plain',
    size: text.length,
    fetch: async () => new TextEncoder().encode(text),
  });

  it('saves inside attachments/, never overwriting', async () => {
    const workspace = mkdtempSync(join(tmpdir(), 'mnemos-attach-'));
    try {
      const lines = await saveAttachments(
        [file('a.txt', 'one'), file('a.txt', 'two')],
        { workspace },
        () => {},
      );
      expect(lines).toEqual([
        '[attachment saved: attachments/a.txt (text/plain, 3 bytes)]',
        '[attachment saved: attachments/a-2.txt (text/plain, 3 bytes)]',
      ]);
      expect(readFileSync(join(workspace, 'attachments', 'a-2.txt'), 'utf8')).toBe('two');
    } finally {
      rmSync(workspace, { recursive: true, force: true });
    }
  });

  it('stops saving once the folder holds maxTotalBytes', async () => {
    const workspace = mkdtempSync(join(tmpdir(), 'mnemos-attach-'));
    try {
      const target = { workspace, maxTotalBytes: 10 };
      const first = await saveAttachments(
        [file('a.txt', '123456'), file('b.txt', '123456')],
        target,
        () => {},
      );
      expect(first[0]).toContain('saved: attachments/a.txt');
      expect(first[1]).toContain('folder is full');
      // Later messages see what earlier ones left.
      const later = await saveAttachments([file('c.txt', '12345')], target, () => {});
      expect(later[0]).toContain('folder is full');
      expect(await saveAttachments([file('d.txt', '1234')], target, () => {})).toEqual([
        '[attachment saved: attachments/d.txt (text/plain, 4 bytes)]',
      ]);
    } finally {
      rmSync(workspace, { recursive: true, force: true });
    }
  });

  it('follows no link: an attachments/ link to elsewhere gets nothing written', async () => {
    const workspace = mkdtempSync(join(tmpdir(), 'mnemos-attach-'));
    const outside = mkdtempSync(join(tmpdir(), 'mnemos-outside-'));
    const logged: string[] = [];
    try {
      symlinkSync(outside, join(workspace, 'attachments'));
      const lines = await saveAttachments(
        [file('authorized_keys', 'ssh-ed25519 AAAA')],
        { workspace },
        (line) => logged.push(line),
      );
      expect(lines[0]).toContain('not saved');
      expect(readdirSync(outside)).toEqual([]);
      expect(logged[0]).toContain('not a plain folder');
    } finally {
      rmSync(workspace, { recursive: true, force: true });
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('does not write through a link planted at the file name', async () => {
    const workspace = mkdtempSync(join(tmpdir(), 'mnemos-attach-'));
    const outside = mkdtempSync(join(tmpdir(), 'mnemos-outside-'));
    try {
      mkdirSync(join(workspace, 'attachments'));
      symlinkSync(join(outside, 'victim'), join(workspace, 'attachments', 'x.txt'));
      const lines = await saveAttachments([file('x.txt', 'payload')], { workspace }, () => {});
      expect(lines).toEqual(['[attachment saved: attachments/x-2.txt (text/plain, 7 bytes)]']);
      expect(readdirSync(outside)).toEqual([]);
    } finally {
      rmSync(workspace, { recursive: true, force: true });
      rmSync(outside, { recursive: true, force: true });
    }
  });
});
