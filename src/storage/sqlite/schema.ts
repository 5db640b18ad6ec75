import type { Database } from 'better-sqlite3';

/** Current schema version, kept in `PRAGMA user_version`. */

const version1 = `
CREATE TABLE stores (
  name TEXT PRIMARY KEY,
  description TEXT NOT NULL,
  embedder_id TEXT NOT NULL,
  dimensions INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT INTO counters (name, value) VALUES ('seq', 0);
CREATE TABLE memories (
  key INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  store TEXT NOT NULL,
  app_id TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  agent_id TEXT NOT NULL,
  run_id TEXT NOT NULL,
  text TEXT NOT NULL,
  kind TEXT NOT NULL,
  salience REAL NOT NULL,
  metadata TEXT NOT NULL,
  source TEXT NOT NULL,
  hash TEXT NOT NULL,
  embedding BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  last_accessed_at INTEGER,
  access_count INTEGER NOT NULL DEFAULT 0,
  valid_to INTEGER,
  deleted_at INTEGER,
  seq INTEGER NOT NULL
);
CREATE INDEX memories_scope ON memories (store, app_id, tenant_id, agent_id, run_id, created_at);
CREATE INDEX memories_seq ON memories (store, app_id, tenant_id, seq);
CREATE INDEX memories_hash ON memories (store, app_id, tenant_id, agent_id, run_id, hash);
CREATE VIRTUAL TABLE memories_fts USING fts5(
  partition, tokens, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2'
);
CREATE TABLE memory_history (
  id TEXT PRIMARY KEY,
  store TEXT NOT NULL,
  app_id TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  memory_id TEXT NOT NULL,
  event TEXT NOT NULL,
  old_text TEXT,
  new_text TEXT,
  reason TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX history_memory ON memory_history (store, app_id, tenant_id, memory_id, created_at);
CREATE TABLE jobs (
  id TEXT PRIMARY KEY,
  store TEXT NOT NULL,
  app_id TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  agent_id TEXT NOT NULL,
  run_id TEXT NOT NULL,
  state TEXT NOT NULL,
  input TEXT NOT NULL,
  memory_ids TEXT NOT NULL DEFAULT '[]',
  usage TEXT,
  error TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  owner TEXT,
  lease_until INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX jobs_runnable ON jobs (state, created_at);
CREATE INDEX jobs_tenant ON jobs (store, app_id, tenant_id, created_at);
CREATE TABLE sessions (
  app_id TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  id TEXT NOT NULL,
  agent_id TEXT NOT NULL,
  title TEXT NOT NULL,
  metadata TEXT NOT NULL,
  parent_id TEXT,
  message_count INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (app_id, tenant_id, id)
);
CREATE INDEX sessions_recent ON sessions (app_id, tenant_id, updated_at);
CREATE TABLE session_messages (
  key INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  app_id TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  session_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  role TEXT NOT NULL,
  content TEXT NOT NULL,
  name TEXT,
  metadata TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (app_id, tenant_id, session_id, seq)
);
CREATE VIRTUAL TABLE session_messages_fts USING fts5(
  partition, tokens, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2'
);
`;

/** Version 2: the user profile of each (app, tenant), with its change history. */
const version2 = `
CREATE TABLE profile_entries (
  app_id TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  source TEXT NOT NULL,
  memory_id TEXT,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (app_id, tenant_id, key)
);
CREATE TABLE profile_history (
  seq INTEGER PRIMARY KEY,
  app_id TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  key TEXT NOT NULL,
  old_value TEXT,
  new_value TEXT,
  source TEXT NOT NULL,
  memory_id TEXT,
  created_at INTEGER NOT NULL
);
CREATE INDEX profile_history_tenant ON profile_history (app_id, tenant_id, key, seq);
`;

/**
 * Version 3: staging of `mnemos mem reembed`. One run per store names the target embedder; vectors
 * computed so far wait in `reembed_vectors` (with a digest of the exact text they were computed
 * from) until one transaction copies them into `memories.embedding`.
 */
const version3 = `
CREATE TABLE reembed_runs (
  store TEXT PRIMARY KEY,
  run_id TEXT NOT NULL,
  embedder_id TEXT NOT NULL,
  dimensions INTEGER NOT NULL,
  store_created_at INTEGER NOT NULL,
  started_at INTEGER NOT NULL
);
CREATE TABLE reembed_vectors (
  store TEXT NOT NULL,
  key INTEGER NOT NULL,
  hash TEXT NOT NULL,
  embedding BLOB NOT NULL,
  PRIMARY KEY (store, key)
);
`;

/** Schema steps in order; step i brings `user_version` from i to i + 1. Append, never edit. */
/** Version 4: API keys (hashes only) and the audit trail of mutating requests. */
const version4 = `
CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  hash TEXT NOT NULL UNIQUE,
  prefix TEXT NOT NULL,
  name TEXT NOT NULL,
  app_id TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  admin INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER,
  revoked_at INTEGER
);
CREATE INDEX api_keys_tenant ON api_keys (app_id, tenant_id);
CREATE TABLE audit_log (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  app_id TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  key_id TEXT NOT NULL,
  method TEXT NOT NULL,
  path TEXT NOT NULL,
  status INTEGER NOT NULL,
  store TEXT,
  created_at INTEGER NOT NULL
);
CREATE INDEX audit_tenant ON audit_log (app_id, tenant_id, seq);
`;

/** Version 5: where each `mnemos migrate` copy into this database has got to, written with its rows. */
const version5 = `
CREATE TABLE transfer_progress (
  migration TEXT NOT NULL,
  table_name TEXT NOT NULL,
  cursor TEXT,
  copied INTEGER NOT NULL,
  done INTEGER NOT NULL,
  PRIMARY KEY (migration, table_name)
);
`;

/**
 * Version 6: the tool calls and results of each session message as a JSON array of their own,
 * instead of inside the message's string metadata (whose values are capped at 1 KiB).
 */
const version6 = `
ALTER TABLE session_messages ADD COLUMN parts TEXT NOT NULL DEFAULT '[]';
`;

/**
 * Version 7: exact duplicates are found across the runs of an agent (one fact per user, not per
 * session), so the hash index leads with the agent and leaves the run out.
 */
const version7 = `
CREATE INDEX memories_agent_hash ON memories (store, app_id, tenant_id, agent_id, hash);
DROP INDEX memories_hash;
`;

/**
 * Version 8: the skills of each (app, tenant), files and provenance as JSON text, with every
 * version kept in `skill_history` (files null for a deletion).
 */
const version8 = `
CREATE TABLE skills (
  app_id TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  name TEXT NOT NULL,
  description TEXT NOT NULL,
  origin TEXT NOT NULL,
  status TEXT NOT NULL,
  version INTEGER NOT NULL,
  files TEXT NOT NULL,
  provenance TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  last_used_at INTEGER,
  PRIMARY KEY (app_id, tenant_id, name)
);
CREATE TABLE skill_history (
  app_id TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  name TEXT NOT NULL,
  version INTEGER NOT NULL,
  action TEXT NOT NULL,
  actor TEXT NOT NULL,
  note TEXT NOT NULL,
  files TEXT,
  created_at INTEGER NOT NULL,
  UNIQUE (app_id, tenant_id, name, version)
);
`;

/**
 * Version 9: tokens agent turns used, per (app, tenant), session and UTC day, for token quotas;
 * adding to a row is one upsert, so concurrent processes never lose a count.
 */
const version9 = `
CREATE TABLE token_usage (
  app_id TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  session_id TEXT NOT NULL,
  day TEXT NOT NULL,
  input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (app_id, tenant_id, session_id, day)
);
CREATE INDEX token_usage_day ON token_usage (app_id, tenant_id, day);
`;

/**
 * Version 10: runs of teams of each (app, tenant), the steps and usage as JSON text; a run is
 * rewritten whole after every step.
 */
const version10 = `
CREATE TABLE team_runs (
  app_id TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  id TEXT NOT NULL,
  team TEXT NOT NULL,
  input TEXT NOT NULL,
  status TEXT NOT NULL,
  output TEXT NOT NULL,
  steps TEXT NOT NULL,
  usage TEXT NOT NULL,
  error TEXT,
  note TEXT,
  started_at INTEGER NOT NULL,
  finished_at INTEGER,
  PRIMARY KEY (app_id, tenant_id, id)
);
CREATE INDEX team_runs_recent ON team_runs (app_id, tenant_id, started_at);
CREATE INDEX team_runs_running ON team_runs (started_at) WHERE status = 'running';
`;

/** Version 11: the agent definitions of each (app, tenant), the definition as JSON text. */
const version11 = `
CREATE TABLE agent_definitions (
  app_id TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  name TEXT NOT NULL,
  definition TEXT NOT NULL,
  version INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (app_id, tenant_id, name)
);
`;
/** Version 13: the messaging gateway: pairing requests (code hashes), failed approvals, accounts and chat bindings. */
const version13 = `
CREATE TABLE gateway_pairings (
  code_hash TEXT PRIMARY KEY,
  platform TEXT NOT NULL,
  user_id TEXT NOT NULL,
  chat_id TEXT NOT NULL,
  user_name TEXT,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX gateway_pairings_person ON gateway_pairings (platform, user_id, created_at);
CREATE TABLE gateway_failures (
  at INTEGER NOT NULL
);
CREATE TABLE gateway_accounts (
  platform TEXT NOT NULL,
  user_id TEXT NOT NULL,
  user_name TEXT,
  app_id TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  approved_by TEXT NOT NULL,
  status TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (platform, user_id)
);
CREATE TABLE gateway_bindings (
  app_id TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  chat_key TEXT NOT NULL,
  platform TEXT NOT NULL,
  session_id TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (app_id, tenant_id, chat_key)
);
`;

/**
 * Version 12: cron jobs of each (app, tenant) and their runs. A job's `next_run_at` and lease are
 * compare-and-set by claims, so replicas run each slot once; `cron_jobs_due` is scanned across tenants.
 */
const version12 = `
CREATE TABLE cron_jobs (
  app_id TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  id TEXT NOT NULL,
  name TEXT NOT NULL,
  schedule TEXT NOT NULL,
  schedule_kind TEXT NOT NULL,
  timezone TEXT,
  task TEXT NOT NULL,
  agent TEXT,
  deliver TEXT NOT NULL,
  memory INTEGER NOT NULL,
  origin TEXT NOT NULL,
  repeat_times INTEGER,
  repeat_completed INTEGER NOT NULL,
  paused INTEGER NOT NULL,
  next_run_at INTEGER,
  last_run_at INTEGER,
  last_status TEXT,
  last_error TEXT,
  lease_run TEXT,
  lease_owner TEXT,
  lease_until INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (app_id, tenant_id, id),
  UNIQUE (app_id, tenant_id, name)
);
CREATE INDEX cron_jobs_due ON cron_jobs (next_run_at) WHERE paused = 0 AND next_run_at IS NOT NULL;
CREATE INDEX cron_jobs_leased ON cron_jobs (lease_until) WHERE lease_until IS NOT NULL;
CREATE TABLE cron_runs (
  app_id TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  id TEXT NOT NULL,
  job_id TEXT NOT NULL,
  job_name TEXT NOT NULL,
  status TEXT NOT NULL,
  scheduled_for INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  finished_at INTEGER,
  output TEXT NOT NULL,
  error TEXT,
  deliveries TEXT NOT NULL,
  session_id TEXT,
  worker TEXT NOT NULL,
  PRIMARY KEY (app_id, tenant_id, id)
);
CREATE INDEX cron_runs_job ON cron_runs (app_id, tenant_id, job_id, started_at);
CREATE INDEX cron_runs_recent ON cron_runs (app_id, tenant_id, started_at);
`;

const migrations = [
  version1,
  version2,
  version3,
  version4,
  version5,
  version6,
  version7,
  version8,
  version9,
  version10,
  version11,
  version12,
  version13,
];

/** Current schema version, kept in `PRAGMA user_version`. */
export const schemaVersion = migrations.length;

/** Fails when the file was written by a newer Mnemos; returns the file's schema version. */
export function checkVersion(db: Database): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > schemaVersion) {
    throw new Error(
      `database schema version ${current} is newer than this Mnemos (${schemaVersion}); upgrade Mnemos`,
    );
  }
  return current;
}

/** Sets connection pragmas and brings the schema up to date. */
export function migrate(db: Database): void {
  db.pragma('journal_mode = WAL');
  // FULL: an acknowledged job survives power loss, not only a process crash.
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 10000');
  db.pragma('foreign_keys = ON');
  const current = checkVersion(db);
  for (let step = current; step < migrations.length; step++) {
    db.transaction(() => {
      // Another process may have run this step since `current` was read; the write lock is held now.
      if ((db.pragma('user_version', { simple: true }) as number) > step) return;
      db.exec(migrations[step] as string);
      db.pragma(`user_version = ${step + 1}`);
    }).immediate();
  }
}
