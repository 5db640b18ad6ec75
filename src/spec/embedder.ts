/** Turns texts into vectors; every store records the identity and dimension of the embedder that wrote it. */
export interface Embedder {
  /** Stable identity, e.g. `builtin:hash-ngram-v2`; a store refuses writes from a different one. */
  readonly id: string;
  /** Length of every vector this embedder returns. */
  readonly dimensions: number;
  /**
   * Cosine at or above which two of its vectors may hold the same statement: the stored neighbours
   * ingestion checks as duplicates (each still verified; cosine alone never merges). A property of
   * the model, so each embedder sets its own; `ingest.near_duplicate_threshold` overrides it.
   */
  readonly nearDuplicateThreshold: number;
  /**
   * Weight of its vector list beside BM25 (weight 1) in fusion, set by its measured retrieval
   * quality; 0 lets the list only add hits after the keyword ones. `retrieval.vector_weight` overrides it.
   */
  readonly fusionWeight: number;
  /** Embeds a batch of texts, one vector per text, in order. Called by the engine, not by users. */
  doEmbed(texts: readonly string[]): Promise<Float32Array[]>;
}
