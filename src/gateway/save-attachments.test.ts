import { describe, expect, it } from 'vitest';
import { safeFileName } from './save-attachments.js';

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
