import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addSync,
  cliFor,
  type HistoryJson,
  type JobJson,
  type ListJson,
  type MemoryJson,
  makeHome,
  removeHomes,
  type SearchJson,
} from '../support/cli.js';

afterAll(removeHomes);

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('mem search across languages', () => {
  const home = makeHome();
  const cli = cliFor(home);
  const answerStyle = '用户希望回答风格更加正式';
  const mixed = '我用TypeScript写后端';
  const ids = new Map<string, string>();

  beforeAll(async () => {
    for (const text of [
      '用户偏好简洁的中文回复',
      answerStyle,
      'My favourite programming language is Rust',
      'The office coffee machine is broken again',
      mixed,
    ]) {
      ids.set(text, await addSync(home, text));
    }
  });

  it('finds the Chinese memory about answer style with the JSON shape', async () => {
    const result = await cli(['mem', 'search', '回答风格', '--json']);
    expect(result.code).toBe(0);
    const output = result.json<SearchJson>();
    expect(Object.keys(output).sort()).toEqual(['count', 'results', 'warnings']);
    expect(output.warnings).toEqual([]);
    expect(output.count).toBe(output.results.length);
    const top = output.results[0]!;
    expect(top.memory.text).toBe('用户希望回答风格更加正式');
    expect(top.memory.id).toBe(ids.get(answerStyle));
    expect(top.matched).toContain('keyword');
    expect(top).toMatchObject({
      memory: {
        id: expect.stringMatching(uuid),
        kind: expect.any(String),
        scope: { appId: 'mnemos', tenantId: 'default', agentId: 'default', runId: 'default' },
        metadata: {},
        deletedAt: null,
      },
      score: expect.any(Number),
      signals: { fused: expect.any(Number) },
    });
    for (const item of output.results) {
      expect(Object.keys(item).sort()).toEqual(['matched', 'memory', 'score', 'signals']);
      expect(Array.isArray(item.matched)).toBe(true);
    }
    const scores = output.results.map((item) => item.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });

  it('finds the English memory by keywords', async () => {
    const output = (
      await cli(['mem', 'search', 'programming', 'language', '--json'])
    ).json<SearchJson>();
    expect(output.results[0]?.memory.text).toBe('My favourite programming language is Rust');
    expect(output.results[0]?.matched).toContain('keyword');
  });

  it('finds mixed Chinese and Latin text by a lower-case Latin word', async () => {
    const output = (await cli(['mem', 'search', 'typescript', '--json'])).json<SearchJson>();
    expect(output.results[0]?.memory.text).toBe('我用TypeScript写后端');
    expect(output.results[0]?.matched).toContain('keyword');
  });

  it('honours --top-k', async () => {
    const output = (
      await cli(['mem', 'search', '用户', '--top-k', '1', '--json'])
    ).json<SearchJson>();
    expect(output.count).toBe(1);
    expect(output.results).toHaveLength(1);
  });

  it('prints a table without --json', async () => {
    const result = await cli(['mem', 'search', 'typescript']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('我用TypeScript写后端');
    expect(result.stdout).toContain(ids.get(mixed)!);
  });
});

describe('asynchronous mem add', () => {
  const home = makeHome();
  const cli = cliFor(home);

  it('prints a running job and the memory is searchable from the next process', async () => {
    const added = await cli(['mem', 'add', 'The staging database lives in Frankfurt']);
    expect(added.code).toBe(0);
    const match = /queued job (\S+) \(status running\)/.exec(added.stdout);
    expect(match, added.stdout).not.toBeNull();
    const jobId = match![1]!;
    expect(jobId).toMatch(uuid);

    const found = (
      await cli(['mem', 'search', 'staging', 'database', '--json'])
    ).json<SearchJson>();
    expect(found.results.map((item) => item.memory.text)).toContain(
      'The staging database lives in Frankfurt',
    );

    const jobs = (await cli(['mem', 'jobs', 'list', '--json'])).json<{
      jobs: Array<{ id: string; state: string; memoryIds: string[] }>;
    }>();
    const job = jobs.jobs.find((item) => item.id === jobId);
    expect(job?.state).toBe('succeeded');
    expect(job?.memoryIds).toHaveLength(1);
  });

  it('reports status running with --json and no memory ids yet', async () => {
    const added = await cli(['mem', 'add', '--json', 'Deploys are frozen on Fridays']);
    expect(added.code).toBe(0);
    const job = added.json<JobJson>();
    expect(job.status).toBe('running');
    expect(job.memoryIds).toEqual([]);
    expect(job.error).toBeNull();
    const listed = (await cli(['mem', 'list', '--json'])).json<ListJson>();
    expect(listed.memories.map((memory) => memory.text)).toContain('Deploys are frozen on Fridays');
  });

  it('reads the text from standard input with -', async () => {
    const added = await cli(['mem', 'add', '--sync', '--json', '-'], {
      input: '从标准输入读取的记忆：喜欢爬山',
    });
    expect(added.code).toBe(0);
    const job = added.json<JobJson>();
    expect(job.status).toBe('succeeded');
    const memory = (await cli(['mem', 'get', job.memoryIds[0]!, '--json'])).json<MemoryJson>();
    expect(memory.text).toBe('从标准输入读取的记忆：喜欢爬山');
  });
});

describe('memory lifecycle: list, get, update, history, forget, purge', () => {
  const home = makeHome();
  const cli = cliFor(home);
  const original = "Alice's cat is named Miso";
  const updated = "Alice's cat is named Mochi";
  let id = '';

  beforeAll(async () => {
    id = await addSync(home, original, [
      '--kind',
      'preference',
      '--metadata',
      'source=chat',
      '--metadata',
      'lang=en',
    ]);
    await addSync(home, 'Bob drives a green bicycle to work');
  });

  it('lists memories newest first with a total', async () => {
    const listed = (await cli(['mem', 'list', '--json'])).json<ListJson>();
    expect(listed.total).toBe(2);
    expect(listed.count).toBe(2);
    expect(listed.memories.map((memory) => memory.text)).toEqual([
      'Bob drives a green bicycle to work',
      original,
    ]);
    const limited = (
      await cli(['mem', 'list', '-n', '1', '--offset', '1', '--json'])
    ).json<ListJson>();
    expect(limited.total).toBe(2);
    expect(limited.memories.map((memory) => memory.id)).toEqual([id]);
  });

  it('gets one memory with its kind and metadata', async () => {
    const result = await cli(['mem', 'get', id, '--json']);
    expect(result.code).toBe(0);
    expect(result.json<MemoryJson>()).toMatchObject({
      id,
      text: original,
      kind: 'preference',
      metadata: { source: 'chat', lang: 'en' },
      store: 'mnemos',
      deletedAt: null,
    });
    const human = await cli(['mem', 'get', id]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(original);
  });

  it('updates the text and records ADD then UPDATE in history', async () => {
    const result = await cli(['mem', 'update', id, updated, '--json']);
    expect(result.code).toBe(0);
    expect(result.json<MemoryJson>()).toMatchObject({ id, text: updated, kind: 'preference' });

    const history = (await cli(['mem', 'history', id, '--json'])).json<HistoryJson>();
    expect(history.count).toBe(2);
    expect(history.history.map((entry) => entry.event)).toEqual(['ADD', 'UPDATE']);
    expect(history.history[0]).toMatchObject({ memoryId: id, oldText: null, newText: original });
    expect(history.history[1]).toMatchObject({ memoryId: id, oldText: original, newText: updated });

    const found = (await cli(['mem', 'search', 'Mochi', '--json'])).json<SearchJson>();
    expect(found.results[0]?.memory.id).toBe(id);
  });

  it('forgets softly: DELETE in history, gone from search and list, kept with --include-deleted', async () => {
    const forgot = await cli(['mem', 'forget', id]);
    expect(forgot.code).toBe(0);
    expect(forgot.stdout).toContain(`forgot ${id}`);

    const history = (await cli(['mem', 'history', id, '--json'])).json<HistoryJson>();
    expect(history.history.map((entry) => entry.event)).toEqual(['ADD', 'UPDATE', 'DELETE']);
    expect(history.history[2]).toMatchObject({ oldText: updated, newText: null });

    const found = (await cli(['mem', 'search', 'Mochi', '--json'])).json<SearchJson>();
    expect(found.results.map((item) => item.memory.id)).not.toContain(id);

    const listed = (await cli(['mem', 'list', '--json'])).json<ListJson>();
    expect(listed.total).toBe(1);
    expect(listed.memories.map((memory) => memory.id)).not.toContain(id);

    const withDeleted = (
      await cli(['mem', 'list', '--include-deleted', '--json'])
    ).json<ListJson>();
    const forgotten = withDeleted.memories.find((memory) => memory.id === id);
    expect(forgotten?.deletedAt).toEqual(expect.any(String));

    const again = await cli(['mem', 'forget', id, '--json']);
    expect(again.code).not.toBe(0);
    expect(again.errorJson().error.code).toBe('not_found');
  });

  it('purges for good: get fails with not_found and the history is gone', async () => {
    const purged = await cli(['mem', 'forget', id, '--purge', '--json']);
    expect(purged.code).toBe(0);
    expect(purged.json()).toEqual({ deleted: 1, id, purged: true });

    const got = await cli(['mem', 'get', id, '--json']);
    expect(got.code).toBe(2);
    expect(got.stdout).toBe('');
    expect(got.errorJson().error).toMatchObject({ code: 'not_found', details: { id } });

    const withDeleted = (
      await cli(['mem', 'list', '--include-deleted', '--json'])
    ).json<ListJson>();
    expect(withDeleted.memories.map((memory) => memory.id)).not.toContain(id);
    const history = await cli(['mem', 'history', id, '--json']);
    expect(history.code).toBe(2);
    expect(history.errorJson().error).toMatchObject({ code: 'not_found' });
  });
});

describe('reads before the first write', () => {
  it('answer empty or not found and create no store', async () => {
    const cli = cliFor(makeHome());
    const search = await cli(['mem', 'search', 'tea', '--json']);
    expect(search.code, search.stderr).toBe(0);
    expect(search.json<SearchJson>().results).toEqual([]);
    const listed = await cli(['mem', 'list', '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.json<ListJson>()).toMatchObject({ memories: [], total: 0 });
    const got = await cli(['mem', 'get', '00000000-0000-4000-8000-000000000000', '--json']);
    expect(got.errorJson().error).toMatchObject({ code: 'not_found' });
    const stores = await cli(['stores', 'list', '--json']);
    expect(stores.code, stores.stderr).toBe(0);
    expect(stores.json<{ count: number }>().count).toBe(0);
  });
});
