import { createHash } from 'node:crypto';
import pg from 'pg';

/**
 * pgvector text form of a vector. Each float32 prints as the shortest double that names it, and
 * pgvector reads it back with strtof, so the stored vector is bit-for-bit the given one (negative
 * zero included, which JavaScript would print as `0`).
 */
export function vectorLiteral(vector: Float32Array): string {
  const parts = new Array<string | number>(vector.length);
  for (let i = 0; i < vector.length; i++) {
    const value = vector[i]!;
    parts[i] = value === 0 && 1 / value < 0 ? '-0' : value;
  }
  return `[${parts.join(',')}]`;
}

/** A vector read back in pgvector's text form. */
export function parseVector(text: string): Float32Array {
  return Float32Array.from(JSON.parse(text) as number[]);
}

/** Name of the HNSW index of one store: a digest, since store names are user input. */
export function vectorIndexName(store: string): string {
  return `memories_hnsw_${createHash('sha256').update(store).digest('hex').slice(0, 24)}`;
}

/** pgvector's HNSW indexes `vector` values of at most this many dimensions. */
export const maxIndexedDimensions = 2_000;

/**
 * The HNSW index of one store, or null above pgvector's limit (searches then scan the tenant
 * exactly). The column holds vectors of any length, which HNSW cannot index, so each store gets a
 * partial index over its rows cast to its dimension; searches cast the same way and repeat the
 * predicate (store and liveness) so the planner can use it.
 */
export function createVectorIndexSql(store: string, dimensions: number): string | null {
  if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > maxIndexedDimensions)
    return null;
  return `CREATE INDEX IF NOT EXISTS ${pg.escapeIdentifier(vectorIndexName(store))} ON memories
    USING hnsw ((embedding::vector(${dimensions})) vector_cosine_ops)
    WHERE ${vectorIndexPredicate(store, dimensions)}`;
}

/**
 * The predicate of a store's index, repeated by every vector search. Testing the length keeps rows
 * of another length out: a re-embedding swap builds the new index in the transaction that changed
 * the vectors, where the build still sees the old versions of the rows.
 */
export function vectorIndexPredicate(store: string, dimensions: number, alias = ''): string {
  const column = (name: string): string => (alias ? `${alias}.${name}` : name);
  return `${column('store')} = ${pg.escapeLiteral(store)} AND vector_dims(${column('embedding')}) = ${dimensions} AND ${column('deleted_at')} IS NULL AND ${column('valid_to')} IS NULL`;
}

/** Drops the HNSW index of one store, if any. */
export function dropVectorIndexSql(store: string): string {
  return `DROP INDEX IF EXISTS ${pg.escapeIdentifier(vectorIndexName(store))}`;
}
