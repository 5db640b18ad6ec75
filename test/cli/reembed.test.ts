import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { Mnemos } from '../../src/mnemos.js';
import {
  cliFor,
  cliPath,
  type HistoryJson,
  type ListJson,
  makeHome,
  removeHomes,
  type SearchJson,
} from '../support/cli.js';
import { hashedEmbedding, type ModelServer, startModelServer } from '../support/model-server.js';

let server: ModelServer;

beforeAll(async () => {
  server = await startModelServer();
});

afterAll(async () => {
  await server.close();
  removeHomes();
});

interface ReembedJson {
  store: string;
  from: string;
  to: string;
  dimensions: number;
  reembedded: number;
  resumedFrom: number | null;
  seconds: number;
  total: number;
  changed: boolean;
  config: string | null;
}

const first = ['amber', 'birch', 'cobalt', 'dune', 'ember', 'fjord', 'garnet', 'harbor', 'iris'];
const second = ['lantern', 'meadow', 'nectar', 'orchid', 'pebble', 'quartz', 'raven', 'saffron'];
const third = ['tundra', 'umber', 'violet', 'willow', 'yarrow', 'zephyr', 'acorn'];

/** Distinct texts (no two are near-duplicates, so each stays its own memory). */
function texts(count: number, prefix = 'note'): string[] {
  return Array.from(
    { length: count },
    (_, index) =>
      `${prefix} ${first[index % first.length]} ${second[index % second.length]} ${third[index % third.length]} item${index} code${(index * 7919) % 10007}`,
  );
}

/** Imports texts as memories of a tenant through `mem import`. */
async function seed(home: string, lines: string[], extra: string[] = []): Promise<void> {
  const file = join(home, `seed-${Math.random().toString(36).slice(2)}.jsonl`);
  writeFileSync(file, `${lines.map((text) => JSON.stringify({ text })).join('\n')}\n`);
  const result = await cliFor(home)(['mem', 'import', file, '--json', ...extra]);
  expect(result.code, result.stderr).toBe(0);
}

function embeddedTexts(): number {
  return server
    .requestsTo('/v1/embeddings')
    .reduce((sum, request) => sum + ((request.body as { input: string[] }).input?.length ?? 0), 0);
}

function database(home: string): Database.Database {
  return new Database(join(home, 'mnemos.db'), { readonly: true });
}

function stagedCount(home: string): number {
  const db = database(home);
  try {
    return (db.prepare('SELECT count(*) AS n FROM reembed_vectors').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** Every stored vector equals the server's embedding of the memory's text (normalised). */
function expectServerVectors(home: string, dimensions: number): number {
  const db = database(home);
  try {
    const rows = db.prepare('SELECT text, embedding FROM memories').all() as Array<{
      text: string;
      embedding: Buffer;
    }>;
    for (const row of rows) {
      const stored = new Float32Array(
        row.embedding.buffer.slice(
          row.embedding.byteOffset,
          row.embedding.byteOffset + row.embedding.byteLength,
        ),
      );
      expect(stored.length).toBe(dimensions);
      const expected = hashedEmbedding(row.text, dimensions);
      let dot = 0;
      for (let index = 0; index < dimensions; index++) dot += stored[index]! * expected[index]!;
      expect(dot, row.text).toBeCloseTo(1, 4);
    }
    return rows.length;
  } finally {
    db.close();
  }
}

/** The tenant's memories, deleted ones included, and the history of each. */
async function tenantState(home: string, tenant: string): Promise<unknown> {
  const cli = cliFor(home);
  const list = await cli([
    'mem',
    'list',
    '--json',
    '-n',
    '1000',
    '--include-deleted',
    '--tenant',
    tenant,
  ]);
  expect(list.code, list.stderr).toBe(0);
  const { memories } = list.json<ListJson>();
  const histories = [];
  for (const memory of memories.slice(0, 3)) {
    const history = await cli(['mem', 'history', memory.id, '--json', '--tenant', tenant]);
    histories.push(history.json<HistoryJson>());
  }
  return { memories, histories };
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('mem reembed', () => {
  it('moves a builtin store to an openai-compatible embedder, keeping tenant data, and sets config.yaml', async () => {
    const home = makeHome();
    const cli = cliFor(home);
    const mine = texts(30);
    await seed(home, mine);
    await seed(home, texts(5, 'other'), ['--tenant', 'other']);
    const listed = (await cli(['mem', 'list', '--json', '-n', '100'])).json<ListJson>();
    const forgotten = listed.memories[0]!.id;
    const edited = listed.memories[1]!.id;
    expect((await cli(['mem', 'forget', forgotten])).code).toBe(0);
    expect((await cli(['mem', 'update', edited, 'the pebble was moved to the garden'])).code).toBe(
      0,
    );
    const before = [await tenantState(home, 'default'), await tenantState(home, 'other')];

    server.reset();
    const result = await cli([
      'mem',
      'reembed',
      '--to',
      'openai-compatible:embed-small',
      '--base-url',
      server.url,
      '--dimensions',
      '64',
      '--json',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    const summary = result.json<ReembedJson>();
    expect(summary).toMatchObject({
      store: 'mnemos',
      from: 'builtin:hash-ngram-v2:256',
      to: 'openai-compatible:embed-small:64',
      dimensions: 64,
      reembedded: 35,
      resumedFrom: null,
      total: 35,
      config: join(home, 'config.yaml'),
    });
    expect(summary.seconds).toBeGreaterThanOrEqual(0);
    expect(embeddedTexts()).toBe(35);
    for (const request of server.requestsTo('/v1/embeddings'))
      expect(request.body).toMatchObject({ model: 'embed-small', dimensions: 64 });
    expect(expectServerVectors(home, 64)).toBe(35);

    expect(parseYaml(readFileSync(join(home, 'config.yaml'), 'utf8'))).toEqual({
      embedder: {
        provider: 'openai-compatible',
        model: 'embed-small',
        base_url: server.url,
        dimensions: 64,
      },
    });
    expect([await tenantState(home, 'default'), await tenantState(home, 'other')]).toEqual(before);

    const described = await cli(['stores', 'describe', 'mnemos', '--json']);
    expect(described.json()).toMatchObject({
      embedderId: 'openai-compatible:embed-small:64',
      dimensions: 64,
    });
    const target = mine[17]!;
    const found = await cli(['mem', 'search', '--json', target]);
    expect(found.code, found.stderr).toBe(0);
    const hit = found.json<SearchJson>().results[0]!;
    expect(hit.memory.text).toBe(target);
    expect(hit.matched).toContain('vector');
    const doctor = await cli(['mem', 'doctor']);
    expect(doctor.code, doctor.stdout).toBe(0);
    expect(doctor.json()).toMatchObject({ ok: true });
  }, 120_000);

  it('is the fix for embedder_mismatch after config.yaml changes, and says so', async () => {
    const home = makeHome();
    const cli = cliFor(home);
    const mine = texts(10);
    await seed(home, mine);
    const config = `embedder:\n  provider: openai-compatible\n  base_url: ${server.url}\n  model: embed-b\n  dimensions: 32\n`;
    writeFileSync(join(home, 'config.yaml'), config);

    const refused = await cli(['mem', 'search', '--json', 'amber']);
    expect(refused.code).toBe(2);
    expect(refused.errorJson().error).toMatchObject({
      code: 'embedder_mismatch',
      message: expect.stringContaining('run `mnemos mem reembed`'),
    });
    const unhealthy = await cli(['mem', 'doctor']);
    expect(unhealthy.code).toBe(1);
    expect(unhealthy.stdout).toContain('mnemos mem reembed');

    const result = await cli(['mem', 'reembed']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(
      're-embedding 10 memories of store mnemos: builtin:hash-ngram-v2:256 -> openai-compatible:embed-b:32',
    );
    expect(result.stdout).toContain(
      're-embedded 10 memories of store mnemos with openai-compatible:embed-b:32 (32 dimensions)',
    );
    expect(result.stdout).not.toContain('config.yaml');
    expect(readFileSync(join(home, 'config.yaml'), 'utf8')).toBe(config);

    const found = await cli(['mem', 'search', '--json', mine[4]!]);
    expect(found.code, found.stderr).toBe(0);
    expect(found.json<SearchJson>().results[0]?.memory.text).toBe(mine[4]);
    expect((await cli(['mem', 'doctor'])).code).toBe(0);
    const again = await cli(['mem', 'reembed']);
    expect(again.stdout).toContain(
      'already uses openai-compatible:embed-b:32; nothing to re-embed',
    );
  }, 60_000);

  it('resumes after kill -9, embedding only what was not staged, and ends complete', async () => {
    const home = makeHome();
    const mine = texts(600);
    await seed(home, mine);
    const args = [
      'mem',
      'reembed',
      '--to',
      'openai-compatible:slow-embed',
      '--base-url',
      server.url,
      '--dimensions',
      '64',
      '--batch-size',
      '20',
    ];
    server.reset();
    server.delayNext(1_000, 60, { path: '/v1/embeddings' });
    const env: NodeJS.ProcessEnv = { NO_COLOR: '1', MNEMOS_HOME: home };
    for (const [key, value] of Object.entries(process.env))
      if (!key.startsWith('MNEMOS_') && !/_API_KEY$|^OLLAMA_HOST$|^HF_HOME$/.test(key))
        env[key] = value;
    const child = spawn(process.execPath, [cliPath, ...args, '--json'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let seen = 0;
    const poll = setInterval(() => {
      seen = stagedCount(home);
      if (seen >= 200 && child.exitCode === null) child.kill('SIGKILL');
    }, 20);
    const [, signal] = (await once(child, 'exit')) as [number | null, string | null];
    clearInterval(poll);
    expect(signal).toBe('SIGKILL');
    const staged = stagedCount(home);
    expect(staged).toBeGreaterThanOrEqual(200);
    expect(staged).toBeLessThan(600);
    expect(staged % 20).toBe(0);
    // Nothing swapped and config.yaml untouched until the run finishes.
    const db = database(home);
    expect(db.prepare('SELECT embedder_id FROM stores').get()).toEqual({
      embedder_id: 'builtin:hash-ngram-v2:256',
    });
    db.close();

    server.reset();
    const rerun = await cliFor(home)(args);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stderr).toMatch(
      new RegExp(
        `resuming the re-embedding of store mnemos to openai-compatible:slow-embed:64 started \\S+: ${staged} of 600 memories already done`,
      ),
    );
    expect(rerun.stdout).toContain(`re-embedded ${600 - staged} memories`);
    expect(rerun.stdout).toContain(`resumed after ${staged} already staged`);
    expect(embeddedTexts()).toBe(600 - staged);
    expect(stagedCount(home)).toBe(0);
    expect(expectServerVectors(home, 64)).toBe(600);

    // Every memory is searchable with the new embedder, and the counts match.
    const mnemos = await Mnemos.open({ home, processJobs: false });
    try {
      expect(mnemos.embedder.id).toBe('openai-compatible:slow-embed:64');
      const scope = { appId: 'mnemos', tenantId: 'default' };
      expect((await mnemos.memories.list({ scope, limit: 1 })).total).toBe(600);
      for (const text of mine) {
        const { results } = await mnemos.memories.search({ scope, query: text, topK: 1 });
        expect(results[0]?.memory.text).toBe(text);
        expect(results[0]?.signals.vector?.similarity).toBeCloseTo(1, 4);
      }
    } finally {
      await mnemos.close();
    }
  }, 120_000);

  it('reports an upstream failure with its message, keeps the staging, and a rerun resumes', async () => {
    const home = makeHome();
    const cli = cliFor(home);
    const mine = texts(30);
    await seed(home, mine);
    writeFileSync(join(home, 'config.yaml'), 'embedder:\n  max_retries: 0\n');
    const poisoned = await startModelServer({
      embed: (text, dimensions) => {
        if (text === mine[25]) throw new Error('poisoned text');
        return hashedEmbedding(text, dimensions);
      },
    });
    const to = ['--to', 'openai-compatible:embed-p', '--dimensions', '48', '--batch-size', '10'];
    try {
      const failed = await cli(['mem', 'reembed', ...to, '--base-url', poisoned.url]);
      expect(failed.code).toBe(1);
      expect(failed.stderr).toContain('poisoned text');
      expect(failed.stderr).toContain('run the same command again to resume');
      const asJson = await cli(['mem', 'reembed', ...to, '--base-url', poisoned.url, '--json']);
      expect(asJson.errorJson().error).toMatchObject({
        code: 'upstream_error',
        message: expect.stringContaining('poisoned text'),
      });
    } finally {
      await poisoned.close();
    }
    expect(stagedCount(home)).toBe(20);

    server.reset();
    const resumed = await cli(['mem', 'reembed', ...to, '--base-url', server.url, '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.json<ReembedJson>()).toMatchObject({ resumedFrom: 20, reembedded: 10 });
    expect(embeddedTexts()).toBe(10);
    expect(parseYaml(readFileSync(join(home, 'config.yaml'), 'utf8')).embedder).toMatchObject({
      provider: 'openai-compatible',
      model: 'embed-p',
      dimensions: 48,
      max_retries: 0,
    });
  });

  it('names an unknown spec, a missing store and an unreachable embedder', async () => {
    const home = makeHome();
    const cli = cliFor(home);
    await seed(home, texts(3));
    writeFileSync(join(home, 'config.yaml'), 'embedder:\n  max_retries: 0\n');

    const unknown = await cli(['mem', 'reembed', '--to', 'word2vec:big', '--json']);
    expect(unknown.code).toBe(2);
    expect(unknown.errorJson().error).toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining('unknown embedder spec "word2vec:big"'),
    });
    const noUrl = await cli(['mem', 'reembed', '--to', 'openai-compatible:m', '--json']);
    expect(noUrl.code).toBe(2);
    expect(noUrl.errorJson().error.message).toContain('--base-url');

    const missing = await cli([
      'mem',
      'reembed',
      '--to',
      'builtin:64',
      '--store',
      'nope',
      '--json',
    ]);
    expect(missing.code).toBe(2);
    expect(missing.errorJson().error).toMatchObject({ code: 'store_not_found' });

    const url = `http://127.0.0.1:${await closedPort()}/v1`;
    const down = await cli([
      'mem',
      'reembed',
      '--to',
      'openai-compatible:m',
      '--base-url',
      url,
      '--json',
    ]);
    expect(down.code).toBe(1);
    expect(down.errorJson().error).toMatchObject({
      code: 'upstream_error',
      message: expect.stringContaining('127.0.0.1'),
    });
    expect(readFileSync(join(home, 'config.yaml'), 'utf8')).toBe('embedder:\n  max_retries: 0\n');
  });
});
