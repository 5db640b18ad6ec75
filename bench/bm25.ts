import { tokenize } from '../src/index.js';
import { type Scored, topK } from './top-k.js';

/** Plain Okapi BM25 in JS: an inverted index over `tokenize()` tokens, k1 = 1.2, b = 0.75. */
export class Bm25Index {
  private readonly postings = new Map<string, { docs: number[]; tfs: number[] }>();
  private readonly lengths: number[] = [];
  private totalLength = 0;
  private scores = new Float64Array(0);
  private readonly k1 = 1.2;
  private readonly b = 0.75;

  /** Number of indexed documents. */
  get size(): number {
    return this.lengths.length;
  }

  /** Indexes one document; its id is its insertion position. */
  add(text: string): number {
    const id = this.lengths.length;
    const counts = new Map<string, number>();
    const tokens = tokenize(text);
    for (const token of tokens) counts.set(token, (counts.get(token) ?? 0) + 1);
    for (const [token, tf] of counts) {
      let list = this.postings.get(token);
      if (!list) {
        list = { docs: [], tfs: [] };
        this.postings.set(token, list);
      }
      list.docs.push(id);
      list.tfs.push(tf);
    }
    this.lengths.push(tokens.length);
    this.totalLength += tokens.length;
    return id;
  }

  /** Top `k` documents for a query (distinct query tokens, summed BM25 with non-negative idf). */
  search(query: string, k: number): Scored[] {
    const n = this.lengths.length;
    if (this.scores.length < n) this.scores = new Float64Array(n);
    const scores = this.scores;
    const average = this.totalLength / Math.max(1, n);
    const touched: number[] = [];
    for (const token of new Set(tokenize(query))) {
      const list = this.postings.get(token);
      if (!list) continue;
      const df = list.docs.length;
      const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
      for (let index = 0; index < df; index++) {
        const doc = list.docs[index]!;
        const tf = list.tfs[index]!;
        const norm = tf + this.k1 * (1 - this.b + (this.b * this.lengths[doc]!) / average);
        if (scores[doc] === 0) touched.push(doc);
        scores[doc]! += (idf * tf * (this.k1 + 1)) / norm;
      }
    }
    const touchedScores = touched.map((doc) => scores[doc]!);
    for (const doc of touched) scores[doc] = 0;
    return topK(touched, touchedScores, touched.length, k);
  }
}
