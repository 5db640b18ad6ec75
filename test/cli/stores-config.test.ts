import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addSync, cliFor, makeHome, removeHomes, type SearchJson } from '../support/cli.js';

afterAll(removeHomes);

interface StoreJson {
  name: string;
  description: string;
  embedderId: string;
  dimensions: number;
}

describe('stores', () => {
  const home = makeHome();
  const cli = cliFor(home);

  it('create, list, describe, update', async () => {
    const created = await cli(['stores', 'create', 'notes_1', '-d', 'my notes', '--json']);
    expect(created.code, created.stderr).toBe(0);
    expect(created.json<StoreJson>()).toMatchObject({
      name: 'notes_1',
      description: 'my notes',
      dimensions: expect.any(Number),
    });

    const listed = (await cli(['stores', 'list', '--json'])).json<{
      stores: StoreJson[];
      count: number;
    }>();
    expect(listed.stores.map((store) => store.name)).toContain('notes_1');
    expect(listed.count).toBe(listed.stores.length);

    const described = await cli(['stores', 'describe', 'notes_1', '--json']);
    expect(described.code).toBe(0);
    expect(described.json<StoreJson>()).toMatchObject({ name: 'notes_1', description: 'my notes' });

    const updated = await cli(['stores', 'update', 'notes_1', '-d', 'renamed notes', '--json']);
    expect(updated.code).toBe(0);
    expect(updated.json<StoreJson>().description).toBe('renamed notes');
    const human = await cli(['stores', 'describe', 'notes_1']);
    expect(human.stdout).toMatch(/description\s+renamed notes/);
  });

  it('refuses a duplicate with already_exists', async () => {
    const result = await cli(['stores', 'create', 'notes_1', '--json']);
    expect(result.code).toBe(2);
    expect(result.errorJson().error).toMatchObject({
      code: 'already_exists',
      details: { store: 'notes_1' },
    });
  });

  it('refuses a bad store name', async () => {
    const result = await cli(['stores', 'create', 'bad-name!']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('invalid store name');
  });

  it('describe, update and delete of a missing store fail with store_not_found', async () => {
    for (const args of [
      ['stores', 'describe', 'nope'],
      ['stores', 'update', 'nope', '-d', 'x'],
      ['stores', 'delete', 'nope', '--yes'],
    ]) {
      const result = await cli([...args, '--json']);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.errorJson().error).toMatchObject({
        code: 'store_not_found',
        details: { store: 'nope' },
      });
    }
  });

  it('keeps memories of a named store apart from the default store', async () => {
    await addSync(home, 'Only the notes store knows about the lighthouse', ['--store', 'notes_1']);
    const inStore = (
      await cli(['mem', 'search', 'lighthouse', '--store', 'notes_1', '--json'])
    ).json<SearchJson>();
    expect(inStore.results[0]?.memory).toMatchObject({
      store: 'notes_1',
      text: 'Only the notes store knows about the lighthouse',
    });
    const inDefault = (await cli(['mem', 'search', 'lighthouse', '--json'])).json<SearchJson>();
    expect(inDefault.count).toBe(0);
  });

  it('delete needs --yes, then removes the store and its memories', async () => {
    const refused = await cli(['stores', 'delete', 'notes_1']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--yes');
    expect((await cli(['stores', 'describe', 'notes_1'])).code).toBe(0);

    const deleted = await cli(['stores', 'delete', 'notes_1', '--yes', '--json']);
    expect(deleted.code).toBe(0);
    expect(deleted.json()).toEqual({ deleted: 'notes_1' });

    const listed = (await cli(['stores', 'list', '--json'])).json<{ stores: StoreJson[] }>();
    expect(listed.stores.map((store) => store.name)).not.toContain('notes_1');
    const search = await cli(['mem', 'search', 'lighthouse', '--store', 'notes_1', '--json']);
    expect(search.code).toBe(2);
    expect(search.errorJson().error.code).toBe('store_not_found');
  });
});

describe('config', () => {
  const home = makeHome();
  const cli = cliFor(home);
  const configFile = join(home, 'config.yaml');

  it('set then get a numeric setting', async () => {
    const set = await cli(['config', 'set', 'retrieval.recency_weight', '0.2']);
    expect(set.code, set.stderr).toBe(0);
    const got = await cli(['config', 'get', 'retrieval.recency_weight']);
    expect(got.code).toBe(0);
    expect(got.stdout).toBe('0.2\n');
    const all = (await cli(['config', 'get', '--json'])).json<{
      retrieval: { recency_weight: number; rrf_k: number };
    }>();
    expect(all.retrieval.recency_weight).toBe(0.2);
    expect(all.retrieval.rrf_k).toEqual(expect.any(Number));
  });

  it('config path points into the home', async () => {
    const result = await cli(['config', 'path']);
    expect(result.stdout.trim()).toBe(configFile);
  });

  it('refuses an unknown key with exit 2, names it, and leaves config.yaml alone', async () => {
    const before = readFileSync(configFile, 'utf8');
    const result = await cli(['config', 'set', 'nope.x', '1']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('nope');
    expect(readFileSync(configFile, 'utf8')).toBe(before);

    const unknownGet = await cli(['config', 'get', 'nope.x']);
    expect(unknownGet.code).toBe(2);
    expect(unknownGet.stderr).toContain('nope.x');
  });

  it('refuses an out-of-range value and keeps the old one', async () => {
    const result = await cli(['config', 'set', 'retrieval.recency_weight', '-1']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('recency_weight');
    expect((await cli(['config', 'get', 'retrieval.recency_weight'])).stdout).toBe('0.2\n');
  });

  it('refuses secrets: they belong in .env', async () => {
    const result = await cli(['config', 'set', 'OPENAI_API_KEY', 'sk-test-123']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('.env');
    expect(readFileSync(configFile, 'utf8')).not.toContain('sk-test-123');
    expect(existsSync(join(home, '.env'))).toBe(false);
  });
});
