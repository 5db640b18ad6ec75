// Built on first use: constructing a segmenter costs tens of ms, paid by every process that
// merely imports the engine otherwise (CLI start-up included).
let sentences: Intl.Segmenter | undefined;

/**
 * Splits long text into chunks of at most `maxCharacters`, breaking at paragraphs, then sentences
 * (Chinese 。！？ included), then whitespace, so each chunk stays readable on its own.
 */
export function splitText(text: string, maxCharacters: number): string[] {
  const trimmed = text.trim();
  if (trimmed.length <= maxCharacters) return trimmed ? [trimmed] : [];
  const pieces: string[] = [];
  // Pieces keep their own trailing whitespace, so packing is plain concatenation.
  for (const paragraph of trimmed.split(/(?<=\n\s*\n)/u)) {
    if (paragraph.length <= maxCharacters) {
      pieces.push(paragraph);
      continue;
    }
    sentences ??= new Intl.Segmenter('zh', { granularity: 'sentence' });
    for (const part of sentences.segment(paragraph))
      pieces.push(...hardSplit(part.segment, maxCharacters));
  }
  return pack(pieces, maxCharacters);
}

function hardSplit(sentence: string, maxCharacters: number): string[] {
  const out: string[] = [];
  let rest = sentence;
  while (rest.length > maxCharacters) {
    const window = rest.slice(0, maxCharacters);
    const space = window.lastIndexOf(' ');
    const cut = space > maxCharacters / 2 ? space : maxCharacters;
    out.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  out.push(rest);
  return out;
}

function pack(pieces: string[], maxCharacters: number): string[] {
  const chunks: string[] = [];
  let current = '';
  for (const piece of pieces) {
    if (current.trim() && (current + piece).trim().length > maxCharacters) {
      chunks.push(current.trim());
      current = piece;
    } else {
      current += piece;
    }
  }
  if (current.trim()) chunks.push(current.trim());
  return chunks;
}
