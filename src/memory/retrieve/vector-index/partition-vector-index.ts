import { FlatVectorStore } from './flat-vector-store.js';
import { HnswGraph } from './hnsw-graph.js';
import { normaliseInto } from './normalise-into.js';
import { readPartitionSnapshot, writePartitionSnapshot } from './partition-snapshot.js';
import { TopKHeap } from './top-k-heap.js';

/** One change from storage: `vector` is the row's current embedding, or null when the row was deleted. */
export interface VectorChange {
  key: number;
  seq: number;
  vector: Float32Array | null;
}

/** A search result: storage row id and cosine similarity with the query. */
export interface VectorHit {
  key: number;
  score: number;
}

/** Settings of a `PartitionVectorIndex`: vector length, live count at which HNSW takes over (default 20 000), how many new or updated vectors may wait, scanned exactly, before they are inserted into the graph in one parallel batch (default 1 024), and a directory owned by this partition for snapshots. */
export interface PartitionVectorIndexOptions {
  dimensions: number;
  hnswThreshold?: number;
  hnswTailLimit?: number;
  persistPath?: string;
}

const defaultHnswThreshold = 20_000;
const defaultHnswTailLimit = 1_024;
const minCandidates = 160;
const candidatesPerHit = 8;
const acceptedPerHit = 4;
const maxGraphCandidates = 4_096;
const candidateCostInDots = 10;
const acceptCostInDots = 0.05;

/** In-process cosine index over one tenant's memories in one store, a cache derived from storage and synced by change sequence: exact scan while small, HNSW (i8 candidates, exact float rescoring) from `hnswThreshold` live vectors on. In HNSW mode new and updated vectors first join a small tail that searches scan exactly; the tail goes into the graph in one parallel batch once it reaches `hnswTailLimit`, since inserting ingest-sized batches one by one is what limits ingestion. */
export class PartitionVectorIndex {
  readonly dimensions: number;
  private readonly hnswThreshold: number;
  private readonly hnswTailLimit: number;
  private readonly persistPath: string | undefined;
  private store: FlatVectorStore;
  private graph: HnswGraph | null = null;
  /** Keys in `store` but not yet in `graph` (always empty in exact mode). */
  private readonly tail = new Set<number>();
  private appliedSeq = 0;
  private persisted = false;

  constructor(options: PartitionVectorIndexOptions) {
    const {
      dimensions,
      hnswThreshold = defaultHnswThreshold,
      hnswTailLimit = defaultHnswTailLimit,
    } = options;
    if (!Number.isSafeInteger(dimensions) || dimensions <= 0) {
      throw new RangeError(`dimensions must be a positive integer, got ${dimensions}`);
    }
    if (!(hnswThreshold >= 1)) {
      throw new RangeError(`hnswThreshold must be at least 1, got ${hnswThreshold}`);
    }
    if (!(hnswTailLimit >= 1)) {
      throw new RangeError(`hnswTailLimit must be at least 1, got ${hnswTailLimit}`);
    }
    this.dimensions = dimensions;
    this.hnswThreshold = hnswThreshold;
    this.hnswTailLimit = hnswTailLimit;
    this.persistPath = options.persistPath;
    this.store = new FlatVectorStore(dimensions);
  }

  /** Restores the index saved in `options.persistPath`; null if there is none or it is damaged or of another dimension, so the caller rebuilds from storage. */
  static load(options: PartitionVectorIndexOptions): PartitionVectorIndex | null {
    const index = new PartitionVectorIndex(options);
    if (index.persistPath === undefined) return null;
    const snapshot = readPartitionSnapshot(index.persistPath, index.dimensions);
    if (snapshot === null) return null;
    index.store = snapshot.store;
    index.graph = snapshot.graph;
    index.appliedSeq = snapshot.watermark;
    const savedMode = index.mode;
    index.rebalance();
    index.persisted = index.mode === savedMode;
    return index;
  }

  /** Highest change `seq` applied so far (0 initially); feed only changes after it. */
  get watermark(): number {
    return this.appliedSeq;
  }

  /** Number of live vectors. */
  get size(): number {
    return this.store.size;
  }

  /** Vectors applied in HNSW mode that are not in the graph yet (searched exactly meanwhile). */
  get pending(): number {
    return this.tail.size;
  }

  /** Current search strategy. */
  get mode(): 'exact' | 'hnsw' {
    return this.graph === null ? 'exact' : 'hnsw';
  }

  /** Applies upserts and deletions in `seq` order, ignoring changes at or below the watermark; the whole batch is validated before anything changes. */
  apply(changes: readonly VectorChange[]): void {
    for (const change of changes) this.validate(change);
    const fresh = changes.filter((change) => change.seq > this.appliedSeq);
    if (fresh.length === 0) return;
    fresh.sort((a, b) => a.seq - b.seq);
    const latest = new Map<number, Float32Array | null>();
    for (const change of fresh) latest.set(change.key, change.vector);
    // A row whose vector did not change (a merge adding a source, a recall count) keeps its place in
    // the graph: re-inserting it is what HNSW time went on for every merged duplicate.
    const scratch = new Float32Array(this.dimensions);
    for (const [key, vector] of latest)
      if (vector !== null && this.store.holds(key, vector, scratch)) latest.delete(key);
    const graph = this.graph;
    if (graph !== null) {
      const inGraph = [...latest.keys()].filter(
        (key) => this.store.has(key) && !this.tail.has(key),
      );
      graph.remove(inGraph);
    }
    for (const [key, vector] of latest) {
      if (vector === null) {
        this.store.delete(key);
        this.tail.delete(key);
      } else {
        this.store.set(key, vector);
        if (graph !== null) this.tail.add(key);
      }
    }
    this.appliedSeq = fresh[fresh.length - 1]!.seq;
    this.persisted = false;
    this.rebalance();
    if (this.tail.size >= this.hnswTailLimit) this.foldTail();
  }

  /** Top-`k` keys by cosine similarity to `query`, best first, restricted to keys `accept` admits (it may be called more than once per key). */
  search(query: Float32Array, k: number, accept?: (key: number) => boolean): VectorHit[] {
    if (query.length !== this.dimensions) {
      throw new RangeError(`query has ${query.length} dimensions, expected ${this.dimensions}`);
    }
    const limit = Math.min(Math.floor(k), this.store.size);
    if (!(limit > 0)) return [];
    const unit = new Float32Array(this.dimensions);
    if (normaliseInto(query, unit, 0) === 0) return [];
    if (this.graph === null) return this.store.scan(unit, limit, accept);
    return this.searchGraph(this.graph, unit, limit, accept);
  }

  /** Cosine similarity of each key to `query` (NaN for keys not indexed), normalising the query once. */
  similarities(query: Float32Array, keys: readonly number[]): Float64Array {
    const scores = new Float64Array(keys.length).fill(Number.NaN);
    const unit = new Float32Array(this.dimensions);
    if (normaliseInto(query, unit, 0) === 0) return scores;
    for (let index = 0; index < keys.length; index++) {
      scores[index] = this.store.score(keys[index]!, unit) ?? Number.NaN;
    }
    return scores;
  }

  /** Calls `visit` with every live key and a view of its normalised vector (valid only during the call). */
  forEachVector(visit: (key: number, vector: Float32Array) => void): void {
    const keys = this.store.keys;
    const vectors = this.store.vectors;
    for (let slot = 0; slot < this.store.size; slot++) {
      visit(keys[slot]!, vectors.subarray(slot * this.dimensions, (slot + 1) * this.dimensions));
    }
  }

  /** Writes a snapshot to `persistPath` (skipped when nothing changed since the last save or load); no-op without `persistPath`. */
  save(): void {
    if (this.persistPath === undefined || this.persisted) return;
    this.foldTail();
    writePartitionSnapshot(this.persistPath, {
      store: this.store,
      graph: this.graph,
      watermark: this.appliedSeq,
    });
    this.persisted = true;
  }

  private searchGraph(
    graph: HnswGraph,
    query: Float32Array,
    k: number,
    accept: ((key: number) => boolean) | undefined,
  ): VectorHit[] {
    const tailHits = this.scanTail(query, k, accept);
    const total = this.store.size;
    const indexed = total - this.tail.size;
    if (indexed === 0) return tailHits;
    const target = k * acceptedPerHit;
    let wanted = Math.min(indexed, Math.max(minCandidates, k * candidatesPerHit));
    for (;;) {
      const candidates = graph.candidates(query, wanted);
      const heap = new TopKHeap(k);
      for (const hit of tailHits) heap.push(hit.key, hit.score);
      let accepted = 0;
      for (const key of candidates) {
        if (accept !== undefined && !accept(key)) continue;
        const score = this.store.score(key, query);
        if (score === undefined) continue;
        accepted++;
        heap.push(key, score);
      }
      if (accepted >= target || candidates.length >= indexed) return heap.drain();
      if (accept === undefined && accepted >= k) return heap.drain();
      const rate = accepted / Math.max(candidates.length, 1);
      const next = Math.max(wanted * 2, rate > 0 ? Math.ceil((1.5 * target) / rate) : wanted * 8);
      const scanCost = total * (rate + acceptCostInDots);
      const tooCostly = next > maxGraphCandidates || next * candidateCostInDots > scanCost;
      if (next >= indexed || tooCostly) return this.store.scan(query, k, accept);
      wanted = next;
    }
  }

  /** Exact top-`k` of the tail, which is small enough to scan on every search. */
  private scanTail(
    query: Float32Array,
    k: number,
    accept: ((key: number) => boolean) | undefined,
  ): VectorHit[] {
    if (this.tail.size === 0) return [];
    const heap = new TopKHeap(k);
    let floor = heap.floor;
    for (const key of this.tail) {
      if (accept !== undefined && !accept(key)) continue;
      const score = this.store.score(key, query);
      if (score !== undefined && score >= floor) {
        heap.push(key, score);
        floor = heap.floor;
      }
    }
    return heap.drain();
  }

  /** Inserts the tail into the graph in one batch, on every core. */
  private foldTail(): void {
    const graph = this.graph;
    if (graph === null || this.tail.size === 0) {
      this.tail.clear();
      return;
    }
    const keys = [...this.tail];
    const rows = new Float32Array(keys.length * this.dimensions);
    for (let i = 0; i < keys.length; i++) this.store.copyTo(keys[i]!, rows, i * this.dimensions);
    graph.add(keys, rows, true);
    this.tail.clear();
  }

  private rebalance(): void {
    const size = this.store.size;
    if (this.graph === null && size >= this.hnswThreshold) {
      const graph = HnswGraph.create(this.dimensions);
      graph.add(this.store.keys, this.store.vectors, true);
      this.graph = graph;
      this.tail.clear();
    } else if (this.graph !== null && size < this.hnswThreshold / 2) {
      this.graph = null;
      this.tail.clear();
    }
  }

  private validate(change: VectorChange): void {
    const { key, seq, vector } = change;
    if (!Number.isSafeInteger(key) || key < 0) {
      throw new RangeError(`key must be a non-negative safe integer, got ${key}`);
    }
    if (!Number.isFinite(seq)) throw new RangeError(`seq must be finite, got ${seq}`);
    if (vector !== null && vector.length !== this.dimensions) {
      throw new RangeError(
        `vector for key ${key} has ${vector.length} dimensions, expected ${this.dimensions}`,
      );
    }
  }
}
