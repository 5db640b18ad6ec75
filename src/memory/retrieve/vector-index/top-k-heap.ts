import type { VectorHit } from './partition-vector-index.js';

/** True when hit a ranks below hit b: a lower score, or the same score and a later key (ties never depend on scan order). */
function worse(scoreA: number, keyA: number, scoreB: number, keyB: number): boolean {
  return scoreA < scoreB || (scoreA === scoreB && keyA > keyB);
}

/**
 * Bounded min-heap keeping the best `capacity` hits of a scan without sorting every score. Equal
 * scores rank by key, so two copies of the same data return the same hits in the same order.
 */
export class TopKHeap {
  private readonly keys: Float64Array;
  private readonly scores: Float64Array;
  private count = 0;

  constructor(readonly capacity: number) {
    this.keys = new Float64Array(capacity);
    this.scores = new Float64Array(capacity);
  }

  /** Number of hits currently kept. */
  get size(): number {
    return this.count;
  }

  /** Score a new hit must reach to enter once the heap is full (-Infinity before), so scans can skip pushes. */
  get floor(): number {
    if (this.count < this.capacity) return Number.NEGATIVE_INFINITY;
    return this.capacity === 0 ? Number.POSITIVE_INFINITY : this.scores[0]!;
  }

  /** Offers a hit; kept only if it ranks among the best `capacity` seen so far. */
  push(key: number, score: number): void {
    const { keys, scores } = this;
    if (this.count < this.capacity) {
      let i = this.count++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (worse(scores[parent]!, keys[parent]!, score, key)) break;
        keys[i] = keys[parent]!;
        scores[i] = scores[parent]!;
        i = parent;
      }
      keys[i] = key;
      scores[i] = score;
      return;
    }
    if (this.capacity === 0 || !worse(scores[0]!, keys[0]!, score, key)) return;
    this.siftDown(key, score, this.count);
  }

  /** Returns the kept hits best first and empties the heap. */
  drain(): VectorHit[] {
    const hits: VectorHit[] = new Array(this.count);
    while (this.count > 0) {
      const last = --this.count;
      hits[last] = { key: this.keys[0]!, score: this.scores[0]! };
      if (last > 0) this.siftDown(this.keys[last]!, this.scores[last]!, last);
    }
    return hits;
  }

  private siftDown(key: number, score: number, length: number): void {
    const { keys, scores } = this;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= length) break;
      if (
        child + 1 < length &&
        worse(scores[child + 1]!, keys[child + 1]!, scores[child]!, keys[child]!)
      )
        child++;
      if (!worse(scores[child]!, keys[child]!, score, key)) break;
      keys[i] = keys[child]!;
      scores[i] = scores[child]!;
      i = child;
    }
    keys[i] = key;
    scores[i] = score;
  }
}
