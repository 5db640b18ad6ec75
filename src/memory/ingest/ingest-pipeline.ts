import { randomUUID } from 'node:crypto';
import type { JobRecord } from '../../jobs/job-record.js';
import type { Embedder } from '../../models/embedder.js';
import type { ExtractedMemory, Extractor } from '../../models/extractor.js';
import type { JobCompletion, MemoryMutation, MemoryStorage } from '../../storage/spec.js';
import type { StoreRecord } from '../../stores/store-record.js';
import { indexTokens } from '../../text/tokenizer.js';
import { limits } from '../limits.js';
import { NearDuplicateIndex } from '../retrieve/near-duplicate-index.js';
import type { VectorSearch } from '../retrieve/vector-search.js';
import type { Scope } from '../scope.js';
import { textHash } from '../text-hash.js';
import { splitText } from './text-splitter.js';

/** Tunables of ingestion. */
export interface IngestOptions {
  /** Cosine similarity at or above which a new memory updates an existing one in the same scope. */
  nearDuplicateThreshold: number;
  /** Longest memory unit before splitting. */
  maxUnitCharacters: number;
}

interface Unit extends ExtractedMemory {
  hash: string;
  metadata: Record<string, string>;
}

interface Planned {
  job: JobRecord;
  units: Unit[];
}

/** The outcome of one job of a batch. */
export type JobOutcome =
  | { job: JobRecord; error: Error }
  | { job: JobRecord; completion: JobCompletion };

/**
 * Ingestion: extract → dedupe by hash → embed in one batch → reconcile near-duplicates → commit.
 * A batch's memory writes and job completions commit in one transaction, so a crash leaves
 * each job either fully applied or still queued.
 */
export class IngestPipeline {
  constructor(
    private readonly storage: MemoryStorage,
    private readonly embedder: Embedder,
    private readonly extractor: Extractor,
    private readonly vectors: VectorSearch,
    private readonly options: IngestOptions,
  ) {}

  /** Processes jobs of one store and commits the successful ones; returns every outcome. */
  async run(store: StoreRecord, jobs: JobRecord[]): Promise<JobOutcome[]> {
    const outcomes: JobOutcome[] = [];
    const planned: Planned[] = [];
    for (const job of jobs) {
      try {
        planned.push({ job, units: await this.extract(job) });
      } catch (error) {
        outcomes.push({ job, error: error as Error });
      }
    }
    const texts = planned.flatMap((plan) => plan.units.map((unit) => unit.text));
    let vectors: Float32Array[];
    try {
      vectors = texts.length > 0 ? await this.embedder.doEmbed(texts) : [];
    } catch (error) {
      return outcomes.concat(planned.map((plan) => ({ job: plan.job, error: error as Error })));
    }
    const completions: JobCompletion[] = [];
    const accepted = new Accepted(this.embedder.dimensions);
    let stored: Array<string | undefined>;
    try {
      stored = await this.storedNearDuplicates(store, planned, vectors);
    } catch (error) {
      return outcomes.concat(planned.map((plan) => ({ job: plan.job, error: error as Error })));
    }
    let offset = 0;
    for (const plan of planned) {
      const range = [offset, offset + plan.units.length] as const;
      offset = range[1];
      try {
        completions.push(
          await this.reconcile(plan, vectors.slice(...range), stored.slice(...range), accepted),
        );
      } catch (error) {
        outcomes.push({ job: plan.job, error: error as Error });
      }
    }
    if (completions.length > 0) await this.storage.commitJobs(store.name, completions, Date.now());
    for (const completion of completions) {
      outcomes.push({
        job: planned.find((plan) => plan.job.id === completion.jobId)!.job,
        completion,
      });
    }
    return outcomes;
  }

  private async extract(job: JobRecord): Promise<Unit[]> {
    const { input } = job;
    const extracted: ExtractedMemory[] =
      input.text !== undefined
        ? splitText(input.text, this.options.maxUnitCharacters).map((text) => ({
            text,
            kind: input.kind ?? 'fact',
            salience: 0.5,
            sourceMessages: [],
          }))
        : await this.extractor.doExtract(input.messages ?? []);
    const seen = new Set<string>();
    const units: Unit[] = [];
    for (const memory of extracted) {
      const hash = textHash(memory.text);
      if (seen.has(hash) || memory.text.trim().length === 0) continue;
      seen.add(hash);
      const metadata = { ...input.metadata };
      for (const [key, value] of Object.entries(memory.metadata ?? {})) {
        if (!(key in metadata) && Object.keys(metadata).length < limits.maxMetadataKeys)
          metadata[key] = value;
      }
      units.push({ ...memory, kind: input.kind ?? memory.kind, hash, metadata });
    }
    return units;
  }

  private async reconcile(
    plan: Planned,
    vectors: Float32Array[],
    stored: Array<string | undefined>,
    accepted: Accepted,
  ): Promise<JobCompletion> {
    const { job } = plan;
    const existing = await this.storage.findByHash(
      job.store,
      job.scope,
      plan.units.map((unit) => unit.hash),
    );
    const mutations: MemoryMutation[] = [];
    const memoryIds: string[] = [];
    for (const [index, unit] of plan.units.entries()) {
      const vector = vectors[index]!;
      const exact = existing.get(unit.hash) ?? accepted.byHash(job.scope, unit.hash);
      if (exact) {
        memoryIds.push(exact);
        continue;
      }
      const near =
        stored[index] ?? accepted.near(job.scope, vector, this.options.nearDuplicateThreshold);
      const tokens = indexTokens(unit.text).join(' ');
      if (near) {
        mutations.push({
          type: 'update',
          id: near,
          reason: 'near_duplicate',
          patch: { text: unit.text, tokens, hash: unit.hash, embedding: vector },
        });
        memoryIds.push(near);
        continue;
      }
      const id = randomUUID();
      mutations.push({
        type: 'insert',
        memory: {
          id,
          text: unit.text,
          kind: unit.kind,
          salience: unit.salience,
          scope: job.scope,
          metadata: unit.metadata,
          source: {
            jobId: job.id,
            messages: unit.sourceMessages,
            ...(unit.metadata.role ? { role: unit.metadata.role } : {}),
          },
          hash: unit.hash,
          tokens,
          embedding: vector,
        },
      });
      memoryIds.push(id);
      accepted.add(job.scope, vector, id, unit.hash);
    }
    return {
      jobId: job.id,
      tenant: { appId: job.scope.appId, tenantId: job.scope.tenantId },
      mutations,
      memoryIds,
    };
  }

  /**
   * For each unit of the batch, the id of a stored memory in the unit's exact scope at or above the
   * threshold, if any: one index lookup and one row fetch per tenant of the batch.
   */
  private async storedNearDuplicates(
    store: StoreRecord,
    planned: Planned[],
    vectors: Float32Array[],
  ): Promise<Array<string | undefined>> {
    const threshold = this.options.nearDuplicateThreshold;
    const found: Array<string | undefined> = new Array(vectors.length).fill(undefined);
    if (threshold > 1) return found;
    const byTenant = new Map<string, { scope: Scope; positions: number[] }>();
    let position = 0;
    for (const plan of planned) {
      const key = `${plan.job.scope.appId}\u0000${plan.job.scope.tenantId}`;
      const group = byTenant.get(key) ?? { scope: plan.job.scope, positions: [] };
      byTenant.set(key, group);
      for (const _unit of plan.units) group.positions.push(position++);
    }
    const scopes = planned.flatMap((plan) => plan.units.map(() => plan.job.scope));
    for (const { scope, positions } of byTenant.values()) {
      const tenant = { appId: scope.appId, tenantId: scope.tenantId, agentId: '*', runId: '*' };
      const hits = await this.vectors.nearDuplicates(
        store,
        tenant,
        positions.map((at) => ({
          vector: vectors[at]!,
          agentId: scopes[at]!.agentId,
          runId: scopes[at]!.runId,
        })),
        threshold,
      );
      const keys = [...new Set(hits.flatMap((list) => list.map((hit) => hit.key)))];
      if (keys.length === 0) continue;
      const rows = new Map(
        (await this.storage.getMemoriesByKey(store.name, tenant, keys)).map((row) => [
          row.key,
          row,
        ]),
      );
      hits.forEach((list, index) => {
        const at = positions[index]!;
        const match = list
          .map((hit) => rows.get(hit.key))
          .find((row) => row && sameScope(row.scope, scopes[at]!));
        found[at] = match?.id;
      });
    }
    return found;
  }
}

/** Memories accepted earlier in the same batch, so duplicates inside a batch are caught before commit. */
class Accepted {
  private readonly items: Array<{ scope: Scope; vector: Float32Array; id: string }> = [];
  private readonly hashes = new Map<string, string>();
  private near_: NearDuplicateIndex | null = null;

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

function scopeKey(scope: Scope): string {
  return `${scope.appId}\u0000${scope.tenantId}\u0000${scope.agentId}\u0000${scope.runId}`;
}

function sameScope(a: Scope, b: Scope): boolean {
  return (
    a.appId === b.appId &&
    a.tenantId === b.tenantId &&
    a.agentId === b.agentId &&
    a.runId === b.runId
  );
}

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let index = 0; index < a.length; index++) sum += (a[index] ?? 0) * (b[index] ?? 0);
  return sum;
}
