/** Dot product of `query` with the row of `rows` starting at `offset`; unrolled by four because it is the inner loop of every exact scan and rescoring pass. */
export function dotProduct(query: Float32Array, rows: Float32Array, offset: number): number {
  const length = query.length;
  const tail = length - (length % 4);
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i < tail; i += 4) {
    const o = offset + i;
    s0 += query[i]! * rows[o]!;
    s1 += query[i + 1]! * rows[o + 1]!;
    s2 += query[i + 2]! * rows[o + 2]!;
    s3 += query[i + 3]! * rows[o + 3]!;
  }
  for (; i < length; i++) s0 += query[i]! * rows[offset + i]!;
  return s0 + s1 + s2 + s3;
}
