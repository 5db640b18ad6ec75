import { type ReadScope, scopeMatches } from '../../core/scope.js';
import type { SearchResult } from '../../core/search-result.js';
import type { StoreRecord } from '../../core/store-record.js';
import { coversTenant } from '../../spec/covers-tenant.js';
import type { Embedder } from '../../spec/embedder.js';
import type { Reranker } from '../../spec/reranker.js';
import type { MemoryFilter, RankedKey, Storage } from '../../spec/storage.js';
import { queryTokens } from '../../text/tokenizer.js';
import type { AccessTracker } from './access-tracker.js';
import { collapsePieces } from './collapse-pieces.js';
import { fuseRanks } from './fusion.js';
import { type ScoringWeights, scoreCandidate } from './scoring.js';
import type { VectorSearch } from './vector-search.js';

export type { SearchResult, SearchSignals } from '../../core/search-result.js';

/** Tunables of retrieval. */
export interface RetrievalOptions extends ScoringWeights {
  /** Reciprocal rank fusion constant. */
  rrfK: number;
  /** Weight of the keyword (BM25) list in the fusion. */
  keywordWeight: number;
  /** Weight of the vector list in the fusion. */
  vectorWeight: number;
  /** Candidates taken from each list: max(minCandidates, topK × candidateMultiplier). */
  candidateMultiplier: number;
  /** Smallest candidate list. */
  minCandidates: number;
  /** Vector hits below this cosine similarity are not candidates. */
  minVectorSimilarity: number;
}

/** A search request after validation. */
export interface SearchRequest {
  store: StoreRecord;
  scope: ReadScope;
  query: string;
  topK: number;
  filter: MemoryFilter;
  rerank: boolean;
  /** Also return memories invalidated by later facts (their `validTo` is set). */
  includeInvalidated?: boolean;
}

/** Most invalidated memories scored exactly per search when they are asked for. */
const maxInvalidatedScanned = 10_000;

const noRerankerWarning =
  'rerank was requested but no reranker is configured; results are in fused order';

/** Hybrid retrieval: BM25 and vector candidates, fused by RRF, scored for recency and use, optionally reranked. */
export class HybridSearch {
  constructor(
    private readonly storage: Storage,
    private readonly embedder: Embedder,
    private readonly vectors: VectorSearch,
    private readonly reranker: Reranker | null,
    private readonly access: AccessTracker,
    private readonly options: RetrievalOptions,
  ) {}

  /** Invalidated memories leave the vector index, so they are scored exactly when asked for. */
  private async invalidatedVectorHits(
    request: SearchRequest,
    query: Float32Array,
  ): Promise<RankedKey[]> {
    const rows = await this.storage.search.invalidatedVectors(request.store.name, request.scope, {
      limit: maxInvalidatedScanned,
      filter: request.filter,
    });
    return rows.map((row) => ({ key: row.key, score: cosine(query, row.vector) }));
  }

  /** What a search of a store with nothing in it yet returns (no result, the same warnings). */
  nothingFound(request: { rerank: boolean }): { results: SearchResult[]; warnings: string[] } {
    return { results: [], warnings: request.rerank && !this.reranker ? [noRerankerWarning] : [] };
  }

  /** Runs a search; non-fatal problems (a failed rerank) come back as warnings. */
  async search(request: SearchRequest): Promise<{ results: SearchResult[]; warnings: string[] }> {
    const { store, scope, filter, topK } = request;
    const warnings: string[] = [];
    const pool = Math.max(this.options.minCandidates, topK * this.options.candidateMultiplier);
    const narrowing = !coversTenant(scope, filter);
    const tokens = queryTokens(request.query);
    let [keywordHits, vectorHits] = await Promise.all([
      this.storage.search.text(store.name, scope, tokens, { limit: pool, filter }),
      this.embedder.doEmbed([request.query]).then(async ([vector]) => {
        const hits = await this.vectors.search(store, scope, filter, vector!, pool, narrowing);
        return request.includeInvalidated
          ? mergeByScore(hits, await this.invalidatedVectorHits(request, vector!), pool)
          : hits;
      }),
    ]);
    if (request.includeInvalidated) {
      const invalidated = await this.storage.search.text(store.name, scope, tokens, {
        limit: pool,
        filter,
        invalidated: true,
      });
      keywordHits = mergeByScore(keywordHits, invalidated, pool);
    }
    const relevantVectorHits = vectorHits.filter(
      (hit) => hit.score >= this.options.minVectorSimilarity,
    );
    const fused = fuseRanks(keywordHits, relevantVectorHits, this.options.rrfK, {
      keyword: this.options.keywordWeight,
      vector: this.options.vectorWeight,
    });
    const memories = new Map(
      (
        await this.storage.memories.getByKeys(
          store.name,
          scope,
          fused.map((candidate) => candidate.key),
        )
      ).map((memory) => [memory.key, memory]),
    );
    const now = Date.now();
    let results: Array<SearchResult & { key: number }> = [];
    for (const candidate of fused) {
      const memory = memories.get(candidate.key);
      // Index hits are re-checked against the row: scope, deletion and validity are authoritative there.
      if (
        !memory ||
        memory.deletedAt !== null ||
        (memory.validTo !== null && !request.includeInvalidated) ||
        !scopeMatches(scope, memory.scope)
      )
        continue;
      const factors = scoreCandidate(candidate.fused, memory, this.options, now);
      const matched = [candidate.keyword && 'keyword', candidate.vector && 'vector'].filter(
        (name): name is string => Boolean(name),
      );
      const { key, ...record } = memory;
      results.push({
        key,
        memory: record,
        score: factors.final,
        matched,
        signals: {
          ...(candidate.keyword ? { keyword: candidate.keyword } : {}),
          ...(candidate.vector ? { vector: candidate.vector } : {}),
          fused: candidate.fused,
          recency: factors.recency,
          access: factors.access,
        },
      });
    }
    results.sort((a, b) => b.score - a.score);
    if (request.rerank && !this.reranker) {
      warnings.push(noRerankerWarning);
    } else if (request.rerank && results.length > 1) {
      results = await this.rerank(request.query, results.slice(0, pool), warnings);
    }
    const top = collapsePieces(results).slice(0, topK);
    this.access.record(
      store.name,
      scope,
      top.map((result) => result.key),
    );
    return { results: top.map(({ key: _key, ...result }) => result), warnings };
  }

  private async rerank<T extends SearchResult>(
    query: string,
    results: T[],
    warnings: string[],
  ): Promise<T[]> {
    const reranker = this.reranker!;
    try {
      const scores = await reranker.doRerank(
        query,
        results.map((result) => ({ id: result.memory.id, text: result.memory.text })),
      );
      results.forEach((result, index) => {
        const score = scores[index] ?? 0;
        result.signals.rerank = score;
        result.matched.push('rerank');
        result.score = score;
      });
      return results.sort((a, b) => b.score - a.score);
    } catch (error) {
      warnings.push(
        `rerank with ${reranker.id} failed, results are in fused order: ${(error as Error).message}`,
      );
      return results;
    }
  }
}

/** Two ranked lists as one, best first, at most `limit`. */
function mergeByScore(a: RankedKey[], b: RankedKey[], limit: number): RankedKey[] {
  return b.length === 0 ? a : [...a, ...b].sort((x, y) => y.score - x.score).slice(0, limit);
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    normA += a[i]! * a[i]!;
    normB += b[i]! * b[i]!;
  }
  return normA === 0 || normB === 0 ? 0 : dot / Math.sqrt(normA * normB);
}
