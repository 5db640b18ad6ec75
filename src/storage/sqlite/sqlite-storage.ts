import Database from 'better-sqlite3';
import { MnemosError } from '../../core/errors.js';
import type { Storage, StorageCapabilities, StorageStatistics } from '../../spec/storage.js';
import { checkVersion, migrate, schemaVersion } from './schema.js';
import { SqliteAgents } from './sqlite-agents.js';
import { SqliteCron } from './sqlite-cron.js';
import { SqliteGateway } from './sqlite-gateway.js';
import { SqliteJobs } from './sqlite-jobs.js';
import { SqliteKeys } from './sqlite-keys.js';
import { SqliteMemories } from './sqlite-memories.js';
import { SqliteProfiles } from './sqlite-profiles.js';
import { SqliteReembed } from './sqlite-reembed.js';
import { SqliteSearch } from './sqlite-search.js';
import { SqliteSessions } from './sqlite-sessions.js';
import { SqliteSkills } from './sqlite-skills.js';
import { SqliteStores } from './sqlite-stores.js';
import { SqliteTeamRuns } from './sqlite-team-runs.js';
import { SqliteTransfer } from './sqlite-transfer.js';
import { SqliteUsage } from './sqlite-usage.js';
import { Statements } from './statements.js';

/** Embedded storage on one SQLite file in WAL mode; the default backend of Mnemos. */
export class SqliteStorage implements Storage {
  readonly kind = 'sqlite';
  readonly capabilities: StorageCapabilities = { nativeVectorSearch: false };
  private readonly db: Database.Database;
  private readonly statements: Statements;
  readonly stores: SqliteStores;
  readonly memories: SqliteMemories;
  readonly search: SqliteSearch;
  readonly jobs: SqliteJobs;
  readonly sessions: SqliteSessions;
  readonly profiles: SqliteProfiles;
  readonly skills: SqliteSkills;
  readonly usage: SqliteUsage;
  readonly teamRuns: SqliteTeamRuns;
  readonly agents: SqliteAgents;
  readonly cron: SqliteCron;
  readonly gateway: SqliteGateway;
  readonly keys: SqliteKeys;
  readonly reembed: SqliteReembed;
  readonly transfer: SqliteTransfer;
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
    this.search = new SqliteSearch(this.statements);
    this.profiles = new SqliteProfiles(this.statements);
    this.skills = new SqliteSkills(this.statements);
    this.usage = new SqliteUsage(this.statements);
    this.teamRuns = new SqliteTeamRuns(this.statements);
    this.agents = new SqliteAgents(this.statements);
    this.cron = new SqliteCron(this.statements);
    this.gateway = new SqliteGateway(this.statements);
    this.jobs = new SqliteJobs(this.statements, this.memories, this.profiles);
    this.sessions = new SqliteSessions(this.statements);
    this.keys = new SqliteKeys(this.statements);
    this.reembed = new SqliteReembed(this.statements);
    this.stores = new SqliteStores(this.statements, this.reembed);
    this.transfer = new SqliteTransfer(this.statements);
  }

  /** The database file. */
  get location(): string {
    return this.path;
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

  async close(): Promise<void> {
    if (this.db.open) {
      if (!this.db.readonly) this.db.pragma('wal_checkpoint(PASSIVE)');
      this.db.close();
    }
  }
}
