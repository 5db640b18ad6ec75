import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** Prefix of every schema the conformance suite creates, so leftovers can be found and dropped. */
export const schemaPrefix = 'mnemos_conformance_';

/** A schema name no other test or run uses: prefix, creation time in seconds (base 36), random. */
export function uniqueSchemaName(): string {
  const seconds = Math.floor(Date.now() / 1000).toString(36);
  return `${schemaPrefix}${seconds}_${randomBytes(5).toString('hex')}`;
}

/** Runs one piece of work on a short-lived client, outside any adapter. */
async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Drops a test schema with everything in it. */
export async function dropSchema(url: string, schema: string): Promise<void> {
  if (!schema.startsWith(schemaPrefix)) throw new Error(`refusing to drop schema ${schema}`);
  await withClient(url, async (client) => {
    await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
  });
}

/**
 * Drops test schemas left by runs that were killed before their cleanup, once they are older than
 * `olderThanMs`: a run still going elsewhere on the same database keeps its own.
 */
export async function dropStaleSchemas(url: string, olderThanMs: number): Promise<string[]> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ name: string }>(
      'SELECT nspname AS name FROM pg_namespace WHERE starts_with(nspname, $1)',
      [schemaPrefix],
    );
    const cutoff = Date.now() - olderThanMs;
    const stale = rows
      .map((row) => row.name)
      .filter((name) => {
        const seconds = Number.parseInt(name.slice(schemaPrefix.length).split('_')[0] ?? '', 36);
        return Number.isFinite(seconds) && seconds * 1000 < cutoff;
      });
    for (const name of stale)
      await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(name)} CASCADE`);
    return stale;
  });
}

/** Fails with a clear message when the database cannot be reached or lacks pgvector. */
export async function checkDatabase(url: string): Promise<string> {
  try {
    return await withClient(url, async (client) => {
      const { rows } = await client.query<{ version: string; vector: string | null }>(
        "SELECT current_setting('server_version') AS version, (SELECT default_version FROM pg_available_extensions WHERE name = 'vector') AS vector",
      );
      const row = rows[0]!;
      if (row.vector === null)
        throw new Error('pgvector is not installed on this server (no `vector` extension)');
      return `PostgreSQL ${row.version}, pgvector ${row.vector} available`;
    });
  } catch (error) {
    throw new Error(
      `MNEMOS_TEST_DATABASE_URL is set but the database is not usable: ${(error as Error).message}`,
      { cause: error },
    );
  }
}
