import type { RankedKey } from '../../spec/storage.js';

/** Where a fused candidate was found and at which rank (1-based). */
export interface FusedCandidate {
  key: number;
  /** Reciprocal rank fusion score, normalised so 1 means first in every list. */
  fused: number;
  keyword?: { rank: number; score: number };
  vector?: { rank: number; similarity: number };
}

/** Stand-in weight of a list weighted 0: far below any rank step of a weighted list. */
const fallbackWeight = 1e-6;

/**
 * Reciprocal rank fusion of keyword and vector hits: a hit from either list becomes a candidate,
 * so keyword-only hits enter the results instead of only re-ranking vector hits.
 */
export function fuseRanks(
  keywordHits: RankedKey[],
  vectorHits: RankedKey[],
  rrfK: number,
  weights: { keyword: number; vector: number } = { keyword: 1, vector: 1 },
): FusedCandidate[] {
  const byKey = new Map<number, FusedCandidate>();
  const best =
    ((keywordHits.length > 0 ? weights.keyword : 0) +
      (vectorHits.length > 0 ? weights.vector : 0) || 1) /
    (rrfK + 1);
  const touch = (key: number): FusedCandidate => {
    let candidate = byKey.get(key);
    if (!candidate) {
      candidate = { key, fused: 0 };
      byKey.set(key, candidate);
    }
    return candidate;
  };
  // A list of weight 0 still adds its hits, after every hit of the other list and in its own order.
  const keywordWeight = weights.keyword > 0 ? weights.keyword : fallbackWeight;
  const vectorWeight = weights.vector > 0 ? weights.vector : fallbackWeight;
  keywordHits.forEach((hit, index) => {
    const candidate = touch(hit.key);
    candidate.keyword = { rank: index + 1, score: hit.score };
    candidate.fused += keywordWeight / (rrfK + index + 1) / best;
  });
  vectorHits.forEach((hit, index) => {
    const candidate = touch(hit.key);
    candidate.vector = { rank: index + 1, similarity: hit.score };
    candidate.fused += vectorWeight / (rrfK + index + 1) / best;
  });
  return [...byKey.values()].sort((a, b) => b.fused - a.fused);
}
