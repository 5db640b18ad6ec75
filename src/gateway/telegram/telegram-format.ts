import { splitMessage } from '../platform/split-message.js';

/** Longest message text Telegram accepts, counted after MarkdownV2 escaping. */
export const telegramTextLimit = 4096;

/** One message to send: its MarkdownV2 text and the plain text to fall back on. */
export interface TelegramPiece {
  markdown: string;
  plain: string;
}

type Mode = 'v2' | 'plain';

const reserved = /[_*[\]()~`>#+\-=|{}.!\\]/gu;

/** Escapes every character MarkdownV2 reserves, for text outside any entity. */
export function escapeMarkdownV2(text: string): string {
  return text.replace(reserved, '\\$&');
}

/** Escapes the inside of inline code and code blocks (only `` ` `` and `\`). */
export function escapeMarkdownV2Code(text: string): string {
  return text.replace(/[`\\]/gu, '\\$&');
}

/** Escapes a link target (only `)` and `\`). */
export function escapeMarkdownV2Url(url: string): string {
  return url.replace(/[)\\]/gu, '\\$&');
}

/** Converts the agent's Markdown to Telegram MarkdownV2 that Telegram parses without error. */
export function markdownToTelegram(markdown: string): string {
  return renderBlocks(markdown, 'v2');
}

/** Converts the agent's Markdown to plain text (markers dropped, link targets kept). */
export function markdownToPlain(markdown: string): string {
  return renderBlocks(markdown, 'plain');
}

/**
 * Splits the agent's Markdown into messages whose MarkdownV2 form fits `limit`. The source is split
 * (so every piece is valid markup on its own) and a piece that grows past the limit when escaped is
 * split again, smaller.
 */
export function telegramPieces(markdown: string, limit = telegramTextLimit): TelegramPiece[] {
  const pieces: TelegramPiece[] = [];
  // Split the source by how much escaping grows it, so most pieces fit the first time.
  const growth = Math.max(1, markdownToTelegram(markdown).length / Math.max(1, markdown.length));
  const first = Math.max(16, Math.floor(limit / growth));
  for (const source of splitMessage(markdown, first)) addFitting(source, limit, pieces);
  return pieces;
}

function addFitting(source: string, limit: number, pieces: TelegramPiece[]): void {
  const markdown = markdownToTelegram(source);
  if (markdown.length <= limit) {
    const plain = markdownToPlain(source);
    // Telegram refuses a message with no visible text (an empty code block, a lone rule of markers).
    if (plain.trim() !== '') pieces.push({ markdown, plain });
    return;
  }
  const smaller = Math.max(16, Math.floor((source.length * limit) / markdown.length) - 16);
  for (const part of splitMessage(source, Math.min(smaller, source.length - 1)))
    addFitting(part, limit, pieces);
}

function renderBlocks(markdown: string, mode: Mode): string {
  const lines = markdown.replace(/\r\n?/gu, '\n').split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const fence = /^\s*(`{3,}|~{3,})\s*([\w+#.-]*)[^\n]*$/u.exec(line);
    if (fence) {
      const marker = fence[1] ?? '```';
      const body: string[] = [];
      i++;
      while (i < lines.length && !(lines[i] ?? '').trim().startsWith(marker))
        body.push(lines[i++] ?? '');
      const code = body.join('\n');
      out.push(
        mode === 'v2' ? `\`\`\`${fence[2] ?? ''}\n${escapeMarkdownV2Code(code)}\n\`\`\`` : code,
      );
      continue;
    }
    if (isTableRow(line) && /^\s*\|?\s*:?-{3,}/u.test(lines[i + 1] ?? '')) {
      // Telegram has no tables; monospace keeps the columns lined up.
      const rows: string[] = [];
      while (i < lines.length && isTableRow(lines[i] ?? '')) rows.push((lines[i++] ?? '').trim());
      i--;
      const table = rows.join('\n');
      out.push(mode === 'v2' ? `\`\`\`\n${escapeMarkdownV2Code(table)}\n\`\`\`` : table);
      continue;
    }
    out.push(renderLine(line, mode));
  }
  return out.join('\n');
}

function isTableRow(line: string): boolean {
  return /^\s*\|.*\|\s*$/u.test(line);
}

function renderLine(line: string, mode: Mode): string {
  const heading = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/u.exec(line);
  if (heading) {
    // Bold inside a bold heading would close it early.
    const inner = renderInline((heading[1] ?? '').replace(/\*\*|__/gu, ''), mode);
    return mode === 'v2' && inner !== '' ? `*${inner}*` : inner;
  }
  if (/^\s{0,3}([-*_])(\s*\1){2,}\s*$/u.test(line)) return '———';
  const bullet = /^(\s*)[-*+]\s+(.*)$/u.exec(line);
  if (bullet) return `${bullet[1]}• ${renderInline(bullet[2] ?? '', mode)}`;
  const numbered = /^(\s*)(\d{1,9})([.)])\s+(.*)$/u.exec(line);
  if (numbered) {
    const mark = mode === 'v2' ? escapeMarkdownV2(numbered[3] ?? '.') : numbered[3];
    return `${numbered[1]}${numbered[2]}${mark} ${renderInline(numbered[4] ?? '', mode)}`;
  }
  const quote = /^\s{0,3}>\s?(.*)$/u.exec(line);
  if (quote) return `${mode === 'v2' ? '>' : '> '}${renderInline(quote[1] ?? '', mode)}`;
  return renderInline(line, mode);
}

/** An inline span: its pattern, and how to render what it matched. */
interface Span {
  pattern: RegExp;
  /** Only where the previous character is not a letter or digit (`snake_case` stays text). */
  wordStart?: boolean;
  render(match: RegExpExecArray, mode: Mode): string;
}

const spans: Span[] = [
  {
    pattern: /^(`+)([^`\n]|[^`\n][\s\S]*?[^`\n])\1(?!`)/u,
    render: (m, mode) => (mode === 'v2' ? `\`${escapeMarkdownV2Code(m[2] ?? '')}\`` : (m[2] ?? '')),
  },
  {
    pattern: /^\[([^\]\n]+)\]\(<?((?:https?|tg|mailto):(?:[^\s()<>]|\([^\s()<>]*\))+)>?\)/u,
    render: (m, mode) =>
      mode === 'v2'
        ? `[${renderInline(m[1] ?? '', mode)}](${escapeMarkdownV2Url(m[2] ?? '')})`
        : `${renderInline(m[1] ?? '', mode)} (${m[2]})`,
  },
  {
    pattern: /^\*\*\*(?=\S)([\s\S]*?\S)\*\*\*/u,
    render: (m, mode) => (mode === 'v2' ? `*${wrap('_', m[1], mode)}*` : wrap('', m[1], mode)),
  },
  { pattern: /^\*\*(?=\S)([\s\S]*?\S)\*\*/u, render: (m, mode) => wrap('*', m[1], mode) },
  {
    pattern: /^__(?=\S)([\s\S]*?\S)__(?![\p{L}\p{N}])/u,
    wordStart: true,
    render: (m, mode) => wrap('*', m[1], mode),
  },
  { pattern: /^~~(?=\S)([\s\S]*?\S)~~/u, render: (m, mode) => wrap('~', m[1], mode) },
  {
    pattern: /^\*([^\s*]|[^\s*][^*\n]*?[^\s*])\*(?!\*)/u,
    render: (m, mode) => wrap('_', m[1], mode),
  },
  {
    pattern: /^_([^\s_]|[^\s_][^_\n]*?[^\s_])_(?![\p{L}\p{N}_])/u,
    wordStart: true,
    render: (m, mode) => wrap('_', m[1], mode),
  },
];

function wrap(marker: string, inner: string | undefined, mode: Mode): string {
  const text = renderInline(inner ?? '', mode);
  return mode === 'v2' ? `${marker}${text}${marker}` : text;
}

function renderInline(text: string, mode: Mode): string {
  let out = '';
  let i = 0;
  outer: while (i < text.length) {
    const rest = text.slice(i);
    const previous = i > 0 ? (text[i - 1] ?? '') : '';
    for (const span of spans) {
      if (span.wordStart && /[\p{L}\p{N}]/u.test(previous)) continue;
      const match = span.pattern.exec(rest);
      if (match) {
        out += span.render(match, mode);
        i += match[0].length;
        continue outer;
      }
    }
    // Markdown's own backslash escape: the next character is literal.
    if (text[i] === '\\' && i + 1 < text.length && /[!-/:-@[-`{-~]/u.test(text[i + 1] ?? '')) {
      const literal = text[i + 1] ?? '';
      out += mode === 'v2' ? escapeMarkdownV2(literal) : literal;
      i += 2;
      continue;
    }
    const char = text[i] ?? '';
    out += mode === 'v2' ? escapeMarkdownV2(char) : char;
    i++;
  }
  return out;
}
