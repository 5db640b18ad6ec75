/** Bits per band and number of bands of the SimHash signature. */
const bandBits = 12;
const bands = 16;
const signatureBits = bandBits * bands;
const rounds = 2;

/**
 * Candidate generator for near-duplicate detection: a SimHash signature (signs of a randomised
 * Hadamard rotation, two rounds) split into 16 bands of 12 bits, each band a hash bucket. Two vectors
 * at cosine 0.92 share at least one band with probability ≈ 0.96 (≈ 0.999 at 0.98), random pairs with
 * probability ≈ 0.4 %, so a lookup touches a few hundred keys instead of scanning the whole tenant.
 * Candidates must still be verified with the exact cosine.
 */
export class NearDuplicateIndex {
  private readonly width: number;
  private readonly signs: Float32Array[];
  private readonly buckets = new Map<number, number[]>();
  private readonly signatures = new Map<number, { signature: Uint16Array; group: number }>();
  private readonly groups = new Map<string, number>();
  private readonly scratch: Float32Array;
  private appliedSeq = 0;

  constructor(readonly dimensions: number) {
    this.width = 2 ** Math.ceil(Math.log2(Math.max(dimensions, signatureBits)));
    this.scratch = new Float32Array(this.width);
    let state = 0x9e3779b9;
    const nextSign = (): number => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return state & 0x8000 ? 1 : -1;
    };
    this.signs = Array.from({ length: rounds }, () =>
      Float32Array.from({ length: this.width }, nextSign),
    );
  }

  /** Number of keys indexed. */
  get size(): number {
    return this.signatures.size;
  }

  /** Highest change sequence applied. */
  get watermark(): number {
    return this.appliedSeq;
  }

  /** Applies storage changes after the watermark, in order. */
  apply(
    changes: ReadonlyArray<{
      key: number;
      seq: number;
      vector: Float32Array | null;
      agentId: string;
    }>,
  ): void {
    for (const change of changes) {
      if (change.seq <= this.appliedSeq) continue;
      this.set(change.key, change.vector, this.group(change.agentId));
      this.appliedSeq = change.seq;
    }
  }

  /** Keys of one agent (every run) sharing at least one band with the vector: a superset of its close neighbours there. */
  candidatesOfAgent(vector: Float32Array, agentId: string): number[] {
    const group = this.groups.get(agentId);
    return group === undefined ? [] : this.candidates(vector, group);
  }

  private group(agentId: string): number {
    let group = this.groups.get(agentId);
    if (group === undefined) {
      group = this.groups.size;
      this.groups.set(agentId, group);
    }
    return group;
  }

  /** Adds or replaces a key's vector in a group, or removes the key when `vector` is null. */
  set(key: number, vector: Float32Array | null, group = 0): void {
    const previous = this.signatures.get(key);
    if (previous) {
      previous.signature.forEach((value, band) => {
        const bucket = this.buckets.get(bucketId(previous.group, band, value));
        if (!bucket) return;
        const at = bucket.indexOf(key);
        if (at >= 0) bucket.splice(at, 1);
      });
      this.signatures.delete(key);
    }
    if (!vector) return;
    const signature = this.signature(vector);
    this.signatures.set(key, { signature, group });
    signature.forEach((value, band) => {
      const id = bucketId(group, band, value);
      const bucket = this.buckets.get(id);
      if (bucket) bucket.push(key);
      else this.buckets.set(id, [key]);
    });
  }

  /** Keys of a group sharing at least one band with the vector: a superset of its close neighbours, unordered. */
  candidates(vector: Float32Array, group = 0): number[] {
    const found = new Set<number>();
    this.signature(vector).forEach((value, band) => {
      for (const key of this.buckets.get(bucketId(group, band, value)) ?? []) found.add(key);
    });
    return [...found];
  }

  private signature(vector: Float32Array): Uint16Array {
    const work = this.scratch;
    work.fill(0);
    work.set(vector.subarray(0, Math.min(vector.length, this.width)));
    for (const signs of this.signs) {
      for (let index = 0; index < work.length; index++)
        work[index] = (work[index] ?? 0) * (signs[index] ?? 1);
      hadamard(work);
    }
    const signature = new Uint16Array(bands);
    for (let band = 0; band < bands; band++) {
      let value = 0;
      for (let bit = 0; bit < bandBits; bit++) {
        if ((work[band * bandBits + bit] ?? 0) > 0) value |= 1 << bit;
      }
      signature[band] = value;
    }
    return signature;
  }
}

function bucketId(group: number, band: number, value: number): number {
  return (group * bands + band) * 2 ** bandBits + value;
}

/** In-place unnormalised fast Walsh–Hadamard transform; the length must be a power of two. */
function hadamard(values: Float32Array): void {
  for (let half = 1; half < values.length; half *= 2) {
    for (let start = 0; start < values.length; start += half * 2) {
      for (let index = start; index < start + half; index++) {
        const a = values[index] ?? 0;
        const b = values[index + half] ?? 0;
        values[index] = a + b;
        values[index + half] = a - b;
      }
    }
  }
}
