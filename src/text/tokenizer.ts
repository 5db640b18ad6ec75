import { stopwords } from './stopwords.js';

/** Multilingual word tokenizer shared by BM25 indexing, querying and the built-in embedder. */

const segmenters = new Map<string, Intl.Segmenter>();

function segmenter(locale: string): Intl.Segmenter {
  let found = segmenters.get(locale);
  if (!found) {
    found = new Intl.Segmenter(locale, { granularity: 'word' });
    segmenters.set(locale, found);
  }
  return found;
}

const cjkCharacter = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]/u;

/** True when a token is written in a CJK script (no spaces between words). */
export function isCjk(token: string): boolean {
  return cjkCharacter.test(token);
}

/**
 * Splits text into lowercased word tokens using Intl.Segmenter word granularity,
 * which segments Chinese and Japanese with ICU's dictionary and everything else on word boundaries.
 * @example tokenize('用户希望回答风格更加正式') // ['用户', '希望', '回答', '风格', '更加', '正式']
 */
export function tokenize(text: string): string[] {
  const tokens: string[] = [];
  for (const part of segmenter('zh').segment(text.normalize('NFKC'))) {
    if (part.isWordLike) tokens.push(part.segment.toLowerCase());
  }
  return tokens;
}

/**
 * Tokens of a search query: the words minus common function words, whose postings span every
 * tenant and cost more than they rank; a query made only of function words keeps them all.
 * @example queryTokens('What did I eat in Kyoto?') // ['eat', 'kyoto']
 */
export function queryTokens(text: string): string[] {
  const words = tokenize(text);
  const content = words.filter((word) => !stopwords.has(word));
  return content.length > 0 ? content : words;
}

/**
 * Tokens written to the full-text index: every word, plus the single characters of CJK words,
 * so a one-character query such as "猫" still finds "猫叫" (the segmenter keeps those together).
 */
export function indexTokens(text: string): string[] {
  const words = tokenize(text);
  const out = words.slice();
  for (const word of words) {
    if (word.length > 1 && isCjk(word)) {
      for (const character of word) out.push(character);
    }
  }
  return out;
}
