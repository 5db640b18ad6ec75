import { afterAll, describe, expect, it } from 'vitest';
import { MnemosError } from '../../../src/core/errors.js';
import { PostgresStorage } from '../../../src/storage/postgres/postgres-storage.js';
import { schemaVersion } from '../../../src/storage/postgres/schema.js';
import {
  dropSchema,
  skipReason,
  testDatabaseUrl,
  uniqueSchema,
  withClient,
} from '../../support/postgres.js';

const url = testDatabaseUrl ?? '';
const schemas: string[] = [];

/** A fresh schema name, dropped after the file. */
function freshSchema(): string {
  const schema = uniqueSchema('mnemos_pg_storage');
  schemas.push(schema);
  return schema;
}

async function versions(schema: string): Promise<number[]> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ version: number }>(
      `SELECT version FROM "${schema}".mnemos_schema_migrations ORDER BY version`,
    );
    return rows.map((row) => row.version);
  });
}

describe.skipIf(!testDatabaseUrl)(`PostgresStorage: open and migrations (${skipReason})`, () => {
  afterAll(async () => {
    for (const schema of schemas) await dropSchema(url, schema);
  });

  it('stores vectors bit for bit, negative zero included', async () => {
    const storage = await PostgresStorage.open(url, { schema: freshSchema() });
    try {
      const now = Date.now();
      await storage.stores.create({
        name: 'bits',
        description: '',
        embedderId: 'test',
        dimensions: 4,
        createdAt: new Date(now).toISOString(),
        updatedAt: new Date(now).toISOString(),
      });
      const embedding = Float32Array.from([-0, 0.1, -1e-30, 1 / 3]);
      const tenant = { appId: 'app', tenantId: 't' };
      await storage.memories.apply(
        'bits',
        tenant,
        [
          {
            type: 'insert',
            memory: {
              ...{ id: 'm1', text: 'x', kind: 'fact', salience: 0.5, metadata: {}, source: {} },
              scope: { ...tenant, agentId: 'a', runId: 'r' },
              hash: 'h',
              tokens: 'x',
              embedding,
            },
          },
        ],
        now,
      );
      const { rows } = await storage.transfer.export('memories', null, 10);
      const stored = rows[0]!.embedding as Float32Array;
      expect(Object.is(stored[0], -0)).toBe(true);
      expect(Buffer.from(stored.buffer).equals(Buffer.from(embedding.buffer))).toBe(true);
    } finally {
      await storage.close();
    }
  });

  it('migrates once when several processes open a fresh schema at the same moment', async () => {
    const schema = freshSchema();
    const storages = await Promise.all(
      Array.from({ length: 4 }, () => PostgresStorage.open(url, { schema, poolSize: 2 })),
    );
    try {
      expect(await versions(schema)).toEqual(
        Array.from({ length: schemaVersion }, (_, i) => i + 1),
      );
      const now = Date.now();
      await storages[0]!.stores.create({
        name: 'shared',
        description: '',
        embedderId: 'test',
        dimensions: 8,
        createdAt: new Date(now).toISOString(),
        updatedAt: new Date(now).toISOString(),
      });
      // Every pool sees the same schema.
      for (const storage of storages)
        expect((await storage.stores.list()).map((s) => s.name)).toEqual(['shared']);
    } finally {
      await Promise.all(storages.map((storage) => storage.close()));
    }
  });

  it('opens an up-to-date schema again without changing it', async () => {
    const schema = freshSchema();
    await (await PostgresStorage.open(url, { schema })).close();
    const again = await PostgresStorage.open(url, { schema });
    await again.close();
    expect(await versions(schema)).toHaveLength(schemaVersion);
  });

  it('keeps schemas apart', async () => {
    const first = freshSchema();
    const second = freshSchema();
    const a = await PostgresStorage.open(url, { schema: first });
    const b = await PostgresStorage.open(url, { schema: second });
    try {
      const now = new Date().toISOString();
      await a.stores.create({
        name: 'only_in_a',
        description: '',
        embedderId: 'test',
        dimensions: 8,
        createdAt: now,
        updatedAt: now,
      });
      expect(await b.stores.list()).toEqual([]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('takes the schema from the URL when the option is absent', async () => {
    const schema = freshSchema();
    const storage = await PostgresStorage.open(
      `${url}${url.includes('?') ? '&' : '?'}schema=${schema}`,
    );
    await storage.close();
    expect(await versions(schema)).toHaveLength(schemaVersion);
  });

  it('refuses a schema written by a newer Mnemos', async () => {
    const schema = freshSchema();
    await (await PostgresStorage.open(url, { schema })).close();
    await withClient(url, (client) =>
      client.query(`INSERT INTO "${schema}".mnemos_schema_migrations (version) VALUES (999)`),
    );
    await expect(PostgresStorage.open(url, { schema })).rejects.toThrow(/newer than this Mnemos/);
  });

  it('opens read-only without creating anything, and refuses writes', async () => {
    const schema = freshSchema();
    await expect(PostgresStorage.open(url, { schema, readOnly: true })).rejects.toThrow(
      /no Mnemos schema/,
    );
    await (await PostgresStorage.open(url, { schema })).close();
    const storage = await PostgresStorage.open(url, { schema, readOnly: true });
    try {
      expect(await storage.stores.list()).toEqual([]);
      const now = new Date().toISOString();
      await expect(
        storage.stores.create({
          name: 'nope',
          description: '',
          embedderId: 'test',
          dimensions: 8,
          createdAt: now,
          updatedAt: now,
        }),
      ).rejects.toMatchObject({ code: 'storage_error' });
    } finally {
      await storage.close();
    }
  });

  it('rejects a schema name that is not a plain identifier', async () => {
    await expect(PostgresStorage.open(url, { schema: 'bad"name' })).rejects.toMatchObject({
      code: 'config_error',
    });
  });

  it('reports an unreachable database as storage_error without the password', async () => {
    const error = await PostgresStorage.open('postgres://someone:secret@127.0.0.1:1/none').catch(
      (caught: unknown) => caught,
    );
    expect(MnemosError.isInstance(error) && error.code).toBe('storage_error');
    expect(String((error as Error).message)).not.toContain('secret');
  });

  it('survives the server dropping its connections, and answers from new ones', async () => {
    const name = `mnemos_drop_${Date.now().toString(36)}`;
    const storage = await PostgresStorage.open(
      `${url}${url.includes('?') ? '&' : '?'}application_name=${name}`,
      { schema: freshSchema() },
    );
    try {
      await Promise.all([storage.stores.list(), storage.jobs.pendingCount(null)]);
      const killed = await withClient(url, async (client) => {
        const { rows } = await client.query(
          'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1',
          [name],
        );
        return rows.length;
      });
      expect(killed).toBeGreaterThan(0);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await storage.stores.list()).toEqual([]);
      await storage.profiles.change(
        { appId: 'app', tenantId: 't' },
        [{ key: 'name', value: 'Ada', source: 'user' }],
        Date.now(),
      );
      expect(await storage.profiles.get({ appId: 'app', tenantId: 't' })).toHaveLength(1);
    } finally {
      await storage.close();
    }
  });

  it('turns a failure after close into storage_error, never an empty result', async () => {
    const storage = await PostgresStorage.open(url, { schema: freshSchema() });
    const password = new URL(url).password;
    if (password) expect(storage.location).not.toContain(`:${password}@`);
    await storage.close();
    await storage.close();
    await expect(storage.stores.list()).rejects.toMatchObject({ code: 'storage_error' });
  });
});
