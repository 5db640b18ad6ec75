import type { JobInput, JobRecord } from '../../core/job-record.js';
import type { ApiKeyRecord, AuditEntry } from '../../core/key-record.js';
import type { HistoryEntry } from '../../core/memory-record.js';
import type {
  ProfileChange,
  ProfileEntry,
  ProfileHistoryEntry,
} from '../../core/profile-record.js';
import type { ReadScope, Scope, TenantKey } from '../../core/scope.js';
import type { SessionMessage, SessionRecord } from '../../core/session-record.js';
import type { StoreRecord } from '../../core/store-record.js';
import type {
  JobClaim,
  JobCompletion,
  KeyedMemory,
  MemoryFilter,
  MemoryMutation,
  MemoryStorage,
  Page,
  RankedKey,
  ReembedStart,
  StorageCapabilities,
  StorageStatistics,
  TransferCheckpoint,
  TransferRow,
  TransferTable,
  VectorChange,
} from '../../spec/storage.js';
import { redactDatabaseUrl } from '../choose-storage.js';
import { TextStatistics } from './bm25.js';
import { ChangeSequence } from './change-sequence.js';
import { connect, type PostgresOptions } from './connect.js';
import type { Database, Sql } from './database.js';
import { PostgresJobs } from './pg-jobs.js';
import { PostgresKeys } from './pg-keys.js';
import { MemoryReads } from './pg-memory-reads.js';
import { MemoryWrites } from './pg-memory-writes.js';
import { PostgresProfiles } from './pg-profiles.js';
import { PostgresReembed } from './pg-reembed.js';
import { PostgresSessions } from './pg-sessions.js';
import { PostgresStores } from './pg-stores.js';
import { PostgresTransfer } from './pg-transfer.js';

export type { PostgresOptions } from './connect.js';

/**
 * Storage on PostgreSQL with pgvector, for several `mnemos serve` replicas sharing one database:
 * HNSW vector search in the database (`nativeVectorSearch`), full-text search over the engine's
 * tokens, a job queue claimed with SKIP LOCKED, and every per-tenant row keyed by its tenant.
 * @example
 * const storage = await PostgresStorage.open(process.env.MNEMOS_DATABASE_URL!, { schema: 'mnemos' });
 * const mnemos = await Mnemos.open({ storage });
 */
export class PostgresStorage implements MemoryStorage {
  readonly kind = 'postgres';
  readonly capabilities: StorageCapabilities = { nativeVectorSearch: true };
  private readonly reads: MemoryReads;
  private readonly jobs: PostgresJobs;
  private readonly sessions: PostgresSessions;
  private readonly profiles: PostgresProfiles;
  private readonly keys: PostgresKeys;
  private readonly reembed: PostgresReembed;
  private readonly stores: PostgresStores;
  private readonly transfer: PostgresTransfer;
  private closed: Promise<void> | null = null;

  private constructor(
    private readonly db: Database,
    /** The database URL without its password, for `doctor` and logs. */
    readonly location: string,
  ) {
    this.reads = new MemoryReads(db);
    this.jobs = new PostgresJobs(db);
    this.sessions = new PostgresSessions(db);
    this.profiles = new PostgresProfiles(db);
    this.keys = new PostgresKeys(db);
    this.reembed = new PostgresReembed(db);
    this.stores = new PostgresStores(db, this.reembed);
    this.transfer = new PostgresTransfer(db);
  }

  /** Connects a pool, creating pgvector and the schema and migrating it (once, however many replicas start together). */
  static async open(url: string, options: PostgresOptions = {}): Promise<PostgresStorage> {
    const db = await connect(url, options);
    const schema = options.schema ? ` (schema ${options.schema})` : '';
    return new PostgresStorage(db, `${redactDatabaseUrl(url)}${schema}`);
  }

  /** Memory writes of one store in one transaction, holding the change sequences of their tenants. */
  private writeMemories<T>(
    store: string,
    now: number,
    tenants: TenantKey[],
    work: (writes: MemoryWrites, sql: Sql) => Promise<T>,
  ): Promise<T> {
    return this.db.transaction(async (sql) => {
      const sequence = new ChangeSequence(sql, store);
      await sequence.lock(tenants);
      const statistics = new TextStatistics();
      const writes = new MemoryWrites(sql, store, sequence, statistics, now);
      const result = await work(writes, sql);
      await writes.finish();
      await sequence.flush();
      await statistics.flush(sql);
      return result;
    });
  }

  exportRows(
    table: TransferTable,
    after: string | null,
    limit: number,
  ): Promise<{ rows: TransferRow[]; cursor: string | null }> {
    return this.transfer.exportRows(table, after, limit);
  }
  countRows(table: TransferTable): Promise<number> {
    return this.transfer.countRows(table);
  }
  importRows(
    table: TransferTable,
    rows: TransferRow[],
    checkpoint: TransferCheckpoint,
  ): Promise<void> {
    return this.transfer.importRows(table, rows, checkpoint);
  }
  transferCheckpoints(): Promise<TransferCheckpoint[]> {
    return this.transfer.checkpoints();
  }
  statistics(): Promise<StorageStatistics> {
    return this.stores.statistics();
  }
  createStore(store: StoreRecord): Promise<StoreRecord> {
    return this.stores.create(store);
  }
  getStore(name: string): Promise<StoreRecord | null> {
    return this.stores.get(name);
  }
  updateStore(name: string, description: string, now: number): Promise<StoreRecord | null> {
    return this.stores.update(name, description, now);
  }
  listStores(): Promise<StoreRecord[]> {
    return this.stores.list();
  }
  deleteStore(name: string): Promise<boolean> {
    return this.stores.delete(name);
  }

  beginReembed(
    store: string,
    target: { embedderId: string; dimensions: number },
    now: number,
  ): Promise<ReembedStart> {
    return this.db.transaction((sql) => this.reembed.begin(sql, store, target, now));
  }
  reembedPending(
    store: string,
    afterKey: number,
    limit: number,
  ): Promise<Array<{ key: number; text: string }>> {
    return this.reembed.pending(store, afterKey, limit);
  }
  stageReembed(
    store: string,
    runId: string,
    vectors: Array<{ key: number; text: string; vector: Float32Array }>,
  ): Promise<void> {
    return this.db.transaction((sql) => this.reembed.stage(sql, store, runId, vectors));
  }
  finishReembed(
    store: string,
    runId: string,
    now: number,
  ): Promise<{ swapped: number; missing: number }> {
    return this.db.transaction((sql) => this.reembed.finish(sql, store, runId, now));
  }

  commitJobs(store: string, completions: JobCompletion[], now: number): Promise<void> {
    const tenants = completions.map((completion) => completion.tenant);
    return this.writeMemories(store, now, tenants, async (writes, sql) => {
      await this.jobs.checkHeld(sql, completions);
      for (const completion of completions) {
        await writes.apply(completion.tenant, completion.mutations);
        if (completion.profile?.length) {
          await writes.finish();
          await this.profiles.apply(sql, completion.tenant, completion.profile, now);
        }
      }
      await this.jobs.succeed(sql, completions, now);
    });
  }
  applyMutations(
    store: string,
    tenant: TenantKey,
    mutations: MemoryMutation[],
    now: number,
  ): Promise<void> {
    return this.writeMemories(store, now, [tenant], (writes) => writes.apply(tenant, mutations));
  }
  getMemories(
    store: string,
    tenant: TenantKey,
    ids: string[],
    includeDeleted: boolean,
  ): Promise<KeyedMemory[]> {
    return this.reads.getByIds(store, tenant, ids, includeDeleted);
  }
  getMemoriesByKey(store: string, tenant: TenantKey, keys: number[]): Promise<KeyedMemory[]> {
    return this.reads.getByKeys(store, tenant, keys);
  }
  listMemories(
    store: string,
    scope: ReadScope,
    filter: MemoryFilter,
    page: Page,
    includeDeleted: boolean,
  ): Promise<KeyedMemory[]> {
    return this.reads.list(store, scope, filter, page, includeDeleted);
  }
  countMemories(
    store: string,
    scope: ReadScope,
    filter: MemoryFilter,
    includeDeleted: boolean,
  ): Promise<number> {
    return this.reads.count(store, scope, filter, includeDeleted);
  }
  findByHash(store: string, scope: Scope, hashes: string[]): Promise<Map<string, string>> {
    return this.reads.findByHash(store, scope, hashes);
  }
  deleteMemory(
    store: string,
    tenant: TenantKey,
    id: string,
    reason: string,
    now: number,
  ): Promise<boolean> {
    return this.writeMemories(store, now, [tenant], (writes) =>
      writes.softDelete(tenant, id, reason),
    );
  }
  purgeMemory(store: string, tenant: TenantKey, id: string): Promise<boolean> {
    return this.writeMemories(store, Date.now(), [tenant], (writes) => writes.purge(tenant, id));
  }
  deleteByScope(store: string, scope: ReadScope, now: number): Promise<number> {
    return this.writeMemories(store, now, [scope], (writes) => writes.deleteByScope(scope));
  }
  history(store: string, tenant: TenantKey, memoryId: string): Promise<HistoryEntry[]> {
    return this.reads.history(store, tenant, memoryId);
  }
  searchText(
    store: string,
    scope: ReadScope,
    tokens: string[],
    filter: MemoryFilter,
    limit: number,
    invalidated = false,
  ): Promise<RankedKey[]> {
    return this.reads.searchText(store, scope, tokens, filter, limit, invalidated);
  }
  invalidatedVectors(
    store: string,
    scope: ReadScope,
    filter: MemoryFilter,
    limit: number,
  ): Promise<Array<{ key: number; vector: Float32Array }>> {
    return this.reads.invalidatedVectors(store, scope, filter, limit);
  }
  searchVectors(
    store: string,
    scope: ReadScope,
    vector: Float32Array,
    filter: MemoryFilter,
    limit: number,
  ): Promise<RankedKey[]> {
    return this.reads.searchVectors(store, scope, vector, filter, limit);
  }
  vectorChangesSince(
    store: string,
    tenant: TenantKey,
    sinceSeq: number,
    limit: number,
  ): Promise<VectorChange[]> {
    return this.reads.vectorChangesSince(store, tenant, sinceSeq, limit);
  }
  latestSeq(store: string, tenant: TenantKey): Promise<number> {
    return this.reads.latestSeq(store, tenant);
  }
  matchingKeys(store: string, scope: ReadScope, filter: MemoryFilter): Promise<Set<number>> {
    return this.reads.matchingKeys(store, scope, filter);
  }
  /** Adds access counts in one statement (retried as a transaction on deadlock); advisory, so no history. */
  recordAccess(
    store: string,
    tenant: TenantKey,
    counts: Map<number, number>,
    at: number,
  ): Promise<void> {
    if (counts.size === 0) return Promise.resolve();
    const keys = [...counts.keys()].sort((a, b) => a - b);
    return this.db.transaction(async (sql) => {
      await sql.run(
        `UPDATE memories m SET access_count = m.access_count + u.count, last_accessed_at = $1
         FROM unnest($2::bigint[], $3::int[]) AS u(key, count)
         WHERE m.app_id = $4 AND m.tenant_id = $5 AND m.key = u.key AND m.store = $6`,
        [at, keys, keys.map((key) => counts.get(key)), tenant.appId, tenant.tenantId, store],
      );
    });
  }

  enqueueJobs(
    store: string,
    jobs: Array<{ id: string; scope: Scope; input: JobInput }>,
    now: number,
    claim?: { worker: string; leaseMs: number },
  ): Promise<JobRecord[]> {
    return this.db.transaction((sql) => this.jobs.enqueue(sql, store, jobs, now, claim));
  }
  claimJobs(
    worker: string,
    limit: number,
    leaseMs: number,
    now: number,
    isOwnerAlive: (owner: string) => boolean,
  ): Promise<JobRecord[]> {
    return this.jobs.claim(worker, limit, leaseMs, now, isOwnerAlive);
  }
  renewJobs(
    worker: string,
    jobs: Array<{ id: string; attempt: number }>,
    leaseMs: number,
    now: number,
  ): Promise<number> {
    return this.jobs.renew(worker, jobs, now + leaseMs);
  }
  failJob(
    id: string,
    claim: JobClaim,
    error: string,
    retryAt: number | null,
    now: number,
  ): Promise<void> {
    return this.jobs.fail(id, claim, error, retryAt, now);
  }
  retryJobs(
    store: string,
    tenant: TenantKey,
    ids: string[] | 'all-failed',
    now: number,
  ): Promise<number> {
    return this.jobs.retry(store, tenant, ids, now);
  }
  getJob(store: string, tenant: TenantKey, id: string): Promise<JobRecord | null> {
    return this.jobs.get(store, tenant, id);
  }
  listJobs(
    store: string,
    tenant: TenantKey | null,
    states: string[],
    page: Page,
  ): Promise<JobRecord[]> {
    return this.jobs.list(store, tenant, states, page);
  }
  pendingJobCount(store: string | null): Promise<number> {
    return this.jobs.pendingCount(store);
  }

  createSession(session: SessionRecord): Promise<SessionRecord> {
    return this.sessions.create(session);
  }
  getSession(tenant: TenantKey, id: string): Promise<SessionRecord | null> {
    return this.sessions.get(tenant, id);
  }
  listSessions(tenant: TenantKey, page: Page): Promise<SessionRecord[]> {
    return this.sessions.list(tenant, page);
  }
  updateSession(
    tenant: TenantKey,
    id: string,
    patch: { title?: string; metadata?: Record<string, string> },
    now: number,
  ): Promise<SessionRecord | null> {
    return this.sessions.update(tenant, id, patch, now);
  }
  deleteSession(tenant: TenantKey, id: string): Promise<boolean> {
    return this.db.transaction((sql) => this.sessions.delete(sql, tenant, id));
  }
  appendMessages(
    tenant: TenantKey,
    sessionId: string,
    messages: Array<Omit<SessionMessage, 'seq' | 'sessionId'> & { tokens: string }>,
    now: number,
  ): Promise<SessionMessage[]> {
    return this.db.transaction((sql) =>
      this.sessions.append(sql, tenant, sessionId, messages, now),
    );
  }
  listMessages(tenant: TenantKey, sessionId: string, page: Page): Promise<SessionMessage[]> {
    return this.sessions.messages(tenant, sessionId, page);
  }
  searchMessages(
    tenant: TenantKey,
    tokens: string[],
    sessionId: string | null,
    limit: number,
  ): Promise<Array<SessionMessage & { score: number }>> {
    return this.sessions.search(tenant, tokens, sessionId, limit);
  }

  getProfile(tenant: TenantKey): Promise<ProfileEntry[]> {
    return this.profiles.get(tenant);
  }
  changeProfile(tenant: TenantKey, changes: ProfileChange[], now: number): Promise<number> {
    return this.db.transaction((sql) => this.profiles.apply(sql, tenant, changes, now));
  }
  profileHistory(
    tenant: TenantKey,
    key: string | null,
    page: Page,
  ): Promise<ProfileHistoryEntry[]> {
    return this.profiles.history(tenant, key, page);
  }

  createKey(record: ApiKeyRecord, hash: string): Promise<void> {
    return this.keys.create(record, hash);
  }
  findKeyByHash(hash: string, now: number): Promise<ApiKeyRecord | null> {
    return this.keys.findByHash(hash, now);
  }
  listKeys(tenant: TenantKey | null): Promise<ApiKeyRecord[]> {
    return this.keys.list(tenant);
  }
  revokeKey(id: string, now: number): Promise<boolean> {
    return this.keys.revoke(id, now);
  }
  appendAudit(entry: AuditEntry): Promise<void> {
    return this.keys.appendAudit(entry);
  }
  listAudit(tenant: TenantKey, page: Page): Promise<AuditEntry[]> {
    return this.keys.listAudit(tenant, page);
  }

  /** Ends the pool; safe to call more than once. */
  close(): Promise<void> {
    this.closed ??= this.db.end();
    return this.closed;
  }
}
