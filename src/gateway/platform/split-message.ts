/**
 * Splits text into pieces of at most `limit` characters (UTF-16 units), preferring paragraph, then
 * line, then sentence, then word boundaries, never cutting a surrogate pair. Fenced code blocks cut
 * in two are closed at the end of one piece and reopened at the start of the next.
 */
export function splitMessage(text: string, limit: number): string[] {
  if (limit < 16) throw new RangeError('splitMessage: limit must be at least 16');
  const pieces: string[] = [];
  let rest = text.trim();
  let reopen = '';
  while (rest.length > 0) {
    const room = limit - reopen.length;
    if (rest.length <= room) {
      pieces.push(reopen + rest);
      break;
    }
    // Leave room to close a fence that is open at the cut.
    const cut = boundary(rest, room - 4);
    let piece = rest.slice(0, cut);
    const fence = openFence(reopen + piece);
    if (fence !== null) piece = `${piece.trimEnd()}\n\`\`\``;
    pieces.push((reopen + piece).trimEnd());
    rest = rest.slice(cut).replace(/^\s+/u, '');
    reopen = fence !== null ? `\`\`\`${fence}\n` : '';
  }
  return pieces.filter((piece) => piece.trim() !== '');
}

/** The best place at or before `max` to cut `text`. */
function boundary(text: string, max: number): number {
  const window = text.slice(0, max);
  for (const pattern of [/\n\n/gu, /\n/gu, /[.!?。！？]\s/gu, /\s/gu]) {
    let last = -1;
    for (const match of window.matchAll(pattern)) last = match.index + match[0].length;
    // A boundary in the first third would make a piece too short to be worth it.
    if (last > max / 3) return last;
  }
  let cut = max;
  const code = text.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
  return cut;
}

/** The info string of a fenced code block left open at the end of `text`, or null. */
function openFence(text: string): string | null {
  let open: string | null = null;
  for (const match of text.matchAll(/^```([^\n`]*)$/gmu))
    open = open === null ? (match[1] ?? '') : null;
  return open;
}
