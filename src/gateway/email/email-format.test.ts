import { describe, expect, it } from 'vitest';
import {
  capText,
  escapeHtml,
  markdownToHtml,
  notificationSubject,
  replySubject,
  stripQuotedReply,
} from './email-format.js';

describe('markdownToHtml', () => {
  it('escapes raw HTML instead of passing it through', () => {
    const html = markdownToHtml('<img src=x onerror="alert(1)"> & <b>bold</b>');
    expect(html).toBe(
      '<p>&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &lt;b&gt;bold&lt;/b&gt;</p>',
    );
  });

  it('renders bold, italic, strike and inline code, leaving code untouched', () => {
    expect(markdownToHtml('**bold** and *it* and _it2_ and ~~gone~~ and `**not** <b>`')).toBe(
      '<p><strong>bold</strong> and <em>it</em> and <em>it2</em> and <del>gone</del> and <code>**not** &lt;b&gt;</code></p>',
    );
  });

  it('keeps underscores inside words and lone asterisks as they are', () => {
    expect(markdownToHtml('snake_case_name and 2 * 3 * 4')).toBe(
      '<p>snake_case_name and 2 * 3 * 4</p>',
    );
  });

  it('links only http(s) and mailto targets, escaping the address', () => {
    expect(markdownToHtml('[docs](https://example.org/a?x=1&y="2") [me](mailto:a@b.test)')).toBe(
      '<p><a href="https://example.org/a?x=1&amp;y=&quot;2&quot;">docs</a> <a href="mailto:a@b.test">me</a></p>',
    );
    expect(markdownToHtml('[click](javascript:alert(1))')).not.toContain('<a');
    expect(markdownToHtml('[x](data:text/html,hi)')).toBe('<p>[x](data:text/html,hi)</p>');
  });

  it('renders fenced code blocks escaped, without formatting inside', () => {
    const html = markdownToHtml('Before\n```ts\nconst a = 1 < 2 && **b**;\n```\nAfter');
    expect(html).toBe(
      '<p>Before</p>\n<pre><code class="language-ts">const a = 1 &lt; 2 &amp;&amp; **b**;</code></pre>\n<p>After</p>',
    );
  });

  it('an unclosed fence runs to the end', () => {
    expect(markdownToHtml('```\n<x>')).toBe('<pre><code>&lt;x&gt;</code></pre>');
  });

  it('renders bullet and numbered lists, headings, quotes and paragraphs with line breaks', () => {
    const html = markdownToHtml(
      '# Title\n\nline one\nline two\n\n- a\n- **b**\n\n1. first\n2. second\n\n> quoted',
    );
    expect(html).toBe(
      [
        '<h1>Title</h1>',
        '<p>line one<br>\nline two</p>',
        '<ul>\n<li>a</li>\n<li><strong>b</strong></li>\n</ul>',
        '<ol>\n<li>first</li>\n<li>second</li>\n</ol>',
        '<blockquote>quoted</blockquote>',
      ].join('\n'),
    );
  });

  it('keeps CJK text and emoji intact', () => {
    expect(markdownToHtml('**你好**世界 🎉 _日本語_')).toBe(
      '<p><strong>你好</strong>世界 🎉 <em>日本語</em></p>',
    );
  });

  it('drops private-use U+E000 so it cannot forge code placeholders', () => {
    expect(markdownToHtml('a\uE0000\uE000b `c`')).toBe('<p>a0b <code>c</code></p>');
  });
});

describe('stripQuotedReply', () => {
  it('cuts the "On … wrote:" tail and quoted lines', () => {
    expect(
      stripQuotedReply(
        'Sounds good.\r\n\r\nOn Tue, Dec 1, 2026 at 9:00 AM Agent <a@b.test> wrote:\r\n> old\r\n> text',
      ),
    ).toBe('Sounds good.');
  });

  it('handles an attribution wrapped over two lines', () => {
    expect(
      stripQuotedReply('Yes\n\nOn Tue, Dec 1, 2026 at 9:00 AM Agent\n<a@b.test> wrote:\n> old'),
    ).toBe('Yes');
  });

  it('drops interleaved quotes but keeps the answers', () => {
    expect(stripQuotedReply('> question one?\nanswer one\n> question two?\nanswer two')).toBe(
      'answer one\nanswer two',
    );
  });

  it('cuts at an Original Message divider', () => {
    expect(stripQuotedReply('New text\n\n-----Original Message-----\nFrom: x')).toBe('New text');
  });

  it('leaves a mail without history alone', () => {
    expect(stripQuotedReply('On Monday we meet.\nSee you.')).toBe('On Monday we meet.\nSee you.');
  });
});

describe('subjects', () => {
  it('adds one Re: to a reply subject', () => {
    expect(replySubject('plans')).toBe('Re: plans');
    expect(replySubject('RE: plans')).toBe('RE: plans');
    expect(replySubject('')).toBe('Re: (no subject)');
    expect(replySubject('a\r\nBcc: evil@x.test')).toBe('Re: a Bcc: evil@x.test');
  });

  it('takes a notification subject from the given one or the first line', () => {
    expect(notificationSubject('body', 'Given')).toBe('Given');
    expect(notificationSubject('\n\n## **Daily** digest\nmore')).toBe('Daily digest');
    expect(notificationSubject('')).toBe('Message from Mnemos');
    expect(notificationSubject('x'.repeat(100))).toHaveLength(78);
  });
});

describe('capText and escapeHtml', () => {
  it('caps long text without splitting a surrogate pair', () => {
    expect(capText('short', 10)).toBe('short');
    const capped = capText(`${'a'.repeat(9)}😀rest`, 10);
    expect(capped).toBe(`${'a'.repeat(9)}\n\n[… message truncated]`);
  });

  it('escapes the five HTML characters', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe(
      '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;',
    );
  });
});
