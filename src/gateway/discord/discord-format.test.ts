import { describe, expect, it } from 'vitest';
import {
  discordMessageLimit,
  discordMessagePieces,
  neutraliseMassMentions,
  toDiscordMarkdown,
} from './discord-format.js';

const zwsp = '\u200b';

describe('toDiscordMarkdown', () => {
  it('keeps the Markdown Discord renders, escaping nothing', () => {
    const text = [
      '**bold** _italic_ *italic* ~~gone~~ __under__ a_b_c 2*3*4 \\*literal\\*',
      '# Title',
      '### Third',
      '- item\n  - nested\n1. one',
      '> a quote',
      '[a link](https://example.com/a_(b)?q=1&r=2) <https://example.com>',
      'special: <>&"\' | # $ % ^ {} []',
    ].join('\n');
    expect(toDiscordMarkdown(text)).toBe(text);
  });

  it('keeps CJK and emoji as they are', () => {
    const text = '中文 **粗体** 日本語の_斜体_ 한국어 😀👩‍👩‍👧 🇯🇵';
    expect(toDiscordMarkdown(text)).toBe(text);
  });

  it('neutralises @everyone and @here outside code, not addresses or other words', () => {
    expect(toDiscordMarkdown('@everyone and @here, but ops@here.com and @heres stay')).toBe(
      `@${zwsp}everyone and @${zwsp}here, but ops@here.com and @heres stay`,
    );
    expect(toDiscordMarkdown('**@everyone**')).toBe(`**@${zwsp}everyone**`);
    expect(neutraliseMassMentions('(@here)')).toBe(`(@${zwsp}here)`);
  });

  it('leaves inline code and fenced blocks exactly as written', () => {
    const text =
      'run `@everyone ![x](y)` now\n```ts\nconst a = "@here"; // #### not a heading\n| a | b |\n|---|---|\n```';
    expect(toDiscordMarkdown(text)).toBe(text);
  });

  it('turns ~~~ fences into backtick fences and closes a fence left open', () => {
    expect(toDiscordMarkdown('~~~py\nprint(1)\n~~~\nafter')).toBe('```py\nprint(1)\n```\nafter');
    expect(toDiscordMarkdown('```\nnever closed @here')).toBe('```\nnever closed @here\n```');
  });

  it('makes headings Discord lacks into bold lines', () => {
    expect(toDiscordMarkdown('#### Small ####\n###### Tiny\n####no space')).toBe(
      '**Small**\n**Tiny**\n####no space',
    );
  });

  it('puts tables in a fenced block', () => {
    const table = '| name | n |\n|:-----|--:|\n| a | 1 |\n| b | 2 |';
    expect(toDiscordMarkdown(`Counts:\n${table}\n\nDone.`)).toBe(
      `Counts:\n\`\`\`\n${table}\n\`\`\`\n\nDone.`,
    );
    expect(toDiscordMarkdown('a | b is not a table')).toBe('a | b is not a table');
    expect(toDiscordMarkdown('a | **b**\n---|---\n1 | 2')).toBe('```\na | b\n---|---\n1 | 2\n```');
  });

  it('turns images into links', () => {
    expect(
      toDiscordMarkdown('![logo](https://x.test/a.png "Logo") and ![](https://x.test/b.png)'),
    ).toBe('[logo](https://x.test/a.png) and https://x.test/b.png');
  });
});

describe('discordMessagePieces', () => {
  it('splits after formatting, within 2,000 characters, keeping fences balanced', () => {
    const code = Array.from({ length: 200 }, (_, i) => `const line${i} = "@everyone ${i}";`).join(
      '\n',
    );
    const mentions = Array.from({ length: 400 }, () => '@here').join(' ');
    const pieces = discordMessagePieces(`${mentions}\n\n\`\`\`js\n${code}\n\`\`\``);
    expect(pieces.length).toBeGreaterThan(3);
    for (const piece of pieces) {
      expect(piece.length).toBeLessThanOrEqual(discordMessageLimit);
      expect((piece.match(/^```/gmu) ?? []).length % 2).toBe(0);
    }
    const prose = pieces.filter((piece) => !piece.includes('```')).join(' ');
    expect(prose).not.toMatch(/@here/u);
    expect(pieces.join('\n')).toContain('const line199 = "@everyone 199";');
  });

  it('sends nothing for blank text', () => {
    expect(discordMessagePieces('  \n\n ')).toEqual([]);
  });
});
