import { randomUUID } from 'node:crypto';
import type { JobRecord } from '../../jobs/job-record.js';
import type { Embedder } from '../../models/embedder.js';
import type { ExtractedMemory, Extractor } from '../../models/extractor.js';
import type { JobCompletion, MemoryMutation, MemoryStorage } from '../../storage/spec.js';
import type { StoreRecord } from '../../stores/store-record.js';
import { indexTokens } from '../../text/tokenizer.js';
import { limits } from '../limits.js';
import type { VectorSearch } from '../retrieve/vector-search.js';
import { type Scope, scopeMatches } from '../scope.js';
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
    const accepted: Array<{ scope: Scope; vector: Float32Array; id: string; hash: string }> = [];
    let offset = 0;
    for (const plan of planned) {
      const jobVectors = vectors.slice(offset, offset + plan.units.length);
      offset += plan.units.length;
      try {
        completions.push(await this.reconcile(store, plan, jobVectors, accepted));
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
    store: StoreRecord,
    plan: Planned,
    vectors: Float32Array[],
    accepted: Array<{ scope: Scope; vector: Float32Array; id: string; hash: string }>,
  ): Promise<JobCompletion> {
    const { job } = plan;
    const existing = await this.storage.findByHash(
      store.name,
      job.scope,
      plan.units.map((unit) => unit.hash),
    );
    const mutations: MemoryMutation[] = [];
    const memoryIds: string[] = [];
    for (const [index, unit] of plan.units.entries()) {
      const vector = vectors[index]!;
      const exact =
        existing.get(unit.hash) ??
        accepted.find((item) => item.hash === unit.hash && sameScope(item.scope, job.scope))?.id;
      if (exact) {
        memoryIds.push(exact);
        continue;
      }
      const near = await this.nearDuplicate(store, job.scope, vector, accepted);
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
      accepted.push({ scope: job.scope, vector, id, hash: unit.hash });
    }
    return {
      jobId: job.id,
      tenant: { appId: job.scope.appId, tenantId: job.scope.tenantId },
      mutations,
      memoryIds,
    };
  }

  /** Id of a memory in the same exact scope at or above the similarity threshold, if any. */
  private async nearDuplicate(
    store: StoreRecord,
    scope: Scope,
    vector: Float32Array,
    accepted: Array<{ scope: Scope; vector: Float32Array; id: string }>,
  ): Promise<string | undefined> {
    const threshold = this.options.nearDuplicateThreshold;
    if (threshold > 1) return undefined;
    for (const item of accepted) {
      if (sameScope(item.scope, scope) && dot(item.vector, vector) >= threshold) return item.id;
    }
    // Unfiltered top hits, then a scope check: cheaper than building the scope's key set per unit.
    const hits = await this.vectors.search(store, scope, {}, vector, 8, false);
    const close = hits.filter((hit) => hit.score >= threshold);
    if (close.length === 0) return undefined;
    const memories = await this.storage.getMemoriesByKey(
      store.name,
      scope,
      close.map((hit) => hit.key),
    );
    const inScope = new Map(
      memories
        .filter((memory) => scopeMatches(scope, memory.scope))
        .map((memory) => [memory.key, memory.id]),
    );
    return close.map((hit) => inScope.get(hit.key)).find((id) => id !== undefined);
  }
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
