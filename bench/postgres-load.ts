/**
 * `npm run bench:postgres`: two `mnemos serve` replicas sharing one PostgreSQL database under 100
 * concurrent HTTP clients (mixed add and search, a fixed time, loopback), then the same workload
 * against one `mnemos serve` on embedded SQLite, in the same invocation. After each load the queue
 * is drained and every acknowledged add is looked up through the API: stored exactly once, or
 * counted as lost or duplicated. Prints the figures and rewrites the `bench:postgres` block of
 * docs/benchmarks.md (other blocks untouched).
 *
 * Environment: MNEMOS_BENCH_DATABASE_URL (or MNEMOS_TEST_DATABASE_URL), a Postgres with pgvector;
 * the run works in a fresh schema of its own and drops it at the end. BENCH_QUICK=1: 10 s per
 * backend instead of 60 s, docs left alone unless BENCH_WRITE_DOCS=1. BENCH_PG_SECONDS and
 * BENCH_PG_CLIENTS override the duration and the number of clients.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { runCli } from '../test/support/cli.js';
import { type ServeChild, startServe } from '../test/support/serve.js';
import { writeGeneratedBlocks } from './docs-writer.js';
import { int, ms, pct, table, times } from './format.js';
import { describeMachine, machineLine } from './machine.js';
import { Prng } from './prng.js';
import { type Latency, log, nowMs, summarise } from './stats.js';
import { removeTempHomes, tempHome } from './temp-home.js';
import { en } from './words.js';

const databaseUrl =
  process.env.MNEMOS_BENCH_DATABASE_URL?.trim() || process.env.MNEMOS_TEST_DATABASE_URL?.trim();
const quick = process.env.BENCH_QUICK === '1';
const seconds = positive('BENCH_PG_SECONDS', quick ? 10 : 60);
const clients = positive('BENCH_PG_CLIENTS', 100);
const tenants = 10;
/** Share of adds that wait for ingestion (`sync: true`); the rest are acknowledged at enqueue. */
const syncShare = 0.1;
const drainTimeoutMs = 600_000;
/** Searches run one at a time after the drain, when every acknowledged add is searchable. */
const drainedSearches = 200;

function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!(value > 0)) throw new Error(`${name} must be a positive number, got ${raw}`);
  return value;
}

/** Same for every home of a run: passthrough extraction, builtin embedder, no near-duplicate merging. */
const configYaml = [
  'extractor: passthrough',
  'embedder:',
  '  provider: builtin',
  'ingest:',
  // Every text is unique; merging near-duplicates would make "found" depend on the embedder.
  '  near_duplicate_threshold: 1.01',
  '',
].join('\n');

/** One acknowledged add: the job id the server answered with and the text sent. */
interface Acknowledged {
  tenant: number;
  jobId: string;
  text: string;
}

/** Figures of one backend under the load. */
export interface LoadFigures {
  label: string;
  servers: number;
  clients: number;
  seconds: number;
  requests: number;
  adds: number;
  searches: number;
  /** Searches that returned at least one memory. */
  searchHits: number;
  /** Of `drainedSearches` searches after the drain, those that returned at least one memory. */
  drainedHits: number;
  /** Most jobs queued or running at a once-a-second sample during the load. */
  maxBacklog: number;
  /** Warnings search answers carried, by text. */
  searchWarnings: Record<string, number>;
  syncAdds: number;
  search: Latency;
  addAsync: Latency;
  addSync: Latency;
  errors: Record<string, number>;
  acknowledged: number;
  drainSeconds: number;
  memoriesStored: number;
  found: number;
  /** Acknowledged texts stored exactly once. */
  exactlyOnce: number;
  lost: number;
  duplicated: number;
  /** Stored memories whose text no acknowledged add sent (e.g. a request that failed client-side). */
  unexpected: number;
  /** Found memories whose `source.jobId` is not the job id the add was acknowledged with. */
  wrongJob: number;
  jobStates: Record<string, number>;
}

/** A unique, searchable text: corpus words plus the client and its sequence number. */
function memoryText(rng: Prng, client: number, n: number): string {
  return `${rng.pick(en.names)}'s ${rng.pick(en.relatives)} drinks ${rng.pick(en.drinks)} ${rng.pick(en.times)} (note c${client}-${n})`;
}

function searchQuery(rng: Prng): string {
  return rng.next() < 0.5
    ? `${rng.pick(en.relatives)} ${rng.pick(en.drinks)}`
    : `what does ${rng.pick(en.names)} drink ${rng.pick(en.times)}`;
}

async function post(url: string, key: string, path: string, body: unknown): Promise<Response> {
  return fetch(`${url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** Creates one API key per tenant with the CLI (keys live in the backend's database). */
async function createKeys(home: string, env: Record<string, string>): Promise<string[]> {
  const keys: string[] = [];
  for (let tenant = 0; tenant < tenants; tenant++) {
    const result = await runCli(
      ['keys', 'create', '--app', 'bench', '--tenant', `t${tenant}`, '--json'],
      { home, env },
    );
    if (result.code !== 0)
      throw new Error(`mnemos keys create exited with ${result.code}: ${result.stderr}`);
    keys.push(result.json<{ key: string }>().key);
  }
  return keys;
}

/** Reads one gauge (without labels, or summed over its labels) from a /metrics answer. */
function gauge(metrics: string, name: string): Record<string, number> {
  const values: Record<string, number> = {};
  for (const line of metrics.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^(\w+)(?:\{[^}]*="([^"]*)"\})?\s+(\S+)$/.exec(line);
    if (match && match[1] === name) values[match[2] ?? ''] = Number(match[3]);
  }
  return values;
}

async function metrics(url: string): Promise<string> {
  return (await fetch(`${url}/metrics`)).text();
}

/** Waits until no job is queued or running (the queue is shared, so one server's view suffices). */
async function drain(url: string): Promise<number> {
  const start = nowMs();
  for (;;) {
    const depth = gauge(await metrics(url), 'mnemos_ingest_queue_depth')[''] ?? Number.NaN;
    if (depth === 0) return (nowMs() - start) / 1000;
    if (nowMs() - start > drainTimeoutMs)
      throw new Error(`queue not drained within ${drainTimeoutMs / 1000} s (depth ${depth})`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

interface StoredMemory {
  text: string;
  source: { jobId?: string };
}

/** Every memory of one tenant, through `GET /v1/memories`, page by page. */
async function listAll(url: string, key: string): Promise<StoredMemory[]> {
  const all: StoredMemory[] = [];
  for (let offset = 0; ; offset += 1000) {
    const response = await fetch(`${url}/v1/memories?limit=1000&offset=${offset}`, {
      headers: { authorization: `Bearer ${key}` },
    });
    if (response.status !== 200)
      throw new Error(`GET /v1/memories: ${response.status} ${await response.text()}`);
    const page = (await response.json()) as { memories: StoredMemory[]; total: number };
    all.push(...page.memories);
    if (page.memories.length < 1000 || all.length >= page.total) return all;
  }
}

/** 100 client loops for a fixed time; then drain and check every acknowledged add. */
async function runLoad(label: string, urls: string[], keys: string[]): Promise<LoadFigures> {
  const acknowledged: Acknowledged[] = [];
  const searchMs: number[] = [];
  const asyncMs: number[] = [];
  const syncMs: number[] = [];
  const errors: Record<string, number> = {};
  let searchHits = 0;
  const warnings = new Map<string, number>();
  const error = (kind: string): void => {
    errors[kind] = (errors[kind] ?? 0) + 1;
  };
  log(`${label}: ${clients} clients for ${seconds} s over ${urls.length} server(s)`);
  const start = nowMs();
  const deadline = start + seconds * 1000;
  const client = async (index: number): Promise<void> => {
    const rng = new Prng(1000 + index);
    const url = urls[index % urls.length]!;
    const tenant = index % keys.length;
    const key = keys[tenant]!;
    for (let n = 0; nowMs() < deadline; n++) {
      const add = rng.next() < 0.5;
      const sync = add && rng.next() < syncShare;
      const begin = nowMs();
      try {
        if (add) {
          const text = memoryText(rng, index, n);
          const response = await post(url, key, '/v1/memories', { text, sync });
          const elapsed = nowMs() - begin;
          const expected = sync ? 200 : 202;
          if (response.status !== expected) {
            error(`add ${response.status}`);
            await response.text();
            continue;
          }
          const job = (await response.json()) as { id: string; status: string };
          if (sync && job.status !== 'succeeded') error(`sync add ${job.status}`);
          acknowledged.push({ tenant, jobId: job.id, text });
          (sync ? syncMs : asyncMs).push(elapsed);
        } else {
          const response = await post(url, key, '/v1/memories/search', {
            query: searchQuery(rng),
            topK: 5,
          });
          if (response.status !== 200) {
            error(`search ${response.status}`);
            await response.text();
            continue;
          }
          const answer = (await response.json()) as { count: number; warnings: string[] };
          searchMs.push(nowMs() - begin);
          if (answer.count > 0) searchHits++;
          for (const warning of answer.warnings)
            warnings.set(warning, (warnings.get(warning) ?? 0) + 1);
        }
      } catch (caught) {
        error(`${add ? 'add' : 'search'} ${(caught as Error).message}`);
      }
    }
  };
  // The ingestion backlog, sampled once a second during the load (the queue is shared).
  let maxBacklog = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      try {
        const depth = gauge(await metrics(urls[0]!), 'mnemos_ingest_queue_depth')[''] ?? 0;
        maxBacklog = Math.max(maxBacklog, depth);
      } catch {
        // A missed sample is no figure; the load goes on.
      }
    }
  })();
  await Promise.all(Array.from({ length: clients }, (_, index) => client(index)));
  sampling = false;
  await sampler;
  const elapsedSeconds = (nowMs() - start) / 1000;
  log(`${label}: load done in ${elapsedSeconds.toFixed(1)} s; draining the queue`);
  const drainSeconds = await drain(urls[0]!);

  // The same kind of queries once everything is ingested, one client at a time.
  const rng = new Prng(7);
  let drainedHits = 0;
  for (let n = 0; n < drainedSearches; n++) {
    const tenant = n % keys.length;
    const response = await post(urls[tenant % urls.length]!, keys[tenant]!, '/v1/memories/search', {
      query: searchQuery(rng),
      topK: 5,
    });
    if (response.status === 200 && ((await response.json()) as { count: number }).count > 0)
      drainedHits++;
  }

  // Ground truth through the API: each tenant's memories, by text.
  let memoriesStored = 0;
  let found = 0;
  let exactlyOnce = 0;
  let lost = 0;
  let duplicated = 0;
  let unexpected = 0;
  let wrongJob = 0;
  for (let tenant = 0; tenant < keys.length; tenant++) {
    const stored = await listAll(urls[tenant % urls.length]!, keys[tenant]!);
    memoriesStored += stored.length;
    const byText = new Map<string, StoredMemory[]>();
    for (const memory of stored)
      byText.set(memory.text, [...(byText.get(memory.text) ?? []), memory]);
    const sent = new Set<string>();
    for (const ack of acknowledged) {
      if (ack.tenant !== tenant) continue;
      sent.add(ack.text);
      const copies = byText.get(ack.text) ?? [];
      if (copies.length === 0) lost++;
      else {
        found++;
        if (copies.length === 1) exactlyOnce++;
        else duplicated += copies.length - 1;
        if (copies[0]!.source.jobId !== ack.jobId) wrongJob++;
      }
    }
    for (const text of byText.keys()) if (!sent.has(text)) unexpected++;
  }
  // Every acknowledged job through `GET /v1/jobs/{id}`, 20 at a time.
  const jobStates: Record<string, number> = {};
  for (let from = 0; from < acknowledged.length; from += 20) {
    await Promise.all(
      acknowledged.slice(from, from + 20).map(async (ack) => {
        const response = await fetch(`${urls[ack.tenant % urls.length]}/v1/jobs/${ack.jobId}`, {
          headers: { authorization: `Bearer ${keys[ack.tenant]}` },
        });
        const state =
          response.status === 200
            ? ((await response.json()) as { status: string }).status
            : `HTTP ${response.status}`;
        jobStates[state] = (jobStates[state] ?? 0) + 1;
      }),
    );
  }
  const figures: LoadFigures = {
    label,
    servers: urls.length,
    clients,
    seconds: elapsedSeconds,
    requests: acknowledged.length + searchMs.length,
    adds: acknowledged.length,
    searches: searchMs.length,
    searchHits,
    searchWarnings: Object.fromEntries(warnings),
    drainedHits,
    maxBacklog,
    syncAdds: syncMs.length,
    search: summarise(searchMs),
    addAsync: summarise(asyncMs),
    addSync: summarise(syncMs),
    errors,
    acknowledged: acknowledged.length,
    drainSeconds,
    memoriesStored,
    found,
    exactlyOnce,
    lost,
    duplicated,
    unexpected,
    wrongJob,
    jobStates,
  };
  log(
    `${label}: ${int(figures.requests / figures.seconds)} requests/s, search p50 ${ms(figures.search.p50)} ms, acknowledged ${figures.acknowledged}, found ${found}, lost ${lost}, duplicated ${duplicated}`,
  );
  return figures;
}

/** A fresh schema name for this run, dropped at the end. */
function benchSchema(): string {
  return `mnemos_bench_${Math.floor(Date.now() / 1000).toString(36)}_${randomBytes(4).toString('hex')}`;
}

function withSchema(url: string, schema: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('schema', schema);
  return parsed.toString();
}

async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
  } finally {
    await client.end();
  }
}

const running = new Set<ServeChild>();

async function stopAll(): Promise<void> {
  await Promise.all([...running].map((server) => server.stop()));
  running.clear();
}

async function serve(home: string, env: Record<string, string>): Promise<ServeChild> {
  const server = await startServe(home, { env, flags: ['--quiet', '--rate-limit', '0'] });
  running.add(server);
  return server;
}

function home(label: string): string {
  const folder = tempHome(label);
  writeFileSync(join(folder, 'config.yaml'), configYaml);
  return folder;
}

async function postgresRun(url: string): Promise<LoadFigures> {
  const schema = benchSchema();
  const env = { MNEMOS_DATABASE_URL: withSchema(url, schema) };
  log(`Postgres: schema ${schema}`);
  try {
    const homes = [home('pg-a'), home('pg-b')];
    // The first replica creates the schema; the second finds it migrated.
    const first = await serve(homes[0]!, env);
    const second = await serve(homes[1]!, env);
    const keys = await createKeys(homes[0]!, env);
    const figures = await runLoad('Postgres, 2 replicas', [first.url, second.url], keys);
    await stopAll();
    return figures;
  } finally {
    await stopAll();
    await dropSchema(url, schema);
  }
}

async function sqliteRun(): Promise<LoadFigures> {
  const folder = home('sqlite');
  try {
    const server = await serve(folder, {});
    const keys = await createKeys(folder, {});
    return await runLoad('SQLite, 1 server', [server.url], keys);
  } finally {
    await stopAll();
  }
}

function latency(value: Latency): string {
  return value.count === 0 ? 'n/a' : `${ms(value.p50)} / ${ms(value.p95)} / ${ms(value.p99)} ms`;
}

function errorsText(errors: Record<string, number>): string {
  const entries = Object.entries(errors);
  return entries.length === 0 ? '0' : entries.map(([kind, n]) => `${kind}: ${n}`).join(', ');
}

function statesText(states: Record<string, number>): string {
  return (
    Object.entries(states)
      .filter(([, n]) => n > 0)
      .map(([state, n]) => `${state} ${int(n)}`)
      .join(', ') || 'none'
  );
}

/** Markdown of the section: Postgres beside SQLite, and the ratio. */
export function postgresSection(pgRun: LoadFigures, sqlite: LoadFigures): string {
  const rate = (f: LoadFigures, n: number): number => n / f.seconds;
  const ratio = (a: number, b: number): string => (b > 0 ? times(a / b) : 'n/a');
  const row = (name: string, a: string, b: string, r = ''): string[] => [name, a, b, r];
  const rows = [
    row(
      'Load: clients × seconds',
      `${pgRun.clients} × ${pgRun.seconds.toFixed(1)} s`,
      `${sqlite.clients} × ${sqlite.seconds.toFixed(1)} s`,
    ),
    row(
      '**Throughput**, requests/s (acknowledged adds + answered searches)',
      int(rate(pgRun, pgRun.requests)),
      int(rate(sqlite, sqlite.requests)),
      ratio(rate(pgRun, pgRun.requests), rate(sqlite, sqlite.requests)),
    ),
    row(
      '… adds/s',
      int(rate(pgRun, pgRun.adds)),
      int(rate(sqlite, sqlite.adds)),
      ratio(rate(pgRun, pgRun.adds), rate(sqlite, sqlite.adds)),
    ),
    row(
      '… searches/s',
      int(rate(pgRun, pgRun.searches)),
      int(rate(sqlite, sqlite.searches)),
      ratio(rate(pgRun, pgRun.searches), rate(sqlite, sqlite.searches)),
    ),
    row(
      'Searches under load that returned at least one memory',
      pct(pgRun.searchHits / Math.max(1, pgRun.searches)),
      pct(sqlite.searchHits / Math.max(1, sqlite.searches)),
    ),
    row(
      `… of ${drainedSearches} searches after the drain, one at a time`,
      pct(pgRun.drainedHits / drainedSearches),
      pct(sqlite.drainedHits / drainedSearches),
    ),
    row(
      'Search answers with warnings',
      errorsText(pgRun.searchWarnings),
      errorsText(sqlite.searchWarnings),
    ),
    row(
      '**Search** p50 / p95 / p99 (top 5, HTTP round trip)',
      latency(pgRun.search),
      latency(sqlite.search),
      `${ratio(pgRun.search.p50, sqlite.search.p50)} (p50)`,
    ),
    row(
      'Async add (202) p50 / p95 / p99',
      latency(pgRun.addAsync),
      latency(sqlite.addAsync),
      `${ratio(pgRun.addAsync.p50, sqlite.addAsync.p50)} (p50)`,
    ),
    row(
      `Sync add (200, ${Math.round(syncShare * 100)} % of adds) p50 / p95 / p99`,
      latency(pgRun.addSync),
      latency(sqlite.addSync),
      `${ratio(pgRun.addSync.p50, sqlite.addSync.p50)} (p50)`,
    ),
    row('Errors', errorsText(pgRun.errors), errorsText(sqlite.errors)),
    row(
      'Ingestion backlog during the load: most jobs queued or running (1 s samples)',
      int(pgRun.maxBacklog),
      int(sqlite.maxBacklog),
    ),
    row(
      'Queue drained after the load in',
      `${pgRun.drainSeconds.toFixed(1)} s`,
      `${sqlite.drainSeconds.toFixed(1)} s`,
    ),
    row('Acknowledged adds', int(pgRun.acknowledged), int(sqlite.acknowledged)),
    row(
      'Found exactly once (by text, through `GET /v1/memories`)',
      int(pgRun.exactlyOnce),
      int(sqlite.exactlyOnce),
    ),
    row(
      '**Lost** / **duplicated**',
      `**${pgRun.lost}** / **${pgRun.duplicated}**`,
      `**${sqlite.lost}** / **${sqlite.duplicated}**`,
    ),
    row('Stored memories no acknowledged add sent', int(pgRun.unexpected), int(sqlite.unexpected)),
    row(
      'Found memories whose `source.jobId` is not the acknowledged job',
      int(pgRun.wrongJob),
      int(sqlite.wrongJob),
    ),
    row(
      'Acknowledged jobs by state at the end (`GET /v1/jobs/{id}`)',
      statesText(pgRun.jobStates),
      statesText(sqlite.jobStates),
    ),
  ];
  return [
    `${clients} concurrent clients (async loops in the bench process, \`fetch\` over loopback), each bound to one of ${tenants} tenants (one API key each, made with \`mnemos keys create\`) and, for Postgres, to one of the two replicas (50 clients each). Each client loops for the fixed time: 50 % adds of a unique text (${Math.round(syncShare * 100)} % of them \`sync: true\`), 50 % searches (top 5). Every server is \`mnemos serve --quiet --rate-limit 0\` as a child process, passthrough extraction, builtin embedder, near-duplicate merging off (\`near_duplicate_threshold: 1.01\`, so every unique text must become one memory). Postgres: both replicas on one fresh schema of the same database, each with its own home and the adapter's default pool of 10 connections; SQLite: one server on a fresh home.`,
    '',
    table(['Figure', 'Postgres, 2 replicas', 'SQLite, 1 server', 'Postgres / SQLite'], rows),
  ].join('\n');
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const server of running) server.child.kill('SIGKILL');
    removeTempHomes();
    process.exit(130);
  });
}

async function main(): Promise<void> {
  if (!databaseUrl) {
    process.stderr.write(
      'npm run bench:postgres needs a PostgreSQL database with pgvector:\n' +
        '  MNEMOS_BENCH_DATABASE_URL=postgres://user:password@127.0.0.1:5432/database npm run bench:postgres\n' +
        '(MNEMOS_TEST_DATABASE_URL is used when MNEMOS_BENCH_DATABASE_URL is unset; the run creates and drops a schema of its own.)\n',
    );
    process.exitCode = 1;
    return;
  }
  const machine = describeMachine();
  const started = new Date();
  const wallStart = nowMs();
  log(`${quick ? 'quick' : 'full'} bench:postgres on ${machineLine(machine)}`);
  let pgFigures: LoadFigures;
  let sqliteFigures: LoadFigures;
  try {
    pgFigures = await postgresRun(databaseUrl);
    sqliteFigures = await sqliteRun();
  } finally {
    removeTempHomes();
  }
  const wallSeconds = (nowMs() - wallStart) / 1000;
  const stamp = `_${quick ? 'Quick (smoke) run' : 'Full run'} of ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machineLine(machine)}, ${loadavg()[0]!.toFixed(2)} at the end; whole run ${wallSeconds.toFixed(0)} s._`;
  const body = `${stamp}\n\n${postgresSection(pgFigures, sqliteFigures)}`;
  process.stdout.write(`# Mnemos bench:postgres (${quick ? 'quick' : 'full'})\n\n${body}\n`);
  if (!quick || process.env.BENCH_WRITE_DOCS === '1') {
    writeGeneratedBlocks({ postgres: body });
    log('updated docs/benchmarks.md (postgres)');
  } else {
    log('quick run: docs/benchmarks.md left as it is (set BENCH_WRITE_DOCS=1 to write it)');
  }
  const broken =
    pgFigures.lost + pgFigures.duplicated + sqliteFigures.lost + sqliteFigures.duplicated;
  if (broken > 0) {
    log(`${broken} acknowledged adds lost or duplicated`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  for (const server of running) server.child.kill('SIGKILL');
  removeTempHomes();
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
