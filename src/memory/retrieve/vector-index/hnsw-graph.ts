import { createRequire } from 'node:module';
import type { Index } from 'usearch';

const usearch = createRequire(import.meta.url)('usearch') as typeof import('usearch');

const connectivity = 16;
// 64 rather than usearch's 128: half the insertion CPU (the largest share of ingest at 100k in one
// tenant), and recall@10 within the 160 candidates searches ask for stayed at 1.0 on 30k vectors.
const expansionAdd = 64;
const expansionSearch = 64;

/** usearch HNSW over i8-quantised copies of the vectors; it only proposes candidates, which the caller rescores from its float copy. */
export class HnswGraph {
  private constructor(
    private readonly index: Index,
    readonly dimensions: number,
  ) {}

  /** An empty graph for `dimensions`-long vectors. */
  static create(dimensions: number): HnswGraph {
    return new HnswGraph(
      new usearch.Index({
        dimensions,
        metric: usearch.MetricKind.Cos,
        quantization: usearch.ScalarKind.I8,
        connectivity,
        expansion_add: expansionAdd,
        expansion_search: expansionSearch,
        multi: false,
      }),
      dimensions,
    );
  }

  /** Loads a graph saved by `save`; the file must already be verified, because usearch aborts the process on a damaged file. */
  static load(path: string, dimensions: number): HnswGraph {
    const graph = HnswGraph.create(dimensions);
    graph.index.load(path);
    if (graph.index.dimensions() !== dimensions) {
      throw new RangeError(
        `graph has ${graph.index.dimensions()} dimensions, expected ${dimensions}`,
      );
    }
    return graph;
  }

  /** Number of vectors in the graph. */
  get size(): number {
    return this.index.size();
  }

  /** Inserts rows of `vectors` under `keys` (which must not be present), on every core when `parallel`. */
  add(keys: ArrayLike<number>, vectors: Float32Array, parallel = false): void {
    if (keys.length === 0) return;
    const bigKeys = new BigUint64Array(keys.length);
    for (let i = 0; i < keys.length; i++) bigKeys[i] = BigInt(keys[i]!);
    this.index.add(bigKeys, vectors, parallel ? 0 : 1);
  }

  /** Removes `keys`, ignoring those not present. */
  remove(keys: readonly number[]): void {
    if (keys.length === 0) return;
    this.index.remove(BigUint64Array.from(keys, (key) => BigInt(key)));
  }

  /** Whether every key of `keys` is present, used to check a loaded graph against its float copy. */
  containsAll(keys: ArrayLike<number>): boolean {
    const bigKeys = new BigUint64Array(keys.length);
    for (let i = 0; i < keys.length; i++) bigKeys[i] = BigInt(keys[i]!);
    const present = this.index.contains(bigKeys);
    return Array.isArray(present) ? present.every(Boolean) : present;
  }

  /** Up to `count` approximate nearest keys for a unit-length query; the query is copied first since usearch mishandles subarray offsets. */
  candidates(query: Float32Array, count: number): number[] {
    const matches = this.index.search(Float32Array.from(query), count, 1);
    return Array.from(matches.keys, Number);
  }

  /** Writes the graph (with its quantised vectors) to `path`. */
  save(path: string): void {
    this.index.save(path);
  }
}
