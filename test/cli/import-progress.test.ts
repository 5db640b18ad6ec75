import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { childEnv, cliPath, makeHome, removeHomes } from '../support/cli.js';

/**
 * `mem import` shows its bar only on a terminal, so the CLI runs under `script` (a pseudo-terminal):
 * the bar must move with each committed ingestion batch, not jump from 0 to the total.
 */

afterAll(removeHomes);

const script = spawnSync('script', ['--version'], { encoding: 'utf8' });
const scriptMissing = script.status !== 0;
if (scriptMissing)
  console.warn('skipping the import progress test: `script` (util-linux) is not available');

describe.skipIf(scriptMissing)('mem import progress', () => {
  it('advances per committed batch of 64 jobs', () => {
    // The bar redraws at most ten times a second, so the import must last several frames whatever
    // the machine's speed: 20,000 jobs take over a second at the fastest rate seen (about 16,000/s).
    const total = 20_000;
    const home = makeHome();
    writeFileSync(
      join(home, 'config.yaml'),
      'extractor: passthrough\ningest:\n  batch_size: 64\n  near_duplicate_threshold: 1.01\n',
    );
    const lines = Array.from({ length: total }, (_, index) =>
      JSON.stringify({ text: `Imported note ${index} about item ${(index * 13) % 997}` }),
    );
    const file = join(home, 'notes.jsonl');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const quoted = [process.execPath, cliPath, 'mem', 'import', file].map((part) => `'${part}'`);
    const result = spawnSync('script', ['-qfec', quoted.join(' '), '/dev/null'], {
      encoding: 'utf8',
      env: { ...childEnv(home), COLUMNS: '120' },
      timeout: 120_000,
    });
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain(`imported ${total} lines as ${total} jobs`);
    const shown = [...result.stdout.matchAll(new RegExp(`(\\d+)/${total} jobs`, 'g'))].map(
      (match) => Number(match[1]),
    );
    const between = new Set(shown.filter((value) => value > 0 && value < total));
    // Batches of 64: the bar shows several steps on the way to the total.
    expect(between.size, `values shown: ${[...new Set(shown)].join(', ')}`).toBeGreaterThanOrEqual(
      3,
    );
    expect(shown.at(-1)).toBe(total);
  });
});
