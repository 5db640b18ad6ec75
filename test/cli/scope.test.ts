import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addSync,
  cliFor,
  type ListJson,
  type MemoryJson,
  makeHome,
  removeHomes,
  type SearchJson,
} from '../support/cli.js';

afterAll(removeHomes);

describe('tenant isolation', () => {
  const home = makeHome();
  const cli = cliFor(home);
  const secret = 'Project Falcon launches in May';
  let id = '';

  beforeAll(async () => {
    id = await addSync(home, secret, ['--tenant', 'a']);
  });

  it('tenant b finds nothing by search or list', async () => {
    const found = await cli(['mem', 'search', 'Falcon', 'launches', '--tenant', 'b', '--json']);
    expect(found.code).toBe(0);
    expect(found.json<SearchJson>()).toMatchObject({ results: [], count: 0 });
    const listed = (
      await cli(['mem', 'list', '--tenant', 'b', '--include-deleted', '--json'])
    ).json<ListJson>();
    expect(listed).toMatchObject({ memories: [], total: 0 });
    // The default tenant is another tenant too.
    expect((await cli(['mem', 'list', '--json'])).json<ListJson>().total).toBe(0);
  });

  it('tenant b cannot get, update or forget the memory of tenant a by id', async () => {
    const got = await cli(['mem', 'get', id, '--tenant', 'b', '--json']);
    expect(got.code).not.toBe(0);
    expect(got.stdout).toBe('');
    expect(got.errorJson().error.code).toBe('not_found');

    const updated = await cli(['mem', 'update', id, 'hijacked', '--tenant', 'b', '--json']);
    expect(updated.code).not.toBe(0);
    expect(updated.errorJson().error.code).toBe('not_found');

    const forgot = await cli(['mem', 'forget', id, '--tenant', 'b']);
    expect(forgot.code).not.toBe(0);
    expect(forgot.stderr).toMatch(/not found/);

    const purged = await cli(['mem', 'forget', id, '--purge', '--tenant', 'b']);
    expect(purged.code).not.toBe(0);

    const history = await cli(['mem', 'history', id, '--tenant', 'b', '--json']);
    expect(history.code).toBe(2);
    expect(history.errorJson().error).toMatchObject({ code: 'not_found' });
  });

  it('tenant a still has the memory, unchanged', async () => {
    const got = await cli(['mem', 'get', id, '--tenant', 'a', '--json']);
    expect(got.code).toBe(0);
    expect(got.json<MemoryJson>()).toMatchObject({
      id,
      text: secret,
      deletedAt: null,
      scope: { tenantId: 'a' },
    });
    const found = (
      await cli(['mem', 'search', 'Falcon', '--tenant', 'a', '--json'])
    ).json<SearchJson>();
    expect(found.results[0]?.memory.id).toBe(id);
  });

  it('a wildcard tenant is not a way around isolation', async () => {
    const found = await cli(['mem', 'search', 'Falcon', '--tenant', '*', '--json']);
    expect(found.code).toBe(2);
    expect(found.stdout).toBe('');
    expect(found.errorJson().error.code).toBe('invalid_scope');
  });
});

describe('agent scoping', () => {
  const home = makeHome();
  const cli = cliFor(home);
  let id = '';

  beforeAll(async () => {
    id = await addSync(home, 'The release train leaves every Tuesday', ['--agent', 'x']);
  });

  it('another agent finds nothing; the writing agent and the default read (*) find it', async () => {
    const other = (
      await cli(['mem', 'search', 'release', 'train', '--agent', 'y', '--json'])
    ).json<SearchJson>();
    expect(other.count).toBe(0);
    expect((await cli(['mem', 'list', '--agent', 'y', '--json'])).json<ListJson>().total).toBe(0);

    const own = (
      await cli(['mem', 'search', 'release', 'train', '--agent', 'x', '--json'])
    ).json<SearchJson>();
    expect(own.results.map((item) => item.memory.id)).toEqual([id]);

    const all = (await cli(['mem', 'search', 'release', 'train', '--json'])).json<SearchJson>();
    expect(all.results[0]?.memory).toMatchObject({ id, scope: { agentId: 'x', runId: 'default' } });
  });

  it('rejects a write with --agent * (exit 2, names *) and writes nothing', async () => {
    const human = await cli(['mem', 'add', '--sync', '--agent', '*', 'wildcard write']);
    expect(human.code).toBe(2);
    expect(human.stderr).toContain('*');
    expect(human.stdout).toBe('');

    const machine = await cli(['mem', 'add', '--sync', '--agent', '*', '--json', 'wildcard write']);
    expect(machine.code).toBe(2);
    expect(machine.errorJson().error).toMatchObject({
      code: 'invalid_scope',
      details: { field: 'agentId' },
    });

    const run = await cli(['mem', 'add', '--sync', '--run', '*', 'wildcard write']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('*');

    const listed = (await cli(['mem', 'list', '--json'])).json<ListJson>();
    expect(listed.memories.map((memory) => memory.id)).toEqual([id]);
  });
});

describe('mem forget --all', () => {
  const home = makeHome();
  const cli = cliFor(home);

  beforeAll(async () => {
    await addSync(home, 'Agent one likes the Rust borrow checker', ['--agent', 'a1']);
    await addSync(home, 'Agent one keeps notes in Markdown', ['--agent', 'a1', '--run', 'r2']);
    await addSync(home, 'Agent two prefers Go channels', ['--agent', 'a2']);
    await addSync(home, 'Tenant z agent one writes Haskell', ['--agent', 'a1', '--tenant', 'z']);
  });

  it('removes exactly the memories of that agent inside the tenant', async () => {
    const result = await cli(['mem', 'forget', '--all', '--agent', 'a1', '--yes', '--json']);
    expect(result.code).toBe(0);
    expect(result.json()).toEqual({ deleted: 2 });

    const rest = (await cli(['mem', 'list', '--json'])).json<ListJson>();
    expect(rest.memories.map((memory) => memory.text)).toEqual(['Agent two prefers Go channels']);
    expect(rest.total).toBe(1);

    const otherTenant = (await cli(['mem', 'list', '--tenant', 'z', '--json'])).json<ListJson>();
    expect(otherTenant.memories.map((memory) => memory.text)).toEqual([
      'Tenant z agent one writes Haskell',
    ]);

    const deleted = (
      await cli(['mem', 'list', '--agent', 'a1', '--include-deleted', '--json'])
    ).json<ListJson>();
    expect(deleted.total).toBe(2);
    expect(deleted.memories.every((memory) => memory.deletedAt !== null)).toBe(true);
  });
});
