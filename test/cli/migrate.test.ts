import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Mnemos } from '../../src/mnemos.js';
import { cliFor, cliPath, makeHome, removeHomes } from '../support/cli.js';

const scope = { appId: 'mnemos', tenantId: 'default' };
const sessions = 150;
const perSession = 20;
let source: string;

/** A home with sessions × perSession memories, each with its ADD history row. */
async function seed(home: string): Promise<void> {
  const mnemos = await Mnemos.open({ home });
  try {
    for (let session = 0; session < sessions; session++) {
      const messages = Array.from({ length: perSession }, (_, turn) => ({
        role: 'user' as const,
        content: `session ${session} fact ${turn}: the user mentioned item ${session * perSession + turn}`,
      }));
      await mnemos.memories.add({ scope, messages });
    }
    await mnemos.drain();
  } finally {
    await mnemos.close();
  }
}

/** Rows the copy has committed so far, from its checkpoints in the target file. */
function copiedSoFar(path: string): number {
  if (!existsSync(path)) return 0;
  try {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    try {
      const row = db
        .prepare('SELECT coalesce(sum(copied), 0) AS n FROM transfer_progress')
        .get() as {
        n: number;
      };
      return row.n;
    } finally {
      db.close();
    }
  } catch {
    return 0; // not migrated yet
  }
}

interface MigrateJson {
  ok: boolean;
  copy: { resumed: boolean; tables: Array<{ table: string; copied: number; copiedNow: number }> };
  verification: {
    ok: boolean;
    tables: Array<{ table: string; source: number; target: number; sameRows: boolean }>;
    searches: Array<{ ok: boolean; foundBy: { target: string[] | null } }>;
  };
}

beforeAll(async () => {
  source = makeHome();
  await seed(source);
}, 120_000);

afterAll(() => removeHomes());

describe('mnemos migrate', () => {
  it('survives kill -9 mid-copy: the rerun resumes, finishes and verifies', async () => {
    const home = makeHome();
    const target = join(home, 'copy.db');
    const args = ['migrate', '--from', `sqlite:${source}`, '--to', `sqlite:${target}`];
    const child = spawn(process.execPath, [cliPath, ...args, '--batch-size', '10'], {
      env: { ...process.env, MNEMOS_HOME: home, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let seen = 0;
    const poll = setInterval(() => {
      seen = copiedSoFar(target);
      if (seen >= 1_000 && child.exitCode === null) child.kill('SIGKILL');
    }, 20);
    const [, signal] = (await once(child, 'exit')) as [number | null, string | null];
    clearInterval(poll);
    expect(signal).toBe('SIGKILL');
    const before = copiedSoFar(target);
    expect(before).toBeGreaterThanOrEqual(1_000);

    const rerun = await cliFor(home)([...args, '--json']);
    expect(rerun.code, rerun.stderr + rerun.stdout.slice(0, 3000)).toBe(0);
    const report = rerun.json<MigrateJson>();
    expect(report.ok).toBe(true);
    expect(report.copy.resumed).toBe(true);
    const copied = report.copy.tables.reduce((sum, entry) => sum + entry.copied, 0);
    const now = report.copy.tables.reduce((sum, entry) => sum + entry.copiedNow, 0);
    const total = report.verification.tables.reduce((sum, check) => sum + check.source, 0);
    expect(before).toBeLessThan(total);
    expect(copied).toBe(total);
    expect(now).toBe(total - before);
    const memories = report.verification.tables.find((check) => check.table === 'memories')!;
    expect(memories.sameRows).toBe(true);
    expect(memories.source).toBe(memories.target);
    expect(memories.source).toBeGreaterThan(sessions * perSession * 0.9);
    expect(report.verification.searches).toHaveLength(20);
    expect(report.verification.searches.every((check) => check.ok)).toBe(true);

    const db = new Database(target, { readonly: true });
    const distinct = db.prepare('SELECT count(DISTINCT id) AS n, count(*) AS all_ FROM memories');
    expect(distinct.get()).toEqual({ n: memories.source, all_: memories.source });
    db.close();

    // Run again on the finished copy: nothing to copy, verified again.
    const again = await cliFor(home)(args);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('(all copied by an earlier run)');
    expect(again.stderr).toContain('this copy is complete already; verifying it again');
    expect(again.stdout).toContain('sample searches: 20 of 20 memories found by their own text');

    // A row changed behind the copy's back: exit 1, the table named, what to do next.
    const tamper = new Database(target);
    tamper.prepare("UPDATE memory_history SET reason = 'edited' WHERE rowid = 7").run();
    tamper.close();
    const failed = await cliFor(home)(args);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/memory_history\s*│\s*\d+\s*│\s*\d+\s*│\s*DIFFERENT/);
    expect(failed.stdout).toContain('verification FAILED');
    expect(failed.stdout).toContain('empty the target');
  }, 120_000);

  it('explains what is missing or wrong, exiting 2 before touching anything', async () => {
    const home = makeHome();
    const cli = cliFor(home);
    const noTarget = await cli(['migrate', '--from', `sqlite:${source}`, '--json']);
    expect(noTarget.code).toBe(2);
    expect(noTarget.errorJson().error.message).toContain('MNEMOS_DATABASE_URL');
    const badFrom = await cli(['migrate', '--from', 'mysql://db', '--to', `sqlite:${home}`]);
    expect(badFrom.code).toBe(2);
    expect(badFrom.stderr).toContain('--from must be sqlite:<path');
    const missing = await cli(['migrate', '--to', `sqlite:${join(home, 'copy.db')}`]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`no Mnemos database at ${join(home, 'mnemos.db')}`);
    expect(existsSync(join(home, 'copy.db'))).toBe(false);
  });
});
