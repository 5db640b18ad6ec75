import { dotProduct } from './dot-product.js';
import { normaliseInto } from './normalise-into.js';
import type { VectorHit } from './partition-vector-index.js';
import { TopKHeap } from './top-k-heap.js';

const minCapacity = 16;

/** Unit-length vectors in one contiguous Float32Array (slot = row), the exact-search path and the float copy kept beside HNSW for rescoring. */
export class FlatVectorStore {
  private rows: Float32Array;
  private slotKeys: Float64Array;
  private readonly slots = new Map<number, number>();

  constructor(readonly dimensions: number) {
    this.rows = new Float32Array(minCapacity * dimensions);
    this.slotKeys = new Float64Array(minCapacity);
  }

  /** Rebuilds a store from already normalised rows, e.g. read back from a snapshot; throws on duplicate or invalid keys. */
  static fromRows(
    dimensions: number,
    keys: Float64Array,
    rows: Float32Array,
    count: number,
  ): FlatVectorStore {
    if (keys.length < count || rows.length < keys.length * dimensions) {
      throw new RangeError('snapshot arrays are shorter than their capacity');
    }
    const store = new FlatVectorStore(dimensions);
    store.rows = rows;
    store.slotKeys = keys;
    for (let slot = 0; slot < count; slot++) {
      const key = keys[slot]!;
      if (!Number.isSafeInteger(key) || key < 0 || store.slots.has(key)) {
        throw new RangeError(`invalid or duplicate key ${key} in snapshot`);
      }
      store.slots.set(key, slot);
    }
    return store;
  }

  /** Number of live vectors. */
  get size(): number {
    return this.slots.size;
  }

  /** Keys of the live rows, in slot order (a view, valid until the next mutation). */
  get keys(): Float64Array {
    return this.slotKeys.subarray(0, this.slots.size);
  }

  /** Live rows back to back, row i belonging to `keys[i]` (a view, valid until the next mutation). */
  get vectors(): Float32Array {
    return this.rows.subarray(0, this.slots.size * this.dimensions);
  }

  /** Whether `key` has a vector. */
  has(key: number): boolean {
    return this.slots.has(key);
  }

  /** Inserts or overwrites the vector of `key`, normalised to unit length. */
  set(key: number, vector: Float32Array): void {
    let slot = this.slots.get(key);
    if (slot === undefined) {
      slot = this.slots.size;
      if (slot === this.slotKeys.length) this.resize(slot * 2);
      this.slots.set(key, slot);
      this.slotKeys[slot] = key;
    }
    normaliseInto(vector, this.rows, slot * this.dimensions);
  }

  /** Removes `key` by moving the last row into its slot; returns whether it existed. */
  delete(key: number): boolean {
    const slot = this.slots.get(key);
    if (slot === undefined) return false;
    const last = this.slots.size - 1;
    this.slots.delete(key);
    if (slot !== last) {
      const d = this.dimensions;
      const movedKey = this.slotKeys[last]!;
      this.rows.copyWithin(slot * d, last * d, (last + 1) * d);
      this.slotKeys[slot] = movedKey;
      this.slots.set(movedKey, slot);
    }
    const capacity = this.slotKeys.length;
    if (capacity > 1024 && last < capacity / 4) this.resize(capacity / 2);
    return true;
  }

  /** Whether `key` already holds exactly the normalised form of `vector` (`scratch`: a dimensions-long buffer). */
  holds(key: number, vector: Float32Array, scratch: Float32Array): boolean {
    const slot = this.slots.get(key);
    if (slot === undefined) return false;
    normaliseInto(vector, scratch, 0);
    const start = slot * this.dimensions;
    for (let i = 0; i < this.dimensions; i++) if (scratch[i] !== this.rows[start + i]) return false;
    return true;
  }

  /** Copies the stored (normalised) vector of `key` into `target` at `offset`; returns false if absent. */
  copyTo(key: number, target: Float32Array, offset: number): boolean {
    const slot = this.slots.get(key);
    if (slot === undefined) return false;
    const start = slot * this.dimensions;
    target.set(this.rows.subarray(start, start + this.dimensions), offset);
    return true;
  }

  /** Cosine similarity of a unit-length `query` with the vector of `key`, undefined if absent. */
  score(key: number, query: Float32Array): number | undefined {
    const slot = this.slots.get(key);
    return slot === undefined ? undefined : dotProduct(query, this.rows, slot * this.dimensions);
  }

  /** Exact top-`k` by cosine for a unit-length `query` over every live row that `accept` admits. */
  scan(query: Float32Array, k: number, accept?: (key: number) => boolean): VectorHit[] {
    const count = this.slots.size;
    const heap = new TopKHeap(Math.min(k, count));
    const { rows, slotKeys, dimensions } = this;
    let floor = heap.floor;
    for (let slot = 0; slot < count; slot++) {
      if (accept !== undefined && !accept(slotKeys[slot]!)) continue;
      const score = dotProduct(query, rows, slot * dimensions);
      if (score >= floor) {
        heap.push(slotKeys[slot]!, score);
        floor = heap.floor;
      }
    }
    return heap.drain();
  }

  private resize(capacity: number): void {
    const size = this.slots.size;
    const rows = new Float32Array(Math.max(capacity, minCapacity) * this.dimensions);
    rows.set(this.rows.subarray(0, size * this.dimensions));
    const keys = new Float64Array(Math.max(capacity, minCapacity));
    keys.set(this.slotKeys.subarray(0, size));
    this.rows = rows;
    this.slotKeys = keys;
  }
}
