import { splitMessage } from '../platform/split-message.js';

/**
 * Markdown as the agent writes it → Slack mrkdwn, and Slack's message text → plain text.
 *
 * Slack's markup differs from Markdown where it hurts: `*x*` is bold (Markdown's italic), links are
 * `<url|label>`, there are no headings, and `&`, `<`, `>` must be sent as entities everywhere
 * (code included) or Slack reads them as control sequences (`<!channel>` pings a whole channel).
 */

/** The longest piece of text sent in one `chat.postMessage` (Slack recommends at most 4,000). */
export const slackPieceLimit = 3_900;

/**
 * Splits escaped mrkdwn into pieces of at most `limit` characters; a hard cut inside a run without
 * spaces never leaves half an entity (`&am` + `p;`) on either side.
 */
export function splitMrkdwn(text: string, limit: number = slackPieceLimit): string[] {
  const pieces = splitMessage(text, limit - 4);
  for (let i = 0; i < pieces.length - 1; i += 1) {
    const piece = pieces[i] ?? '';
    const cut = /&[a-z]{0,3}(\n```)?$/u.exec(piece);
    const next = pieces[i + 1] ?? '';
    const reopen = cut?.[1] === undefined ? '' : '```\n';
    const fragment = cut?.[0].slice(0, cut[0].length - reopen.length) ?? '';
    const completes = /^[a-z]{0,3};/u.exec(next.slice(reopen.length))?.[0] ?? '';
    if (cut === null || !['&amp;', '&lt;', '&gt;'].includes(fragment + completes)) continue;
    pieces[i] = piece.slice(0, cut.index) + (cut[1] ?? '');
    pieces[i + 1] = reopen + fragment + next.slice(reopen.length);
  }
  return pieces.filter((piece) => piece.trim() !== '' && piece !== '```\n```');
}

/** Escapes the three characters Slack treats as markup: `&`, `<`, `>`. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/gu, '&amp;').replace(/</gu, '&lt;').replace(/>/gu, '&gt;');
}

/** Converts Markdown to Slack mrkdwn: emphasis, links, headings, lists, quotes, code kept verbatim. */
export function markdownToMrkdwn(markdown: string): string {
  const out: string[] = [];
  let fence: string | null = null;
  const lines = markdown.replace(/\r\n?/gu, '\n').split('\n');
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i] ?? '';
    const marker = /^\s*(`{3,}|~{3,})/u.exec(line)?.[1];
    if (fence !== null) {
      if (marker !== undefined && marker[0] === fence[0] && marker.length >= fence.length) {
        out.push('```');
        fence = null;
      } else out.push(escapeMrkdwn(line));
      continue;
    }
    if (marker !== undefined) {
      // Slack shows a language tag as text inside the block, so it is dropped.
      fence = marker;
      out.push('```');
      continue;
    }
    if (tableRow.test(line) && tableRule.test(lines[i + 1] ?? '')) {
      // Slack draws no tables; in a code block at least the columns line up.
      let end = i;
      while (end < lines.length && tableRow.test(lines[end] ?? '')) end += 1;
      out.push('```', ...lines.slice(i, end).map((row) => escapeMrkdwn(row.trim())), '```');
      i = end - 1;
      continue;
    }
    out.push(blockLine(line));
  }
  if (fence !== null) out.push('```');
  return out.join('\n').trim();
}

/** A Markdown table row, and the rule under its header row. */
const tableRow = /^\s*\|.*\|\s*$/u;
const tableRule = /^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)+\|?\s*$/u;

/** One line outside code blocks: headings, lists, quotes and rules, then the inline markup. */
function blockLine(line: string): string {
  const heading = /^\s{0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/u.exec(line);
  if (heading) return heading[1] === '' ? '' : `*${inline(stripEmphasis(heading[1] ?? ''))}*`;
  if (/^\s{0,3}([-*_])(?:\s*\1){2,}\s*$/u.test(line)) return '──────────';
  const quote = /^\s{0,3}(?:>\s?)+(.*)$/u.exec(line);
  // The quote marker must stay a literal `>` for Slack to draw the quote bar.
  if (quote) return `> ${inline(quote[1] ?? '')}`;
  const bullet = /^(\s*)[-*+]\s+(?:\[([ xX])\]\s+)?(.*)$/u.exec(line);
  if (bullet) {
    const box = bullet[2] === undefined ? '•' : bullet[2] === ' ' ? '☐' : '☑';
    return `${bullet[1] ?? ''}${box} ${inline(bullet[3] ?? '')}`;
  }
  return inline(line);
}

/** Removes `**`/`__` inside a heading, which is already drawn bold. */
function stripEmphasis(text: string): string {
  return text.replace(
    /\*\*(.+?)\*\*|__(.+?)__/gu,
    (_m, a: string | undefined, b: string | undefined) => a ?? b ?? '',
  );
}

/** An inline rule: a sticky pattern and what its match becomes. */
interface InlineRule {
  pattern: RegExp;
  render(match: RegExpExecArray): string;
  /** `_` inside a word (snake_case) is not emphasis in Markdown. */
  notInWord?: true;
}

// Spans are bounded so that a long line full of unclosed markers stays linear, not quadratic.
const inlineRules: InlineRule[] = [
  { pattern: /\\([\\`*_{}[\]()#+\-.!~|<>&])/uy, render: (m) => escapeMrkdwn(m[1] ?? '') },
  {
    pattern: /(`+)(?!`)([\s\S]{0,2000}?[^`])\1(?!`)/uy,
    render: (m) => `\`${escapeMrkdwn((m[2] ?? '').replace(/`/gu, "'"))}\``,
  },
  {
    pattern:
      /!\[([^\]]{0,500})\]\(\s*<?((?:[^()\s>]|\([^()\s>]{0,500}\)){1,2000})>?(?:\s+"[^"]{0,500}")?\s*\)/uy,
    render: (m) => link(m[2] ?? '', m[1] ?? ''),
  },
  {
    pattern:
      /\[((?:[^\]\\]|\\.){1,500})\]\(\s*<?((?:[^()\s>]|\([^()\s>]{0,500}\)){1,2000})>?(?:\s+"[^"]{0,500}")?\s*\)/uy,
    render: (m) => link(m[2] ?? '', m[1] ?? ''),
  },
  { pattern: /<((?:https?|mailto):[^>\s]{1,2000})>/uy, render: (m) => link(m[1] ?? '', '') },
  { pattern: /\*\*(?!\s)(.{1,500}?)(?<!\s)\*\*/uy, render: (m) => `*${inline(m[1] ?? '')}*` },
  {
    pattern: /__(?!\s)(.{1,500}?)(?<!\s)__(?![\p{L}\p{N}])/uy,
    render: (m) => `*${inline(m[1] ?? '')}*`,
    notInWord: true,
  },
  { pattern: /~~(?!\s)(.{1,500}?)(?<!\s)~~/uy, render: (m) => `~${inline(m[1] ?? '')}~` },
  { pattern: /\*(?![\s*])(.{1,500}?)(?<![\s*])\*/uy, render: (m) => `_${inline(m[1] ?? '')}_` },
  {
    pattern: /_(?![\s_])(.{1,500}?)(?<![\s_])_(?![\p{L}\p{N}])/uy,
    render: (m) => `_${inline(m[1] ?? '')}_`,
    notInWord: true,
  },
];

/** Inline Markdown → mrkdwn, escaping everything that is not markup. */
function inline(text: string): string {
  let out = '';
  let plain = '';
  let i = 0;
  outer: while (i < text.length) {
    const inWord = /[\p{L}\p{N}]/u.test(text[i - 1] ?? ' ');
    for (const rule of inlineRules) {
      if (rule.notInWord && inWord) continue;
      rule.pattern.lastIndex = i;
      const match = rule.pattern.exec(text);
      if (match === null) continue;
      out += escapeMrkdwn(plain) + rule.render(match);
      plain = '';
      i += match[0].length;
      continue outer;
    }
    plain += text[i];
    i += 1;
  }
  return out + escapeMrkdwn(plain);
}

/** `<url|label>`, with the URL's markup characters percent-encoded and the label escaped. */
function link(url: string, label: string): string {
  // `<!channel>`, `<@U…>` and `<!subteam^…>` are mentions in Slack's syntax: only web and mail
  // links become `<…>`; anything else is written out as escaped text.
  if (!/^(?:https?:\/\/|mailto:)/iu.test(url)) {
    const text = label.replace(/\\(.)/gu, '$1').trim();
    return escapeMrkdwn(text === '' ? url : `${text} (${url})`);
  }
  const safeUrl = url.replace(/[<>|\s]/gu, (c) => encodeURIComponent(c)).replace(/&/gu, '&amp;');
  const text = label
    .replace(/\\(.)/gu, '$1')
    .replace(/[*_~`]/gu, '')
    .trim();
  return text === '' || text === url
    ? `<${safeUrl}>`
    : `<${safeUrl}|${escapeMrkdwn(text).replace(/\|/gu, '¦')}>`;
}

/**
 * Slack message text → plain text for the agent: the bot's own mention removed, other mentions,
 * channels and links made readable, entities decoded.
 */
export function slackTextToPlain(text: string, botUserId: string | null): string {
  let plain = text;
  if (botUserId !== null)
    plain = plain.replace(new RegExp(`<@${escapeRegExp(botUserId)}(?:\\|[^>]*)?>`, 'gu'), ' ');
  plain = plain
    .replace(/<@([A-Z0-9]+)(?:\|([^>]*))?>/gu, (_m, id: string, name?: string) => `@${name || id}`)
    .replace(/<#([A-Z0-9]+)(?:\|([^>]*))?>/gu, (_m, id: string, name?: string) => `#${name || id}`)
    .replace(
      /<!subteam\^([A-Z0-9]+)(?:\|([^>]*))?>/gu,
      (_m, id: string, name?: string) => name || `@${id}`,
    )
    .replace(
      /<!([a-z]+)(?:\^[^|>]*)?(?:\|([^>]*))?>/gu,
      (_m, word: string, name?: string) => name || `@${word}`,
    )
    .replace(
      /<mailto:([^|>]+)(?:\|([^>]*))?>/gu,
      (_m, address: string, name?: string) => name || address,
    )
    .replace(/<([a-z][a-z0-9+.-]*:[^|>]+)(?:\|([^>]*))?>/giu, (_m, url: string, name?: string) =>
      name && name !== url ? `${name} (${url})` : url,
    );
  plain = plain.replace(/&lt;/gu, '<').replace(/&gt;/gu, '>').replace(/&amp;/gu, '&');
  return plain.replace(/[ \t]{2,}/gu, ' ').trim();
}

/** Whether Slack text mentions the user `userId` (`<@U…>` or `<@U…|name>`). */
export function mentionsUser(text: string, userId: string): boolean {
  return text.includes(`<@${userId}>`) || text.includes(`<@${userId}|`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&');
}
