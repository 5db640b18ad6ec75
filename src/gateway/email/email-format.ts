/** Characters HTML gives a meaning to, with their entities. */
const entities: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => entities[char] ?? char);
}

/** Inline Markdown (code, links, bold, italic, strike) of one line of text, as safe HTML. */
function inline(text: string): string {
  // Code spans first, kept aside so nothing inside them is formatted.
  const codes: string[] = [];
  const marked = text.replace(/`([^`\n]+)`/g, (_all, code: string) => {
    codes.push(`<code>${escapeHtml(code)}</code>`);
    return `\uE000${codes.length - 1}\uE000`;
  });
  let html = escapeHtml(marked);
  html = html.replace(/\[([^\]\n]+)\]\(([^()\s]+)\)/g, (all, label: string, url: string) =>
    /^(https?:|mailto:)/i.test(url) ? `<a href="${url}">${label}</a>` : all,
  );
  html = html
    .replace(/\*\*(?=\S)([^*]*?\S)\*\*/g, '<strong>$1</strong>')
    .replace(/(^|[^\w])__(?=\S)([^_]*?\S)__(?!\w)/g, '$1<strong>$2</strong>')
    .replace(/(^|[^*\w])\*(?=[^\s*])([^*]*?[^\s*])\*(?!\*)/g, '$1<em>$2</em>')
    .replace(/(^|[^\w])_(?=[^\s_])([^_]*?[^\s_])_(?!\w)/g, '$1<em>$2</em>')
    .replace(/~~(?=\S)([^~]*?\S)~~/g, '<del>$1</del>');
  return html.replace(/\uE000(\d+)\uE000/g, (_all, index: string) => codes[Number(index)] ?? '');
}

/** The kind of list a line starts, with the line's text after the marker. */
function listItem(line: string): { ordered: boolean; text: string } | null {
  const bullet = /^\s*[-*+]\s+(.*)$/.exec(line);
  if (bullet) return { ordered: false, text: bullet[1] ?? '' };
  const numbered = /^\s*\d{1,9}[.)]\s+(.*)$/.exec(line);
  return numbered ? { ordered: true, text: numbered[1] ?? '' } : null;
}

/**
 * Renders the agent's Markdown as a safe HTML fragment for a mail's HTML part: everything is
 * escaped first (no raw HTML passes through), then paragraphs, headings, lists, quotes, fenced
 * code, inline code, bold, italic, strike and http(s)/mailto links are rebuilt.
 */
export function markdownToHtml(markdown: string): string {
  const lines = markdown
    .replace(/\uE000/g, '')
    .replace(/\r\n?/g, '\n')
    .split('\n');
  const out: string[] = [];
  let paragraph: string[] = [];
  let list: { ordered: boolean; items: string[] } | null = null;
  const flush = () => {
    if (paragraph.length > 0) out.push(`<p>${paragraph.map(inline).join('<br>\n')}</p>`);
    paragraph = [];
    if (list) {
      const tag = list.ordered ? 'ol' : 'ul';
      out.push(
        `<${tag}>\n${list.items.map((item) => `<li>${inline(item)}</li>`).join('\n')}\n</${tag}>`,
      );
    }
    list = null;
  };
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? '';
    const fence = /^\s*(`{3,}|~{3,})\s*([\w+-]*)\s*$/.exec(line);
    if (fence) {
      flush();
      const code: string[] = [];
      const close = fence[1] ?? '```';
      for (
        index++;
        index < lines.length && !(lines[index] ?? '').trim().startsWith(close);
        index++
      ) {
        code.push(lines[index] ?? '');
      }
      const lang = fence[2] ? ` class="language-${escapeHtml(fence[2])}"` : '';
      out.push(`<pre><code${lang}>${escapeHtml(code.join('\n'))}</code></pre>`);
      continue;
    }
    if (line.trim() === '') {
      flush();
      continue;
    }
    const heading = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      flush();
      const level = heading[1]?.length ?? 1;
      out.push(`<h${level}>${inline(heading[2] ?? '')}</h${level}>`);
      continue;
    }
    const quote = /^\s*>\s?(.*)$/.exec(line);
    if (quote) {
      flush();
      out.push(`<blockquote>${inline(quote[1] ?? '')}</blockquote>`);
      continue;
    }
    const item = listItem(line);
    if (item) {
      if (paragraph.length > 0 || (list && list.ordered !== item.ordered)) flush();
      list ??= { ordered: item.ordered, items: [] };
      list.items.push(item.text);
      continue;
    }
    if (list) {
      // A line under a list item continues it.
      list.items[list.items.length - 1] += ` ${line.trim()}`;
      continue;
    }
    paragraph.push(line.trim());
  }
  flush();
  return out.join('\n');
}

/** A whole HTML document around a rendered fragment. */
export function htmlDocument(fragment: string): string {
  return `<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head><body>\n${fragment}\n</body></html>\n`;
}

/**
 * The new part of a reply: cuts the quoted history (from an "On … wrote:" line, possibly wrapped
 * over two lines, or an "Original Message" divider) and drops `>` quoted lines.
 */
export function stripQuotedReply(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  let end = lines.length;
  for (let index = 0; index < lines.length; index++) {
    const line = (lines[index] ?? '').trim();
    const next = (lines[index + 1] ?? '').trim();
    if (
      /^On\b.*\bwrote:$/i.test(line) ||
      (/^On\b/i.test(line) && /\bwrote:$/i.test(next) && !next.startsWith('>')) ||
      /^-{2,}\s*Original Message\s*-{2,}$/i.test(line)
    ) {
      end = index;
      break;
    }
  }
  return lines
    .slice(0, end)
    .filter((line) => !/^\s*>/.test(line))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** The subject of a reply: `Re: <subject>`, without stacking a second `Re:`. */
export function replySubject(subject: string): string {
  const clean = oneLine(subject);
  if (clean === '') return 'Re: (no subject)';
  return /^re\s*:/i.test(clean) ? clean : `Re: ${clean}`;
}

/** The subject of a notification: the given one, else the text's first line without Markdown marks. */
export function notificationSubject(text: string, subject?: string): string {
  const given = oneLine(subject ?? '');
  if (given !== '') return given;
  const first =
    text
      .split('\n')
      .map((line) => line.replace(/^\s*(#{1,6}|[-*+>]|\d+[.)])\s+/, '').replace(/[*_`~]/g, ''))
      .find((line) => line.trim() !== '') ?? '';
  const line = oneLine(first);
  if (line === '') return 'Message from Mnemos';
  return line.length > 78 ? `${line.slice(0, 77).trimEnd()}…` : line;
}

/** Collapses whitespace, including line breaks that would end a mail header. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Cuts text longer than `maxChars` and says so at the end. */
export function capText(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  let cut = text.slice(0, maxChars);
  // Never leave half a surrogate pair at the cut.
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut.trimEnd()}\n\n[… message truncated]`;
}
