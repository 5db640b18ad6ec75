import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { cliFor, makeHome, removeHomes } from '../support/cli.js';

afterAll(removeHomes);

const packageJson = JSON.parse(
  readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
) as { version: string };

describe('general CLI behaviour', () => {
  const home = makeHome();
  const cli = cliFor(home);

  it('--help exits 0 and lists the command groups', async () => {
    const result = await cli(['--help']);
    expect(result.code).toBe(0);
    for (const name of ['mem', 'stores', 'config', 'sessions'])
      expect(result.stdout).toContain(name);
    const mem = await cli(['mem', '--help']);
    expect(mem.code).toBe(0);
    for (const name of ['add', 'search', 'forget', 'import', 'export', 'doctor'])
      expect(mem.stdout).toContain(name);
  });

  it('--version exits 0 and prints the package version', async () => {
    const result = await cli(['--version']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(packageJson.version);
  });

  it('an unknown command or a missing argument exits 2', async () => {
    const unknown = await cli(['bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('bogus');
    const missing = await cli(['mem', 'search']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('query');
  });

  it('sessions list on an empty home says there are none', async () => {
    const human = await cli(['sessions', 'list']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/no sessions/);
    const machine = await cli(['sessions', 'list', '--json']);
    expect(machine.code).toBe(0);
    expect(machine.json()).toEqual({ sessions: [], count: 0 });
  });

  it('--home overrides MNEMOS_HOME', async () => {
    const other = makeHome();
    const added = await cli(['--home', other, 'mem', 'add', '--sync', 'stored in the other home']);
    expect(added.code, added.stderr).toBe(0);
    const inOther = await cli(['--home', other, 'mem', 'list', '--json']);
    expect(inOther.json<{ total: number }>().total).toBe(1);
    const inEnvHome = await cli(['mem', 'list', '--json']);
    expect(inEnvHome.json<{ total: number }>().total).toBe(0);
  });
});
