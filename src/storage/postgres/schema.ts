/**
 * Schema of the Postgres backend, as ordered steps recorded in `mnemos_schema_migrations`. Append
 * steps, never edit one that shipped.
 *
 * Tenancy: every per-tenant table carries `app_id` and `tenant_id`; its primary key and unique
 * constraints include them, and its indexes lead with them (after `store` where a table belongs to
 * a store). No foreign keys. That keeps every row of a tenant addressable by `tenant_id`, so the
 * tables can be distributed by it (docs/scaling.md). Deliberate exceptions, all maintenance or
 * queue paths that have no tenant by design: `memories_store_key` (re-embedding walks a store in
 * key order), `jobs_id` and `jobs_runnable` (the queue is claimed across tenants),
 * `team_runs_running` (runs whose process died are failed across tenants when Mnemos opens),
 * `cron_jobs_due` and `cron_jobs_leased` (the scheduler looks for due jobs and expired leases across tenants).
 */

const version1 = `
CREATE TABLE stores (
  name text PRIMARY KEY,
  description text NOT NULL,
  embedder_id text NOT NULL,
  dimensions integer NOT NULL,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);

-- The change sequence of each (store, tenant); its row also serialises the tenant's memory writes.
CREATE TABLE memory_sequences (
  store text NOT NULL,
  app_id text NOT NULL,
  tenant_id text NOT NULL,
  value bigint NOT NULL,
  PRIMARY KEY (store, app_id, tenant_id)
);

CREATE TABLE memories (
  key bigint GENERATED ALWAYS AS IDENTITY,
  id text NOT NULL,
  store text NOT NULL,
  app_id text NOT NULL,
  tenant_id text NOT NULL,
  agent_id text NOT NULL,
  run_id text NOT NULL,
  text text NOT NULL,
  kind text NOT NULL,
  salience double precision NOT NULL,
  metadata text NOT NULL,
  source text NOT NULL,
  hash text NOT NULL,
  embedding vector NOT NULL,
  -- Null when the memory is out of full-text search (deleted, or invalidated without tokens).
  tsv tsvector,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  last_accessed_at bigint,
  access_count integer NOT NULL DEFAULT 0,
  valid_to bigint,
  deleted_at bigint,
  seq bigint NOT NULL,
  PRIMARY KEY (app_id, tenant_id, key),
  UNIQUE (app_id, tenant_id, id)
);
CREATE INDEX memories_scope ON memories (store, app_id, tenant_id, agent_id, run_id, created_at);
CREATE INDEX memories_recent ON memories (store, app_id, tenant_id, created_at, key);
CREATE INDEX memories_seq ON memories (store, app_id, tenant_id, seq);
CREATE INDEX memories_hash ON memories (store, app_id, tenant_id, agent_id, run_id, hash);
CREATE INDEX memories_store_key ON memories (store, key);
CREATE INDEX memories_tsv ON memories USING gin (tsv);

-- Documents and their distinct tokens per full-text space (a store, or sessions) and tenant, for BM25.
CREATE TABLE text_statistics (
  space text NOT NULL,
  app_id text NOT NULL,
  tenant_id text NOT NULL,
  documents bigint NOT NULL,
  lexemes bigint NOT NULL,
  PRIMARY KEY (space, app_id, tenant_id)
);

CREATE TABLE memory_history (
  seq bigint GENERATED ALWAYS AS IDENTITY,
  id text NOT NULL,
  store text NOT NULL,
  app_id text NOT NULL,
  tenant_id text NOT NULL,
  memory_id text NOT NULL,
  event text NOT NULL,
  old_text text,
  new_text text,
  reason text NOT NULL,
  created_at bigint NOT NULL,
  PRIMARY KEY (app_id, tenant_id, id)
);
CREATE INDEX history_memory ON memory_history (store, app_id, tenant_id, memory_id, created_at, seq);

CREATE TABLE jobs (
  seq bigint GENERATED ALWAYS AS IDENTITY,
  id text NOT NULL,
  store text NOT NULL,
  app_id text NOT NULL,
  tenant_id text NOT NULL,
  agent_id text NOT NULL,
  run_id text NOT NULL,
  state text NOT NULL,
  input text NOT NULL,
  memory_ids text NOT NULL DEFAULT '[]',
  usage text,
  error text,
  attempts integer NOT NULL DEFAULT 0,
  owner text,
  lease_until bigint,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  PRIMARY KEY (app_id, tenant_id, id)
);
CREATE INDEX jobs_id ON jobs (id);
CREATE INDEX jobs_runnable ON jobs (created_at, seq) WHERE state IN ('queued', 'running');
CREATE INDEX jobs_tenant ON jobs (store, app_id, tenant_id, created_at);

CREATE TABLE sessions (
  app_id text NOT NULL,
  tenant_id text NOT NULL,
  id text NOT NULL,
  agent_id text NOT NULL,
  title text NOT NULL,
  metadata text NOT NULL,
  parent_id text,
  message_count integer NOT NULL DEFAULT 0,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  PRIMARY KEY (app_id, tenant_id, id)
);
CREATE INDEX sessions_recent ON sessions (app_id, tenant_id, updated_at);

CREATE TABLE session_messages (
  key bigint GENERATED ALWAYS AS IDENTITY,
  id text NOT NULL,
  app_id text NOT NULL,
  tenant_id text NOT NULL,
  session_id text NOT NULL,
  seq integer NOT NULL,
  role text NOT NULL,
  content text NOT NULL,
  name text,
  metadata text NOT NULL,
  tsv tsvector,
  created_at bigint NOT NULL,
  PRIMARY KEY (app_id, tenant_id, key),
  UNIQUE (app_id, tenant_id, id),
  UNIQUE (app_id, tenant_id, session_id, seq)
);
CREATE INDEX session_messages_tsv ON session_messages USING gin (tsv);

CREATE TABLE profile_entries (
  app_id text NOT NULL,
  tenant_id text NOT NULL,
  key text NOT NULL,
  value text NOT NULL,
  source text NOT NULL,
  memory_id text,
  updated_at bigint NOT NULL,
  PRIMARY KEY (app_id, tenant_id, key)
);
CREATE TABLE profile_history (
  seq bigint GENERATED ALWAYS AS IDENTITY,
  app_id text NOT NULL,
  tenant_id text NOT NULL,
  key text NOT NULL,
  old_value text,
  new_value text,
  source text NOT NULL,
  memory_id text,
  created_at bigint NOT NULL,
  PRIMARY KEY (app_id, tenant_id, seq)
);
CREATE INDEX profile_history_key ON profile_history (app_id, tenant_id, key, seq);

CREATE TABLE reembed_runs (
  store text PRIMARY KEY,
  run_id text NOT NULL,
  embedder_id text NOT NULL,
  dimensions integer NOT NULL,
  store_created_at bigint NOT NULL,
  started_at bigint NOT NULL
);
CREATE TABLE reembed_vectors (
  store text NOT NULL,
  app_id text NOT NULL,
  tenant_id text NOT NULL,
  key bigint NOT NULL,
  hash bytea NOT NULL,
  embedding vector NOT NULL,
  PRIMARY KEY (store, app_id, tenant_id, key)
);

CREATE TABLE api_keys (
  seq bigint GENERATED ALWAYS AS IDENTITY,
  id text PRIMARY KEY,
  hash text NOT NULL UNIQUE,
  prefix text NOT NULL,
  name text NOT NULL,
  app_id text NOT NULL,
  tenant_id text NOT NULL,
  admin boolean NOT NULL,
  created_at bigint NOT NULL,
  last_used_at bigint,
  revoked_at bigint
);
CREATE INDEX api_keys_tenant ON api_keys (app_id, tenant_id, created_at);

CREATE TABLE audit_log (
  seq bigint GENERATED ALWAYS AS IDENTITY,
  id text NOT NULL,
  app_id text NOT NULL,
  tenant_id text NOT NULL,
  key_id text NOT NULL,
  method text NOT NULL,
  path text NOT NULL,
  status integer NOT NULL,
  store text,
  created_at bigint NOT NULL,
  PRIMARY KEY (app_id, tenant_id, id)
);
CREATE INDEX audit_tenant ON audit_log (app_id, tenant_id, seq);
`;

/** Version 2: where each `mnemos migrate` copy into this database has got to, written with its rows. */
const version2 = `
CREATE TABLE transfer_progress (
  migration text NOT NULL,
  table_name text NOT NULL,
  cursor text,
  copied bigint NOT NULL,
  done boolean NOT NULL,
  PRIMARY KEY (migration, table_name)
);
`;

/**
 * Version 3: per-tenant sequence indexes on history and jobs, so `mnemos migrate` reads them in
 * order within each tenant by index, batch after batch, instead of sorting the table every time.
 */
const version3 = `
CREATE INDEX memory_history_tenant_seq ON memory_history (app_id, tenant_id, seq);
CREATE INDEX jobs_tenant_seq ON jobs (app_id, tenant_id, seq);
`;

/**
 * Version 4: the tool calls and results of each session message as a JSON array of their own,
 * instead of inside the message's string metadata (whose values are capped at 1 KiB).
 */
const version4 = `
ALTER TABLE session_messages ADD COLUMN parts text NOT NULL DEFAULT '[]';
`;

/**
 * Version 5: exact duplicates are found across the runs of an agent (one fact per user, not per
 * session), so the hash index leads with the agent and leaves the run out.
 */
const version5 = `
CREATE INDEX memories_agent_hash ON memories (store, app_id, tenant_id, agent_id, hash);
DROP INDEX memories_hash;
`;

/**
 * Version 6: the skills of each (app, tenant), files and provenance as JSON text (kept byte for
 * byte, unlike jsonb), with every version kept in `skill_history` (files null for a deletion).
 */
const version6 = `
CREATE TABLE skills (
  app_id text NOT NULL,
  tenant_id text NOT NULL,
  name text NOT NULL,
  description text NOT NULL,
  origin text NOT NULL,
  status text NOT NULL,
  version bigint NOT NULL,
  files text NOT NULL,
  provenance text NOT NULL,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  last_used_at bigint,
  PRIMARY KEY (app_id, tenant_id, name)
);
CREATE TABLE skill_history (
  app_id text NOT NULL,
  tenant_id text NOT NULL,
  name text NOT NULL,
  version bigint NOT NULL,
  action text NOT NULL,
  actor text NOT NULL,
  note text NOT NULL,
  files text,
  created_at bigint NOT NULL,
  UNIQUE (app_id, tenant_id, name, version)
);
`;

/**
 * Version 7: tokens agent turns used, per (app, tenant), session and UTC day, for token quotas;
 * adding to a row is one upsert, so concurrent replicas never lose a count.
 */
const version7 = `
CREATE TABLE token_usage (
  app_id text NOT NULL,
  tenant_id text NOT NULL,
  session_id text NOT NULL,
  day text NOT NULL,
  input_tokens bigint NOT NULL,
  output_tokens bigint NOT NULL,
  updated_at bigint NOT NULL,
  PRIMARY KEY (app_id, tenant_id, session_id, day)
);
CREATE INDEX token_usage_day ON token_usage (app_id, tenant_id, day);
`;

/**
 * Version 8: runs of teams of each (app, tenant), the steps and usage as JSON text; a run is
 * rewritten whole after every step.
 */
const version8 = `
CREATE TABLE team_runs (
  seq bigint GENERATED ALWAYS AS IDENTITY,
  app_id text NOT NULL,
  tenant_id text NOT NULL,
  id text NOT NULL,
  team text NOT NULL,
  input text NOT NULL,
  status text NOT NULL,
  output text NOT NULL,
  steps text NOT NULL,
  usage text NOT NULL,
  error text,
  note text,
  started_at bigint NOT NULL,
  finished_at bigint,
  PRIMARY KEY (app_id, tenant_id, id)
);
CREATE INDEX team_runs_recent ON team_runs (app_id, tenant_id, started_at, seq);
CREATE INDEX team_runs_running ON team_runs (started_at) WHERE status = 'running';
`;

/** Version 9: the agent definitions of each (app, tenant), the definition as JSON text. */
const version9 = `
CREATE TABLE agent_definitions (
  app_id text NOT NULL,
  tenant_id text NOT NULL,
  name text NOT NULL,
  definition text NOT NULL,
  version bigint NOT NULL,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  PRIMARY KEY (app_id, tenant_id, name)
);
`;

/**
 * Version 10: cron jobs of each (app, tenant) and their runs. A job's `next_run_at` and lease are
 * compare-and-set by claims, so replicas run each slot once; `cron_jobs_due` and
 * `cron_jobs_leased` are scanned across tenants by the scheduler.
 */
const version10 = `
CREATE TABLE cron_jobs (
  app_id text NOT NULL,
  tenant_id text NOT NULL,
  id text NOT NULL,
  name text NOT NULL,
  schedule text NOT NULL,
  schedule_kind text NOT NULL,
  timezone text,
  task text NOT NULL,
  agent text,
  deliver text NOT NULL,
  memory integer NOT NULL,
  origin text NOT NULL,
  repeat_times bigint,
  repeat_completed bigint NOT NULL,
  paused integer NOT NULL,
  next_run_at bigint,
  last_run_at bigint,
  last_status text,
  last_error text,
  lease_run text,
  lease_owner text,
  lease_until bigint,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  PRIMARY KEY (app_id, tenant_id, id),
  UNIQUE (app_id, tenant_id, name)
);
CREATE INDEX cron_jobs_due ON cron_jobs (next_run_at) WHERE paused = 0 AND next_run_at IS NOT NULL;
CREATE INDEX cron_jobs_leased ON cron_jobs (lease_until) WHERE lease_until IS NOT NULL;
CREATE TABLE cron_runs (
  seq bigint GENERATED ALWAYS AS IDENTITY,
  app_id text NOT NULL,
  tenant_id text NOT NULL,
  id text NOT NULL,
  job_id text NOT NULL,
  job_name text NOT NULL,
  status text NOT NULL,
  scheduled_for bigint NOT NULL,
  started_at bigint NOT NULL,
  finished_at bigint,
  output text NOT NULL,
  error text,
  deliveries text NOT NULL,
  session_id text,
  worker text NOT NULL,
  PRIMARY KEY (app_id, tenant_id, id)
);
CREATE INDEX cron_runs_job ON cron_runs (app_id, tenant_id, job_id, started_at, seq);
CREATE INDEX cron_runs_recent ON cron_runs (app_id, tenant_id, started_at, seq);
`;

/** Version 11: the messaging gateway: pairing requests (code hashes), failed approvals, accounts and chat bindings. */
const version11 = `
CREATE TABLE gateway_pairings (
  code_hash text PRIMARY KEY,
  platform text NOT NULL,
  user_id text NOT NULL,
  chat_id text NOT NULL,
  user_name text,
  created_at bigint NOT NULL,
  expires_at bigint NOT NULL
);
CREATE INDEX gateway_pairings_person ON gateway_pairings (platform, user_id, created_at);
CREATE TABLE gateway_failures (
  at bigint NOT NULL
);
CREATE TABLE gateway_accounts (
  platform text NOT NULL,
  user_id text NOT NULL,
  user_name text,
  app_id text NOT NULL,
  tenant_id text NOT NULL,
  approved_by text NOT NULL,
  status text NOT NULL,
  updated_at bigint NOT NULL,
  PRIMARY KEY (platform, user_id)
);
CREATE TABLE gateway_bindings (
  app_id text NOT NULL,
  tenant_id text NOT NULL,
  chat_key text NOT NULL,
  platform text NOT NULL,
  session_id text NOT NULL,
  updated_at bigint NOT NULL,
  PRIMARY KEY (app_id, tenant_id, chat_key)
);
`;

/** Schema steps in order; step i brings the recorded version from i to i + 1. */
export const migrations: readonly string[] = [
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
];

/** Schema version this Mnemos writes. */
export const schemaVersion = migrations.length;
