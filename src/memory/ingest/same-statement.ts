import { tokenize } from '../../text/tokenizer.js';

/**
 * Punctuation that never changes what a sentence states: sentence ends, commas, quotes and
 * brackets, in Latin and CJK forms. Every other non-word character (`-`, `$`, `%`, `°`, `/`, `+`,
 * emoji, …) is part of the statement, so `-5` and `5` or `5%` and `5` stay apart.
 */
const ignorable =
  /[\s.,!?;:…·'"`()[\]{}<>«»“”‘’„。，、！？；：（）［］【】《》〈〉「」『』〔〕～~]/gu;

/** A character that is not a letter, digit or combining mark: punctuation or a symbol. */
const nonWord = /[^\p{L}\p{N}\p{M}]/gu;

/**
 * The canonical form of a statement for merging without a model: its words from the shared
 * multilingual tokenizer (NFKC, lowercased, CJK segmented), in order, and the meaningful symbols
 * left between them, in order. Order matters: "我欠他钱" and "他欠我钱" have the same words.
 * @example statementKey('The user likes tea.') === statementKey('the user likes tea') // true
 */
export function statementKey(text: string): string {
  const normalised = text.normalize('NFKC');
  const symbols = (normalised.replace(ignorable, '').match(nonWord) ?? []).join('');
  return `${tokenize(normalised).join(' ')}\u0000${symbols}`;
}

/**
 * True when two texts state the same thing in the same words, up to case, width, whitespace and
 * punctuation; names, numbers, dates and word order must all be equal.
 */
export function sameStatement(a: string, b: string): boolean {
  return statementKey(a) === statementKey(b);
}
