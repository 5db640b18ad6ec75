import type { Scope } from '../../core/scope.js';
import type { NewMemory } from '../../spec/storage.js';
import { NearDuplicateIndex } from '../retrieve/near-duplicate-index.js';
import { sameStatement } from './same-statement.js';

/**
 * Memories accepted earlier in the same batch, so a fact said twice in one batch is caught before
 * commit. Like stored memories, they are matched within the (app, tenant, agent), across runs.
 */
export class Accepted {
  private readonly items: Array<{ vector: Float32Array; memory: NewMemory }> = [];
  private readonly hashes = new Map<string, NewMemory>();
  private near_: NearDuplicateIndex | null = null;
  /** Memories invalidated earlier in the batch: a later duplicate must not revive them. */
  readonly invalidated = new Set<string>();

  constructor(private readonly dimensions: number) {}

  /** Records a memory the batch inserts. */
  add(memory: NewMemory): void {
    this.hashes.set(`${agentKey(memory.scope)}\u0000${memory.hash}`, memory);
    this.near_ ??= new NearDuplicateIndex(this.dimensions);
    this.near_.set(this.items.length, memory.embedding);
    this.items.push({ vector: memory.embedding, memory });
  }

  /** The accepted memory of the scope's agent with this content hash. */
  byHash(scope: Scope, hash: string): NewMemory | undefined {
    return this.hashes.get(`${agentKey(scope)}\u0000${hash}`);
  }

  /** An accepted memory of the scope's agent at or above `threshold` cosine that states the same as `text`. */
  near(scope: Scope, vector: Float32Array, text: string, threshold: number): NewMemory | undefined {
    if (threshold > 1 || !this.near_) return undefined;
    for (const position of this.near_.candidates(vector)) {
      const { memory, vector: other } = this.items[position]!;
      if (
        sameAgent(memory.scope, scope) &&
        dot(other, vector) >= threshold &&
        sameStatement(memory.text, text)
      )
        return memory;
    }
    return undefined;
  }
}

/** One string naming the (app, tenant, agent) of a scope. */
function agentKey(scope: Scope): string {
  return `${scope.appId}\u0000${scope.tenantId}\u0000${scope.agentId}`;
}

/** True when two scopes belong to the same (app, tenant, agent), whatever their runs. */
export function sameAgent(a: Scope, b: Scope): boolean {
  return a.appId === b.appId && a.tenantId === b.tenantId && a.agentId === b.agentId;
}

/** Dot product of two vectors of the same length. */
function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let index = 0; index < a.length; index++) sum += (a[index] ?? 0) * (b[index] ?? 0);
  return sum;
}
