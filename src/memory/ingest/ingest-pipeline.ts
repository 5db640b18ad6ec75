import { randomUUID } from 'node:crypto';
import { MnemosError } from '../../core/errors.js';
import type { JobRecord, JobUsage } from '../../core/job-record.js';
import { limits } from '../../core/limits.js';
import type { MemorySource } from '../../core/memory-record.js';
import type { Scope } from '../../core/scope.js';
import type { StoreRecord } from '../../core/store-record.js';
import { textHash } from '../../core/text-hash.js';
import type { Embedder } from '../../spec/embedder.js';
import type { ExtractedMemory, Extractor } from '../../spec/extractor.js';
import type { NewFact, ReconcileDecision, Reconciler } from '../../spec/reconciler.js';
import type { JobCompletion, MemoryMutation, NewMemory, Storage } from '../../spec/storage.js';
import { indexTokens } from '../../text/tokenizer.js';
import type { VectorSearch } from '../retrieve/vector-search.js';
import { Accepted, sameAgent } from './accepted-in-batch.js';
import { ProfileChanges } from './profile-changes.js';
import { sameStatement } from './same-statement.js';
import { shareUsage } from './share-usage.js';
import { splitText } from './text-splitter.js';

/** Tunables of ingestion. */
export interface IngestOptions {
  /**
   * Cosine at or above which stored memories of the same agent are checked as duplicates of a new
   * one (config `ingest.near_duplicate_threshold`); the embedder's own threshold when omitted.
   * Above 1 checks none. A candidate merges only when it states the same thing ({@link sameStatement}).
   */
  nearDuplicateThreshold?: number | undefined;
  /** Longest memory unit before splitting. */
  maxUnitCharacters: number;
  /**
   * Send `text` notes through the extractor as one user message instead of storing them as they are
   * (set when an LLM extractor is configured). Default false.
   */
  extractNotes?: boolean;
}

/** Stored memories of the same agent at or above this cosine are shown to the reconciler. */
export const reconcileMinSimilarity = 0.5;
/** Most similar stored memories shown to the reconciler per new fact. */
export const reconcileTopK = 5;

interface Unit extends ExtractedMemory {
  hash: string;
  metadata: Record<string, string>;
}

interface Planned {
  job: JobRecord;
  units: Unit[];
  /** Live memories of the job's agent (any run) with a unit's hash, by hash; looked up once per job. */
  existing: Map<string, string>;
  /** Chat tokens spent on the job so far (extraction, then its share of reconciliation). */
  usage?: JobUsage | undefined;
  /** The tenant's profile before the job, given to the extractor (LLM extraction only). */
  profile: Record<string, string>;
}

/** An extractor that counts its chat tokens, as `LlmExtractor` does. */
interface CountingExtractor extends Extractor {
  readonly totalUsage: JobUsage;
}

function countsTokens(extractor: Extractor): extractor is CountingExtractor {
  const usage = (extractor as Partial<CountingExtractor>).totalUsage;
  return typeof usage === 'object' && usage !== null && typeof usage.promptTokens === 'number';
}

/** The outcome of one job of a batch. */
export type JobOutcome =
  | { job: JobRecord; error: Error }
  | { job: JobRecord; completion: JobCompletion };

/**
 * Ingestion: extract → dedupe by hash → embed in one batch → merge repeated statements → (with a
 * reconciler) one LLM reconciliation call for facts with similar stored memories → commit.
 * Duplicates are looked for within the job's (app, tenant, agent), across runs, and a memory that
 * absorbs one gains its source, so one fact said in three sessions is one memory with three sources.
 * A batch's memory writes and job completions commit in one transaction, so a crash leaves
 * each job either fully applied or still queued.
 */
export class IngestPipeline {
  constructor(
    private readonly storage: Storage,
    private readonly embedder: Embedder,
    private readonly extractor: Extractor,
    private readonly vectors: VectorSearch,
    private readonly options: IngestOptions,
    private readonly reconciler: Reconciler | null = null,
  ) {}

  /** Cosine at or above which stored memories are checked as duplicates. */
  private get threshold(): number {
    return this.options.nearDuplicateThreshold ?? this.embedder.nearDuplicateThreshold;
  }

  /** Runs a batch of jobs `worker` has claimed, committing what succeeded in one transaction. */
  async run(store: StoreRecord, jobs: JobRecord[], worker: string): Promise<JobOutcome[]> {
    const outcomes: JobOutcome[] = [];
    const planned: Planned[] = [];
    for (const job of jobs) {
      try {
        // Jobs are extracted one at a time, so the counter's difference is this job's usage.
        const before = countsTokens(this.extractor) ? { ...this.extractor.totalUsage } : undefined;
        const profile = this.options.extractNotes
          ? Object.fromEntries(
              (await this.storage.profiles.get(job.scope)).map((entry) => [entry.key, entry.value]),
            )
          : {};
        const units = await this.extract(job, profile);
        const usage =
          before && countsTokens(this.extractor)
            ? {
                promptTokens: this.extractor.totalUsage.promptTokens - before.promptTokens,
                completionTokens:
                  this.extractor.totalUsage.completionTokens - before.completionTokens,
              }
            : undefined;
        const existing = await this.storage.memories.findByHash(
          job.store,
          job.scope,
          units.map((unit) => unit.hash),
        );
        planned.push({
          job,
          units,
          existing,
          profile,
          ...(usage && usage.promptTokens + usage.completionTokens > 0 ? { usage } : {}),
        });
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
    let decisions: Array<Decided | undefined>;
    try {
      decisions = this.reconciler
        ? await this.decide(store, planned, vectors, stored)
        : new Array(vectors.length).fill(undefined);
    } catch (error) {
      return outcomes.concat(planned.map((plan) => ({ job: plan.job, error: error as Error })));
    }
    const now = Date.now();
    let offset = 0;
    for (const plan of planned) {
      const range = [offset, offset + plan.units.length] as const;
      offset = range[1];
      try {
        const completion = await this.reconcile(
          plan,
          vectors.slice(...range),
          stored.slice(...range),
          accepted,
          decisions.slice(...range),
          now,
        );
        completions.push({ ...completion, owner: worker });
      } catch (error) {
        outcomes.push({ job: plan.job, error: error as Error });
      }
    }
    for (const completion of completions) {
      const usage = planned.find((plan) => plan.job.id === completion.jobId)?.usage;
      if (usage) completion.usage = usage;
    }
    const jobOf = (completion: JobCompletion): JobRecord =>
      planned.find((plan) => plan.job.id === completion.jobId)!.job;
    let committed = completions;
    try {
      if (completions.length > 0) await this.storage.jobs.commit(store.name, completions, now);
    } catch (error) {
      // Jobs another worker took over belong to it now; the rest of the batch is still ours.
      if (!(MnemosError.isInstance(error) && error.code === 'lease_lost')) throw error;
      const lost = new Set(error.details.ids as string[]);
      committed = completions.filter((completion) => !lost.has(completion.jobId));
      for (const completion of completions)
        if (lost.has(completion.jobId)) outcomes.push({ job: jobOf(completion), error });
      if (committed.length > 0) await this.storage.jobs.commit(store.name, committed, now);
    }
    for (const completion of committed) outcomes.push({ job: jobOf(completion), completion });
    return outcomes;
  }

  private async extract(job: JobRecord, profile: Record<string, string>): Promise<Unit[]> {
    const { input } = job;
    const extracted: ExtractedMemory[] =
      input.text !== undefined && this.options.extractNotes
        ? await this.extractor.doExtract([{ role: 'user', content: input.text }], { profile })
        : input.text !== undefined
          ? splitText(input.text, this.options.maxUnitCharacters).map((text, part, pieces) => ({
              text,
              kind: input.kind ?? 'fact',
              salience: 0.5,
              sourceMessages: [],
              ...(pieces.length > 1 ? { part } : {}),
            }))
          : await this.extractor.doExtract(input.messages ?? [], { profile });
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
    decisions: Array<Decided | undefined>,
    now: number,
  ): Promise<Omit<JobCompletion, 'owner'>> {
    const { job, existing } = plan;
    const mutations: MemoryMutation[] = [];
    const memoryIds: string[] = [];
    const profile = new ProfileChanges(plan.profile);
    for (const [index, unit] of plan.units.entries()) {
      /** Reports the memory a unit ended as (null: none), and the profile value it carries. */
      const settle = (id: string | null): void => {
        if (id !== null) memoryIds.push(id);
        profile.note(unit, id);
      };
      /** Adds the unit's source to a stored memory; history records why. */
      const merge = (id: string, reason: string, text?: string): void => {
        mutations.push({ type: 'update', id, reason, patch: { addSource: source(text) } });
        settle(id);
      };
      const source = (text?: string): MemorySource => sourceOf(job, unit, now, text);
      const live = (id: string | undefined): string | undefined =>
        id !== undefined && !accepted.invalidated.has(id) ? id : undefined;
      const vector = vectors[index]!;
      const storedExact = live(existing.get(unit.hash));
      if (storedExact) {
        merge(storedExact, 'duplicate');
        continue;
      }
      const batchMatch =
        accepted.byHash(job.scope, unit.hash) ??
        accepted.near(job.scope, vector, unit.text, this.threshold);
      if (batchMatch) {
        batchMatch.mergedSources = [
          ...(batchMatch.mergedSources ?? []),
          source(batchMatch.text === unit.text ? undefined : unit.text),
        ];
        settle(batchMatch.id);
        continue;
      }
      const storedSame = live(stored[index]);
      if (storedSame) {
        merge(storedSame, 'same_statement', unit.text);
        continue;
      }
      const tokens = indexTokens(unit.text).join(' ');
      const decided = decisions[index];
      const decision = decided?.decision;
      if (decision?.event === 'NONE') {
        const known = live(decision.targetId);
        if (known) merge(known, 'llm_known', unit.text);
        else settle(decision.targetId ?? null);
        continue;
      }
      if (decision?.event === 'UPDATE' && !accepted.invalidated.has(decision.targetId)) {
        mutations.push({
          type: 'update',
          id: decision.targetId,
          reason: 'llm_update',
          patch: {
            text: decision.text,
            tokens: indexTokens(decision.text).join(' '),
            hash: textHash(decision.text),
            embedding: decided?.vector ?? vector,
            addSource: source(unit.text),
          },
        });
        settle(decision.targetId);
        continue;
      }
      if (decision?.event === 'INVALIDATE') {
        accepted.invalidated.add(decision.targetId);
        mutations.push({
          type: 'update',
          id: decision.targetId,
          reason: 'contradicted',
          patch: { validTo: now, tokens: indexTokens(decision.previousText).join(' ') },
        });
      }
      const memory: NewMemory = {
        id: randomUUID(),
        text: unit.text,
        kind: unit.kind,
        salience: unit.salience,
        scope: job.scope,
        metadata: unit.metadata,
        source: source(),
        hash: unit.hash,
        tokens,
        embedding: vector,
      };
      mutations.push({ type: 'insert', memory });
      settle(memory.id);
      accepted.add(memory);
    }
    return {
      jobId: job.id,
      attempt: job.attempts,
      tenant: { appId: job.scope.appId, tenantId: job.scope.tenantId },
      mutations,
      memoryIds,
      ...(profile.changes.length > 0 ? { profile: profile.changes } : {}),
    };
  }

  /**
   * Reconciliation: for each unit not settled by an exact hash or a stored same statement, the
   * stored live memories of its agent (any run) at or above {@link reconcileMinSimilarity} (top
   * {@link reconcileTopK}); then ONE reconciler call for the batch, and one embedding call for
   * merged UPDATE texts. Any error fails the whole batch (the runner retries its jobs).
   */
  private async decide(
    store: StoreRecord,
    planned: Planned[],
    vectors: Float32Array[],
    stored: Array<string | undefined>,
  ): Promise<Array<Decided | undefined>> {
    const decided: Array<Decided | undefined> = new Array(vectors.length).fill(undefined);
    const facts: NewFact[] = [];
    const positions: number[] = [];
    /** The plan of each fact, to share the call's tokens among jobs by facts asked about. */
    const owners: Planned[] = [];
    let offset = 0;
    for (const plan of planned) {
      const { job, existing } = plan;
      for (const [index, unit] of plan.units.entries()) {
        const at = offset + index;
        if (existing.has(unit.hash) || stored[at] !== undefined) continue;
        const hits = (
          await this.vectors.search(
            store,
            { ...job.scope, runId: '*' },
            {},
            vectors[at]!,
            reconcileTopK,
            true,
          )
        ).filter((hit) => hit.score >= reconcileMinSimilarity);
        const rows =
          hits.length === 0
            ? []
            : await this.storage.memories.getByKeys(store.name, job.scope, [
                ...hits.map((hit) => hit.key),
              ]);
        const byKey = new Map(rows.map((row) => [row.key, row]));
        const similar = hits
          .map((hit) => byKey.get(hit.key))
          .filter(
            (row): row is NonNullable<typeof row> =>
              row !== undefined &&
              row.deletedAt === null &&
              row.validTo === null &&
              sameAgent(row.scope, job.scope),
          )
          .map((row) => ({ id: row.id, text: row.text }));
        facts.push({ text: unit.text, similar });
        positions.push(at);
        owners.push(plan);
      }
      offset += plan.units.length;
    }
    if (!facts.some((fact) => fact.similar.length > 0)) return decided;
    const result = await this.reconciler!.reconcile(facts);
    if (result.usage) shareUsage(result.usage, owners, facts);
    const merged: Array<{ at: number; text: string }> = [];
    for (const decision of result.decisions) {
      const at = positions[decision.fact];
      if (at === undefined) continue;
      decided[at] = { decision };
      if (decision.event === 'UPDATE') merged.push({ at, text: decision.text });
    }
    if (merged.length > 0) {
      const embedded = await this.embedder.doEmbed(merged.map((item) => item.text));
      merged.forEach((item, index) => {
        decided[item.at]!.vector = embedded[index];
      });
    }
    return decided;
  }

  /**
   * For each unit of the batch, the id of a live stored memory of the unit's agent (any run) at or
   * above the threshold that states the same thing, if any: one index lookup and one row fetch per
   * tenant of the batch. Cosine only proposes; {@link sameStatement} decides.
   */
  private async storedNearDuplicates(
    store: StoreRecord,
    planned: Planned[],
    vectors: Float32Array[],
  ): Promise<Array<string | undefined>> {
    const threshold = this.threshold;
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
    const texts = planned.flatMap((plan) => plan.units.map((unit) => unit.text));
    for (const { scope, positions } of byTenant.values()) {
      const tenant = { appId: scope.appId, tenantId: scope.tenantId, agentId: '*', runId: '*' };
      const hits = await this.vectors.nearDuplicates(
        store,
        tenant,
        positions.map((at) => ({ vector: vectors[at]!, agentId: scopes[at]!.agentId })),
        threshold,
      );
      const keys = [...new Set(hits.flatMap((list) => list.map((hit) => hit.key)))];
      if (keys.length === 0) continue;
      const rows = new Map(
        (await this.storage.memories.getByKeys(store.name, tenant, keys)).map((row) => [
          row.key,
          row,
        ]),
      );
      hits.forEach((list, index) => {
        const at = positions[index]!;
        const match = list
          .map((hit) => rows.get(hit.key))
          .find(
            (row) =>
              row !== undefined &&
              row.deletedAt === null &&
              row.validTo === null &&
              sameAgent(row.scope, scopes[at]!) &&
              sameStatement(row.text, texts[at]!),
          );
        found[at] = match?.id;
      });
    }
    return found;
  }
}

/** A reconciler's decision for one unit, with the embedding of an UPDATE's merged text. */
interface Decided {
  decision: ReconcileDecision;
  vector?: Float32Array | undefined;
}

/** The source a unit gives the memory it ends in; `text` when its wording differs from the memory's. */
function sourceOf(job: JobRecord, unit: Unit, now: number, text?: string): MemorySource {
  return {
    jobId: job.id,
    messages: unit.sourceMessages,
    ...(unit.part !== undefined ? { part: unit.part } : {}),
    ...(unit.metadata.role ? { role: unit.metadata.role } : {}),
    runId: job.scope.runId,
    ...(Object.keys(unit.metadata).length > 0 ? { metadata: unit.metadata } : {}),
    ...(text !== undefined ? { text } : {}),
    at: new Date(now).toISOString(),
  };
}
