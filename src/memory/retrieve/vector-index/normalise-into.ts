/** Writes the unit-length form of `source` into `target` at `offset` (zeros for a zero vector) so cosine similarity becomes a plain dot product; returns the original norm. */
export function normaliseInto(source: Float32Array, target: Float32Array, offset: number): number {
  let sum = 0;
  for (let i = 0; i < source.length; i++) sum += source[i]! * source[i]!;
  const norm = Math.sqrt(sum);
  if (!Number.isFinite(norm)) throw new RangeError('vector contains a non-finite component');
  const scale = norm > 0 ? 1 / norm : 0;
  for (let i = 0; i < source.length; i++) target[offset + i] = source[i]! * scale;
  return norm;
}
