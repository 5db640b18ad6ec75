import type { MemoryRecord } from './memory-record.js';

/** Which signals found a result, and how it was scored. */
export interface SearchSignals {
  /** BM25 rank and score, when the keyword search found it. */
  keyword?: { rank: number; score: number };
  /** Vector rank and cosine similarity, when the vector search found it. */
  vector?: { rank: number; similarity: number };
  /** Fused relevance in (0, 1]. */
  fused: number;
  /** Recency factor in (0, 1]. */
  recency: number;
  /** Use factor in [0, 1]. */
  access: number;
  /** Reranker score, when reranked. */
  rerank?: number;
}

/** One search result. */
export interface SearchResult {
  memory: MemoryRecord;
  /** Final score; higher is better. */
  score: number;
  /** Names of the signals that matched: `keyword`, `vector`, `rerank`. */
  matched: string[];
  signals: SearchSignals;
}

/** Output of `memories.search`. */
export interface SearchMemoriesOutput {
  results: SearchResult[];
  /** Non-fatal problems, such as a failed rerank. */
  warnings: string[];
}
