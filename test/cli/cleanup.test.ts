import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addSync, cliFor, type ListJson, makeHome, removeHomes } from '../support/cli.js';

afterAll(removeHomes);

interface CleanupJson {
  action: 'delete' | 'purge';
  dryRun: boolean;
  matched: number;
  removed: number;
  stores: Array<{ store: string; matched: number; removed: number }>;
}

const pause = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('mem cleanup and sessions cleanup', () => {
  it('counts on a dry run, then deletes, keeping the configured kinds, then purges', async () => {
    const home = makeHome();
    const cli = cliFor(home);
    writeFileSync(
      join(home, 'config.yaml'),
      'maintenance:\n  memory_cleanup:\n    keep_kinds: [note]\n',
    );
    const dentist = await addSync(home, 'The user once booked a dentist appointment');
    const profile = await addSync(home, 'The user is called Li Wei', ['--kind', 'profile']);
    const note = await addSync(home, '会议室的投影仪坏了', ['--kind', 'note']);
    const bobs = await addSync(home, 'Bob keeps goats', ['--tenant', 'bob']);
    await pause();
    const ids = async (tenant = 'default') =>
      (await cli(['mem', 'list', '--json', '--tenant', tenant]))
        .json<ListJson>()
        .memories.map((memory) => memory.id)
        .sort();
    const before = await ids();
    expect(before).toEqual([dentist, profile, note].sort());

    const keepNone = ['--older-than', '1ms', '--keep-access', '0', '--keep-recent', '0'];
    const dry = await cli([
      'mem',
      'cleanup',
      '--dry-run',
      '--json',
      ...keepNone,
      '--tenant',
      'default',
    ]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.json<CleanupJson>()).toEqual({
      action: 'delete',
      dryRun: true,
      matched: 2,
      removed: 0,
      stores: [{ store: 'mnemos', matched: 2, removed: 0 }],
    });
    expect(await ids()).toEqual(before);

    // The config's defaults: nothing here is 90 days old.
    const defaults = await cli(['mem', 'cleanup', '--json']);
    expect(defaults.json<CleanupJson>()).toMatchObject({ matched: 0, removed: 0 });

    const real = await cli(['mem', 'cleanup', '--json', ...keepNone, '--tenant', 'default']);
    expect(real.code, real.stderr).toBe(0);
    expect(real.json<CleanupJson>()).toMatchObject({ action: 'delete', matched: 2, removed: 2 });
    expect(await ids()).toEqual([note]);
    expect(await ids('bob')).toEqual([bobs]);
    const history = await cli(['mem', 'history', dentist, '--json']);
    expect(
      history.json<{ history: Array<{ event: string; reason: string }> }>().history.at(-1),
    ).toEqual(expect.objectContaining({ event: 'DELETE', reason: 'expired' }));

    const purge = await cli(['mem', 'cleanup', ...keepNone, '--keep-kind', 'fact', '--purge']);
    expect(purge.code, purge.stderr).toBe(0);
    expect(purge.stdout).toContain('purged 1 memory(ies)');
    expect(await ids()).toEqual([]);
    expect(await ids('bob')).toEqual([bobs]);
    const gone = await cli(['mem', 'get', note, '--json']);
    expect(gone.code).toBe(2);
  });

  it('rejects bad durations and counts idle sessions', async () => {
    const home = makeHome();
    const cli = cliFor(home);
    const bad = await cli(['mem', 'cleanup', '--older-than', '90 days']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--older-than');
    const dry = await cli(['sessions', 'cleanup', '--dry-run', '--json', '--older-than', '12h']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.json()).toEqual({ deleted: 0, dryRun: true });
    const real = await cli(['sessions', 'cleanup', '--tenant', 'default']);
    expect(real.stdout).toBe('deleted 0 session(s)\n');
  });
});
