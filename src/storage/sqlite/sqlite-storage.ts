import Database from 'better-sqlite3';
import { MnemosError } from '../../core/errors.js';
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
import { type StoreRow, storeFromRow } from './rows.js';
import { checkVersion, migrate, schemaVersion } from './schema.js';
import { SqliteJobs } from './sqlite-jobs.js';
import { SqliteKeys } from './sqlite-keys.js';
import { SqliteMemories } from './sqlite-memories.js';
import { SqliteProfiles } from './sqlite-profiles.js';
import { SqliteReembed } from './sqlite-reembed.js';
import { SqliteSessions } from './sqlite-sessions.js';
import { SqliteTransfer } from './sqlite-transfer.js';
import { Statements } from './statements.js';

/** Embedded storage on one SQLite file in WAL mode; the default backend of Mnemos. */
export class SqliteStorage implements MemoryStorage {
  readonly kind = 'sqlite';
  readonly capabilities: StorageCapabilities = { nativeVectorSearch: false };
  private readonly db: Database.Database;
  private readonly statements: Statements;
  private readonly memories: SqliteMemories;
  private readonly jobs: SqliteJobs;
  private readonly sessions: SqliteSessions;
  private readonly profiles: SqliteProfiles;
  private readonly keys: SqliteKeys;
  private readonly reembed: SqliteReembed;
  private readonly transfer: SqliteTransfer;
  /** Schema version of the file: current unless opened read-only (0 for a file Mnemos never wrote). */
  readonly schemaVersion: number = schemaVersion;

  /** Opens (creating if needed) the database file and migrates it; `readOnly` opens an existing file untouched. */
  constructor(
    readonly path: string,
    options: { readOnly?: boolean } = {},
  ) {
    try {
      this.db = new Database(path, {
        readonly: options.readOnly ?? false,
        fileMustExist: options.readOnly ?? false,
      });
      if (options.readOnly) this.schemaVersion = checkVersion(this.db);
      else migrate(this.db);
    } catch (error) {
      throw new MnemosError(
        'storage_error',
        `cannot open the database at ${path}: ${(error as Error).message}`,
        {
          category: 'system',
          cause: error,
          details: { path },
        },
      );
    }
    this.statements = new Statements(this.db);
    this.memories = new SqliteMemories(this.statements);
    this.jobs = new SqliteJobs(this.statements);
    this.sessions = new SqliteSessions(this.statements);
    this.profiles = new SqliteProfiles(this.statements);
    this.keys = new SqliteKeys(this.statements);
    this.reembed = new SqliteReembed(this.statements);
    this.transfer = new SqliteTransfer(this.statements);
  }

  /** Runs work in an immediate transaction; driver failures become `storage_error`, never empty results. */
  private write<T>(work: () => T): T {
    try {
      return this.db.transaction(work).immediate();
    } catch (error) {
      if (MnemosError.isInstance(error)) throw error;
      throw new MnemosError('storage_error', `database write failed: ${(error as Error).message}`, {
        category: 'system',
        cause: error,
      });
    }
  }

  async createStore(store: StoreRecord): Promise<StoreRecord> {
    try {
      this.statements
        .get(
          'INSERT INTO stores (name, description, embedder_id, dimensions, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
        )
        .run(
          store.name,
          store.description,
          store.embedderId,
          store.dimensions,
          Date.parse(store.createdAt),
          Date.parse(store.updatedAt),
        );
    } catch (error) {
      if (String(error).includes('UNIQUE')) {
        throw new MnemosError('already_exists', `memory store ${store.name} already exists`, {
          details: { store: store.name },
        });
      }
      throw error;
    }
    return (await this.getStore(store.name))!;
  }

  async getStore(name: string): Promise<StoreRecord | null> {
    const row = this.statements.get('SELECT * FROM stores WHERE name = ?').get(name) as
      | StoreRow
      | undefined;
    return row ? storeFromRow(row) : null;
  }

  async updateStore(name: string, description: string, now: number): Promise<StoreRecord | null> {
    this.statements
      .get('UPDATE stores SET description = ?, updated_at = ? WHERE name = ?')
      .run(description, now, name);
    return this.getStore(name);
  }

  async listStores(): Promise<StoreRecord[]> {
    return (this.statements.get('SELECT * FROM stores ORDER BY name').all() as StoreRow[]).map(
      storeFromRow,
    );
  }

  async deleteStore(name: string): Promise<boolean> {
    return this.write(() => {
      const keys = this.statements
        .get('SELECT key FROM memories WHERE store = ?')
        .raw()
        .all(name) as Array<[number]>;
      const removeFts = this.statements.get('DELETE FROM memories_fts WHERE rowid = ?');
      for (const [key] of keys) removeFts.run(key);
      this.statements.get('DELETE FROM memories WHERE store = ?').run(name);
      this.statements.get('DELETE FROM memory_history WHERE store = ?').run(name);
      this.statements.get('DELETE FROM jobs WHERE store = ?').run(name);
      this.reembed.forgetStore(name);
      return this.statements.get('DELETE FROM stores WHERE name = ?').run(name).changes > 0;
    });
  }

  async beginReembed(
    store: string,
    target: { embedderId: string; dimensions: number },
    now: number,
  ): Promise<ReembedStart> {
    return this.write(() => this.reembed.begin(store, target, now));
  }

  async reembedPending(
    store: string,
    afterKey: number,
    limit: number,
  ): Promise<Array<{ key: number; text: string }>> {
    return this.reembed.pending(store, afterKey, limit);
  }

  async stageReembed(
    store: string,
    runId: string,
    vectors: Array<{ key: number; text: string; vector: Float32Array }>,
  ): Promise<void> {
    this.write(() => this.reembed.stage(store, runId, vectors));
  }

  async finishReembed(
    store: string,
    runId: string,
    now: number,
  ): Promise<{ swapped: number; missing: number }> {
    return this.write(() => this.reembed.finish(store, runId, now));
  }

  async commitJobs(store: string, completions: JobCompletion[], now: number): Promise<void> {
    this.write(() => {
      this.jobs.checkHeld(completions);
      for (const completion of completions) {
        this.memories.applyInTransaction(store, completion.tenant, completion.mutations, now);
        if (completion.profile?.length)
          this.profiles.applyInTransaction(completion.tenant, completion.profile, now);
        this.jobs.succeed(completion.jobId, completion.memoryIds, completion.usage, now);
      }
    });
  }

  async applyMutations(
    store: string,
    tenant: TenantKey,
    mutations: MemoryMutation[],
    now: number,
  ): Promise<void> {
    this.write(() => this.memories.applyInTransaction(store, tenant, mutations, now));
  }

  async getMemories(
    store: string,
    tenant: TenantKey,
    ids: string[],
    includeDeleted: boolean,
  ): Promise<KeyedMemory[]> {
    return this.memories.getByIds(store, tenant, ids, includeDeleted);
  }

  async getMemoriesByKey(store: string, tenant: TenantKey, keys: number[]): Promise<KeyedMemory[]> {
    return this.memories.getByKeys(store, tenant, keys);
  }

  async listMemories(
    store: string,
    scope: ReadScope,
    filter: MemoryFilter,
    page: Page,
    includeDeleted: boolean,
  ): Promise<KeyedMemory[]> {
    return this.memories.list(store, scope, filter, page, includeDeleted);
  }

  async countMemories(
    store: string,
    scope: ReadScope,
    filter: MemoryFilter,
    includeDeleted: boolean,
  ): Promise<number> {
    return this.memories.count(store, scope, filter, includeDeleted);
  }

  async findByHash(store: string, scope: Scope, hashes: string[]): Promise<Map<string, string>> {
    return this.memories.findByHash(store, scope, hashes);
  }

  async deleteMemory(
    store: string,
    tenant: TenantKey,
    id: string,
    reason: string,
    now: number,
  ): Promise<boolean> {
    return this.write(() => this.memories.softDelete(store, tenant, id, reason, now));
  }

  async purgeMemory(store: string, tenant: TenantKey, id: string): Promise<boolean> {
    return this.write(() => this.memories.purge(store, tenant, id));
  }

  async deleteByScope(store: string, scope: ReadScope, now: number): Promise<number> {
    return this.write(() => {
      let count = 0;
      for (const id of this.memories.idsInScope(store, scope)) {
        if (this.memories.softDelete(store, scope, id, 'delete_by_scope', now)) count += 1;
      }
      return count;
    });
  }

  async history(store: string, tenant: TenantKey, memoryId: string): Promise<HistoryEntry[]> {
    return this.memories.history(store, tenant, memoryId);
  }

  async searchText(
    store: string,
    scope: ReadScope,
    tokens: string[],
    filter: MemoryFilter,
    limit: number,
    invalidated = false,
  ): Promise<RankedKey[]> {
    return this.memories.searchText(store, scope, tokens, filter, limit, invalidated);
  }

  async invalidatedVectors(
    store: string,
    scope: ReadScope,
    filter: MemoryFilter,
    limit: number,
  ): Promise<Array<{ key: number; vector: Float32Array }>> {
    return this.memories.invalidatedVectors(store, scope, filter, limit);
  }

  async searchVectors(): Promise<RankedKey[]> {
    throw new MnemosError(
      'storage_error',
      'SQLite has no native vector search; the engine indexes vectors itself',
      {
        category: 'system',
      },
    );
  }

  async vectorChangesSince(
    store: string,
    tenant: TenantKey,
    sinceSeq: number,
    limit: number,
  ): Promise<VectorChange[]> {
    return this.memories.vectorChangesSince(store, tenant, sinceSeq, limit);
  }

  async latestSeq(store: string, tenant: TenantKey): Promise<number> {
    return this.memories.latestSeq(store, tenant);
  }

  async matchingKeys(store: string, scope: ReadScope, filter: MemoryFilter): Promise<Set<number>> {
    return this.memories.matchingKeys(store, scope, filter);
  }

  async recordAccess(
    store: string,
    tenant: TenantKey,
    counts: Map<number, number>,
    at: number,
  ): Promise<void> {
    this.write(() => this.memories.recordAccess(store, tenant, counts, at));
  }

  async enqueueJobs(
    store: string,
    jobs: Array<{ id: string; scope: Scope; input: JobInput }>,
    now: number,
    claim?: { worker: string; leaseMs: number },
  ): Promise<JobRecord[]> {
    return this.write(() =>
      jobs.map((job) => this.jobs.enqueue(store, job.scope, job.input, job.id, now, claim)),
    );
  }

  async claimJobs(
    worker: string,
    limit: number,
    leaseMs: number,
    now: number,
    isOwnerAlive: (owner: string) => boolean,
  ): Promise<JobRecord[]> {
    return this.write(() => this.jobs.claim(worker, limit, leaseMs, now, isOwnerAlive));
  }

  async failJob(
    id: string,
    claim: JobClaim,
    error: string,
    retryAt: number | null,
    now: number,
  ): Promise<void> {
    this.write(() => this.jobs.fail(id, claim, error, retryAt, now));
  }

  async renewJobs(
    worker: string,
    jobs: Array<{ id: string; attempt: number }>,
    leaseMs: number,
    now: number,
  ): Promise<number> {
    return this.write(() => this.jobs.renew(worker, jobs, now + leaseMs));
  }

  async retryJobs(
    store: string,
    tenant: TenantKey,
    ids: string[] | 'all-failed',
    now: number,
  ): Promise<number> {
    return this.write(() => this.jobs.retry(store, tenant, ids, now));
  }

  async getJob(store: string, tenant: TenantKey, id: string): Promise<JobRecord | null> {
    return this.jobs.get(store, tenant, id);
  }

  async listJobs(
    store: string,
    tenant: TenantKey | null,
    states: string[],
    page: Page,
  ): Promise<JobRecord[]> {
    return this.jobs.list(store, tenant, states, page);
  }

  async pendingJobCount(store: string | null): Promise<number> {
    return this.jobs.pendingCount(store);
  }

  async exportRows(
    table: TransferTable,
    after: string | null,
    limit: number,
  ): Promise<{ rows: TransferRow[]; cursor: string | null }> {
    return this.transfer.exportRows(table, after, limit);
  }

  async countRows(table: TransferTable): Promise<number> {
    return this.transfer.countRows(table);
  }

  async importRows(
    table: TransferTable,
    rows: TransferRow[],
    checkpoint: TransferCheckpoint,
  ): Promise<void> {
    this.write(() => this.transfer.importInTransaction(table, rows, checkpoint));
  }

  async transferCheckpoints(): Promise<TransferCheckpoint[]> {
    return this.transfer.checkpoints();
  }

  async statistics(): Promise<StorageStatistics> {
    const db = this.statements;
    const jobStates: Record<string, number> = {};
    for (const row of db
      .get('SELECT state, count(*) AS n FROM jobs GROUP BY state')
      .all() as Array<{ state: string; n: number }>)
      jobStates[row.state] = row.n;
    const memoriesByStore: Record<string, number> = {};
    for (const row of db
      .get(
        'SELECT store, count(*) AS n FROM memories WHERE deleted_at IS NULL AND valid_to IS NULL GROUP BY store',
      )
      .all() as Array<{ store: string; n: number }>)
      memoriesByStore[row.store] = row.n;
    const tokens = db
      .get(
        "SELECT coalesce(sum(json_extract(usage, '$.promptTokens')), 0) AS p, coalesce(sum(json_extract(usage, '$.completionTokens')), 0) AS c FROM jobs WHERE usage IS NOT NULL",
      )
      .get() as { p: number; c: number };
    return {
      jobStates,
      memoriesByStore,
      jobTokens: { promptTokens: tokens.p, completionTokens: tokens.c },
    };
  }

  async createKey(record: ApiKeyRecord, hash: string): Promise<void> {
    this.write(() => this.keys.create(record, hash));
  }

  async findKeyByHash(hash: string, now: number): Promise<ApiKeyRecord | null> {
    return this.write(() => this.keys.findByHash(hash, now));
  }

  async listKeys(tenant: TenantKey | null): Promise<ApiKeyRecord[]> {
    return this.keys.list(tenant);
  }

  async revokeKey(id: string, now: number): Promise<boolean> {
    return this.write(() => this.keys.revoke(id, now));
  }

  async appendAudit(entry: AuditEntry): Promise<void> {
    this.write(() => this.keys.appendAudit(entry));
  }

  async listAudit(tenant: TenantKey, page: Page): Promise<AuditEntry[]> {
    return this.keys.listAudit(tenant, page);
  }

  async getProfile(tenant: TenantKey): Promise<ProfileEntry[]> {
    return this.profiles.get(tenant);
  }

  async changeProfile(tenant: TenantKey, changes: ProfileChange[], now: number): Promise<number> {
    return this.write(() => this.profiles.applyInTransaction(tenant, changes, now));
  }

  async profileHistory(
    tenant: TenantKey,
    key: string | null,
    page: Page,
  ): Promise<ProfileHistoryEntry[]> {
    return this.profiles.history(tenant, key, page);
  }

  async createSession(session: SessionRecord): Promise<SessionRecord> {
    return this.write(() => this.sessions.create(session));
  }

  async getSession(tenant: TenantKey, id: string): Promise<SessionRecord | null> {
    return this.sessions.get(tenant, id);
  }

  async listSessions(tenant: TenantKey, page: Page): Promise<SessionRecord[]> {
    return this.sessions.list(tenant, page);
  }

  async updateSession(
    tenant: TenantKey,
    id: string,
    patch: { title?: string; metadata?: Record<string, string> },
    now: number,
  ): Promise<SessionRecord | null> {
    return this.write(() => this.sessions.update(tenant, id, patch, now));
  }

  async deleteSession(tenant: TenantKey, id: string): Promise<boolean> {
    return this.write(() => this.sessions.delete(tenant, id));
  }

  async appendMessages(
    tenant: TenantKey,
    sessionId: string,
    messages: Array<Omit<SessionMessage, 'seq' | 'sessionId'> & { tokens: string }>,
    now: number,
  ): Promise<SessionMessage[]> {
    return this.write(() => this.sessions.append(tenant, sessionId, messages, now));
  }

  async listMessages(tenant: TenantKey, sessionId: string, page: Page): Promise<SessionMessage[]> {
    return this.sessions.messages(tenant, sessionId, page);
  }

  async searchMessages(
    tenant: TenantKey,
    tokens: string[],
    sessionId: string | null,
    limit: number,
  ): Promise<Array<SessionMessage & { score: number }>> {
    return this.sessions.search(tenant, tokens, sessionId, limit);
  }

  async close(): Promise<void> {
    if (this.db.open) {
      if (!this.db.readonly) this.db.pragma('wal_checkpoint(PASSIVE)');
      this.db.close();
    }
  }
}
