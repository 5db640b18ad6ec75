const namedEntities: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  copy: '©',
  reg: '®',
  trade: '™',
  hellip: '…',
  mdash: '—',
  ndash: '–',
  lsquo: '‘',
  rsquo: '’',
  ldquo: '“',
  rdquo: '”',
  laquo: '«',
  raquo: '»',
  middot: '·',
  bull: '•',
  times: '×',
  deg: '°',
  euro: '€',
  pound: '£',
  yen: '¥',
  sect: '§',
};

/** Replaces the common named entities and every numeric one; unknown names stay as written. */
export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z][a-z0-9]*);/giu, (whole, entity: string) => {
    if (entity.startsWith('#')) {
      const hex = entity[1] === 'x' || entity[1] === 'X';
      const code = Number.parseInt(entity.slice(hex ? 2 : 1), hex ? 16 : 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return namedEntities[entity.toLowerCase()] ?? whole;
  });
}

const droppedElements =
  /<(script|style|noscript|template|svg|head|iframe|object|canvas|select)\b[^>]*>[\s\S]*?<\/\1\s*>/giu;
const blockTags =
  /<\/?(?:p|div|section|article|header|footer|nav|aside|main|ul|ol|dl|dt|dd|table|thead|tbody|tfoot|tr|blockquote|figure|figcaption|form|fieldset|details|summary|address|hr|h[1-6])\b[^>]*>/giu;

function stripTags(html: string): string {
  return html.replace(/<\/?[a-z][^>]*>|<![^>]*>|<\?[^>]*>/giu, '');
}

function linkTarget(href: string, baseUrl: string | undefined): string | undefined {
  try {
    const url = new URL(decodeEntities(href.trim()), baseUrl);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Readable text of an HTML page for a model: title first, scripts, styles and tags dropped,
 * headings, list items and links kept in Markdown form, `<pre>` kept verbatim, whitespace
 * collapsed. A small regex converter, not a full HTML parser.
 */
export function htmlToText(html: string, baseUrl?: string): string {
  const titleMatch = /<title\b[^>]*>([\s\S]*?)<\/title\s*>/iu.exec(html);
  const title = titleMatch
    ? decodeEntities(stripTags(titleMatch[1]!)).replace(/\s+/gu, ' ').trim()
    : '';
  const preserved: string[] = [];
  let text = html
    .replace(/<!--[\s\S]*?-->/gu, ' ')
    .replace(droppedElements, ' ')
    .replace(/<pre\b[^>]*>([\s\S]*?)<\/pre\s*>/giu, (_whole, inner: string) => {
      preserved.push(decodeEntities(stripTags(inner)).replace(/^\n|\n$/gu, ''));
      return `\n\n\uE000${preserved.length - 1}\uE000\n\n`;
    })
    .replace(
      /<a\b[^>]*?\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))[^>]*>([\s\S]*?)<\/a\s*>/giu,
      (_whole, double?: string, single?: string, bare?: string, inner = '') => {
        const label = stripTags(inner).trim();
        const target = linkTarget(double ?? single ?? bare ?? '', baseUrl);
        return target && label ? `[${label}](${target})` : label;
      },
    )
    .replace(/<br\s*\/?>/giu, '\n')
    .replace(/<li\b[^>]*>/giu, '\n- ')
    .replace(/<h([1-6])\b[^>]*>/giu, (_whole, level: string) => `\n\n${'#'.repeat(Number(level))} `)
    .replace(blockTags, '\n\n')
    .replace(/<\/?t[dh]\b[^>]*>/giu, ' ');
  text = decodeEntities(stripTags(text))
    .split('\n')
    .map((line) => line.replace(/[ \t\f\v\u00a0]+/gu, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/gu, '\n\n')
    .replace(/\uE000(\d+)\uE000/gu, (_whole, index: string) => preserved[Number(index)] ?? '')
    .trim();
  if (title && !text.startsWith(title) && !text.startsWith(`# ${title}`)) {
    text = text ? `${title}\n\n${text}` : title;
  }
  return text;
}
