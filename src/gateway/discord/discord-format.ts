import { splitMessage } from '../platform/split-message.js';

/** Discord's limit on a message's `content`, in characters. */
export const discordMessageLimit = 2_000;

/**
 * The agent's Markdown as Discord markdown. Discord renders bold, italic, strikethrough, code,
 * fenced blocks, quotes, lists, masked links and `#`–`###` headings itself, so they pass through
 * unescaped; what changes: `@everyone` and `@here` are neutralised (a zero-width space after the
 * `@`), `####`+ headings become bold lines, tables become fenced blocks (Discord has none, and a
 * monospaced block keeps the columns), images become links, and `~~~` fences become backtick
 * fences. Code (fenced or inline) is left exactly as written.
 */
export function toDiscordMarkdown(markdown: string): string {
  const lines = markdown.replace(/\r\n?/gu, '\n').split('\n');
  const out: string[] = [];
  let fence: string | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const marker = /^ {0,3}(`{3,}|~{3,})(.*)$/u.exec(line);
    if (fence !== null) {
      if (
        marker !== null &&
        marker[1]?.[0] === fence[0] &&
        (marker[1]?.length ?? 0) >= fence.length &&
        marker[2]?.trim() === ''
      ) {
        out.push('```');
        fence = null;
      } else out.push(line);
      continue;
    }
    if (marker !== null && !(marker[1]?.startsWith('`') && marker[2]?.includes('`'))) {
      fence = marker[1] ?? '```';
      out.push(`\`\`\`${marker[2]?.trim() ?? ''}`);
      continue;
    }
    const table = tableAt(lines, i);
    if (table > i) {
      // Inside the block `**` would show as stars; the columns say enough.
      const rows = lines.slice(i, table).map((row) => row.trim().replaceAll('**', ''));
      out.push('```', ...rows, '```');
      i = table - 1;
      continue;
    }
    out.push(formatLine(line));
  }
  // A fence the agent never closed would swallow the rest of the message on Discord too; close it.
  if (fence !== null) out.push('```');
  return out.join('\n');
}

/** The pieces to send for one reply: formatted, then split within Discord's limit. */
export function discordMessagePieces(markdown: string, limit = discordMessageLimit): string[] {
  return splitMessage(toDiscordMarkdown(markdown), limit);
}

/** Neutralises `@everyone` and `@here` so they never ping, even where allowed_mentions is ignored. */
export function neutraliseMassMentions(text: string): string {
  // Not inside a word: `ops@here.com` is an address, not a mention.
  return text.replace(/(?<![\p{L}\p{N}_])@(everyone|here)(?![\p{L}\p{N}_])/gu, '@\u200b$1');
}

/** One line outside code: heading levels Discord lacks, images, mass mentions; code spans kept. */
function formatLine(line: string): string {
  const heading = /^ {0,3}#{4,6}\s+(.*?)\s*#*\s*$/u.exec(line);
  const text = heading !== null ? `**${heading[1] ?? ''}**` : line;
  return outsideCodeSpans(text, (part) =>
    neutraliseMassMentions(
      part.replace(/!\[([^\]]*)\]\(([^)\s]+)[^)]*\)/gu, (_m, alt: string, url: string) =>
        alt.trim() === '' ? url : `[${alt}](${url})`,
      ),
    ),
  );
}

/** Applies `change` to the parts of a line outside inline code spans. */
function outsideCodeSpans(line: string, change: (part: string) => string): string {
  let result = '';
  let last = 0;
  for (const span of line.matchAll(/(`+)(?:(?!\1).)+?\1/gu)) {
    result += change(line.slice(last, span.index)) + span[0];
    last = span.index + span[0].length;
  }
  return result + change(line.slice(last));
}

/** End (exclusive) of a Markdown table starting at line `start`, or `start` when there is none. */
function tableAt(lines: string[], start: number): number {
  const isRow = (line: string | undefined) =>
    line !== undefined && line.trim() !== '' && line.includes('|');
  const delimiter = lines[start + 1];
  if (!isRow(lines[start]) || delimiter === undefined) return start;
  if (!/^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)+\|?\s*$/u.test(delimiter)) return start;
  let end = start + 2;
  while (isRow(lines[end])) end += 1;
  return end;
}
