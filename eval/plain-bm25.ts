/**
 * The baseline: plain Okapi BM25 (k1 = 1.2, b = 0.75), independent of Mnemos's tokenizer so it
 * stays fixed while Mnemos changes. Words are lowercased Unicode letter/digit runs; CJK runs become
 * character unigrams and bigrams (the MADial-Bench reference baseline).
 */
const cjkRun = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]+/gu;
const wordRun = /[\p{L}\p{N}]+/gu;

/** Baseline tokens of a text. */
export function plainTokens(text: string): string[] {
  const normal = text.normalize('NFKC').toLowerCase();
  const tokens: string[] = [];
  for (const match of normal.matchAll(cjkRun)) {
    const run = [...match[0]];
    for (let index = 0; index < run.length; index++) {
      tokens.push(run[index]!);
      if (index + 1 < run.length) tokens.push(run[index]! + run[index + 1]!);
    }
  }
  for (const match of normal.replace(cjkRun, ' ').matchAll(wordRun)) tokens.push(match[0]);
  return tokens;
}

/** An in-memory BM25 index over one tenant's units. */
export class PlainBm25 {
  private readonly postings = new Map<string, Array<[number, number]>>();
  private readonly lengths: number[] = [];
  private total = 0;

  constructor(texts: readonly string[]) {
    texts.forEach((text, doc) => {
      const tokens = plainTokens(text);
      const counts = new Map<string, number>();
      for (const token of tokens) counts.set(token, (counts.get(token) ?? 0) + 1);
      for (const [token, tf] of counts) {
        const list = this.postings.get(token) ?? [];
        this.postings.set(token, list);
        list.push([doc, tf]);
      }
      this.lengths.push(tokens.length);
      this.total += tokens.length;
    });
  }

  /** Positions of the best `k` texts for a query, best first. */
  search(query: string, k: number): number[] {
    const n = this.lengths.length;
    const average = this.total / Math.max(1, n);
    const scores = new Map<number, number>();
    for (const token of new Set(plainTokens(query))) {
      const list = this.postings.get(token);
      if (!list) continue;
      const idf = Math.log(1 + (n - list.length + 0.5) / (list.length + 0.5));
      for (const [doc, tf] of list) {
        const norm = tf + 1.2 * (1 - 0.75 + (0.75 * this.lengths[doc]!) / average);
        scores.set(doc, (scores.get(doc) ?? 0) + (idf * tf * 2.2) / norm);
      }
    }
    return [...scores.entries()]
      .sort((a, b) => b[1] - a[1] || a[0] - b[0])
      .slice(0, k)
      .map(([doc]) => doc);
  }
}
