/** A formatting entity as the Bot API reports it (offsets in UTF-16 units of the plain text). */
export interface TelegramEntity {
  type: string;
  offset: number;
  length: number;
  url?: string;
  language?: string;
}

/** The text and entities of a parsed MarkdownV2 message, or Telegram's error description. */
export type ParsedMarkdownV2 =
  | { ok: true; text: string; entities: TelegramEntity[] }
  | { ok: false; description: string };

const reserved = '_*[]()~`>#+-=|{}.!';

interface Open {
  type: string;
  offset: number;
  marker: string;
}

/**
 * Parses MarkdownV2 the way the Bot API does, strictly enough to reject what Telegram rejects:
 * unescaped reserved characters, unclosed entities, bad escapes inside code and link targets.
 */
export function parseMarkdownV2(source: string): ParsedMarkdownV2 {
  const fail = (what: string): ParsedMarkdownV2 => ({
    ok: false,
    description: `Bad Request: can't parse entities: ${what}`,
  });
  let text = '';
  const entities: TelegramEntity[] = [];
  const stack: Open[] = [];
  let i = 0;
  let quote: { offset: number } | null = null;
  const toggle = (type: string, marker: string): string | null => {
    const top = stack[stack.length - 1];
    if (top?.type === type) {
      stack.pop();
      if (text.length > top.offset)
        entities.push({ type, offset: top.offset, length: text.length - top.offset });
      return null;
    }
    if (stack.some((open) => open.type === type)) return `Can't find end of ${type} entity`;
    stack.push({ type, offset: text.length, marker });
    return null;
  };
  while (i < source.length) {
    const char = source[i] ?? '';
    const lineStart = i === 0 || source[i - 1] === '\n';
    if (char === '\n' && quote !== null) {
      entities.push({
        type: 'blockquote',
        offset: quote.offset,
        length: text.length - quote.offset,
      });
      quote = null;
    }
    if (char === '\\') {
      const next = source[i + 1];
      if (next === undefined) return fail("Character '\\' is reserved and must be escaped");
      text += next;
      i += 2;
      continue;
    }
    if (lineStart && char === '>') {
      if (quote === null) quote = { offset: text.length };
      i++;
      continue;
    }
    if (char === '`') {
      const pre = source.startsWith('```', i);
      const close = pre ? '```' : '`';
      let j = i + close.length;
      let language = '';
      if (pre) {
        const newline = source.indexOf('\n', j);
        const header = newline === -1 ? '' : source.slice(j, newline);
        if (/^[\w+#.-]*$/u.test(header)) {
          language = header;
          j = newline + 1;
        }
      }
      const start = text.length;
      let closed = false;
      while (j < source.length) {
        const c = source[j] ?? '';
        if (c === '\\') {
          const next = source[j + 1] ?? '';
          if (next !== '`' && next !== '\\') text += '\\';
          else j++;
          text += source[j] ?? '';
          j++;
          continue;
        }
        if (source.startsWith(close, j)) {
          closed = true;
          break;
        }
        text += c;
        j++;
      }
      if (!closed)
        return fail(`Can't find end of ${pre ? 'Pre' : 'Code'} entity at byte offset ${i}`);
      if (pre && text.endsWith('\n')) text = text.slice(0, -1);
      const entity: TelegramEntity = {
        type: pre ? 'pre' : 'code',
        offset: start,
        length: text.length - start,
      };
      if (language !== '') entity.language = language;
      if (entity.length > 0) entities.push(entity);
      i = j + close.length;
      continue;
    }
    let problem: string | null = null;
    if (char === '*') problem = toggle('bold', '*');
    else if (char === '_' && source[i + 1] === '_') {
      problem = toggle('underline', '__');
      i++;
    } else if (char === '_') problem = toggle('italic', '_');
    else if (char === '~') problem = toggle('strikethrough', '~');
    else if (char === '|' && source[i + 1] === '|') {
      problem = toggle('spoiler', '||');
      i++;
    } else if (char === '[') stack.push({ type: 'text_link', offset: text.length, marker: '[' });
    else if (char === ']' && stack[stack.length - 1]?.type === 'text_link') {
      const open = stack.pop() as Open;
      if (source[i + 1] !== '(')
        return fail(`Can't find end of text_link entity at byte offset ${i}`);
      let url = '';
      let j = i + 2;
      while (j < source.length && source[j] !== ')') {
        if (source[j] === '\\') j++;
        url += source[j] ?? '';
        j++;
      }
      if (j >= source.length) return fail(`Can't find end of a URL at byte offset ${i}`);
      entities.push({
        type: 'text_link',
        offset: open.offset,
        length: text.length - open.offset,
        url,
      });
      i = j + 1;
      continue;
    } else if (reserved.includes(char))
      return fail(`Character '${char}' is reserved and must be escaped with the preceding '\\'`);
    else text += char;
    if (problem !== null) return fail(problem);
    i++;
  }
  if (quote !== null)
    entities.push({ type: 'blockquote', offset: quote.offset, length: text.length - quote.offset });
  const open = stack[stack.length - 1];
  if (open !== undefined)
    return fail(`Can't find end of ${open.type} entity at byte offset ${open.offset}`);
  entities.sort((a, b) => a.offset - b.offset || b.length - a.length);
  return { ok: true, text, entities };
}
