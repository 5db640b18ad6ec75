import type { AgentDefinition, AgentDefinitionRecord } from '../core/agent-definition.js';
import type { CronJobRecord, CronRunRecord } from '../core/cron-record.js';
import type { ChatBinding, GatewayAccount, PairingRequest } from '../core/gateway-record.js';
import type { JobInput, JobRecord, JobUsage } from '../core/job-record.js';
import type { ApiKeyRecord, AuditEntry } from '../core/key-record.js';
import type {
  HistoryEntry,
  MemoryKind,
  MemoryRecord,
  MemorySource,
} from '../core/memory-record.js';
import type { ProfileChange, ProfileEntry, ProfileHistoryEntry } from '../core/profile-record.js';
import type { ReadScope, Scope, TenantKey } from '../core/scope.js';
import type { SessionMessage, SessionRecord } from '../core/session-record.js';
import type {
  SkillActor,
  SkillChangeAction,
  SkillFiles,
  SkillOrigin,
  SkillProvenance,
  SkillRecord,
  SkillStatus,
  SkillSummary,
  SkillVersionEntry,
} from '../core/skill-record.js';
import type { StoreRecord } from '../core/store-record.js';
import type { TeamRunRecord } from '../core/team-run-record.js';

/** Real differences between storage backends; the engine branches on these, never on the adapter. */
export interface StorageCapabilities {
  /**
   * True when the backend ranks vectors itself (`search.vectors`). When false the engine keeps an
   * in-process index per tenant, fed by `search.vectorChanges`.
   */
  nativeVectorSearch: boolean;
}

/** Filters shared by list, search and delete. */
export interface MemoryFilter {
  /** Only these kinds. */
  kinds?: MemoryKind[];
  /** Every key must equal the given value. */
  metadata?: Record<string, string>;
  /** Created at or after this epoch millisecond. */
  createdAfter?: number;
  /** Created at or before this epoch millisecond. */
  createdBefore?: number;
}

/** A memory row to insert. */
export interface NewMemory {
  id: string;
  text: string;
  kind: MemoryKind;
  salience: number;
  scope: Scope;
  metadata: Record<string, string>;
  source: MemorySource;
  /** Sources merged into it before it was stored (later jobs of the same batch that said it again). */
  mergedSources?: MemorySource[];
  hash: string;
  /** Full-text tokens from the shared tokenizer, joined by spaces. */
  tokens: string;
  embedding: Float32Array;
}

/** A change to an existing memory, with the text-level fields recomputed by the engine. */
export interface MemoryPatch {
  text?: string;
  tokens?: string;
  hash?: string;
  embedding?: Float32Array;
  kind?: MemoryKind;
  salience?: number;
  metadata?: Record<string, string>;
  /** A source to add to the memory's `sources` (a job that said it again or was merged into it). */
  addSource?: MemorySource;
  /**
   * Epoch ms after which the memory no longer holds. Setting it invalidates the memory: it leaves
   * default search (vector dropped; full-text moved to the tenant's invalidated set when `tokens` of
   * its current text are given), stays readable, and history records `INVALIDATE`.
   */
  validTo?: number;
}

/** One write of an ingestion or update, applied atomically with the others of its batch. */
export type MemoryMutation =
  | { type: 'insert'; memory: NewMemory }
  | { type: 'update'; id: string; patch: MemoryPatch; reason: string };

/** One claim of a job: its attempt number and the worker holding it. */
export interface JobClaim {
  attempt: number;
  owner: string;
}

/** A job's result to commit in the same transaction as its memory writes. */
export interface JobCompletion {
  /** Job id. */
  jobId: string;
  /**
   * The claim the result was computed under: the job's `attempts` when claimed. The commit is
   * refused when the job was claimed again since (another worker took it over after the lease).
   */
  attempt: number;
  /** The worker that claimed it; with `attempt`, the claim the commit must still find. */
  owner: string;
  /** The job's tenant; every mutation must fall inside it. */
  tenant: TenantKey;
  /** Writes of the job. */
  mutations: MemoryMutation[];
  /** Ids reported back to the caller. */
  memoryIds: string[];
  /** Chat tokens the job's extraction and reconciliation used, when a model was called. */
  usage?: JobUsage | undefined;
  /** Profile values taken from the job's profile facts, applied with its memories. */
  profile?: ProfileChange[] | undefined;
}

/** A memory with its backend row key, used to join index hits back to rows. */
export interface KeyedMemory extends MemoryRecord {
  /** Integer row key. */
  key: number;
}

/** A ranked hit from a full-text or vector search. */
export interface RankedKey {
  /** Integer row key. */
  key: number;
  /** Backend score: BM25 (higher is better) or cosine similarity. */
  score: number;
}

/** A change to the searchable vector of a row since a sequence number. */
export interface VectorChange {
  /** Integer row key. */
  key: number;
  /** Change sequence number, monotonic per database. */
  seq: number;
  /** New vector, or null when the row is no longer searchable (deleted or invalidated). */
  vector: Float32Array | null;
  /** Agent of the row, so near-duplicate candidates can be limited to one exact scope. */
  agentId: string;
  /** Run of the row. */
  runId: string;
}

/** Page request for list operations. */
export interface Page {
  /** Max items. */
  limit: number;
  /** Items to skip. */
  offset: number;
}

/** A re-embedding of a store in progress: the embedder its vectors are staged for. */
export interface ReembedRun {
  /** Random id; staging writes of a replaced run are refused. */
  id: string;
  embedderId: string;
  dimensions: number;
  /** ISO time the run started. */
  startedAt: string;
}

/** How a re-embedding starts: fresh, or resuming a run for the same target. */
export interface ReembedStart {
  run: ReembedRun;
  /** True when staging of an interrupted run for the same embedder was kept. */
  resumed: boolean;
  /** Memories that already have a staged vector for their current text. */
  staged: number;
  /** Memories of the store, every tenant, deleted and invalidated ones included. */
  total: number;
}

/** Options of reads that can include soft-deleted memories. */
export interface DeletedOption {
  /** Include soft-deleted memories (default false). */
  includeDeleted?: boolean;
}

/** Memory stores: name, description and the embedder their vectors belong to. */
export interface StoreStorage {
  create(store: StoreRecord): Promise<StoreRecord>;
  get(name: string): Promise<StoreRecord | null>;
  update(name: string, description: string, now: number): Promise<StoreRecord | null>;
  list(): Promise<StoreRecord[]>;
  /** Removes a store with every memory, history row and job in it. */
  delete(name: string): Promise<boolean>;
}

/** Memories of a store with their history: writes and reads by id, key, scope and hash. */
export interface MemoryRecords {
  /** Applies direct writes (API updates) in one transaction. */
  apply(store: string, tenant: TenantKey, mutations: MemoryMutation[], now: number): Promise<void>;
  /** Memories with these ids, in no particular order. */
  get(
    store: string,
    tenant: TenantKey,
    ids: string[],
    options?: DeletedOption,
  ): Promise<KeyedMemory[]>;
  /** Memories with these row keys (live or not), in no particular order. */
  getByKeys(store: string, tenant: TenantKey, keys: number[]): Promise<KeyedMemory[]>;
  list(
    store: string,
    scope: ReadScope,
    page: Page,
    options?: DeletedOption & { filter?: MemoryFilter },
  ): Promise<KeyedMemory[]>;
  count(
    store: string,
    scope: ReadScope,
    options?: DeletedOption & { filter?: MemoryFilter },
  ): Promise<number>;
  /**
   * Live memories of the scope's (app, tenant, agent), in any run, with any of these hashes, keyed
   * by hash; one of the scope's own run wins when several share a hash.
   */
  findByHash(store: string, scope: Scope, hashes: string[]): Promise<Map<string, string>>;
  /** Soft-deletes one memory, recording history; false when absent or already deleted. */
  delete(
    store: string,
    tenant: TenantKey,
    id: string,
    change: { reason: string; now: number },
  ): Promise<boolean>;
  /** Removes a memory row and its history for good; false when absent. */
  purge(store: string, tenant: TenantKey, id: string): Promise<boolean>;
  /** Soft-deletes every live memory matching the pattern inside one tenant; returns how many. */
  deleteByScope(store: string, scope: ReadScope, now: number): Promise<number>;
  history(store: string, tenant: TenantKey, memoryId: string): Promise<HistoryEntry[]>;
  /**
   * Soft-deletes (history reason `expired`) or purges, per `criteria.action`, the undeleted memories
   * of the store last updated before the cutoff, except those recalled often or lately and the kept
   * kinds; with `dryRun`, only counts them. Works in committed batches, in key order. Tenant null is
   * every tenant of the store (operator maintenance); a tenant is only that (app, tenant).
   */
  expire(
    store: string,
    tenant: TenantKey | null,
    criteria: ExpireCriteria,
    now: number,
  ): Promise<ExpireOutcome>;
  /** Adds to access counts and sets last-accessed times; advisory, so not part of history. */
  recordAccess(
    store: string,
    tenant: TenantKey,
    counts: Map<number, number>,
    at: number,
  ): Promise<void>;
}

/** Which memories `memories.expire` removes: old ones, except the often or lately recalled and kept kinds. */
export interface ExpireCriteria {
  /** Memories whose `updated_at` is before this instant (ms) are candidates. */
  updatedBefore: number;
  /** A candidate recalled at least this many times is kept; 0 keeps none for their count. */
  keepAccessCount: number;
  /** A candidate recalled at or after this instant (ms) is kept; null keeps none for recency. */
  keepAccessedSince: number | null;
  /** Kinds never expired. */
  keepKinds: string[];
  /** `delete`: soft delete with history; `purge`: rows and history removed for good. */
  action: 'delete' | 'purge';
  /** Count the candidates without changing anything. */
  dryRun: boolean;
  /** Memories per committed batch (default 500). */
  batchSize?: number;
}

/** What one `memories.expire` call found and did. */
export interface ExpireOutcome {
  /** Memories that met the criteria. */
  matched: number;
  /** Memories deleted or purged (0 on a dry run). */
  removed: number;
}

/** Search over memories: full text, vectors, and the feed of vector changes for in-process indexes. */
export interface MemorySearch {
  /**
   * BM25 over pre-tokenised text, limited to live memories matching the pattern and filter; with
   * `invalidated`, over the invalidated (not deleted) ones instead.
   */
  text(
    store: string,
    scope: ReadScope,
    tokens: string[],
    options: { limit: number; filter?: MemoryFilter; invalidated?: boolean },
  ): Promise<RankedKey[]>;
  /** Native vector search; only called when `capabilities.nativeVectorSearch`. */
  vectors(
    store: string,
    scope: ReadScope,
    vector: Float32Array,
    options: { limit: number; filter?: MemoryFilter },
  ): Promise<RankedKey[]>;
  /** Embeddings of invalidated (not deleted) memories matching the pattern, at most `limit`. */
  invalidatedVectors(
    store: string,
    scope: ReadScope,
    options: { limit: number; filter?: MemoryFilter },
  ): Promise<Array<{ key: number; vector: Float32Array }>>;
  /** Row keys of live memories matching the pattern and filter, for filtering index hits. */
  matchingKeys(store: string, scope: ReadScope, filter: MemoryFilter): Promise<Set<number>>;
  /** Vector changes of a tenant after `afterSeq`, in seq order, at most `limit`. */
  vectorChanges(
    store: string,
    tenant: TenantKey,
    options: { afterSeq: number; limit: number },
  ): Promise<VectorChange[]>;
  /** Highest change sequence number of a tenant (0 when empty). */
  latestSeq(store: string, tenant: TenantKey): Promise<number>;
}

/** The durable job queue: enqueue, lease, renew, fail, retry, and commit with the job's writes. */
export interface JobStorage {
  /** Durably records jobs, all or none, before they are acknowledged; with `claim`, already leased to that worker. */
  enqueue(
    store: string,
    jobs: Array<{ id: string; scope: Scope; input: JobInput }>,
    now: number,
    options?: { claim?: { worker: string; leaseMs: number } },
  ): Promise<JobRecord[]>;
  /** Leases up to `limit` runnable jobs (queued, or running with an expired lease or dead owner). */
  claim(request: {
    worker: string;
    limit: number;
    leaseMs: number;
    now: number;
    isOwnerAlive: (owner: string) => boolean;
  }): Promise<JobRecord[]>;
  /**
   * Applies writes and marks jobs succeeded, all in one transaction; writes nothing and fails with
   * `lease_lost` when any job is no longer running under its claim (`attempt` and `owner`), so a
   * job taken over by another worker takes effect once, from the worker that holds it.
   */
  commit(store: string, completions: JobCompletion[], now: number): Promise<void>;
  /**
   * Records a failed attempt: queued again from `retryAt`, or failed for good when `retryAt` is
   * null. Changes nothing when the job is no longer running under this claim.
   */
  fail(
    id: string,
    claim: JobClaim,
    failure: { error: string; retryAt: number | null; now: number },
  ): Promise<void>;
  /** Extends the lease of jobs this worker still runs under these attempts; returns how many. */
  renew(
    worker: string,
    jobs: Array<{ id: string; attempt: number }>,
    lease: { leaseMs: number; now: number },
  ): Promise<number>;
  /** Puts failed jobs of a tenant back in the queue; returns how many. */
  retry(
    store: string,
    tenant: TenantKey,
    ids: string[] | 'all-failed',
    now: number,
  ): Promise<number>;
  get(store: string, tenant: TenantKey, id: string): Promise<JobRecord | null>;
  /** Jobs of one tenant, or of every tenant (`null`), in these states. */
  list(store: string, tenant: TenantKey | null, states: string[], page: Page): Promise<JobRecord[]>;
  /** Jobs not finished yet, across the store (for `doctor` and draining). */
  pendingCount(store: string | null): Promise<number>;
}

/** A message to append to a session, with its full-text tokens. */
export type NewSessionMessage = Omit<SessionMessage, 'seq' | 'sessionId'> & { tokens: string };

/** Conversation sessions and their messages. */
export interface SessionStorage {
  create(session: SessionRecord): Promise<SessionRecord>;
  get(tenant: TenantKey, id: string): Promise<SessionRecord | null>;
  list(tenant: TenantKey, page: Page): Promise<SessionRecord[]>;
  update(
    tenant: TenantKey,
    id: string,
    patch: { title?: string; metadata?: Record<string, string> },
    now: number,
  ): Promise<SessionRecord | null>;
  delete(tenant: TenantKey, id: string): Promise<boolean>;
  append(
    tenant: TenantKey,
    sessionId: string,
    messages: NewSessionMessage[],
    now: number,
  ): Promise<SessionMessage[]>;
  messages(tenant: TenantKey, sessionId: string, page: Page): Promise<SessionMessage[]>;
  /**
   * Deletes sessions (with their messages) last updated before `idleBefore`, in committed batches;
   * tenant null is every tenant (operator maintenance). Returns how many sessions were deleted, or
   * with `dryRun` how many would be, changing nothing.
   */
  expireIdle(
    tenant: TenantKey | null,
    idleBefore: number,
    now: number,
    options?: { dryRun?: boolean },
  ): Promise<number>;
  /** BM25 over message tokens of one session, or of every session of the tenant (`sessionId` null). */
  search(
    tenant: TenantKey,
    tokens: string[],
    options: { sessionId: string | null; limit: number },
  ): Promise<Array<SessionMessage & { score: number }>>;
}

/**
 * Staging for `mnemos mem reembed`. Like `stores.delete`, these methods work on a whole store across
 * its tenants: re-embedding is store maintenance, and they hand the engine only row keys and texts.
 */
export interface ReembedStorage {
  /** Starts a run for this embedder, or resumes the store's run when it has the same target; a different target discards the old staging. */
  begin(
    store: string,
    target: { embedderId: string; dimensions: number },
    now: number,
  ): Promise<ReembedStart>;
  /** Up to `limit` memories after `afterKey`, in key order, without a staged vector for their current text. */
  pending(
    store: string,
    afterKey: number,
    limit: number,
  ): Promise<Array<{ key: number; text: string }>>;
  /** Stages one batch of vectors in one transaction, each with the text it was computed from; fails when the run was replaced. */
  stage(
    store: string,
    runId: string,
    vectors: Array<{ key: number; text: string; vector: Float32Array }>,
  ): Promise<void>;
  /**
   * In one transaction, when every memory of the store has a staged vector for its current text:
   * copies them into the memories, bumps each row's change sequence, binds the store to the run's
   * embedder and drops the staging. Otherwise changes nothing and returns how many are missing.
   */
  finish(store: string, runId: string, now: number): Promise<{ swapped: number; missing: number }>;
}

/** The user profile of each (app, tenant): current values and the history of every change. */
export interface ProfileStorage {
  get(tenant: TenantKey): Promise<ProfileEntry[]>;
  /** Applies changes atomically, recording history; changes to the same value are skipped. Returns how many applied. */
  change(tenant: TenantKey, changes: ProfileChange[], now: number): Promise<number>;
  /** Recorded changes, newest first, of one key or of all (`key` null). */
  history(tenant: TenantKey, key: string | null, page: Page): Promise<ProfileHistoryEntry[]>;
}

/** API keys (hashes only) and the audit trail of mutating requests, for the HTTP service. */
export interface KeyStorage {
  create(record: ApiKeyRecord, hash: string): Promise<void>;
  /** The live (not revoked) key with this SHA-256 hash; marks it used. */
  findByHash(hash: string, now: number): Promise<ApiKeyRecord | null>;
  /** Keys of one tenant, or every key (`null`, admin listing). */
  list(tenant: TenantKey | null): Promise<ApiKeyRecord[]>;
  revoke(id: string, now: number): Promise<boolean>;
  appendAudit(entry: AuditEntry): Promise<void>;
  /** A tenant's recorded requests, newest first. */
  listAudit(tenant: TenantKey, page: Page): Promise<AuditEntry[]>;
}

/** A whole new version of a skill, with what the change was. */
export interface SkillWrite {
  name: string;
  description: string;
  origin: SkillOrigin;
  status: SkillStatus;
  files: SkillFiles;
  provenance: SkillProvenance[];
  /**
   * The version this change was made from; null: the skill must not exist yet. When the stored
   * version differs the write changes nothing and fails with `conflict` (someone changed it since).
   */
  expectedVersion: number | null;
  action: SkillChangeAction;
  actor: SkillActor;
  note: string;
}

/** What a deletion was, for its history row. */
export interface SkillDeletion {
  /** As in {@link SkillWrite.expectedVersion}; a mismatch fails with `conflict`. */
  expectedVersion: number;
  actor: SkillActor;
  note: string;
}

/**
 * Skills of each (app, tenant) on a server, with every version kept: replicas share them and no
 * tenant sees another's. Versions of a name keep counting after a delete, so history never repeats one.
 */
export interface SkillStorage {
  /** Skills by name; archived ones only when asked. */
  list(tenant: TenantKey, options?: { includeArchived?: boolean }): Promise<SkillSummary[]>;
  get(tenant: TenantKey, name: string): Promise<SkillRecord | null>;
  /**
   * In one transaction: checks `expectedVersion`, stores the skill as the next version (after the
   * highest the name ever had) and appends its history row. Returns the stored skill.
   */
  save(tenant: TenantKey, write: SkillWrite, now: number): Promise<SkillRecord>;
  /** Removes the skill, appending a `delete` history row (files null); false when it did not exist. */
  delete(tenant: TenantKey, name: string, deletion: SkillDeletion, now: number): Promise<boolean>;
  /** Recorded versions of one skill, newest first (deleted skills included). */
  history(tenant: TenantKey, name: string, page: Page): Promise<SkillVersionEntry[]>;
  /** One recorded version, or null. */
  version(tenant: TenantKey, name: string, version: number): Promise<SkillVersionEntry | null>;
  /** Records that the skill was loaded into a turn (sets `lastUsedAt`; not a new version). */
  markUsed(tenant: TenantKey, name: string, now: number): Promise<void>;
}

/** Input and output tokens of chat calls. */
export interface TokenCounts {
  input: number;
  output: number;
}

/**
 * Tokens agent turns used, per (app, tenant), session and UTC day (`YYYY-MM-DD`), counted in the
 * database so every process and replica enforces the same quotas.
 */
export interface UsageStorage {
  /** Adds tokens to a session's count of a day (atomically: concurrent adds all count). */
  add(tenant: TenantKey, sessionId: string, day: string, tokens: TokenCounts): Promise<void>;
  /** Sums of the tenant's tokens, of one session and/or one day when given. */
  totals(tenant: TenantKey, filter?: { sessionId?: string; day?: string }): Promise<TokenCounts>;
}

/**
 * Runs of teams of each (app, tenant): the whole record (steps included) is written at the start
 * and after every step, so a run can be followed from another process and read back afterwards.
 */
export interface TeamRunStorage {
  /** Stores a new run; `already_exists` when its id is taken. */
  create(tenant: TenantKey, run: TeamRunRecord): Promise<void>;
  /** Replaces a stored run by id; false when the tenant has no run of that id. */
  update(tenant: TenantKey, run: TeamRunRecord): Promise<boolean>;
  get(tenant: TenantKey, id: string): Promise<TeamRunRecord | null>;
  /** Runs newest first, of one team or all (`team` absent). */
  list(tenant: TenantKey, page: Page, options?: { team?: string }): Promise<TeamRunRecord[]>;
  /**
   * Marks every run still `running` that started before `startedBefore` (epoch ms) as `failed`
   * with `error`, finished `now`: runs whose process died. Across tenants, as maintenance. Returns
   * how many.
   */
  failStale(startedBefore: number, error: string, now: number): Promise<number>;
}

/** A claim of a job's due slot: CAS on the slot, so of two replicas racing for it exactly one wins. */
export interface CronClaim {
  jobId: string;
  /** The `nextRunAt` (epoch ms) the claimant saw; the claim fails if it changed. */
  expectedNextRunAt: number;
  /** The slot after this one (epoch ms), null when the job will not run again. */
  nextRunAt: number | null;
  worker: string;
  /** Epoch ms the lease runs to. */
  leaseUntil: number;
  now: number;
  /** The id of the run record to create. */
  runId: string;
}

/** How a run ended, written with the job's last-run fields in one transaction. */
export interface CronFinish {
  jobId: string;
  runId: string;
  worker: string;
  status: 'ok' | 'error' | 'silent';
  output: string;
  error: string | null;
  deliveries: CronRunRecord['deliveries'];
  sessionId: string | null;
  now: number;
}

/**
 * Scheduled jobs of each (app, tenant) and their runs. Slots are claimed with a compare-and-set on
 * the job's `next_run_at` and lease, so replicas sharing a database run each slot once.
 */
export interface CronStorage {
  /** Stores a new job; `conflict` when the tenant already has one of that name, `already_exists` for its id. */
  create(tenant: TenantKey, job: CronJobRecord): Promise<void>;
  /** One job by id or by name. */
  get(tenant: TenantKey, idOrName: string): Promise<CronJobRecord | null>;
  /** The tenant's jobs by name. */
  list(tenant: TenantKey): Promise<CronJobRecord[]>;
  /**
   * Replaces a job's definition and schedule fields (not its lease or last-run fields); false when
   * the tenant has no job of that id; `conflict` on a name another job has.
   */
  update(tenant: TenantKey, job: CronJobRecord): Promise<boolean>;
  /** Removes a job and its runs; false when there was none. */
  delete(tenant: TenantKey, id: string): Promise<boolean>;
  /** Unpaused jobs whose `nextRunAt` is at or before `now`, earliest first, across tenants (the scheduler's scan). */
  due(now: number, limit: number): Promise<CronJobRecord[]>;
  /**
   * In one transaction: if the job is unpaused, holds no lease and its `nextRunAt` still equals
   * `expectedNextRunAt`, moves it to `nextRunAt`, takes the lease and creates the `running` run.
   * Returns the run, or null when another claimant got there first.
   */
  claim(tenant: TenantKey, claim: CronClaim): Promise<CronRunRecord | null>;
  /**
   * Records a due slot as `skipped` because the job's previous run still holds the lease: same
   * compare-and-set as `claim` on `nextRunAt`, but only while a lease is held. Null when it changed.
   */
  skip(tenant: TenantKey, claim: Omit<CronClaim, 'leaseUntil'>): Promise<CronRunRecord | null>;
  /** Extends the lease of a running run; false when the worker no longer holds it. */
  renew(
    tenant: TenantKey,
    jobId: string,
    runId: string,
    worker: string,
    leaseUntil: number,
  ): Promise<boolean>;
  /**
   * Finishes a run held by `worker`: writes its outcome, the job's last-run fields, counts the run
   * in `repeat.completed` and releases the lease. Returns the run, or null when the lease was lost.
   */
  finish(tenant: TenantKey, finish: CronFinish): Promise<CronRunRecord | null>;
  /**
   * Runs whose lease ran out before `now` (their process died or hung): each is marked `error`
   * with `lease expired`, its job's lease released and the job made due at once. Across tenants.
   * Returns the runs.
   */
  expire(now: number): Promise<CronRunRecord[]>;
  /** One run by id. */
  run(tenant: TenantKey, runId: string): Promise<CronRunRecord | null>;
  /** Runs newest first, of one job or all. */
  runs(tenant: TenantKey, page: Page, options?: { jobId?: string }): Promise<CronRunRecord[]>;
  /** Deletes a job's finished runs beyond its `keep` newest; returns how many. */
  pruneRuns(tenant: TenantKey, jobId: string, keep: number): Promise<number>;
}

/** A new version of a tenant's agent definition. */
export interface AgentDefinitionWrite {
  definition: AgentDefinition;
  /**
   * The version this change was made from (0: the name must not be stored yet); when the stored
   * version differs nothing changes and the save fails with `conflict`. Absent: no check.
   */
  expectedVersion?: number | undefined;
}

/**
 * Agent definitions of each (app, tenant) on a server, so every replica runs the same agents and no
 * tenant sees another's. Records come back with origin `tenant` and no path.
 */
export interface AgentDefinitionStorage {
  /** The tenant's definitions by name. */
  list(tenant: TenantKey): Promise<AgentDefinitionRecord[]>;
  get(tenant: TenantKey, name: string): Promise<AgentDefinitionRecord | null>;
  /** Stores the definition as version 1, or the stored version + 1, checking `expectedVersion`. */
  save(tenant: TenantKey, write: AgentDefinitionWrite, now: number): Promise<AgentDefinitionRecord>;
  /** Removes the definition; false when there was none. */
  delete(tenant: TenantKey, name: string): Promise<boolean>;
}

/** Whole-database counts for metrics: cheap enough to read on every scrape. */
export interface StorageStatistics {
  jobStates: Record<string, number>;
  memoriesByStore: Record<string, number>;
  jobTokens: { promptTokens: number; completionTokens: number };
}

/** Tables `mnemos migrate` copies, in the order it copies them. */
export const transferTables = [
  'stores',
  'memories',
  'memory_history',
  'jobs',
  'sessions',
  'session_messages',
  'profile_entries',
  'profile_history',
  'api_keys',
  'audit_log',
  'skills',
  'skill_history',
  'token_usage',
  'team_runs',
  'agent_definitions',
  'cron_jobs',
  'cron_runs',
  'gateway_accounts',
  'gateway_bindings',
] as const;

/** A table `mnemos migrate` copies. */
export type TransferTable = (typeof transferTables)[number];

/**
 * One row in backend-neutral form: the columns both schemas share (`transferColumns`), with
 * embeddings as Float32Array and flags as booleans. Row keys and change sequences are not
 * carried: the target assigns its own, in the order rows arrive. Rows of `memories` and
 * `session_messages` given to `transfer.import` also carry `tokens` (null: not in full-text search).
 */
export type TransferRow = Record<string, string | number | boolean | null | Float32Array>;

/** Where a copy of one table into this database has got to; written with the rows it covers. */
export interface TransferCheckpoint {
  /** Which copy: one source database. */
  migration: string;
  table: TransferTable;
  /** Source position after the last copied row (opaque to everyone but the source), or null before the first. */
  cursor: string | null;
  /** Rows copied so far. */
  copied: number;
  /** True once the source had no rows after `cursor`. */
  done: boolean;
}

/** Bulk copy between backends (`mnemos migrate`): whole tables, across every tenant, as maintenance. */
export interface TransferStorage {
  /** Up to `limit` rows after the cursor (null: from the start) in insertion order, and the cursor after them. */
  export(
    table: TransferTable,
    after: string | null,
    limit: number,
  ): Promise<{ rows: TransferRow[]; cursor: string | null }>;
  /** Rows of a table, deleted memories and finished jobs included. */
  count(table: TransferTable): Promise<number>;
  /**
   * In one transaction: inserts the rows in order (the target's own keys, change sequences and
   * full-text index, as a write would build them) and records the checkpoint, so a copy resumed
   * after a crash neither repeats nor skips a row.
   */
  import(table: TransferTable, rows: TransferRow[], checkpoint: TransferCheckpoint): Promise<void>;
  /** The recorded checkpoints of every copy into this database. */
  checkpoints(): Promise<TransferCheckpoint[]>;
}

/**
 * The messaging gateway's records: pairing requests and accounts belong to the home (they decide
 * which tenant a person is), chat bindings to the tenant whose session a chat continues.
 */
export interface GatewayStorage {
  /** Stores a pairing request (its code only as a hash). */
  addPairing(request: PairingRequest): Promise<void>;
  /** Requests not yet expired at `now`, oldest first. */
  pairings(now: number): Promise<PairingRequest[]>;
  /** The latest request of one person, expired or not; null when none is kept. */
  pairingOf(platform: string, userId: string): Promise<PairingRequest | null>;
  /** Removes and returns the live request with this code hash; null when none matches. */
  takePairing(codeHash: string, now: number): Promise<PairingRequest | null>;
  /** Drops requests that expired before `before`, and every request of a person when given. */
  prunePairings(before: number, person?: { platform: string; userId: string }): Promise<number>;
  /** Records one failed approval (a wrong or expired code) at `at`. */
  recordFailure(at: number): Promise<void>;
  /** Epoch ms of the failed approvals at or after `since`, oldest first. */
  failures(since: number): Promise<number[]>;
  /** Forgets every failed approval (after a good one). */
  clearFailures(): Promise<void>;
  /** Inserts or replaces the account of (platform, user id). */
  saveAccount(account: GatewayAccount): Promise<void>;
  account(platform: string, userId: string): Promise<GatewayAccount | null>;
  /** Every account, by platform then user id. */
  accounts(): Promise<GatewayAccount[]>;
  /** The session a chat of this tenant continues; null when none is bound. */
  binding(tenant: TenantKey, chatKey: string): Promise<ChatBinding | null>;
  /** Binds (or rebinds) a chat of this tenant to a session. */
  bind(tenant: TenantKey, binding: ChatBinding): Promise<void>;
}

/**
 * Storage of Mnemos, handed out as small role objects (one per kind of record). Every memory, job
 * and session method takes the tenant, so no method can reach across tenants.
 *
 * Adding a feature with records of its own (skills, cron jobs, gateway bindings, ...) adds a role:
 * 1. one interface here (`XStorage`, methods named without the noun: `storage.skills.get`,
 *    options objects instead of positional booleans) and a readonly field on `Storage`;
 * 2. one class per backend implementing it directly (`src/storage/sqlite/sqlite-x.ts`,
 *    `src/storage/postgres/pg-x.ts`), with its tables in both schemas, assembled by
 *    `SqliteStorage` and `PostgresStorage`;
 * 3. conformance tests in `test/storage/conformance/` covering every method, which both backends run;
 * 4. its tables in `transferTables` (and `transferColumns`) so `mnemos migrate` copies them.
 */
export interface Storage {
  /** Short backend name shown by `doctor`, e.g. `sqlite`. */
  readonly kind: string;
  /** Where the data lives, for `doctor` and logs: a file path, or a URL without its password. */
  readonly location: string;
  /** What the backend can do natively. */
  readonly capabilities: StorageCapabilities;
  readonly stores: StoreStorage;
  readonly memories: MemoryRecords;
  readonly search: MemorySearch;
  readonly jobs: JobStorage;
  readonly sessions: SessionStorage;
  readonly profiles: ProfileStorage;
  readonly keys: KeyStorage;
  readonly skills: SkillStorage;
  readonly usage: UsageStorage;
  readonly teamRuns: TeamRunStorage;
  readonly agents: AgentDefinitionStorage;
  readonly cron: CronStorage;
  readonly gateway: GatewayStorage;
  readonly reembed: ReembedStorage;
  readonly transfer: TransferStorage;
  /** Counts across every store and tenant, for `/metrics` (operators only, never tenants). */
  statistics(): Promise<StorageStatistics>;
  /** Flushes and releases resources. */
  close(): Promise<void>;
}
