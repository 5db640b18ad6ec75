import { NearDuplicateIndex } from '../retrieve/near-duplicate-index.js';
import type { Scope } from '../scope.js';

/** Memories accepted earlier in the same batch, so duplicates inside a batch are caught before commit. */
export class Accepted {
  private readonly items: Array<{ scope: Scope; vector: Float32Array; id: string }> = [];
  private readonly hashes = new Map<string, string>();
  private near_: NearDuplicateIndex | null = null;
  /** Memories invalidated earlier in the batch: a later near-duplicate must not revive them. */
  readonly invalidated = new Set<string>();

  constructor(private readonly dimensions: number) {}

  add(scope: Scope, vector: Float32Array, id: string, hash: string): void {
    this.hashes.set(`${scopeKey(scope)}\u0000${hash}`, id);
    this.near_ ??= new NearDuplicateIndex(this.dimensions);
    this.near_.set(this.items.length, vector);
    this.items.push({ scope, vector, id });
  }

  byHash(scope: Scope, hash: string): string | undefined {
    return this.hashes.get(`${scopeKey(scope)}\u0000${hash}`);
  }

  near(scope: Scope, vector: Float32Array, threshold: number): string | undefined {
    if (threshold > 1 || !this.near_) return undefined;
    for (const position of this.near_.candidates(vector)) {
      const item = this.items[position]!;
      if (sameScope(item.scope, scope) && dot(item.vector, vector) >= threshold) return item.id;
    }
    return undefined;
  }
}

/** One string naming an exact scope. */
function scopeKey(scope: Scope): string {
  return `${scope.appId}\u0000${scope.tenantId}\u0000${scope.agentId}\u0000${scope.runId}`;
}

/** True when two exact scopes are the same. */
export function sameScope(a: Scope, b: Scope): boolean {
  return (
    a.appId === b.appId &&
    a.tenantId === b.tenantId &&
    a.agentId === b.agentId &&
    a.runId === b.runId
  );
}

/** Dot product of two vectors of the same length. */
function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let index = 0; index < a.length; index++) sum += (a[index] ?? 0) * (b[index] ?? 0);
  return sum;
}
