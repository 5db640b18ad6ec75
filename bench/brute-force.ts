import type { BuiltinEmbedder } from '../src/index.js';
import { type Scored, topK } from './top-k.js';

/** Exact cosine search by scanning every vector of one Float32Array (vectors are unit length). */
export class BruteForceIndex {
  private vectors: Float32Array;
  private count = 0;
  private readonly scores: Float32Array;
  private readonly ids: Int32Array;

  constructor(
    private readonly embedder: BuiltinEmbedder,
    capacity: number,
  ) {
    this.vectors = new Float32Array(capacity * embedder.dimensions);
    this.scores = new Float32Array(capacity);
    this.ids = Int32Array.from({ length: capacity }, (_, index) => index);
  }

  /** Embeds and appends one text; its id is its insertion position. */
  add(text: string): number {
    this.vectors.set(this.embedder.embedOne(text), this.count * this.embedder.dimensions);
    return this.count++;
  }

  /** Embeds the query, scores every vector with a plain loop, and keeps the best `k`. */
  search(query: string, k: number): Scored[] {
    const q = this.embedder.embedOne(query);
    const dims = this.embedder.dimensions;
    const vectors = this.vectors;
    for (let row = 0; row < this.count; row++) {
      let sum = 0;
      const base = row * dims;
      for (let d = 0; d < dims; d++) sum += vectors[base + d]! * q[d]!;
      this.scores[row] = sum;
    }
    return topK(this.ids, this.scores, this.count, k);
  }
}
