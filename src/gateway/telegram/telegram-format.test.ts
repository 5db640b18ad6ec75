import { describe, expect, it } from 'vitest';
import { parseMarkdownV2 } from '../../../test/support/telegram-markdown-v2.js';
import {
  escapeMarkdownV2,
  markdownToPlain,
  markdownToTelegram,
  telegramPieces,
} from './telegram-format.js';

/** What Telegram would show for MarkdownV2 text, failing the test when Telegram would reject it. */
function shown(v2: string) {
  const parsed = parseMarkdownV2(v2);
  if (!parsed.ok) throw new Error(`${parsed.description}\n${v2}`);
  return parsed;
}

describe('markdownToTelegram', () => {
  it('escapes every reserved character outside entities', () => {
    const text = 'Costs 3.50 (approx)! a-b=c #1 +2 {x} |y| ~z >w [v] _u_';
    expect(escapeMarkdownV2('_*[]()~`>#+-=|{}.!\\')).toBe(
      '\\_\\*\\[\\]\\(\\)\\~\\`\\>\\#\\+\\-\\=\\|\\{\\}\\.\\!\\\\',
    );
    const plain = 'Costs 3.50 (approx)! a-b=c #1 +2 {x} |y| ~z >w [v] u';
    expect(shown(markdownToTelegram(text)).text).toBe(plain);
  });

  it('turns bold, italic, strikethrough and inline code into entities', () => {
    const out = shown(markdownToTelegram('A **bold** and *it* and _em_ and ~~old~~ and `a*b_c`.'));
    expect(out.text).toBe('A bold and it and em and old and a*b_c.');
    expect(
      out.entities.map((e) => [e.type, out.text.slice(e.offset, e.offset + e.length)]),
    ).toEqual([
      ['bold', 'bold'],
      ['italic', 'it'],
      ['italic', 'em'],
      ['strikethrough', 'old'],
      ['code', 'a*b_c'],
    ]);
  });

  it('nests bold and italic for ***both***', () => {
    const out = shown(markdownToTelegram('a ***loud*** b'));
    expect(out.text).toBe('a loud b');
    expect(out.entities.map((e) => e.type).sort()).toEqual(['bold', 'italic']);
  });

  it('leaves snake_case, lone asterisks and unclosed markers as text', () => {
    const source = 'call my_func_name(); 5 * 3; unclosed **bold and `tick';
    const out = shown(markdownToTelegram(source));
    expect(out.text).toBe(source);
    expect(out.entities).toEqual([]);
  });

  it('escapes only backtick and backslash inside code blocks and keeps the language', () => {
    const code = 'const s = `a` + "\\\\" + (1 * 2); // _not italic_ [x]!';
    const v2 = markdownToTelegram(`Run:\n\`\`\`ts\n${code}\n\`\`\``);
    expect(v2).toContain('(1 * 2); // _not italic_ [x]!');
    const out = shown(v2);
    expect(out.text).toBe(`Run:\n${code}`);
    expect(out.entities).toEqual([{ type: 'pre', offset: 5, length: code.length, language: 'ts' }]);
  });

  it('makes links text links, escaping ) and \\ in the target', () => {
    const out = shown(
      markdownToTelegram('See [the docs (v2)](https://example.com/a_(b)?q=1.2) now.'),
    );
    expect(out.text).toBe('See the docs (v2) now.');
    expect(out.entities).toEqual([
      { type: 'text_link', offset: 4, length: 13, url: 'https://example.com/a_(b)?q=1.2' },
    ]);
  });

  it('renders headings bold, lists with bullets and numbers, quotes as blockquotes', () => {
    const out = shown(
      markdownToTelegram('## Plan **now**\n- one\n* two\n1. first\n2) second\n> quoted.'),
    );
    expect(out.text).toBe('Plan now\n• one\n• two\n1. first\n2) second\nquoted.');
    expect(out.entities.map((e) => e.type)).toEqual(['bold', 'blockquote']);
  });

  it('puts tables in a monospace block', () => {
    const table = '| name | cost |\n|------|-----:|\n| tea_1 | 3.50 |';
    const out = shown(markdownToTelegram(`Prices:\n${table}\nThat's all.`));
    expect(out.text).toBe(`Prices:\n${table}\nThat's all.`);
    expect(out.entities).toEqual([{ type: 'pre', offset: 8, length: table.length }]);
  });

  it('keeps CJK and emoji intact with correct UTF-16 offsets', () => {
    const out = shown(markdownToTelegram('你好，世界！😀 **粗体** ok.'));
    expect(out.text).toBe('你好，世界！😀 粗体 ok.');
    const bold = out.entities[0];
    expect(bold?.type).toBe('bold');
    expect(out.text.slice(bold?.offset, (bold?.offset ?? 0) + (bold?.length ?? 0))).toBe('粗体');
  });

  it('gives a plain fallback without markers', () => {
    expect(markdownToPlain('# Hi\n**b** [x](https://e.com) `c`')).toBe('Hi\nb x (https://e.com) c');
  });
});

describe('the fake Bot API MarkdownV2 parser', () => {
  it('rejects what Telegram rejects', () => {
    expect(parseMarkdownV2('costs 3.50')).toEqual({
      ok: false,
      description:
        "Bad Request: can't parse entities: Character '.' is reserved and must be escaped with the preceding '\\'",
    });
    expect(parseMarkdownV2('*open bold')).toMatchObject({ ok: false });
    expect(parseMarkdownV2('`code')).toMatchObject({ ok: false });
    expect(parseMarkdownV2('costs 3\\.50')).toEqual({ ok: true, text: 'costs 3.50', entities: [] });
  });
});

describe('telegramPieces', () => {
  it('splits so that every piece fits 4096 characters after escaping, losing nothing', () => {
    const source = Array.from({ length: 900 }, (_, i) => `Item ${i}: a.b! (c)`).join(' ');
    expect(escapeMarkdownV2(source).length).toBeGreaterThan(4096 * 2);
    const pieces = telegramPieces(source);
    expect(pieces.length).toBeGreaterThanOrEqual(3);
    for (const piece of pieces) expect(piece.markdown.length).toBeLessThanOrEqual(4096);
    const text = pieces.map((piece) => shown(piece.markdown).text).join(' ');
    expect(text.split(/\s+/u)).toEqual(source.split(/\s+/u));
  });

  it('closes and reopens a code block cut across pieces', () => {
    const code = Array.from({ length: 400 }, (_, i) => `x${i} = "\\\\" + \`${i}\``).join('\n');
    const pieces = telegramPieces(`Code:\n\`\`\`py\n${code}\n\`\`\`\nDone.`);
    expect(pieces.length).toBeGreaterThan(1);
    for (const piece of pieces) {
      expect(piece.markdown.length).toBeLessThanOrEqual(4096);
      expect(shown(piece.markdown).entities.some((e) => e.type === 'pre')).toBe(true);
    }
  });

  it('returns nothing for empty text', () => {
    expect(telegramPieces('  \n ')).toEqual([]);
    expect(telegramPieces('```\n```')).toEqual([]);
  });
});
