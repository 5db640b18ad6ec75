import { randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  alice,
  expectSameBehaviour,
  type Filled,
  fillHome,
} from '../../test/support/migration-fixture.js';
import { tempHome } from '../../test/support/temp-home.js';
import { MnemosError } from '../core/errors.js';
import { Mnemos } from '../mnemos.js';
import type { Storage, TransferTable } from '../spec/storage.js';
import { SqliteStorage } from '../storage/sqlite/sqlite-storage.js';
import { copyDatabase } from './copy-database.js';
import { migrate } from './migrate.js';
import { verifyCopy } from './verify-copy.js';

let dir: ReturnType<typeof tempHome>;
let filled: Filled;
let from: string;

beforeEach(async () => {
  dir = tempHome();
  const source = await Mnemos.open({ home: join(dir.home, 'source') });
  filled = await fillHome(source);
  // A job still queued in the source (enqueued without a runner): the copy must run it.
  await source.storage.jobs.enqueue(
    source.config.memory_store_name,
    [
      {
        id: randomUUID(),
        scope: { ...alice, agentId: 'default', runId: 'default' },
        input: { text: 'queued before the copy', metadata: {} },
      },
    ],
    Date.now(),
  );
  await source.close();
  from = `sqlite:${join(dir.home, 'source')}`;
});

afterEach(() => dir.remove());

async function errorOf(promise: Promise<unknown>): Promise<MnemosError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!MnemosError.isInstance(error)) throw new Error(`expected a MnemosError, got ${error}`);
  return error;
}

describe('migrate between two SQLite databases', () => {
  it('copies every table, verifies it, and the copy behaves like the source', async () => {
    const report = await migrate({ from, to: `sqlite:${join(dir.home, 'copy')}`, home: dir.home });
    expect(report.verification?.ok).toBe(true);
    const counts = Object.fromEntries(report.copy.tables.map((t) => [t.table, t.copied]));
    expect(counts).toMatchObject({
      stores: 2,
      sessions: 1,
      session_messages: 2,
      api_keys: 1,
      skills: 2,
      skill_history: 5,
      team_runs: 1,
      agent_definitions: 3,
      cron_jobs: 1,
      cron_runs: 1,
      gateway_accounts: 1,
      gateway_bindings: 1,
    });
    expect(counts.memories).toBe(10);
    for (const check of report.verification!.tables) expect(check.source).toBe(check.target);
    expect(report.verification!.searches.length).toBeGreaterThanOrEqual(6);
    for (const check of report.verification!.searches)
      expect(check.foundBy).toEqual({
        source: ['keyword', 'vector'],
        target: ['keyword', 'vector'],
      });
    const copy = await Mnemos.open({ home: join(dir.home, 'copy') });
    try {
      await expectSameBehaviour(copy, filled);
      await copy.drain();
      const queued = await copy.memories.search({ scope: alice, query: 'queued before the copy' });
      expect(queued.results[0]?.memory.text).toBe('queued before the copy');
    } finally {
      await copy.close();
    }
  });

  it('resumes an interrupted copy without repeating or skipping a row', async () => {
    const source = new SqliteStorage(join(dir.home, 'source', 'mnemos.db'), { readOnly: true });
    const target = new SqliteStorage(join(dir.home, 'copy.db'));
    const options = { migration: 'test-source', batchSize: 2 };
    await expect(copyDatabase(source, failingAfter(target, 4), options)).rejects.toThrow('cut');
    const interrupted = await target.transfer.checkpoints();
    expect(interrupted.some((checkpoint) => !checkpoint.done)).toBe(true);
    let resumed = false;
    const result = await copyDatabase(source, target, {
      ...options,
      onPlan: (plan) => {
        resumed = plan.resumed;
      },
    });
    expect(resumed).toBe(true);
    for (const entry of result.tables) {
      expect(entry.copied).toBe(await source.transfer.count(entry.table));
      expect(await target.transfer.count(entry.table)).toBe(entry.copied);
    }
    expect(result.tables.reduce((sum, entry) => sum + entry.copiedNow, 0)).toBeLessThan(
      result.tables.reduce((sum, entry) => sum + entry.copied, 0),
    );
    const noSearch = async (): Promise<never> => {
      throw new Error('searches not compared here');
    };
    const verified = await verifyCopy(
      source,
      target,
      { source: noSearch, target: noSearch },
      { samples: 3, topK: 5, batchSize: 2 },
    );
    expect(verified.tables.every((check) => check.sameRows)).toBe(true);
    expect(verified.skipped.length).toBeGreaterThan(0);
    await Promise.all([source.close(), target.close()]);
    // That copy is recorded as coming from another source: copying anything else into it is refused.
    const other = await errorOf(
      migrate({ from, to: `sqlite:${join(dir.home, 'copy.db')}`, home: dir.home }),
    );
    expect(other.message).toContain('already holds a copy of test-source');
  });

  it('lets only one of two copies running into the same target write', async () => {
    const source = new SqliteStorage(join(dir.home, 'source', 'mnemos.db'), { readOnly: true });
    const path = join(dir.home, 'copy.db');
    const targets = [new SqliteStorage(path), new SqliteStorage(path)];
    const options = { migration: 'same-source', batchSize: 2 };
    const outcomes = await Promise.allSettled(
      targets.map((target) => copyDatabase(source, target, options)),
    );
    const refused = outcomes.filter((outcome) => outcome.status === 'rejected');
    expect(refused).toHaveLength(1);
    expect(String((refused[0] as PromiseRejectedResult).reason)).toContain(
      'another `mnemos migrate` is copying into this database',
    );
    // The survivor finishes (a rerun completes whatever the refused one left), nothing twice.
    await copyDatabase(source, targets[0]!, options);
    for (const table of ['memories', 'profile_history', 'memory_history'] as const)
      expect(await targets[0]!.transfer.count(table)).toBe(await source.transfer.count(table));
    await Promise.all([source.close(), ...targets.map((target) => target.close())]);
  });

  it('reports a changed row in the copy as a difference', async () => {
    const to = join(dir.home, 'copy.db');
    await migrate({ from, to: `sqlite:${to}`, home: dir.home, verify: false });
    const db = new Database(to);
    db.prepare("UPDATE memories SET salience = 0.01 WHERE text LIKE '%Lyon%'").run();
    db.prepare(
      "UPDATE skill_history SET files = replace(files, 'build', 'BUILD') WHERE name = 'deploy' AND version = 1",
    ).run();
    db.close();
    const report = await migrate({ from, to: `sqlite:${to}`, home: dir.home });
    expect(report.verification?.ok).toBe(false);
    const memories = report.verification!.tables.find((check) => check.table === 'memories');
    expect(memories).toMatchObject({ sameRows: false, source: 10, target: 10 });
    expect(
      report.verification!.tables.filter((check) => !check.sameRows).map((check) => check.table),
    ).toEqual(['memories', 'skill_history']);
  });

  it('reports a copy whose full-text index is missing, though every row is the same', async () => {
    const to = join(dir.home, 'copy.db');
    await migrate({ from, to: `sqlite:${to}`, home: dir.home, verify: false });
    const db = new Database(to);
    db.prepare('DELETE FROM memories_fts').run();
    db.close();
    const report = await migrate({ from, to: `sqlite:${to}`, home: dir.home });
    expect(report.verification!.tables.every((check) => check.sameRows)).toBe(true);
    expect(report.verification?.ok).toBe(false);
    const broken = report.verification!.searches.filter((check) => !check.ok);
    expect(broken.length).toBeGreaterThan(0);
    for (const check of broken) expect(check.foundBy.target).toEqual(['vector']);
  });

  it('verification searches leave use counts alone, however long they take', async () => {
    const path = join(dir.home, 'source', 'mnemos.db');
    const uses = async (): Promise<number> => {
      const storage = new SqliteStorage(path, { readOnly: true });
      const { rows } = await storage.transfer.export('memories', null, 100);
      await storage.close();
      return rows.reduce((sum, row) => sum + Number(row.access_count), 0);
    };
    const before = await uses();
    // The engine the verification runs its searches on: read-only, over a writable storage.
    const engine = await Mnemos.open({
      home: dir.home,
      storage: new SqliteStorage(path),
      readOnly: true,
    });
    const found = await engine.memories.search({ scope: alice, query: '绿茶' });
    expect(found.results.length).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 2_300)); // past the 2 s flush of use counts
    await engine.close();
    expect(await uses()).toBe(before);
  });

  it('copies from an older schema (missing tables read as empty, missing columns as their default), refuses a file Mnemos never wrote', async () => {
    const older = join(dir.home, 'older.db');
    copyFileSync(join(dir.home, 'source', 'mnemos.db'), older);
    const db = new Database(older);
    db.exec(
      'DROP TABLE api_keys; DROP TABLE audit_log; DROP TABLE transfer_progress; DROP TABLE skills; DROP TABLE skill_history; DROP TABLE team_runs; DROP TABLE agent_definitions; DROP TABLE cron_jobs; DROP TABLE cron_runs; DROP TABLE gateway_accounts; DROP TABLE gateway_bindings; ALTER TABLE session_messages DROP COLUMN parts',
    );
    db.pragma('user_version = 3');
    db.close();
    const report = await migrate({
      from: `sqlite:${older}`,
      to: `sqlite:${join(dir.home, 'from-older.db')}`,
      home: dir.home,
    });
    expect(report.verification?.ok).toBe(true);
    const copied = Object.fromEntries(report.copy.tables.map((t) => [t.table, t.copied]));
    expect(copied).toMatchObject({
      memories: 10,
      api_keys: 0,
      audit_log: 0,
      skills: 0,
      skill_history: 0,
      team_runs: 0,
      agent_definitions: 0,
      cron_jobs: 0,
      cron_runs: 0,
      gateway_accounts: 0,
      gateway_bindings: 0,
    });
    const copy = new SqliteStorage(join(dir.home, 'from-older.db'));
    const messages = await copy.sessions.messages(alice, filled.sessionId, {
      limit: 10,
      offset: 0,
    });
    await copy.close();
    expect(messages.map((message) => [message.content, message.parts])).toEqual([
      ['帮我规划去京都的行程', []],
      ['Kyoto in spring: temples and cherry blossoms', []],
    ]);

    const foreign = join(dir.home, 'foreign.db');
    const other = new Database(foreign);
    other.exec('CREATE TABLE notes (text TEXT)');
    other.close();
    const refused = await errorOf(
      migrate({
        from: `sqlite:${foreign}`,
        to: `sqlite:${join(dir.home, 'x.db')}`,
        home: dir.home,
      }),
    );
    expect(refused.message).toBe(`${foreign} is not a Mnemos database`);
    expect(existsSync(join(dir.home, 'x.db'))).toBe(false);
  });

  it("keeps the source home's index snapshots when the target file sits beside them", async () => {
    const snapshots = join(dir.home, 'source', 'indexes');
    mkdirSync(snapshots, { recursive: true });
    writeFileSync(join(snapshots, 'marker'), 'x');
    await migrate({ from, to: `sqlite:${join(dir.home, 'source', 'copy.db')}`, home: dir.home });
    expect(existsSync(join(snapshots, 'marker'))).toBe(true);
  });

  it('refuses a target that holds data, the same database twice, and unknown locations', async () => {
    const other = await Mnemos.open({ home: join(dir.home, 'other') });
    await other.memories.add({ scope: alice, text: 'already here', sync: true });
    await other.close();
    const notEmpty = await errorOf(
      migrate({ from, to: `sqlite:${join(dir.home, 'other')}`, home: dir.home }),
    );
    expect(notEmpty.message).toMatch(/not empty \(1 stores, 1 memories/);
    const same = await errorOf(migrate({ from, to: from, home: dir.home }));
    expect(same.message).toContain('the same database');
    const bad = await errorOf(migrate({ from: 'mysql://x', to: from, home: dir.home }));
    expect(bad.code).toBe('invalid_input');
    const missing = await errorOf(
      migrate({ from: `sqlite:${join(dir.home, 'nope.db')}`, to: from, home: dir.home }),
    );
    expect(missing.message).toContain('no Mnemos database');
  });
});

/** The target, failing its import after `batches` committed batches (an interruption). */
function failingAfter(target: Storage, batches: number): Storage {
  let left = batches;
  const transfer = new Proxy(target.transfer, {
    get(object, property, receiver) {
      if (property === 'import') {
        return (table: TransferTable, ...rest: unknown[]) => {
          if (left-- <= 0) throw new Error('cut');
          return (object.import as (...args: unknown[]) => Promise<void>)(table, ...rest);
        };
      }
      const value = Reflect.get(object, property, receiver);
      return typeof value === 'function' ? value.bind(object) : value;
    },
  });
  return new Proxy(target, {
    get(object, property, receiver) {
      if (property === 'transfer') return transfer;
      const value = Reflect.get(object, property, receiver);
      return typeof value === 'function' ? value.bind(object) : value;
    },
  });
}
