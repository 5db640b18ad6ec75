import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addSync, cliFor, makeHome, removeHomes, runCli } from '../support/cli.js';

afterAll(removeHomes);

interface DoctorJson {
  ok: boolean;
  provider: string;
  store?: string;
  checks: Record<
    'initialize' | 'describe_memory_store' | 'list_memories',
    { ok: boolean; error?: string; count?: number }
  >;
}

function sha1(path: string): string {
  return createHash('sha1').update(readFileSync(path)).digest('hex');
}

/** Files of a home, without SQLite's -wal/-shm sidecars. */
function files(home: string): string[] {
  return (readdirSync(home, { recursive: true }) as string[])
    .filter((name) => !/-(wal|shm)$/.test(name))
    .sort();
}

describe('mem doctor', () => {
  it('on a fresh home exits 0 with ok:true (the store comes on the first write) and creates nothing', async () => {
    const home = makeHome();
    const result = await runCli(['mem', 'doctor'], { home });
    expect(result.code, result.stdout).toBe(0);
    const report = result.json<DoctorJson & { note: string }>();
    expect(report).toMatchObject({
      ok: true,
      provider: 'mnemos',
      store: 'mnemos',
      checks: {
        initialize: { ok: true },
        describe_memory_store: { ok: true, created: false },
        list_memories: { ok: true, count: 0 },
      },
    });
    expect(report.note).toMatch(/created on the first write/);
    expect(readdirSync(home)).toEqual([]);
  });

  it('does not create a home that does not exist (healthy too: it comes on the first write)', async () => {
    const home = join(makeHome(), 'not', 'there');
    const result = await runCli(['mem', 'doctor'], { home });
    expect(result.code).toBe(0);
    expect(result.json<DoctorJson>().ok).toBe(true);
    expect(existsSync(join(home, '..'))).toBe(false);
  });

  it('with a database but no store yet is healthy and leaves the database as it was', async () => {
    const home = makeHome();
    // A profile write creates the database, not the memory store.
    expect((await runCli(['profile', 'set', 'name', 'Ada'], { home })).code).toBe(0);
    const database = join(home, 'mnemos.db');
    const before = { hash: sha1(database), files: files(home) };
    const result = await runCli(['mem', 'doctor'], { home });
    expect(result.code, result.stdout).toBe(0);
    expect(result.json<DoctorJson>().checks.describe_memory_store).toEqual({
      ok: true,
      created: false,
    });
    expect({ hash: sha1(database), files: files(home) }).toEqual(before);
  });

  it('without auto_create_store a fresh home is not ok, and says how to create the store', async () => {
    const home = makeHome();
    writeFileSync(join(home, 'config.yaml'), 'auto_create_store: false\n');
    const result = await runCli(['mem', 'doctor'], { home });
    expect(result.code).toBe(1);
    expect(result.json<DoctorJson>().ok).toBe(false);
    expect(readdirSync(home)).toEqual(['config.yaml']);
  });

  describe('after memories were added', () => {
    const home = makeHome();
    const cli = cliFor(home);

    it('exits 0 with every check ok and counts the default tenant', async () => {
      await addSync(home, 'Doctor test memory one');
      await addSync(home, 'Doctor test memory two');
      await addSync(home, 'A memory of another tenant', ['--tenant', 'other']);
      const result = await cli(['mem', 'doctor']);
      expect(result.code, result.stdout).toBe(0);
      expect(result.json<DoctorJson>()).toMatchObject({
        ok: true,
        provider: 'mnemos',
        store: 'mnemos',
        checks: {
          initialize: { ok: true },
          describe_memory_store: { ok: true },
          list_memories: { ok: true, count: 2 },
        },
      });
    });

    it('is read-only: the database and the files of the home are unchanged', async () => {
      const database = join(home, 'mnemos.db');
      const before = { hash: sha1(database), files: files(home) };
      expect((await cli(['mem', 'doctor'])).code).toBe(0);
      expect({ hash: sha1(database), files: files(home) }).toEqual(before);
    });

    it('exits 1 naming the embedder when the configured embedder no longer matches the store', async () => {
      expect((await cli(['config', 'set', 'embedder.dimensions', '128'])).code).toBe(0);
      const result = await cli(['mem', 'doctor']);
      expect(result.code).toBe(1);
      const report = result.json<DoctorJson>();
      expect(report.ok).toBe(false);
      expect(report.checks.initialize.ok).toBe(true);
      expect(report.checks.describe_memory_store.ok).toBe(false);
      expect(report.checks.describe_memory_store.error).toMatch(/256.*128|128.*256/);
    });
  });
});
