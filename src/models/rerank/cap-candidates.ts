import type { RerankCandidate, Reranker } from '../../spec/reranker.js';

/**
 * A reranker that scores only the first `limit` candidates (the fused order's best) and keeps the
 * rest in their order below them, so a slow local model costs a bounded time per search.
 */
export function capCandidates(reranker: Reranker, limit: number): Reranker {
  return {
    id: reranker.id,
    async doRerank(query: string, candidates: readonly RerankCandidate[]): Promise<number[]> {
      if (candidates.length <= limit) return reranker.doRerank(query, candidates);
      const scored = await reranker.doRerank(query, candidates.slice(0, limit));
      const floor = Math.min(...scored);
      const rest = candidates.length - limit;
      // Below every scored candidate, descending, so the fused order of the rest survives the sort.
      return [...scored, ...Array.from({ length: rest }, (_, i) => floor - (i + 1) / (rest + 1))];
    },
  };
}
