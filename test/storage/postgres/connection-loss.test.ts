import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHome, removeHomes, runCli } from '../../support/cli.js';
import { type ModelServer, startModelServer } from '../../support/model-server.js';
import { skipReason, testDatabaseUrl, withClient } from '../../support/postgres.js';
import {
  missingPostgresBinaries,
  type PrivatePostgres,
  startPrivatePostgres,
} from '../../support/private-postgres.js';
import { type ServeChild, startServe } from '../../support/serve.js';

/**
 * Connection loss: one `mnemos serve` (the built CLI, `npm run build` first) on a private,
 * throwaway Postgres server that the test stops (fast shutdown) under load and starts again; the
 * shared cluster of the other tests is never touched. During the outage every request fails at
 * once with 503 `storage_error` naming the database; the same server process survives, recovers
 * without a restart, finishes the ingestion batch the outage interrupted (after its lease), and
 * every acknowledged add ends as exactly one memory, with the tenant's counters matching its rows.
 */

/** The claim lease; the batch interrupted by the outage is taken again once it runs out. */
const leaseMs = 3_000;
/** How long the embedding call of that batch is held: longer than it takes to stop Postgres. */
const holdMs = 4_000;
let postgres: PrivatePostgres | undefined;
let model: ModelServer | undefined;
let server: ServeChild | undefined;

beforeAll(async () => {
  if (!testDatabaseUrl) return;
  const missing = missingPostgresBinaries();
  if (missing.length > 0)
    throw new Error(
      `MNEMOS_TEST_DATABASE_URL is set but ${missing.join(', ')} not found: install the PostgreSQL 15 server packages, or set MNEMOS_TEST_POSTGRES_BIN to the directory of initdb and pg_ctl`,
    );
  postgres = await startPrivatePostgres();
  model = await startModelServer({ dimensions: 64 });
});

afterAll(async () => {
  const child = server?.child;
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await model?.close();
  await postgres?.remove();
  removeHomes();
});

/** Resolves with the first non-null value of `probe`, polled every 100 ms for up to `timeoutMs`. */
async function until<T>(probe: () => Promise<T | null>, what: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** One HTTP answer: its status and JSON body. */
interface Answer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: response bodies of several routes
  body: any;
}

/** A request refused because the database is unreachable: 503 `storage_error` naming the database. */
function expectUnavailable(answer: Answer): void {
  expect(answer.status, JSON.stringify(answer.body)).toBe(503);
  expect(answer.body.error.code).toBe('storage_error');
  expect(answer.body.error.message).toMatch(/database/);
}

describe.skipIf(!testDatabaseUrl)(`Postgres connection loss (${skipReason})`, () => {
  it('Connection loss: Postgres restarted during operation gives clear errors, recovery, and no corruption', async () => {
    const db = postgres!;
    const home = makeHome();
    writeFileSync(
      join(home, 'config.yaml'),
      `extractor: passthrough
ingest: { near_duplicate_threshold: 1.01, lease_ms: ${leaseMs}, retry_base_ms: 200 }
embedder: { provider: openai-compatible, base_url: '${model!.url}', model: scripted-embedding, dimensions: 64 }
`,
    );
    const created = await runCli(['keys', 'create', '--app', 'shop', '--tenant', 'u1', '--json'], {
      home,
      env: { MNEMOS_DATABASE_URL: db.url },
    });
    expect(created.code, created.stderr).toBe(0);
    const { key } = created.json<{ key: string }>();
    server = await startServe(home, { env: { MNEMOS_DATABASE_URL: db.url }, flags: ['--quiet'] });
    const { child, url } = server;
    const stderr = server.stderr;
    const call = async (path: string, body?: unknown): Promise<Answer> => {
      const response = await fetch(`${url}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(20_000), // a hang fails the test
      }).catch((error: Error) => {
        const state = `exit code ${child.exitCode}, signal ${child.signalCode}`;
        throw new Error(`${path}: ${error.message}; mnemos serve: ${state}, stderr: ${stderr()}`);
      });
      return { status: response.status, body: await response.json() };
    };
    const acknowledged = new Map<string, string>(); // job id → text, for every 2xx add
    const refused: string[] = [];
    let serial = 0;
    const add = async (sync: boolean): Promise<Answer> => {
      const text = `Note ${serial}: the customer asked for marker${serial++}${sync ? 's' : 'a'}`;
      const answer = await call('/v1/memories', { text, sync });
      if (answer.status < 300) acknowledged.set(answer.body.id, text);
      else refused.push(text);
      return answer;
    };
    const search = (query: string) => call('/v1/memories/search', { query, topK: 50 });
    /** How often a search for the note's marker word returns the note. */
    const timesFound = async (text: string) => {
      const answer = await search(text.split(' ').at(-1)!);
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      return answer.body.results.filter(
        (result: { memory: { text: string } }) => result.memory.text === text,
      ).length;
    };

    for (let index = 0; index < 4; index++) expect((await add(true)).status).toBe(200);
    expect(await timesFound(acknowledged.values().next().value!)).toBe(1);

    // The runner's next batch (the first asynchronous add) is held in its embedding call, so the
    // database goes away under it; the other adds queue behind it.
    const embeddingCalls = model!.requestsTo('/v1/embeddings').length;
    model!.delayNext(1, holdMs, { path: '/v1/embeddings' });
    const first = await add(false);
    expect(first.status).toBe(202);
    for (let index = 0; index < 7; index++) expect((await add(false)).status).toBe(202);
    await until(
      async () => (model!.requestsTo('/v1/embeddings').length > embeddingCalls ? true : null),
      'the batch held',
    );
    const heldUntil = Date.now() + holdMs;

    // Four clients send adds and searches; Postgres stops (fast) under them, and each client stops
    // at its first refused request. A search must find a memory stored before, or fail.
    const load: Answer[] = [];
    const client = async (worker: number) => {
      for (let round = 0; ; round++) {
        const kind = (worker + round) % 3;
        const answer = kind === 2 ? await search('marker1s') : await add(kind === 0);
        load.push(answer);
        if (answer.status >= 300) return expectUnavailable(answer);
        if (kind === 2) expect(JSON.stringify(answer.body.results)).toContain('marker1s');
        if (kind === 0) expect(answer.body.status).toBe('succeeded');
      }
    };
    const clients = Promise.all([0, 1, 2, 3].map(client));
    await until(async () => (load.length >= 12 ? true : null), 'requests before the outage');
    await db.stop();
    await clients;
    expect(load.some((answer) => answer.status >= 300)).toBe(true);

    // The outage lasts until the held batch has met the dead database and the background work
    // (job polling, access-count flushes: every 2 s) has run. Every route fails at once, searches
    // never return an empty success, and the process lives on.
    const outageEnds = Math.max(heldUntil + 1_000, Date.now() + 3_000);
    while (Date.now() < outageEnds) {
      expectUnavailable(await add(true));
      expectUnavailable(await add(false));
      expectUnavailable(await search('marker1s'));
      expectUnavailable(await call('/v1/memories?limit=5'));
      expect((await call('/health')).status).toBe(200);
      await sleep(100);
    }
    expect(child.exitCode, stderr()).toBeNull();

    // Postgres comes back: the same process answers again at once.
    await db.start();
    const recovered = await add(true);
    expect(recovered.status, JSON.stringify(recovered.body)).toBe(200);
    expect((await add(false)).status).toBe(202);
    expect(await timesFound(acknowledged.get(recovered.body.id)!)).toBe(1);

    // Every job finishes, none failed; the interrupted batch was claimed again after its lease.
    const sql = <R extends object>(text: string) =>
      withClient(db.url, async (c) => (await c.query<R>(text)).rows);
    type JobRow = { id: string; state: string; memory_ids: string; attempts: number };
    const jobs = await until(async () => {
      const rows = await sql<JobRow>('SELECT id, state, memory_ids, attempts FROM jobs');
      return rows.every((row) => row.state === 'succeeded' || row.state === 'failed') ? rows : null;
    }, 'every job finished');
    expect(jobs.filter((job) => job.state !== 'succeeded')).toEqual([]);
    const byId = new Map(jobs.map((job) => [job.id, job]));
    expect(byId.get(first.body.id)?.attempts).toBeGreaterThanOrEqual(2);

    // Every acknowledged add is exactly one live memory, by id and by text; refused ones at most one.
    const memories = await sql<{ id: string; text: string }>(
      'SELECT id, text FROM memories WHERE deleted_at IS NULL',
    );
    const textCount = (text: string) => memories.filter((memory) => memory.text === text).length;
    const textOf = new Map(memories.map((memory) => [memory.id, memory.text]));
    for (const [jobId, text] of acknowledged) {
      const ids = JSON.parse(byId.get(jobId)?.memory_ids ?? '[]') as string[];
      expect(ids.map((id) => textOf.get(id))).toEqual([text]);
      expect(textCount(text)).toBe(1);
    }
    for (const text of refused) expect(textCount(text)).toBeLessThanOrEqual(1);
    expect(memories).toHaveLength(jobs.length);
    expect(new Set(memories.map((memory) => memory.text)).size).toBe(memories.length);
    for (const text of acknowledged.values()) expect(await timesFound(text)).toBe(1);

    // The tenant's counters agree with its rows: history, full-text statistics, change sequence.
    const [counts] = await sql<Record<string, number>>(
      `SELECT (SELECT count(*) FROM memory_history WHERE event = 'ADD')::int AS added,
              (SELECT documents FROM text_statistics WHERE app_id = 'shop' AND tenant_id = 'u1')::int AS documents,
              (SELECT count(*) FROM memories WHERE tsv IS NOT NULL)::int AS indexed,
              (SELECT count(DISTINCT seq) FROM memories)::int AS sequences,
              (SELECT max(seq) FROM memories)::int AS last,
              (SELECT value FROM memory_sequences WHERE app_id = 'shop' AND tenant_id = 'u1')::int AS sequence`,
    );
    const n = memories.length;
    expect(counts).toEqual(Object.fromEntries(Object.keys(counts!).map((name) => [name, n])));
    expect((await call('/v1/memories?limit=1000')).body.total).toBe(n);

    const exited = once(child, 'exit') as Promise<[number | null]>;
    child.kill('SIGTERM');
    expect((await exited)[0], stderr()).toBe(0);
    console.log(
      `connection loss: ${load.length} requests under load (${load.filter((a) => a.status >= 300).length} refused), ${acknowledged.size} adds acknowledged, ${refused.length} refused, ${memories.length} memories`,
    );
  }, 60_000);
});
