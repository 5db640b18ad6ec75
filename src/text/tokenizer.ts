import { stemmer } from 'stemmer';
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
const cjkRun = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]+/gu;
const latinWord = /^[a-z]+$/u;

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
 * Full-text terms of a text, the same on the index and the query side: Latin words reduced to their
 * Porter stem ("painted", "painting" → "paint"); every CJK run as character unigrams and bigrams,
 * which match whatever the segmenter made of the other side ("喝茶" against "喝 龙井 茶"), plus the
 * segmenter's CJK words of three or more characters. `dropStopwords` leaves out function words and
 * characters unless nothing else is left.
 */
export function terms(text: string, dropStopwords = false): string[] {
  const normal = text.normalize('NFKC');
  const out: string[] = [];
  const kept = (token: string): boolean => !dropStopwords || !stopwords.has(token);
  for (const word of tokenize(normal)) {
    if (isCjk(word)) {
      if (word.length > 2 && kept(word)) out.push(word);
    } else if (kept(word)) {
      out.push(latinWord.test(word) ? stemmer(word) : word);
    }
  }
  for (const match of normal.toLowerCase().matchAll(cjkRun)) {
    const characters = [...match[0]];
    characters.forEach((character, index) => {
      if (kept(character)) out.push(character);
      const next = characters[index + 1];
      if (next !== undefined && kept(character + next)) out.push(character + next);
    });
  }
  return out.length > 0 || !dropStopwords ? out : terms(text, false);
}

/**
 * Terms of a search query: `terms` without function words, whose postings span every tenant and
 * cost more than they rank (a query made only of function words keeps them all). Each distinct term
 * is given once, or, when the query repeats terms, round(2√n) times for a term said n times: the
 * full-text backends weigh a term by how often it is given, and a long query (a whole dialogue)
 * says what it is about by what it repeats, sublinearly.
 * @example queryTokens('What did I paint in Kyoto?') // ['paint', 'kyoto']
 */
export function queryTokens(text: string): string[] {
  const counts = new Map<string, number>();
  for (const term of terms(text, true)) counts.set(term, (counts.get(term) ?? 0) + 1);
  const repeated = [...counts.values()].some((count) => count > 1);
  const out: string[] = [];
  for (const [term, count] of counts) {
    const times = repeated ? Math.round(2 * Math.sqrt(count)) : 1;
    for (let index = 0; index < times; index++) out.push(term);
  }
  // Indexes written before stemming hold the words as written: their surface forms still match
  // there, and nothing in a stemmed index, where no term has them.
  for (const word of new Set(tokenize(text))) {
    if (latinWord.test(word) && !stopwords.has(word) && !counts.has(word)) out.push(word);
  }
  return out;
}

/** Terms written to the full-text index (see `terms`). */
export function indexTokens(text: string): string[] {
  return terms(text);
}
