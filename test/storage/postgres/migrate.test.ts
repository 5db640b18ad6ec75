import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../../src/migration/migrate.js';
import { verifyCopy } from '../../../src/migration/verify-copy.js';
import { Mnemos } from '../../../src/mnemos.js';
import { PostgresStorage } from '../../../src/storage/postgres/postgres-storage.js';
import { SqliteStorage } from '../../../src/storage/sqlite/sqlite-storage.js';
import { cliFor, cliPath, makeHome, removeHomes } from '../../support/cli.js';
import { expectSameBehaviour, fillHome } from '../../support/migration-fixture.js';
import {
  dropSchema,
  skipReason,
  testDatabaseUrl,
  uniqueSchema,
  withClient,
} from '../../support/postgres.js';

const url = testDatabaseUrl ?? '';
const schemas = [uniqueSchema('mnemos_migrate'), uniqueSchema('mnemos_migrate_kill')];

/** The test database URL pointing at one schema. */
function inSchema(schema: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('schema', schema);
  return parsed.toString();
}

afterAll(async () => {
  removeHomes();
  if (testDatabaseUrl) for (const schema of schemas) await dropSchema(url, schema);
});

describe.skipIf(!testDatabaseUrl)(`mnemos migrate with Postgres (${skipReason})`, () => {
  let home: string;

  beforeAll(() => {
    home = makeHome();
  });

  it('round trip SQLite -> Postgres -> SQLite: the same data, the same behaviour, the same searches', async () => {
    const original = await Mnemos.open({ home: join(home, 'original') });
    const filled = await fillHome(original);
    await original.close();
    const postgres = inSchema(schemas[0]!);

    const there = await migrate({ from: `sqlite:${join(home, 'original')}`, to: postgres, home });
    expect(there.verification?.ok).toBe(true);
    expect(there.verification!.tables.every((check) => check.sameRows)).toBe(true);
    // Each store's HNSW index is built once the memories are in.
    const indexes = await withClient(url, (client) =>
      client.query(
        "SELECT count(*)::int AS n FROM pg_indexes WHERE schemaname = $1 AND indexname LIKE 'memories_hnsw_%'",
        [schemas[0]],
      ),
    );
    expect(indexes.rows[0].n).toBe(2);
    // Postgres finds each sampled memory through both its full-text and its vector index.
    for (const check of there.verification!.searches)
      expect(check.foundBy.target).toEqual(['keyword', 'vector']);

    const back = await migrate({ from: postgres, to: `sqlite:${join(home, 'back')}`, home });
    expect(back.verification?.ok).toBe(true);
    // The original and the round-tripped file, before anything reads them (searches count use):
    // every row, and every sampled search in order.
    const first = new SqliteStorage(join(home, 'original', 'mnemos.db'), { readOnly: true });
    const last = new SqliteStorage(join(home, 'back', 'mnemos.db'), { readOnly: true });
    const engines = await Promise.all(
      [first, last].map((storage) => Mnemos.open({ home, storage, readOnly: true })),
    );
    try {
      const report = await verifyCopy(
        first,
        last,
        {
          source: (input) => engines[0]!.memories.search(input),
          target: (input) => engines[1]!.memories.search(input),
        },
        { samples: 50, topK: 10, batchSize: 100 },
      );
      expect(report.ok, JSON.stringify(report, null, 1)).toBe(true);
      expect(report.searches.length).toBeGreaterThanOrEqual(8);
    } finally {
      for (const engine of engines) await engine.close();
    }
    const onPostgres = await Mnemos.open({ home, storage: await PostgresStorage.open(postgres) });
    try {
      await expectSameBehaviour(onPostgres, filled);
    } finally {
      await onPostgres.close();
    }
    const onSqlite = await Mnemos.open({ home: join(home, 'back') });
    try {
      await expectSameBehaviour(onSqlite, filled);
    } finally {
      await onSqlite.close();
    }
  }, 60_000);

  it('kill -9 while copying into Postgres: the rerun resumes and verifies', async () => {
    const source = join(home, 'big');
    const mnemos = await Mnemos.open({ home: source });
    const scope = { appId: 'mnemos', tenantId: 'default' };
    for (let session = 0; session < 100; session++) {
      const messages = Array.from({ length: 20 }, (_, turn) => ({
        role: 'user' as const,
        content: `session ${session} turn ${turn}: note number ${session * 20 + turn}`,
      }));
      await mnemos.memories.add({ scope, messages });
    }
    await mnemos.drain();
    const memories = await mnemos.storage.transfer.count('memories');
    await mnemos.close();
    const schema = schemas[1]!;
    const args = ['migrate', '--from', `sqlite:${source}`, '--to', inSchema(schema)];
    const child = spawn(process.execPath, [cliPath, ...args, '--batch-size', '10'], {
      env: { ...process.env, MNEMOS_HOME: home, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const copied = (): Promise<number> =>
      withClient(url, async (client) => {
        const found = await client.query('SELECT to_regclass($1) IS NOT NULL AS ready', [
          `${schema}.transfer_progress`,
        ]);
        if (!found.rows[0].ready) return 0;
        const rows = await client.query(
          `SELECT coalesce(sum(copied), 0)::int AS n FROM ${schema}.transfer_progress`,
        );
        return rows.rows[0].n as number;
      });
    let killed = false;
    const exited = once(child, 'exit');
    while (child.exitCode === null && !killed) {
      if ((await copied()) >= 800) {
        child.kill('SIGKILL');
        killed = true;
      } else await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const [, signal] = (await exited) as [number | null, string | null];
    expect(signal).toBe('SIGKILL');
    const before = await copied();
    expect(before).toBeGreaterThanOrEqual(800);

    const rerun = await cliFor(home)([...args, '--json']);
    expect(rerun.code, rerun.stderr).toBe(0);
    const report = rerun.json<{
      ok: boolean;
      copy: { resumed: boolean; tables: Array<{ copied: number; copiedNow: number }> };
      verification: { tables: Array<{ table: string; target: number; sameRows: boolean }> };
    }>();
    expect(report.ok).toBe(true);
    expect(report.copy.resumed).toBe(true);
    const now = report.copy.tables.reduce((sum, entry) => sum + entry.copiedNow, 0);
    const all = report.copy.tables.reduce((sum, entry) => sum + entry.copied, 0);
    expect(all - now).toBe(before);
    expect(report.verification.tables.find((check) => check.table === 'memories')).toEqual({
      table: 'memories',
      source: memories,
      target: memories,
      sameRows: true,
    });
    const distinct = await withClient(url, (client) =>
      client.query(
        `SELECT count(*)::int AS n, count(DISTINCT id)::int AS d FROM ${schema}.memories`,
      ),
    );
    expect(distinct.rows[0]).toEqual({ n: memories, d: memories });
  }, 120_000);

  it('names a row Postgres cannot store (a NUL character from an older SQLite file)', async () => {
    const source = join(home, 'nul');
    const mnemos = await Mnemos.open({ home: source });
    const job = await mnemos.memories.add({
      scope: { appId: 'a', tenantId: 't' },
      text: 'clean text',
      sync: true,
    });
    await mnemos.close();
    const db = new Database(join(source, 'mnemos.db'));
    db.prepare("UPDATE memories SET text = 'bad' || char(0) || 'text'").run();
    db.close();
    const schema = uniqueSchema('mnemos_migrate_nul');
    schemas.push(schema);
    const failed = await migrate({ from: `sqlite:${source}`, to: inSchema(schema), home }).then(
      () => null,
      (error: Error) => error,
    );
    expect(failed?.message).toBe(
      `memories row ${job.memoryIds[0]} holds a NUL character (U+0000) in text, which PostgreSQL cannot store; remove it in the source and run the same command again`,
    );
  });
});
