import { describe, expect, it } from 'vitest';
import { BuiltinEmbedder } from '../../models/embed/builtin-embedder.js';
import { NearDuplicateIndex } from './near-duplicate-index.js';

function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function unit(vector: Float32Array): Float32Array {
  const norm = Math.hypot(...vector);
  return vector.map((value) => value / norm);
}

/** A vector at roughly the given cosine from `base`. */
function near(base: Float32Array, cosine: number, next: () => number): Float32Array {
  const noise = unit(Float32Array.from(base, () => next() - 0.5));
  const projection = noise.reduce((sum, value, index) => sum + value * (base[index] ?? 0), 0);
  const orthogonal = unit(noise.map((value, index) => value - projection * (base[index] ?? 0)));
  const sine = Math.sqrt(1 - cosine * cosine);
  return base.map((value, index) => cosine * value + sine * (orthogonal[index] ?? 0));
}

describe('NearDuplicateIndex', () => {
  const dimensions = 256;
  const next = random(7);
  const vectors = Array.from({ length: 2_000 }, () =>
    unit(Float32Array.from({ length: dimensions }, () => next() - 0.5)),
  );

  it('finds almost every vector at cosine 0.95 and few unrelated ones', () => {
    const index = new NearDuplicateIndex(dimensions);
    for (const [key, vector] of vectors.entries()) index.set(key, vector);
    let found = 0;
    let candidates = 0;
    for (let key = 0; key < 200; key++) {
      const result = index.candidates(near(vectors[key]!, 0.95, next));
      if (result.includes(key)) found += 1;
      candidates += result.length;
    }
    expect(found / 200).toBeGreaterThan(0.95);
    expect(candidates / 200).toBeLessThan(2_000 * 0.05);
  });

  it('always finds an identical vector and forgets removed keys', () => {
    const index = new NearDuplicateIndex(dimensions);
    index.set(1, vectors[0]!);
    index.set(2, vectors[1]!);
    expect(index.candidates(vectors[0]!)).toContain(1);
    index.set(1, null);
    expect(index.candidates(vectors[0]!)).not.toContain(1);
    index.set(2, vectors[0]!);
    expect(index.candidates(vectors[0]!)).toContain(2);
    expect(index.size).toBe(1);
  });

  it('groups near-identical sentences from the built-in embedder', async () => {
    const embedder = new BuiltinEmbedder();
    const [a, b, c] = await embedder.doEmbed([
      'The user lives in Berlin, Germany',
      'The user lives in Berlin Germany!',
      'Lunch was a bowl of noodles',
    ]);
    const index = new NearDuplicateIndex(256);
    index.set(1, a!);
    index.set(3, c!);
    expect(index.candidates(b!)).toContain(1);
  });

  it('keeps candidates inside one agent, across its runs, and follows the change feed', () => {
    const index = new NearDuplicateIndex(dimensions);
    const change = (key: number, seq: number, vector: Float32Array | null, agentId: string) => ({
      key,
      seq,
      vector,
      agentId,
      runId: `run-${key}`,
    });
    index.apply([
      change(1, 1, vectors[0]!, 'agent'),
      change(2, 2, vectors[0]!, 'agent'),
      change(3, 3, vectors[0]!, 'other'),
    ]);
    expect(index.candidatesOfAgent(vectors[0]!, 'agent').sort()).toEqual([1, 2]);
    expect(index.candidatesOfAgent(vectors[0]!, 'other')).toEqual([3]);
    expect(index.candidatesOfAgent(vectors[0]!, 'nobody')).toEqual([]);
    index.apply([change(1, 3, null, 'agent'), change(1, 4, null, 'agent')]);
    expect(index.watermark).toBe(4);
    expect(index.candidatesOfAgent(vectors[0]!, 'agent')).toEqual([2]);
  });
});
