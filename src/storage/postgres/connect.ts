import pg from 'pg';
import { MnemosError } from '../../core/errors.js';
import { redactDatabaseUrl } from '../shared/database-url.js';
import { Database, storageError } from './database.js';
import { migrations, schemaVersion } from './schema.js';

/** Options of `PostgresStorage.open`. */
export interface PostgresOptions {
  /** Schema holding Mnemos' tables, created when absent; default: the URL's `schema` parameter, else the connection's current schema. */
  schema?: string;
  /** Most connections the pool opens (default 10). */
  poolSize?: number;
  /** Open an existing schema without creating or migrating anything, in read-only transactions. */
  readOnly?: boolean;
}

/** Candidates an HNSW scan keeps; searches ask for at most a few hundred rows. */
const efSearch = 100;
const schemaPattern = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * Splits the URL's own `options` parameter off, so ours are combined with it instead of replacing
 * it, and its `schema` parameter (a Mnemos extension: one database, several deployments).
 */
function splitUrl(url: string): { url: string; options: string; schema: string | undefined } {
  try {
    const parsed = new URL(url);
    const options = parsed.searchParams.get('options') ?? '';
    const schema = parsed.searchParams.get('schema') ?? undefined;
    parsed.searchParams.delete('options');
    parsed.searchParams.delete('schema');
    return { url: parsed.toString(), options, schema };
  } catch {
    return { url, options: '', schema: undefined };
  }
}

/** Connection types: bigint columns (keys, epoch milliseconds, counts) as numbers. */
function typeParsers(): pg.CustomTypesConfig {
  const types = new pg.TypeOverrides();
  types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));
  return types;
}

/** Runs `work` on one short-lived connection. */
async function withClient<T>(
  config: pg.ClientConfig,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client(config);
  client.on('error', () => {});
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Creates pgvector and the schema once, however many processes start at the same moment. */
async function bootstrap(client: pg.Client, schema: string | undefined): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query("SELECT pg_advisory_xact_lock(hashtextextended('mnemos.bootstrap', 0))");
    const { rows } = await client.query("SELECT 1 FROM pg_extension WHERE extname = 'vector'");
    if (rows.length === 0) {
      try {
        await client.query('CREATE EXTENSION IF NOT EXISTS vector');
      } catch (error) {
        throw new MnemosError(
          'storage_error',
          `pgvector is needed: \`CREATE EXTENSION vector\` failed (${(error as Error).message}); install pgvector 0.8 or later and let a superuser run it once in this database`,
          { category: 'system', cause: error },
        );
      }
    }
    if (schema) await client.query(`CREATE SCHEMA IF NOT EXISTS ${pg.escapeIdentifier(schema)}`);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}

/** Brings the schema up to date inside one transaction holding the schema's migration lock. */
async function migrate(client: pg.Client, searchPath: string | null): Promise<void> {
  await client.query('BEGIN');
  try {
    if (searchPath) await client.query(`SET LOCAL search_path = ${searchPath}`);
    await client.query(
      "SELECT pg_advisory_xact_lock(hashtextextended('mnemos.migrate:' || current_schema(), 0))",
    );
    await client.query(
      'CREATE TABLE IF NOT EXISTS mnemos_schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const current = await recordedVersion(client);
    for (let step = current; step < migrations.length; step++) {
      await client.query(migrations[step]!);
      await client.query('INSERT INTO mnemos_schema_migrations (version) VALUES ($1)', [step + 1]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}

/** The schema version recorded in the database; fails when it is newer than this Mnemos. */
async function recordedVersion(client: pg.Client): Promise<number> {
  const { rows } = await client.query<{ version: number | null }>(
    'SELECT max(version) AS version FROM mnemos_schema_migrations',
  );
  const current = rows[0]?.version ?? 0;
  if (current > schemaVersion) {
    throw new MnemosError(
      'storage_error',
      `database schema version ${current} is newer than this Mnemos (${schemaVersion}); upgrade Mnemos`,
      { category: 'system', details: { version: current } },
    );
  }
  return current;
}

/** The search_path every connection uses: the Mnemos schema, then wherever pgvector lives. */
async function searchPathFor(
  client: pg.Client,
  schema: string | undefined,
): Promise<string | null> {
  const { rows } = await client.query<{ vector: string | null; visible: boolean; path: string }>(
    `SELECT n.nspname AS vector, n.nspname = ANY(current_schemas(false)) AS visible, current_setting('search_path') AS path
     FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'vector'`,
  );
  const row = rows[0];
  if (!row?.vector) {
    throw new MnemosError(
      'storage_error',
      'pgvector is not installed in this database; run `CREATE EXTENSION vector` as a superuser',
      { category: 'system' },
    );
  }
  const vector = pg.escapeIdentifier(row.vector);
  if (schema) return `${pg.escapeIdentifier(schema)}, ${vector}`;
  return row.visible ? null : `${row.path}, ${vector}`;
}

/**
 * Opens the pool of a PostgresStorage: creates pgvector and the schema, migrates (unless read-only),
 * and gives every connection the search path and HNSW settings as startup options, so they hold
 * before the first statement of every connection.
 */
export async function connect(url: string, options: PostgresOptions): Promise<Database> {
  const split = splitUrl(url);
  const schema = options.schema ?? split.schema;
  const readOnly = options.readOnly ?? false;
  if (schema !== undefined && !schemaPattern.test(schema)) {
    throw new MnemosError(
      'config_error',
      `Postgres schema name ${JSON.stringify(schema)} must be letters, digits and _ (at most 63, not starting with a digit)`,
      { details: { schema } },
    );
  }
  const base: pg.ClientConfig = {
    connectionString: split.url,
    connectionTimeoutMillis: 10_000,
    application_name: 'mnemos',
    ...(split.options ? { options: split.options } : {}),
  };
  let searchPath: string | null;
  try {
    searchPath = await withClient(base, async (client) => {
      if (!readOnly) await bootstrap(client, schema);
      const path = await searchPathFor(client, schema);
      if (readOnly) await checkReadable(client, path);
      else await migrate(client, path);
      return path;
    });
  } catch (error) {
    throw openError(url, error);
  }
  const startup = [split.options];
  // Backslash-escape spaces: the server splits startup options on whitespace.
  if (searchPath) startup.push(`-c search_path=${searchPath.replaceAll(' ', '\\ ')}`);
  startup.push(`-c hnsw.ef_search=${efSearch}`, '-c hnsw.iterative_scan=relaxed_order');
  if (readOnly) startup.push('-c default_transaction_read_only=on');
  const pool = new pg.Pool({
    ...base,
    options: startup.filter(Boolean).join(' '),
    max: options.poolSize ?? 10,
    idleTimeoutMillis: 30_000,
    types: typeParsers(),
  });
  // An idle connection dropped by the server must not crash the process; the next query reports it.
  pool.on('error', () => {});
  const database = new Database(pool);
  await checkPool(database, url, schema);
  return database;
}

/** Fails unless a read-only open finds a migrated schema. */
async function checkReadable(client: pg.Client, searchPath: string | null): Promise<void> {
  if (searchPath) await client.query(`SET search_path = ${searchPath}`);
  const { rows } = await client.query<{ found: string | null }>(
    "SELECT to_regclass('mnemos_schema_migrations')::text AS found",
  );
  if (!rows[0]?.found) {
    throw new MnemosError(
      'storage_error',
      'no Mnemos schema in this database; add a memory or create a store first',
      { category: 'system' },
    );
  }
  await recordedVersion(client);
}

/** Fails when the pool's connections do not see the schema, e.g. behind a pooler that drops startup options. */
async function checkPool(
  database: Database,
  url: string,
  schema: string | undefined,
): Promise<void> {
  try {
    const rows = await database.rows<{ schema: string | null }>(
      'SELECT current_schema() AS schema',
    );
    if (schema && rows[0]?.schema !== schema) {
      throw new MnemosError(
        'config_error',
        `connections to ${redactDatabaseUrl(url)} use schema ${rows[0]?.schema ?? '(none)'}, not ${schema}: the server ignored the search_path startup option (a transaction-pooling proxy?); connect directly or in session mode`,
        { details: { schema } },
      );
    }
  } catch (error) {
    await database.end().catch(() => {});
    throw error;
  }
}

function openError(url: string, error: unknown): MnemosError {
  if (MnemosError.isInstance(error)) return error;
  const wrapped = storageError(error, `opening the Postgres database at ${redactDatabaseUrl(url)}`);
  wrapped.details.url = redactDatabaseUrl(url);
  return wrapped;
}
