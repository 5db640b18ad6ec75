/** A candidate passed to a reranker. */
export interface RerankCandidate {
  /** Memory id. */
  id: string;
  /** Memory text. */
  text: string;
}

/** Reorders search candidates by relevance to the query (cross-encoder, HTTP `/rerank`, LLM). */
export interface Reranker {
  /** Stable identity shown in search results. */
  readonly id: string;
  /** Returns a relevance score per candidate, same order as given; higher is better. */
  doRerank(query: string, candidates: readonly RerankCandidate[]): Promise<number[]>;
}
