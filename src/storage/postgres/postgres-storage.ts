import type { Storage, StorageCapabilities, StorageStatistics } from '../../spec/storage.js';
import { redactDatabaseUrl } from '../shared/database-url.js';
import { connect, type PostgresOptions } from './connect.js';
import type { Database } from './database.js';
import { PostgresAgents } from './pg-agents.js';
import { PostgresCron } from './pg-cron.js';
import { PostgresGateway } from './pg-gateway.js';
import { PostgresJobs } from './pg-jobs.js';
import { PostgresKeys } from './pg-keys.js';
import { PostgresMemories } from './pg-memories.js';
import { PostgresProfiles } from './pg-profiles.js';
import { PostgresReembed } from './pg-reembed.js';
import { PostgresSearch } from './pg-search.js';
import { PostgresSessions } from './pg-sessions.js';
import { PostgresSkills } from './pg-skills.js';
import { PostgresStores } from './pg-stores.js';
import { PostgresTeamRuns } from './pg-team-runs.js';
import { PostgresTransfer } from './pg-transfer.js';
import { PostgresUsage } from './pg-usage.js';

export type { PostgresOptions } from './connect.js';

/**
 * Storage on PostgreSQL with pgvector, for several `mnemos serve` replicas sharing one database:
 * HNSW vector search in the database (`nativeVectorSearch`), full-text search over the engine's
 * tokens, a job queue claimed with SKIP LOCKED, and every per-tenant row keyed by its tenant.
 * @example
 * const storage = await PostgresStorage.open(process.env.MNEMOS_DATABASE_URL!, { schema: 'mnemos' });
 * const mnemos = await Mnemos.open({ storage });
 */
export class PostgresStorage implements Storage {
  readonly kind = 'postgres';
  readonly capabilities: StorageCapabilities = { nativeVectorSearch: true };
  readonly stores: PostgresStores;
  readonly memories: PostgresMemories;
  readonly search: PostgresSearch;
  readonly jobs: PostgresJobs;
  readonly sessions: PostgresSessions;
  readonly profiles: PostgresProfiles;
  readonly skills: PostgresSkills;
  readonly usage: PostgresUsage;
  readonly teamRuns: PostgresTeamRuns;
  readonly agents: PostgresAgents;
  readonly cron: PostgresCron;
  readonly gateway: PostgresGateway;
  readonly keys: PostgresKeys;
  readonly reembed: PostgresReembed;
  readonly transfer: PostgresTransfer;
  private closed: Promise<void> | null = null;

  private constructor(
    private readonly db: Database,
    /** The database URL without its password, for `doctor` and logs. */
    readonly location: string,
  ) {
    this.memories = new PostgresMemories(db);
    this.search = new PostgresSearch(db);
    this.profiles = new PostgresProfiles(db);
    this.skills = new PostgresSkills(db);
    this.usage = new PostgresUsage(db);
    this.teamRuns = new PostgresTeamRuns(db);
    this.agents = new PostgresAgents(db);
    this.cron = new PostgresCron(db);
    this.gateway = new PostgresGateway(db);
    this.jobs = new PostgresJobs(db, this.profiles);
    this.sessions = new PostgresSessions(db);
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

  statistics(): Promise<StorageStatistics> {
    return this.stores.statistics();
  }

  /** Ends the pool; safe to call more than once. */
  close(): Promise<void> {
    this.closed ??= this.db.end();
    return this.closed;
  }
}
