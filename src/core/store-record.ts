/** A named memory store; it records the embedder that wrote its vectors. */
export interface StoreRecord {
  /** Letters, digits and `_`, at most 32 characters. */
  name: string;
  /** Free text. */
  description: string;
  /** Identity of the embedder whose vectors the store holds. */
  embedderId: string;
  /** Vector length of that embedder. */
  dimensions: number;
  /** ISO time of creation. */
  createdAt: string;
  /** ISO time of the last change. */
  updatedAt: string;
}
