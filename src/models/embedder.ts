/** Turns texts into vectors; every store records the identity and dimension of the embedder that wrote it. */
export interface Embedder {
  /** Stable identity, e.g. `builtin:hash-ngram-v2`; a store refuses writes from a different one. */
  readonly id: string;
  /** Length of every vector this embedder returns. */
  readonly dimensions: number;
  /** Embeds a batch of texts, one vector per text, in order. Called by the engine, not by users. */
  doEmbed(texts: readonly string[]): Promise<Float32Array[]>;
}
