import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHome, removeHomes, runCli } from '../../support/cli.js';
import { type ModelServer, startModelServer } from '../../support/model-server.js';
import {
  dropSchema,
  skipReason,
  testDatabaseUrl,
  uniqueSchema,
  withClient,
} from '../../support/postgres.js';
import { type ServeChild, startServe } from '../../support/serve.js';

/**
 * Replica failover on PostgreSQL: two `mnemos serve` replicas (the built CLI, `npm run build`
 * first) share one schema with `ingest.lease_ms: 2000`. Adds go through replica A only; A's
 * ingestion is held mid-batch by a slow embedding answer, and A is killed with SIGKILL while it has
 * jobs claimed. Replica B takes those jobs over once their lease has expired and finishes them:
 * every acknowledged add ends as exactly one memory, no job failed, no text stored twice.
 */

const url = testDatabaseUrl ?? '';
const leaseMs = 2_000;
const batchSize = 10;
const adds = 40;

let model: ModelServer;
const schema = uniqueSchema('mnemos_failover');
const children = new Set<ChildProcess>();

/** Starts a replica (`mnemos serve --port 0 --quiet`) on the database and keeps it for the cleanup. */
async function serve(home: string, databaseUrl: string): Promise<ServeChild> {
  const server = await startServe(home, {
    env: { MNEMOS_DATABASE_URL: databaseUrl },
    flags: ['--quiet'],
    timeoutMs: 20_000,
  });
  children.add(server.child);
  return server;
}

async function until<T>(
  probe: () => Promise<T | null | undefined | false>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface JobRow {
  id: string;
  state: string;
  owner: string | null;
  lease_until: string | null;
  attempts: number;
  memory_ids: string;
  updated_at: string;
}

function jobs(): Promise<JobRow[]> {
  return withClient(url, async (client) => {
    await client.query(`SET search_path = ${schema}, public`);
    return (
      await client.query<JobRow>(
        'SELECT id, state, owner, lease_until, attempts, memory_ids, updated_at FROM jobs',
      )
    ).rows;
  });
}

beforeAll(async () => {
  if (testDatabaseUrl) model = await startModelServer({ dimensions: 64 });
});

afterAll(async () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await model?.close();
  removeHomes();
  if (testDatabaseUrl) await dropSchema(url, schema);
});

describe.skipIf(!testDatabaseUrl)(`Postgres replica failover (${skipReason})`, () => {
  it('a replica killed mid-batch: the other takes its claimed jobs after the lease; nothing lost or duplicated', async () => {
    const parsed = new URL(url);
    parsed.searchParams.set('schema', schema);
    const databaseUrl = parsed.toString();
    const config = [
      'extractor: passthrough',
      'ingest:',
      '  near_duplicate_threshold: 1.01',
      `  batch_size: ${batchSize}`,
      `  lease_ms: ${leaseMs}`,
      '  retry_base_ms: 100',
      'embedder:',
      '  provider: openai-compatible',
      `  base_url: ${model.url}`,
      '  model: scripted-embedding',
      '  dimensions: 64',
      '',
    ].join('\n');
    const homes = [makeHome(), makeHome()];
    for (const home of homes) writeFileSync(join(home, 'config.yaml'), config);
    const a = await serve(homes[0]!, databaseUrl);
    const created = await runCli(
      ['keys', 'create', '--app', 'shop', '--tenant', 'u1', '--name', 'failover', '--json'],
      { home: homes[0]!, env: { MNEMOS_DATABASE_URL: databaseUrl } },
    );
    expect(created.code, created.stderr).toBe(0);
    const { key } = created.json<{ key: string }>();
    const add = async (server: string, text: string): Promise<string> => {
      const response = await fetch(`${server}/v1/memories`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ text }),
      });
      expect(response.status).toBe(202);
      return ((await response.json()) as { id: string }).id;
    };

    // A's first batch (the warm-up add) is held 1.5 s, while the other adds queue up behind it;
    // its second batch of `batchSize` jobs is held far longer than the test: A is mid-batch.
    model.delayNext(1, 1_500, { path: '/v1/embeddings' });
    model.delayNext(1, 120_000, { path: '/v1/embeddings' });
    const acknowledged = new Map<string, string>();
    acknowledged.set(
      await add(a.url, 'Warm-up note through replica A'),
      'Warm-up note through replica A',
    );
    for (let index = 0; index < adds; index++) {
      const text = `Failover note ${index}: the customer prefers delivery slot ${index % 7}`;
      acknowledged.set(await add(a.url, text), text);
    }

    // A has claimed a batch and is waiting on its embeddings.
    const ownerA = `:${a.child.pid}:`;
    const claimedByA = await until(
      async () => {
        if (model.requestsTo('/v1/embeddings').length < 2) return null;
        const held = (await jobs()).filter(
          (job) => job.state === 'running' && job.owner?.includes(ownerA),
        );
        return held.length > 0 ? held : null;
      },
      15_000,
      'replica A holding a claimed batch',
    );
    expect(claimedByA.length).toBeGreaterThan(0);
    expect(claimedByA.length).toBeLessThanOrEqual(batchSize);
    const exited = once(a.child, 'exit');
    a.child.kill('SIGKILL');
    await exited;

    // On one host B would see A's process gone and take the jobs at once. Move A's claims to an
    // owner on another host, where no process can be probed: only the lease frees them.
    const remoteOwner = claimedByA[0]!.owner!.replace(/^[^:]*/, 'replica-a.elsewhere');
    await withClient(url, async (client) => {
      await client.query(`SET search_path = ${schema}, public`);
      await client.query('UPDATE jobs SET owner = $1 WHERE owner = $2', [
        remoteOwner,
        claimedByA[0]!.owner,
      ]);
    });

    // Replica B starts only now, so it cannot take part in A's batch; it polls for work, and also
    // takes one add of its own.
    const b = await serve(homes[1]!, databaseUrl);
    const lastText = 'Last note, through replica B';
    acknowledged.set(await add(b.url, lastText), lastText);

    const finished = await until(
      async () => {
        const rows = await jobs();
        return rows.every((job) => job.state === 'succeeded' || job.state === 'failed')
          ? rows
          : null;
      },
      30_000,
      'every job finished by replica B',
    );
    const byId = new Map(finished.map((job) => [job.id, job]));
    expect([...byId.keys()].sort()).toEqual([...acknowledged.keys()].sort());
    expect(finished.filter((job) => job.state === 'failed')).toEqual([]);
    for (const held of claimedByA) {
      const job = byId.get(held.id)!;
      // Claimed twice (A, then B), finished no earlier than A's lease ran out.
      expect(job.attempts).toBe(2);
      expect(Number(job.updated_at)).toBeGreaterThanOrEqual(Number(held.lease_until));
    }

    // Every acknowledged add is exactly one live memory, written by its own job.
    const memories = await withClient(url, async (client) => {
      await client.query(`SET search_path = ${schema}, public`);
      return (
        await client.query<{ id: string; text: string; source: string }>(
          'SELECT id, text, source FROM memories WHERE deleted_at IS NULL',
        )
      ).rows;
    });
    expect(memories).toHaveLength(acknowledged.size);
    const texts = memories.map((memory) => memory.text);
    expect(new Set(texts).size).toBe(texts.length);
    for (const [jobId, text] of acknowledged) {
      const job = byId.get(jobId)!;
      const ids = JSON.parse(job.memory_ids) as string[];
      expect(ids).toHaveLength(1);
      const memory = memories.find((row) => row.id === ids[0]);
      expect(memory?.text).toBe(text);
      expect((JSON.parse(memory!.source) as { jobId?: string }).jobId).toBe(jobId);
    }

    // B answers for all of them, and stops cleanly.
    const listed = await fetch(`${b.url}/v1/memories?limit=1000`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(((await listed.json()) as { total: number }).total).toBe(acknowledged.size);
    const bExited = once(b.child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    b.child.kill('SIGTERM');
    expect((await bExited)[0], b.stderr()).toBe(0);
    console.log(
      `failover: A held ${claimedByA.length} jobs when killed; B finished all ${acknowledged.size} acknowledged jobs, ${memories.length} memories, none failed or duplicated`,
    );
  }, 90_000);
});
