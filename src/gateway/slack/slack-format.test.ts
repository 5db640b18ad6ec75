import { describe, expect, it } from 'vitest';
import {
  escapeMrkdwn,
  markdownToMrkdwn,
  mentionsUser,
  slackPieceLimit,
  slackTextToPlain,
  splitMrkdwn,
} from './slack-format.js';

describe('markdownToMrkdwn', () => {
  it('turns Markdown emphasis into Slack emphasis', () => {
    expect(markdownToMrkdwn('**bold** and *italic* and _also_ and ~~gone~~')).toBe(
      '*bold* and _italic_ and _also_ and ~gone~',
    );
    expect(markdownToMrkdwn('__bold__ **with *italic* inside**')).toBe(
      '*bold* *with _italic_ inside*',
    );
  });

  it('escapes &, < and > everywhere, so no text can ping a channel', () => {
    expect(markdownToMrkdwn('a < b && c > d <!channel> <@U123>')).toBe(
      'a &lt; b &amp;&amp; c &gt; d &lt;!channel&gt; &lt;@U123&gt;',
    );
    expect(escapeMrkdwn('&lt;')).toBe('&amp;lt;');
  });

  it('keeps code verbatim (escaped) and drops the language tag of a fence', () => {
    const md = 'Run:\n\n```ts\nconst a = b && c < 3 ? `**x**` : "_y_";\n```\n\nand `x<y && *z*`.';
    expect(markdownToMrkdwn(md)).toBe(
      'Run:\n\n```\nconst a = b &amp;&amp; c &lt; 3 ? `**x**` : "_y_";\n```\n\nand `x&lt;y &amp;&amp; *z*`.',
    );
  });

  it('closes a fence the agent left open', () => {
    expect(markdownToMrkdwn('```\nopen <code>')).toBe('```\nopen &lt;code&gt;\n```');
  });

  it('writes links as <url|label>, with markup characters in the URL encoded', () => {
    expect(markdownToMrkdwn('see [the docs](https://x.test/a?b=1&c=2) now')).toBe(
      'see <https://x.test/a?b=1&amp;c=2|the docs> now',
    );
    expect(markdownToMrkdwn('[**bold** label](https://x.test/p|q)')).toBe(
      '<https://x.test/p%7Cq|bold label>',
    );
    // Link targets that are Slack mentions are written out, never sent as <!channel> and the like.
    expect(markdownToMrkdwn('[hi](!channel) ![a](!here) [x](@U123) [y](!subteam^S1)')).toBe(
      'hi (!channel) a (!here) x (@U123) y (!subteam^S1)',
    );
    expect(markdownToMrkdwn('[wiki](https://x.test/Rust_(language)) end')).toBe(
      '<https://x.test/Rust_(language)|wiki> end',
    );
    expect(markdownToMrkdwn('[https://x.test](https://x.test) <https://y.test>')).toBe(
      '<https://x.test> <https://y.test>',
    );
    expect(markdownToMrkdwn('![a cat](https://x.test/cat.png)')).toBe(
      '<https://x.test/cat.png|a cat>',
    );
    expect(markdownToMrkdwn('[a <b> & c](https://x.test)')).toBe(
      '<https://x.test|a &lt;b&gt; &amp; c>',
    );
  });

  it('draws headings bold, bullets as •, task boxes, quotes with a literal >', () => {
    const md =
      '# Title **here**\n\n- one\n* two\n  + nested *it*\n- [ ] todo\n- [x] done\n1. first\n> quoted & <x>\n---';
    expect(markdownToMrkdwn(md)).toBe(
      '*Title here*\n\n• one\n• two\n  • nested _it_\n☐ todo\n☑ done\n1. first\n> quoted &amp; &lt;x&gt;\n──────────',
    );
  });

  it('leaves snake_case, lone stars and backslash escapes alone', () => {
    expect(markdownToMrkdwn('call my_var_name now')).toBe('call my_var_name now');
    expect(markdownToMrkdwn('2 * 3 * 4 = 24')).toBe('2 * 3 * 4 = 24');
    expect(markdownToMrkdwn('\\*not italic\\* and \\<tag\\>')).toBe('*not italic* and &lt;tag&gt;');
  });

  it('puts tables in a code block so their columns line up', () => {
    const md =
      'Prices:\n\n| item | cost |\n|------|-----:|\n| tea & cake | <5 |\n| **jam** | 3 |\n\nDone | ok |';
    expect(markdownToMrkdwn(md)).toBe(
      'Prices:\n\n```\n| item | cost |\n|------|-----:|\n| tea &amp; cake | &lt;5 |\n| **jam** | 3 |\n```\n\nDone | ok |',
    );
  });

  it('keeps CJK and emoji intact', () => {
    expect(markdownToMrkdwn('**你好**，世界 🎉 *テスト* 👨‍👩‍👧')).toBe(
      '*你好*，世界 🎉 _テスト_ 👨‍👩‍👧',
    );
  });

  it('splits the escaped text within the piece limit and reopens code blocks', () => {
    const long = `${'&'.repeat(3_000)}\n\n\`\`\`\n${'x <y>\n'.repeat(800)}\`\`\``;
    const pieces = splitMrkdwn(markdownToMrkdwn(long), slackPieceLimit);
    expect(pieces.length).toBeGreaterThan(2);
    for (const piece of pieces) expect(piece.length).toBeLessThanOrEqual(slackPieceLimit);
    // A hard cut inside the run of entities moves the broken one whole into the next piece.
    const code = pieces.findIndex((piece) => piece.startsWith('```'));
    expect(code).toBe(4);
    for (const piece of pieces.slice(0, code)) expect(piece).toMatch(/^(&amp;)+$/u);
    expect(pieces.slice(0, code).join('')).toBe('&amp;'.repeat(3_000));
    for (const piece of pieces.slice(code)) expect(piece.startsWith('```\n')).toBe(true);
    for (const piece of pieces.slice(code)) expect(piece.endsWith('```')).toBe(true);
    expect(
      pieces
        .slice(code)
        .join('\n')
        .replace(/\n```\n```\n/gu, '\n'),
    ).toBe(`\`\`\`\n${'x &lt;y&gt;\n'.repeat(800)}\`\`\``);
  });

  it('never cuts an entity inside a code block either', () => {
    const pieces = splitMrkdwn(markdownToMrkdwn(`\`\`\`\n${'<'.repeat(9_000)}\n\`\`\``), 1_000);
    for (const piece of pieces) {
      expect(piece.length).toBeLessThanOrEqual(1_000);
      expect(piece).toMatch(/^```\n(&lt;)+\n```$/u);
    }
    expect(pieces.join('').match(/&lt;/gu)?.length).toBe(9_000);
  });
});

describe('slackTextToPlain', () => {
  it('removes the bot mention and decodes entities', () => {
    expect(slackTextToPlain('<@UBOT> hi &lt;there&gt; &amp;amp', 'UBOT')).toBe('hi <there> &amp');
    expect(slackTextToPlain('hey <@UBOT|mnemos>, look', 'UBOT')).toBe('hey , look');
  });

  it('makes other mentions, channels and links readable', () => {
    expect(
      slackTextToPlain(
        '<@U1> in <#C1|general>: <https://x.test|docs> <https://y.test> <mailto:a@b.test|a@b.test> <!here>',
        null,
      ),
    ).toBe('@U1 in #general: docs (https://x.test) https://y.test a@b.test @here');
  });

  it('knows a mention of the bot', () => {
    expect(mentionsUser('hi <@UBOT>', 'UBOT')).toBe(true);
    expect(mentionsUser('hi <@UBOT|bot>', 'UBOT')).toBe(true);
    expect(mentionsUser('hi <@UBOTX>', 'UBOT')).toBe(false);
  });
});
