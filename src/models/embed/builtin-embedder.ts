import type { Embedder } from '../../spec/embedder.js';
import { stopwords } from '../../text/stopwords.js';
import { isCjk, tokenize } from '../../text/tokenizer.js';

/**
 * Offline embedder with no model and no download: signed feature hashing of words, word bigrams and
 * character n-grams into a fixed-size vector. It captures lexical and sub-word overlap (plural forms,
 * shared CJK characters), not meaning; configure a neural embedder for semantic recall.
 */
export class BuiltinEmbedder implements Embedder {
  readonly id: string;
  readonly dimensions: number;
  /**
   * Hashed words of one statement give one vector whatever its case or punctuation, while texts
   * that differ in a single name still reach 0.92; only near-identical vectors are candidates.
   */
  readonly nearDuplicateThreshold = 0.99;
  /**
   * Its hashed words and n-grams carry no IDF and repeat what BM25 matches: fused at any weight
   * above 0 they lowered LoCoMo R@10 (see docs/benchmarks.md), so they only add hits BM25 lacks.
   */
  readonly fusionWeight = 0;

  constructor(options: { dimensions?: number } = {}) {
    this.dimensions = options.dimensions ?? 256;
    this.id = `builtin:hash-ngram-v2:${this.dimensions}`;
  }

  async doEmbed(texts: readonly string[]): Promise<Float32Array[]> {
    return texts.map((text) => this.embedOne(text));
  }

  /** Synchronous embedding of one text, for callers on a hot path. */
  embedOne(text: string): Float32Array {
    const vector = new Float32Array(this.dimensions);
    const all = tokenize(text);
    const content = all.filter((word) => !stopwords.has(word));
    // A text made only of function words still gets a vector from them.
    const words = content.length > 0 ? content : all;
    let previous: string | undefined;
    for (const word of words) {
      this.addFeature(vector, `w:${word}`, 1);
      if (previous !== undefined) this.addFeature(vector, `b:${previous} ${word}`, 0.5);
      previous = word;
      if (isCjk(word)) {
        for (const character of word) this.addFeature(vector, `c:${character}`, 0.5);
      } else if (word.length > 3) {
        const padded = `<${word}>`;
        for (let index = 0; index + 3 <= padded.length; index++) {
          this.addFeature(vector, `t:${padded.slice(index, index + 3)}`, 0.5);
        }
      }
    }
    let norm = 0;
    for (let index = 0; index < vector.length; index++) {
      const value = vector[index] ?? 0;
      // Sublinear term frequency keeps repeated words from dominating.
      const damped = Math.sign(value) * Math.log1p(Math.abs(value));
      vector[index] = damped;
      norm += damped * damped;
    }
    if (norm > 0) {
      const scale = 1 / Math.sqrt(norm);
      for (let index = 0; index < vector.length; index++)
        vector[index] = (vector[index] ?? 0) * scale;
    }
    return vector;
  }

  private addFeature(vector: Float32Array, feature: string, weight: number): void {
    const hash = fnv1a(feature);
    const slot = hash % this.dimensions;
    const sign = hash & 0x80000000 ? -1 : 1;
    vector[slot] = (vector[slot] ?? 0) + sign * weight;
  }
}

/** 32-bit FNV-1a over UTF-16 code units; fast and stable across runs and platforms. */
function fnv1a(value: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < value.length; index++) {
    hash ^= value.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
