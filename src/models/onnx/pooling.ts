import { MnemosError } from '../../core/errors.js';

/** How token vectors become one text vector: the mask-aware mean (sentence-transformers) or `[CLS]` (bge). */
export type Pooling = 'mean' | 'cls';

/**
 * Turns one model output into a vector per row. A `[rows, hidden]` output (a `sentence_embedding`
 * head) is taken as is; a `[rows, seq, hidden]` one is pooled over each row's real tokens only, so
 * padding added for a longer neighbour in the batch never changes a text's vector.
 */
export function poolRows(
  data: Float32Array,
  dims: readonly number[],
  lengths: readonly number[],
  pooling: Pooling,
): Float32Array[] {
  const rows = lengths.length;
  if (dims.length === 2 && dims[0] === rows) {
    const hidden = dims[1]!;
    return lengths.map((_, row) => data.slice(row * hidden, (row + 1) * hidden));
  }
  if (dims.length !== 3 || dims[0] !== rows) {
    throw new MnemosError(
      'config_error',
      `the ONNX embedder returned shape [${dims.join(', ')}]; expected [${rows}, seq, hidden] or [${rows}, hidden]`,
    );
  }
  const seq = dims[1]!;
  const hidden = dims[2]!;
  return lengths.map((length, row) => {
    const base = row * seq * hidden;
    if (pooling === 'cls') return data.slice(base, base + hidden);
    const count = Math.max(1, Math.min(length, seq));
    const sum = new Float64Array(hidden);
    for (let token = 0; token < count; token++) {
      const offset = base + token * hidden;
      for (let index = 0; index < hidden; index++) {
        sum[index] = (sum[index] ?? 0) + (data[offset + index] ?? 0);
      }
    }
    return Float32Array.from(sum, (value) => value / count);
  });
}

/** Scales a vector to unit length in place (a zero vector stays zero), so dot product is cosine. */
export function normalizeInPlace(vector: Float32Array): Float32Array {
  let norm = 0;
  for (const value of vector) norm += value * value;
  if (norm > 0) {
    const scale = 1 / Math.sqrt(norm);
    for (let index = 0; index < vector.length; index++)
      vector[index] = (vector[index] ?? 0) * scale;
  }
  return vector;
}
