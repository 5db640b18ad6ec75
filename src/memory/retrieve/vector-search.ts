import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ReadScope, TenantKey } from '../../core/scope.js';
import type { MemoryFilter, RankedKey, Storage } from '../../spec/storage.js';
import { NearDuplicateIndex } from './near-duplicate-index.js';
import { PartitionVectorIndex } from './vector-index/partition-vector-index.js';

/** Options of the in-process vector search. */
export interface VectorSearchOptions {
  /** Vectors per tenant at which exact scanning gives way to HNSW. */
  hnswThreshold: number;
  /** Folder for persisted HNSW indexes, or null to keep them in memory only. */
  indexDirectory: string | null;
}

const changeBatch = 5_000;

/**
 * Vector search over a tenant's memories. Uses the backend's own index when it has one; otherwise
 * keeps one in-process index per (store, tenant), brought up to date from the storage's change
 * sequence before every query, so writes from other processes are seen too.
 */
export class VectorSearch {
  private readonly indexes = new Map<string, PartitionVectorIndex>();
  private readonly nearIndexes = new Map<PartitionVectorIndex, NearDuplicateIndex>();

  constructor(
    private readonly storage: Storage,
    private readonly options: VectorSearchOptions,
  ) {}

  /** Top-`limit` vector hits inside the pattern and filter, by cosine similarity. */
  async search(
    store: { name: string; dimensions: number; createdAt: string },
    scope: ReadScope,
    filter: MemoryFilter,
    vector: Float32Array,
    limit: number,
    narrowing: boolean,
  ): Promise<RankedKey[]> {
    if (this.storage.capabilities.nativeVectorSearch) {
      return this.storage.search.vectors(store.name, scope, vector, { limit, filter });
    }
    const index = await this.synced(store, scope);
    if (!narrowing) return index.search(vector, limit);
    const allowed = await this.storage.search.matchingKeys(store.name, scope, filter);
    return index.search(vector, limit, (key) => allowed.has(key));
  }

  /** The tenant's index, with every change up to now applied. */
  async synced(
    store: { name: string; dimensions: number; createdAt: string },
    tenant: TenantKey,
  ): Promise<PartitionVectorIndex> {
    const id = `${store.name}\u0000${store.createdAt}\u0000${tenant.appId}\u0000${tenant.tenantId}`;
    let index = this.indexes.get(id);
    // A store re-embedded at another dimension (`mnemos mem reembed`) needs a fresh index.
    if (index && index.dimensions !== store.dimensions) {
      this.nearIndexes.delete(index);
      index = undefined;
    }
    if (!index) {
      const options = {
        dimensions: store.dimensions,
        hnswThreshold: this.options.hnswThreshold,
        persistPath: this.persistPath(id, store.name),
      };
      index = PartitionVectorIndex.load(options) ?? new PartitionVectorIndex(options);
      // A persisted index ahead of the database belongs to another database file: rebuild.
      if (index.watermark > (await this.storage.search.latestSeq(store.name, tenant)))
        index = new PartitionVectorIndex(options);
      this.indexes.set(id, index);
    }
    for (;;) {
      const changes = await this.storage.search.vectorChanges(store.name, tenant, {
        afterSeq: index.watermark,
        limit: changeBatch,
      });
      if (changes.length === 0) break;
      index.apply(changes);
      if (changes.length < changeBatch) break;
    }
    return index;
  }

  /**
   * For each item, the keys of its agent's memories (every run) at or above `threshold` cosine,
   * best first. Candidates come from SimHash buckets kept per agent and are verified exactly, so a
   * lookup costs about the same however large the tenant grows. Backends with native vector search
   * use their own index.
   */
  async nearDuplicates(
    store: { name: string; dimensions: number; createdAt: string },
    tenant: TenantKey,
    items: Array<{ vector: Float32Array; agentId: string }>,
    threshold: number,
  ): Promise<RankedKey[][]> {
    if (this.storage.capabilities.nativeVectorSearch) {
      return Promise.all(
        items.map(async (item) =>
          (
            await this.storage.search.vectors(
              store.name,
              { ...tenant, agentId: item.agentId, runId: '*' },
              item.vector,
              { limit: 8 },
            )
          ).filter((hit) => hit.score >= threshold),
        ),
      );
    }
    const index = await this.synced(store, tenant);
    let near = this.nearIndexes.get(index);
    if (!near) {
      near = new NearDuplicateIndex(store.dimensions);
      this.nearIndexes.set(index, near);
    }
    for (;;) {
      const changes = await this.storage.search.vectorChanges(store.name, tenant, {
        afterSeq: near.watermark,
        limit: changeBatch,
      });
      near.apply(changes);
      if (changes.length < changeBatch) break;
    }
    const lsh = near;
    return items.map((item) => {
      const candidates = lsh.candidatesOfAgent(item.vector, item.agentId);
      const scores = index.similarities(item.vector, candidates);
      const hits: RankedKey[] = [];
      candidates.forEach((key, position) => {
        const score = scores[position]!;
        if (score >= threshold) hits.push({ key, score });
      });
      return hits.sort((a, b) => b.score - a.score);
    });
  }

  /** Persists every index that supports it, so the next process starts warm. */
  save(): void {
    for (const index of this.indexes.values()) index.save();
  }

  /** Forgets cached indexes of a store (after it is deleted or re-embedded). */
  forget(storeName: string): void {
    for (const [id, index] of this.indexes) {
      if (!id.startsWith(`${storeName}\u0000`)) continue;
      this.indexes.delete(id);
      this.nearIndexes.delete(index);
    }
  }

  private persistPath(id: string, storeName: string): string | undefined {
    if (!this.options.indexDirectory) return undefined;
    const folder = join(this.options.indexDirectory, storeName);
    mkdirSync(folder, { recursive: true });
    return join(folder, `${createHash('sha1').update(id).digest('hex').slice(0, 24)}.idx`);
  }
}
