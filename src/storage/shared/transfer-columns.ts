import { MnemosError } from '../../core/errors.js';
import type { TransferTable } from '../../spec/storage.js';

/** How a copied column is typed, so each backend can bind and cast it. */
export type ColumnType = 'text' | 'integer' | 'real' | 'boolean' | 'vector';

/** The columns of each copied table that both schemas share, with their types, in insert order. */
export const transferColumns: Record<
  TransferTable,
  ReadonlyArray<readonly [string, ColumnType]>
> = {
  stores: [
    ['name', 'text'],
    ['description', 'text'],
    ['embedder_id', 'text'],
    ['dimensions', 'integer'],
    ['created_at', 'integer'],
    ['updated_at', 'integer'],
  ],
  memories: [
    ['id', 'text'],
    ['store', 'text'],
    ['app_id', 'text'],
    ['tenant_id', 'text'],
    ['agent_id', 'text'],
    ['run_id', 'text'],
    ['text', 'text'],
    ['kind', 'text'],
    ['salience', 'real'],
    ['metadata', 'text'],
    ['source', 'text'],
    ['hash', 'text'],
    ['embedding', 'vector'],
    ['created_at', 'integer'],
    ['updated_at', 'integer'],
    ['last_accessed_at', 'integer'],
    ['access_count', 'integer'],
    ['valid_to', 'integer'],
    ['deleted_at', 'integer'],
  ],
  memory_history: [
    ['id', 'text'],
    ['store', 'text'],
    ['app_id', 'text'],
    ['tenant_id', 'text'],
    ['memory_id', 'text'],
    ['event', 'text'],
    ['old_text', 'text'],
    ['new_text', 'text'],
    ['reason', 'text'],
    ['created_at', 'integer'],
  ],
  jobs: [
    ['id', 'text'],
    ['store', 'text'],
    ['app_id', 'text'],
    ['tenant_id', 'text'],
    ['agent_id', 'text'],
    ['run_id', 'text'],
    ['state', 'text'],
    ['input', 'text'],
    ['memory_ids', 'text'],
    ['usage', 'text'],
    ['error', 'text'],
    ['attempts', 'integer'],
    ['owner', 'text'],
    ['lease_until', 'integer'],
    ['created_at', 'integer'],
    ['updated_at', 'integer'],
  ],
  sessions: [
    ['app_id', 'text'],
    ['tenant_id', 'text'],
    ['id', 'text'],
    ['agent_id', 'text'],
    ['title', 'text'],
    ['metadata', 'text'],
    ['parent_id', 'text'],
    ['message_count', 'integer'],
    ['created_at', 'integer'],
    ['updated_at', 'integer'],
  ],
  session_messages: [
    ['id', 'text'],
    ['app_id', 'text'],
    ['tenant_id', 'text'],
    ['session_id', 'text'],
    ['seq', 'integer'],
    ['role', 'text'],
    ['content', 'text'],
    ['name', 'text'],
    ['metadata', 'text'],
    ['parts', 'text'],
    ['created_at', 'integer'],
  ],
  profile_entries: [
    ['app_id', 'text'],
    ['tenant_id', 'text'],
    ['key', 'text'],
    ['value', 'text'],
    ['source', 'text'],
    ['memory_id', 'text'],
    ['updated_at', 'integer'],
  ],
  profile_history: [
    ['app_id', 'text'],
    ['tenant_id', 'text'],
    ['key', 'text'],
    ['old_value', 'text'],
    ['new_value', 'text'],
    ['source', 'text'],
    ['memory_id', 'text'],
    ['created_at', 'integer'],
  ],
  api_keys: [
    ['id', 'text'],
    ['hash', 'text'],
    ['prefix', 'text'],
    ['name', 'text'],
    ['app_id', 'text'],
    ['tenant_id', 'text'],
    ['admin', 'boolean'],
    ['created_at', 'integer'],
    ['last_used_at', 'integer'],
    ['revoked_at', 'integer'],
  ],
  audit_log: [
    ['id', 'text'],
    ['app_id', 'text'],
    ['tenant_id', 'text'],
    ['key_id', 'text'],
    ['method', 'text'],
    ['path', 'text'],
    ['status', 'integer'],
    ['store', 'text'],
    ['created_at', 'integer'],
  ],
  skills: [
    ['app_id', 'text'],
    ['tenant_id', 'text'],
    ['name', 'text'],
    ['description', 'text'],
    ['origin', 'text'],
    ['status', 'text'],
    ['version', 'integer'],
    ['files', 'text'],
    ['provenance', 'text'],
    ['created_at', 'integer'],
    ['updated_at', 'integer'],
    ['last_used_at', 'integer'],
  ],
  skill_history: [
    ['app_id', 'text'],
    ['tenant_id', 'text'],
    ['name', 'text'],
    ['version', 'integer'],
    ['action', 'text'],
    ['actor', 'text'],
    ['note', 'text'],
    ['files', 'text'],
    ['created_at', 'integer'],
  ],
  token_usage: [
    ['app_id', 'text'],
    ['tenant_id', 'text'],
    ['session_id', 'text'],
    ['day', 'text'],
    ['input_tokens', 'integer'],
    ['output_tokens', 'integer'],
    ['updated_at', 'integer'],
  ],
  team_runs: [
    ['app_id', 'text'],
    ['tenant_id', 'text'],
    ['id', 'text'],
    ['team', 'text'],
    ['input', 'text'],
    ['status', 'text'],
    ['output', 'text'],
    ['steps', 'text'],
    ['usage', 'text'],
    ['error', 'text'],
    ['note', 'text'],
    ['started_at', 'integer'],
    ['finished_at', 'integer'],
  ],
  agent_definitions: [
    ['app_id', 'text'],
    ['tenant_id', 'text'],
    ['name', 'text'],
    ['definition', 'text'],
    ['version', 'integer'],
    ['created_at', 'integer'],
    ['updated_at', 'integer'],
  ],
  cron_jobs: [
    ['app_id', 'text'],
    ['tenant_id', 'text'],
    ['id', 'text'],
    ['name', 'text'],
    ['schedule', 'text'],
    ['schedule_kind', 'text'],
    ['timezone', 'text'],
    ['task', 'text'],
    ['agent', 'text'],
    ['deliver', 'text'],
    ['memory', 'integer'],
    ['origin', 'text'],
    ['repeat_times', 'integer'],
    ['repeat_completed', 'integer'],
    ['paused', 'integer'],
    ['next_run_at', 'integer'],
    ['last_run_at', 'integer'],
    ['last_status', 'text'],
    ['last_error', 'text'],
    ['lease_run', 'text'],
    ['lease_owner', 'text'],
    ['lease_until', 'integer'],
    ['created_at', 'integer'],
    ['updated_at', 'integer'],
  ],
  cron_runs: [
    ['app_id', 'text'],
    ['tenant_id', 'text'],
    ['id', 'text'],
    ['job_id', 'text'],
    ['job_name', 'text'],
    ['status', 'text'],
    ['scheduled_for', 'integer'],
    ['started_at', 'integer'],
    ['finished_at', 'integer'],
    ['output', 'text'],
    ['error', 'text'],
    ['deliveries', 'text'],
    ['session_id', 'text'],
    ['worker', 'text'],
  ],
  gateway_accounts: [
    ['platform', 'text'],
    ['user_id', 'text'],
    ['user_name', 'text'],
    ['app_id', 'text'],
    ['tenant_id', 'text'],
    ['approved_by', 'text'],
    ['status', 'text'],
    ['updated_at', 'integer'],
  ],
  gateway_bindings: [
    ['app_id', 'text'],
    ['tenant_id', 'text'],
    ['chat_key', 'text'],
    ['platform', 'text'],
    ['session_id', 'text'],
    ['updated_at', 'integer'],
  ],
};

/**
 * Copied columns a later schema step added, with the value they read as from a source of an older
 * schema that lacks them (a read-only source is never migrated).
 */
export const addedColumns: Partial<Record<TransferTable, Readonly<Record<string, string>>>> = {
  session_messages: { parts: '[]' },
};

/**
 * The SELECT list of a copied table for a source whose table has the `present` columns: an added
 * column it lacks reads as its default (a constant of this file, as an SQL string literal).
 */
export function exportSelectList(
  table: TransferTable,
  present: ReadonlySet<string>,
  select: (name: string, type: ColumnType) => string = (name) => name,
): string {
  return transferColumns[table]
    .map(([name, type]) => {
      const fallback = addedColumns[table]?.[name];
      return fallback !== undefined && !present.has(name)
        ? `'${fallback.replaceAll("'", "''")}' AS ${name}`
        : select(name, type);
    })
    .join(', ');
}

/** The column names of a copied table, comma-separated, for SELECT and INSERT lists. */
export function columnList(table: TransferTable, alias = ''): string {
  return transferColumns[table].map(([name]) => (alias ? `${alias}.${name}` : name)).join(', ');
}

/** The full-text tokens a copied memory or message row carries (null: kept out of full-text search). */
export function rowTokens(row: Record<string, unknown>): string | null {
  const tokens = row.tokens;
  return typeof tokens === 'string' ? tokens : null;
}

/** The error of a batch whose checkpoint another copy into the same database has moved meanwhile. */
export function concurrentCopy(): MnemosError {
  return new MnemosError(
    'already_exists',
    'another `mnemos migrate` is copying into this database at the same time; let it finish (or stop it) and run the command again',
  );
}
