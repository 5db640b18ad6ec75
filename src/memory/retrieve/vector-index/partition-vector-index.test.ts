import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  PartitionVectorIndex,
  type VectorChange,
  type VectorHit,
} from './partition-vector-index.js';

function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(random: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

function randomVectors(count: number, dimensions: number, seed: number): Float32Array[] {
  const normal = gaussian(rng(seed));
  return Array.from({ length: count }, () => Float32Array.from({ length: dimensions }, normal));
}

/** Low intrinsic dimension like real embeddings: a small latent Gaussian projected up, plus noise. */
function latentVectors(count: number, dimensions: number, seed: number): Float32Array[] {
  const latent = 8;
  const projection = randomVectors(latent, dimensions, 7);
  const normal = gaussian(rng(seed));
  return Array.from({ length: count }, () => {
    const vector = new Float32Array(dimensions);
    for (const row of projection) {
      const z = normal();
      for (let i = 0; i < dimensions; i++) vector[i]! += z * row[i]!;
    }
    for (let i = 0; i < dimensions; i++) vector[i]! += 0.3 * normal();
    return vector;
  });
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return dot / Math.sqrt(na * nb);
}

function naiveTopK(
  vectors: ReadonlyMap<number, Float32Array>,
  query: Float32Array,
  k: number,
  accept: (key: number) => boolean = () => true,
): VectorHit[] {
  return [...vectors]
    .filter(([key]) => accept(key))
    .map(([key, vector]) => ({ key, score: cosine(vector, query) }))
    .sort((a, b) => b.score - a.score)
    .slice(0, k);
}

function inserts(vectors: readonly Float32Array[], firstSeq = 1): VectorChange[] {
  return vectors.map((vector, i) => ({ key: i, seq: firstSeq + i, vector }));
}

function recall(found: readonly VectorHit[], truth: readonly VectorHit[]): number {
  const wanted = new Set(truth.map((hit) => hit.key));
  return found.filter((hit) => wanted.has(hit.key)).length / truth.length;
}

function expectSameHits(actual: readonly VectorHit[], expected: readonly VectorHit[]): void {
  expect(actual.map((hit) => hit.key)).toEqual(expected.map((hit) => hit.key));
  for (const [i, hit] of actual.entries()) expect(hit.score).toBeCloseTo(expected[i]!.score, 5);
}

const tempDirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mnemos-vector-index-'));
  tempDirs.push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of tempDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('PartitionVectorIndex (exact mode)', () => {
  const dimensions = 24;
  const vectors = randomVectors(700, dimensions, 1);
  const byKey = new Map(vectors.map((vector, key) => [key, vector]));
  const queries = randomVectors(20, dimensions, 2);

  it('returns the same top-k as a full sort, best first', () => {
    const index = new PartitionVectorIndex({ dimensions });
    index.apply(inserts(vectors));
    expect(index.mode).toBe('exact');
    expect(index.size).toBe(700);
    expect(index.watermark).toBe(700);
    for (const query of queries) {
      expectSameHits(index.search(query, 10), naiveTopK(byKey, query, 10));
    }
    expect(index.search(queries[0]!, 5000)).toHaveLength(700);
  });

  it('normalises stored vectors and queries, so scaling changes nothing', () => {
    const index = new PartitionVectorIndex({ dimensions });
    index.apply(vectors.map((v, key) => ({ key, seq: key + 1, vector: v.map((x) => x * 37) })));
    const query = queries[3]!.map((x) => x * 0.01);
    const hits = index.search(query, 10);
    expectSameHits(hits, naiveTopK(byKey, queries[3]!, 10));
    expect(hits[0]!.score).toBeLessThanOrEqual(1 + 1e-6);
  });

  it('applies updates and removals and advances the watermark', () => {
    const index = new PartitionVectorIndex({ dimensions });
    index.apply(inserts(vectors));
    const target = queries[0]!;
    index.apply([
      { key: 42, seq: 701, vector: target },
      { key: 7, seq: 702, vector: null },
      { key: 5000, seq: 705, vector: null },
    ]);
    expect(index.watermark).toBe(705);
    expect(index.size).toBe(699);
    const hits = index.search(target, 3);
    expect(hits[0]!.key).toBe(42);
    expect(hits[0]!.score).toBeCloseTo(1, 5);
    const expected = new Map(byKey);
    expected.set(42, target);
    expected.delete(7);
    expectSameHits(index.search(queries[1]!, 700), naiveTopK(expected, queries[1]!, 700));

    index.apply([{ key: 7, seq: 706, vector: vectors[7]! }]);
    expect(index.size).toBe(700);
    expect(index.search(vectors[7]!, 1)[0]!.key).toBe(7);
  });

  it('keeps the last change of a key within a batch, in seq order', () => {
    const index = new PartitionVectorIndex({ dimensions });
    index.apply([
      { key: 1, seq: 3, vector: null },
      { key: 1, seq: 2, vector: vectors[1]! },
      { key: 2, seq: 4, vector: vectors[2]! },
      { key: 2, seq: 5, vector: vectors[3]! },
    ]);
    expect(index.size).toBe(1);
    expect(index.search(vectors[3]!, 1)[0]).toMatchObject({ key: 2 });
  });

  it('ignores changes at or below the watermark', () => {
    const index = new PartitionVectorIndex({ dimensions });
    index.apply(inserts(vectors.slice(0, 10)));
    index.apply([
      { key: 3, seq: 10, vector: null },
      { key: 99, seq: 4, vector: vectors[99]! },
    ]);
    expect(index.size).toBe(10);
    expect(index.watermark).toBe(10);
    expect(index.search(vectors[3]!, 1)[0]!.key).toBe(3);
  });

  it('rejects a batch with a wrong-length vector without applying any of it', () => {
    const index = new PartitionVectorIndex({ dimensions });
    expect(() =>
      index.apply([
        { key: 1, seq: 1, vector: vectors[1]! },
        { key: 2, seq: 2, vector: new Float32Array(dimensions + 1) },
      ]),
    ).toThrow(RangeError);
    expect(index.size).toBe(0);
    expect(index.watermark).toBe(0);
    expect(() => index.search(new Float32Array(3), 1)).toThrow(RangeError);
  });

  it('restricts results to accepted keys', () => {
    const index = new PartitionVectorIndex({ dimensions });
    index.apply(inserts(vectors));
    const accept = (key: number) => key % 3 === 0;
    for (const query of queries.slice(0, 5)) {
      const hits = index.search(query, 10, accept);
      expect(hits.every((hit) => accept(hit.key))).toBe(true);
      expectSameHits(hits, naiveTopK(byKey, query, 10, accept));
    }
    expect(index.search(queries[0]!, 10, () => false)).toEqual([]);
  });

  it('scores given keys and visits every live vector', () => {
    const index = new PartitionVectorIndex({ dimensions });
    index.apply(inserts(vectors.slice(0, 50)));
    index.apply([{ key: 3, seq: 51, vector: null }]);
    const scores = index.similarities(queries[0]!, [1, 3, 49, 777]);
    expect(scores[0]).toBeCloseTo(cosine(vectors[1]!, queries[0]!), 5);
    expect(scores[1]).toBeNaN();
    expect(scores[2]).toBeCloseTo(cosine(vectors[49]!, queries[0]!), 5);
    expect(scores[3]).toBeNaN();
    expect([...index.similarities(new Float32Array(dimensions), [1])]).toEqual([Number.NaN]);
    const seen = new Map<number, number>();
    index.forEachVector((key, vector) => seen.set(key, cosine(vector, vectors[key]!)));
    expect([...seen.keys()].sort((a, b) => a - b)).toEqual(
      [...Array(50).keys()].filter((k) => k !== 3),
    );
    for (const similarity of seen.values()) expect(similarity).toBeCloseTo(1, 5);
  });

  it('returns nothing for an empty index, k <= 0 or a zero query', () => {
    const index = new PartitionVectorIndex({ dimensions });
    expect(index.search(queries[0]!, 10)).toEqual([]);
    index.apply(inserts(vectors.slice(0, 5)));
    expect(index.search(queries[0]!, 0)).toEqual([]);
    expect(index.search(new Float32Array(dimensions), 3)).toEqual([]);
    index.apply(inserts(vectors.slice(0, 5), 6).map((change) => ({ ...change, vector: null })));
    expect(index.size).toBe(0);
    expect(index.search(queries[0]!, 10)).toEqual([]);
  });
});

describe('PartitionVectorIndex (HNSW mode)', () => {
  const dimensions = 64;
  const count = 3000;
  const vectors = latentVectors(count, dimensions, 11);
  const byKey = new Map(vectors.map((vector, key) => [key, vector]));
  const queries = latentVectors(40, dimensions, 12);

  function buildHnsw(persistPath?: string): PartitionVectorIndex {
    const index = new PartitionVectorIndex({ dimensions, hnswThreshold: 500, persistPath });
    for (let start = 0; start < count; start += 250) {
      index.apply(
        inserts(vectors.slice(start, start + 250), start + 1).map((c) => ({
          ...c,
          key: c.key + start,
        })),
      );
    }
    return index;
  }

  function meanRecall(
    index: PartitionVectorIndex,
    truthSet: ReadonlyMap<number, Float32Array>,
  ): number {
    let total = 0;
    for (const query of queries)
      total += recall(index.search(query, 10), naiveTopK(truthSet, query, 10));
    return total / queries.length;
  }

  it('switches to HNSW at the threshold and keeps recall@10 >= 0.9 with exact scores', () => {
    const index = buildHnsw();
    expect(index.mode).toBe('hnsw');
    expect(index.size).toBe(count);
    expect(meanRecall(index, byKey)).toBeGreaterThanOrEqual(0.9);
    const hits = index.search(queries[0]!, 10);
    for (const hit of hits)
      expect(hit.score).toBeCloseTo(cosine(vectors[hit.key]!, queries[0]!), 5);
    for (let i = 1; i < hits.length; i++)
      expect(hits[i]!.score).toBeLessThanOrEqual(hits[i - 1]!.score);
  });

  it('applies removals and re-adds incrementally', () => {
    const index = buildHnsw();
    const removed = [
      ...queries.slice(0, 5).flatMap((q) => naiveTopK(byKey, q, 3).map((hit) => hit.key)),
    ];
    index.apply(removed.map((key, i) => ({ key, seq: count + 1 + i, vector: null })));
    const remaining = new Map(byKey);
    for (const key of removed) remaining.delete(key);
    expect(index.size).toBe(remaining.size);
    for (const query of queries.slice(0, 5)) {
      const keys = index.search(query, 10).map((hit) => hit.key);
      expect(keys.some((key) => removed.includes(key))).toBe(false);
    }
    expect(meanRecall(index, remaining)).toBeGreaterThanOrEqual(0.9);

    const updated = removed[0]!;
    index.apply([
      { key: updated, seq: 10_000, vector: queries[20]! },
      { key: 17, seq: 10_001, vector: queries[21]! },
    ]);
    expect(index.search(queries[20]!, 1)[0]).toMatchObject({ key: updated });
    expect(index.search(queries[21]!, 1)[0]).toMatchObject({ key: 17 });
    expect(index.search(queries[21]!, 1)[0]!.score).toBeCloseTo(1, 5);
    expect(index.size).toBe(remaining.size + 1);
  });

  it('honours accept under light and heavy filtering', () => {
    const index = buildHnsw();
    const half = (key: number) => key % 2 === 0;
    const rare = (key: number) => key % 97 === 0;
    let halfRecall = 0;
    for (const query of queries) {
      const hits = index.search(query, 10, half);
      expect(hits).toHaveLength(10);
      expect(hits.every((hit) => half(hit.key))).toBe(true);
      halfRecall += recall(hits, naiveTopK(byKey, query, 10, half));
      expectSameHits(index.search(query, 10, rare), naiveTopK(byKey, query, 10, rare));
    }
    expect(halfRecall / queries.length).toBeGreaterThanOrEqual(0.9);
    expect(index.search(queries[0]!, 10, () => false)).toEqual([]);
  });

  it('widens the candidate list when a filter rejects most of the first round', () => {
    const large = latentVectors(20_000, 32, 13);
    const index = new PartitionVectorIndex({ dimensions: 32, hnswThreshold: 1000 });
    index.apply(inserts(large));
    expect(index.mode).toBe('hnsw');
    const largeByKey = new Map(large.map((vector, key) => [key, vector]));
    const fifth = (key: number) => key % 5 === 0;
    let total = 0;
    for (const query of latentVectors(20, 32, 14)) {
      const hits = index.search(query, 10, fifth);
      expect(hits).toHaveLength(10);
      expect(hits.every((hit) => fifth(hit.key))).toBe(true);
      total += recall(hits, naiveTopK(largeByKey, query, 10, fifth));
    }
    expect(total / 20).toBeGreaterThanOrEqual(0.9);
  });

  it('falls back to exact mode when the partition shrinks below half the threshold', () => {
    const index = buildHnsw();
    index.apply(
      vectors.slice(200).map((_, i) => ({ key: i + 200, seq: count + 1 + i, vector: null })),
    );
    expect(index.mode).toBe('exact');
    const small = new Map([...byKey].filter(([key]) => key < 200));
    expectSameHits(index.search(queries[0]!, 10), naiveTopK(small, queries[0]!, 10));
  });

  it('saves and loads an HNSW snapshot, then catches up from the watermark', () => {
    const dir = tempDir();
    const index = buildHnsw(dir);
    index.save();
    expect(fs.readdirSync(dir)).toContain('meta.json');
    const loaded = PartitionVectorIndex.load({ dimensions, hnswThreshold: 500, persistPath: dir });
    expect(loaded).not.toBeNull();
    if (loaded === null) return;
    expect(loaded.mode).toBe('hnsw');
    expect(loaded.size).toBe(count);
    expect(loaded.watermark).toBe(index.watermark);
    for (const query of queries.slice(0, 10)) {
      expectSameHits(loaded.search(query, 10), index.search(query, 10));
    }

    loaded.apply([
      { key: 5, seq: count, vector: queries[30]! },
      { key: 6, seq: count + 1, vector: null },
      { key: 9999, seq: count + 2, vector: queries[31]! },
    ]);
    expect(loaded.watermark).toBe(count + 2);
    expect(loaded.size).toBe(count);
    expect(loaded.search(queries[30]!, 1)[0]!.key).not.toBe(5);
    expect(loaded.search(queries[31]!, 1)[0]).toMatchObject({ key: 9999 });
    expect(loaded.search(vectors[6]!, 10).map((hit) => hit.key)).not.toContain(6);

    loaded.save();
    const reloaded = PartitionVectorIndex.load({
      dimensions,
      hnswThreshold: 500,
      persistPath: dir,
    });
    expect(reloaded?.watermark).toBe(count + 2);
    expect(reloaded?.search(queries[31]!, 1)[0]).toMatchObject({ key: 9999 });
    expect(fs.readdirSync(dir).filter((name) => name.startsWith('graph-'))).toHaveLength(1);
  });

  it('returns null instead of loading a damaged graph file', () => {
    const dir = tempDir();
    buildHnsw(dir).save();
    const graphFile = fs.readdirSync(dir).find((name) => name.startsWith('graph-'));
    expect(graphFile).toBeDefined();
    const file = path.join(dir, graphFile!);
    const bytes = fs.readFileSync(file);
    fs.writeFileSync(file, bytes.subarray(0, bytes.length >> 1));
    expect(
      PartitionVectorIndex.load({ dimensions, hnswThreshold: 500, persistPath: dir }),
    ).toBeNull();
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    fs.writeFileSync(file, bytes);
    expect(
      PartitionVectorIndex.load({ dimensions, hnswThreshold: 500, persistPath: dir }),
    ).toBeNull();
  });
});

describe('PartitionVectorIndex persistence', () => {
  const dimensions = 16;
  const vectors = randomVectors(300, dimensions, 21);

  it('round-trips an exact-mode snapshot', () => {
    const dir = path.join(tempDir(), 'nested', 'partition');
    const index = new PartitionVectorIndex({ dimensions, persistPath: dir });
    index.apply(inserts(vectors));
    index.apply([{ key: 0, seq: 400, vector: null }]);
    index.save();
    const loaded = PartitionVectorIndex.load({ dimensions, persistPath: dir });
    expect(loaded?.mode).toBe('exact');
    expect(loaded?.size).toBe(299);
    expect(loaded?.watermark).toBe(400);
    expectSameHits(loaded!.search(vectors[10]!, 20), index.search(vectors[10]!, 20));
    loaded!.apply([{ key: 0, seq: 401, vector: vectors[0]! }]);
    expect(loaded!.search(vectors[0]!, 1)[0]).toMatchObject({ key: 0 });
  });

  it('builds HNSW on load when the snapshot exceeds the current threshold', () => {
    const dir = tempDir();
    const index = new PartitionVectorIndex({ dimensions, persistPath: dir });
    index.apply(inserts(vectors));
    index.save();
    const loaded = PartitionVectorIndex.load({ dimensions, hnswThreshold: 100, persistPath: dir });
    expect(loaded?.mode).toBe('hnsw');
    expect(loaded?.search(vectors[42]!, 1)[0]).toMatchObject({ key: 42 });
    loaded?.save();
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8'))).toMatchObject({
      mode: 'hnsw',
      count: 300,
      watermark: 300,
      dimensions,
    });
  });

  it('returns null for a missing snapshot, another dimension or a damaged sidecar', () => {
    const dir = tempDir();
    expect(PartitionVectorIndex.load({ dimensions, persistPath: dir })).toBeNull();
    expect(PartitionVectorIndex.load({ dimensions })).toBeNull();
    const index = new PartitionVectorIndex({ dimensions, persistPath: dir });
    index.apply(inserts(vectors));
    index.save();
    expect(PartitionVectorIndex.load({ dimensions: dimensions * 2, persistPath: dir })).toBeNull();
    expect(PartitionVectorIndex.load({ dimensions, persistPath: dir })).not.toBeNull();
    const vectorFile = fs.readdirSync(dir).find((name) => name.startsWith('vectors-'))!;
    fs.appendFileSync(path.join(dir, vectorFile), Buffer.alloc(4));
    expect(PartitionVectorIndex.load({ dimensions, persistPath: dir })).toBeNull();
    fs.writeFileSync(path.join(dir, 'meta.json'), '{"version":1');
    expect(PartitionVectorIndex.load({ dimensions, persistPath: dir })).toBeNull();
  });

  it('does nothing on save without a persistPath', () => {
    const index = new PartitionVectorIndex({ dimensions });
    index.apply(inserts(vectors.slice(0, 3)));
    expect(() => index.save()).not.toThrow();
  });
});

describe('PartitionVectorIndex (HNSW pending tail)', () => {
  const dimensions = 64;
  const count = 3000;
  const graphed = 2000;
  const vectors = latentVectors(count, dimensions, 31);
  const byKey = new Map(vectors.map((vector, key) => [key, vector]));
  const queries = latentVectors(40, dimensions, 32);

  /** 2 000 vectors built into the graph at the switch, then 1 000 more in ingest-sized batches of 64, all still pending. */
  function buildWithTail(persistPath?: string): PartitionVectorIndex {
    const index = new PartitionVectorIndex({
      dimensions,
      hnswThreshold: 500,
      hnswTailLimit: 1024,
      persistPath,
    });
    index.apply(inserts(vectors.slice(0, graphed)));
    for (let start = graphed; start < count; start += 64) {
      index.apply(
        inserts(vectors.slice(start, Math.min(start + 64, count)), start + 1).map((c) => ({
          ...c,
          key: c.key + start,
        })),
      );
    }
    return index;
  }

  function meanRecall(
    index: PartitionVectorIndex,
    truthSet: ReadonlyMap<number, Float32Array>,
    accept?: (key: number) => boolean,
  ): number {
    let total = 0;
    for (const query of queries) {
      total += recall(index.search(query, 10, accept), naiveTopK(truthSet, query, 10, accept));
    }
    return total / queries.length;
  }

  it('searches pending vectors immediately and folds them into the graph at the limit', () => {
    const index = buildWithTail();
    expect(index.mode).toBe('hnsw');
    expect(index.size).toBe(count);
    expect(index.pending).toBe(count - graphed);
    for (const key of [graphed, 2345, count - 1]) {
      const hit = index.search(vectors[key]!, 1)[0]!;
      expect(hit.key).toBe(key);
      expect(hit.score).toBeCloseTo(1, 5);
    }
    expect(index.similarities(vectors[2999]!, [2999])[0]).toBeCloseTo(1, 5);

    const extra = latentVectors(64, dimensions, 33);
    index.apply(extra.map((vector, i) => ({ key: count + i, seq: count + 1 + i, vector })));
    expect(index.pending).toBe(0);
    expect(index.size).toBe(count + 64);
    // The graph is approximate and its shape depends on insertion threads: a folded vector must be
    // found, not necessarily first.
    expect(index.search(extra[5]!, 10).map((hit) => hit.key)).toContain(count + 5);
    expect(index.search(vectors[2345]!, 10).map((hit) => hit.key)).toContain(2345);
  });

  it('keeps a graph key whose change carries the same vector in the graph (no re-insert)', () => {
    const index = buildWithTail();
    const pendingBefore = index.pending;
    // Key 100 is in the graph; a merge rewrites its row (new seq) with the same embedding.
    index.apply([
      { key: 100, seq: 6001, vector: Float32Array.from(vectors[100]!) },
      { key: 101, seq: 6002, vector: vectors[102]! },
    ]);
    expect(index.watermark).toBe(6002);
    expect(index.pending).toBe(pendingBefore + 1);
    expect(index.search(vectors[100]!, 1)[0]).toMatchObject({ key: 100 });
    expect(
      index
        .search(vectors[102]!, 2)
        .map((hit) => hit.key)
        .sort(),
    ).toEqual([101, 102]);
  });

  it('keeps recall@10 >= 0.9 against exact search while a tail is pending', () => {
    const index = buildWithTail();
    expect(index.pending).toBeGreaterThan(0);
    expect(meanRecall(index, byKey)).toBeGreaterThanOrEqual(0.9);
    const hits = index.search(queries[0]!, 10);
    for (const hit of hits) {
      expect(hit.score).toBeCloseTo(cosine(vectors[hit.key]!, queries[0]!), 5);
    }
    for (let i = 1; i < hits.length; i++) {
      expect(hits[i]!.score).toBeLessThanOrEqual(hits[i - 1]!.score);
    }
  });

  it('removes and updates pending keys and graph keys', () => {
    const index = buildWithTail();
    const pendingBefore = index.pending;
    index.apply([
      { key: 2900, seq: 5001, vector: null },
      { key: 10, seq: 5002, vector: null },
      { key: 2950, seq: 5003, vector: queries[30]! },
      { key: 20, seq: 5004, vector: queries[31]! },
    ]);
    expect(index.size).toBe(count - 2);
    expect(index.pending).toBe(pendingBefore - 1 + 1);
    expect(index.search(queries[30]!, 1)[0]).toMatchObject({ key: 2950 });
    expect(index.search(queries[31]!, 1)[0]).toMatchObject({ key: 20 });
    expect(index.search(queries[31]!, 1)[0]!.score).toBeCloseTo(1, 5);
    expect(index.search(vectors[2900]!, 10).map((hit) => hit.key)).not.toContain(2900);
    expect(index.search(vectors[10]!, 10).map((hit) => hit.key)).not.toContain(10);
    expect(index.search(vectors[2950]!, 10).map((hit) => hit.key)).not.toContain(2950);
    expect(index.search(vectors[20]!, 10).map((hit) => hit.key)).not.toContain(20);
    expect([...index.similarities(queries[0]!, [2900, 10])]).toEqual([Number.NaN, Number.NaN]);

    index.apply([{ key: 20, seq: 5005, vector: null }]);
    expect(index.pending).toBe(pendingBefore - 1);
    expect(index.search(queries[31]!, 10).map((hit) => hit.key)).not.toContain(20);

    const expected = new Map(byKey);
    for (const key of [2900, 10, 20]) expected.delete(key);
    expected.set(2950, queries[30]!);
    expect(index.size).toBe(expected.size);
    expect(meanRecall(index, expected)).toBeGreaterThanOrEqual(0.9);
  });

  it('serves searches from the tail alone when every graph key was updated', () => {
    const index = new PartitionVectorIndex({ dimensions, hnswThreshold: 500, hnswTailLimit: 1024 });
    index.apply(inserts(vectors.slice(0, 600)));
    expect(index.mode).toBe('hnsw');
    index.apply(inserts(vectors.slice(600, 1200), 601).map((c, key) => ({ ...c, key })));
    expect(index.pending).toBe(600);
    const moved = new Map(vectors.slice(600, 1200).map((vector, key) => [key, vector]));
    for (const query of queries.slice(0, 5)) {
      expectSameHits(index.search(query, 10), naiveTopK(moved, query, 10));
    }
  });

  it('applies accept to pending vectors too', () => {
    const index = buildWithTail();
    const even = (key: number) => key % 2 === 0;
    const pendingOnly = (key: number) => key >= graphed && key % 7 === 0;
    for (const query of queries.slice(0, 10)) {
      const hits = index.search(query, 10, even);
      expect(hits).toHaveLength(10);
      expect(hits.every((hit) => even(hit.key))).toBe(true);
      expectSameHits(
        index.search(query, 10, pendingOnly),
        naiveTopK(byKey, query, 10, pendingOnly),
      );
    }
    expect(meanRecall(index, byKey, even)).toBeGreaterThanOrEqual(0.9);
    expect(index.search(vectors[2501]!, 10, even).map((hit) => hit.key)).not.toContain(2501);
    expect(index.search(vectors[2502]!, 1, even)[0]).toMatchObject({ key: 2502 });
    expect(index.search(queries[0]!, 10, () => false)).toEqual([]);
  });

  it('folds the tail on save, so a snapshot with pending vectors round-trips', () => {
    const dir = tempDir();
    const index = buildWithTail(dir);
    expect(index.pending).toBe(count - graphed);
    const before = queries.slice(0, 10).map((query) => index.search(query, 10));
    index.save();
    expect(index.pending).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8'))).toMatchObject({
      mode: 'hnsw',
      count,
      watermark: count,
    });
    const loaded = PartitionVectorIndex.load({
      dimensions,
      hnswThreshold: 500,
      hnswTailLimit: 1024,
      persistPath: dir,
    });
    expect(loaded).not.toBeNull();
    if (loaded === null) return;
    expect(loaded.mode).toBe('hnsw');
    expect(loaded.size).toBe(count);
    expect(loaded.pending).toBe(0);
    expect(loaded.watermark).toBe(count);
    expect(loaded.search(vectors[2999]!, 1)[0]).toMatchObject({ key: 2999 });
    for (const [i, query] of queries.slice(0, 10).entries()) {
      expect(recall(loaded.search(query, 10), before[i]!)).toBeGreaterThanOrEqual(0.8);
      expectSameHits(loaded.search(query, 10), index.search(query, 10));
    }
    expect(meanRecall(loaded, byKey)).toBeGreaterThanOrEqual(0.9);

    loaded.apply([{ key: 4000, seq: count + 1, vector: queries[39]! }]);
    expect(loaded.pending).toBe(1);
    loaded.save();
    const reloaded = PartitionVectorIndex.load({
      dimensions,
      hnswThreshold: 500,
      persistPath: dir,
    });
    expect(reloaded?.size).toBe(count + 1);
    expect(reloaded?.search(queries[39]!, 1)[0]).toMatchObject({ key: 4000 });
  });
});
