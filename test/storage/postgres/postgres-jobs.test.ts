import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresStorage } from '../../../src/storage/postgres/postgres-storage.js';
import {
  dropSchema,
  skipReason,
  testDatabaseUrl,
  uniqueSchema,
  withClient,
} from '../../support/postgres.js';

const url = testDatabaseUrl ?? '';
const schema = uniqueSchema('mnemos_pg_jobs');
const alive = (): boolean => true;

describe.skipIf(!testDatabaseUrl)(
  `PostgresStorage: the job queue across processes (${skipReason})`,
  () => {
    let first: PostgresStorage;
    let second: PostgresStorage;
    let store = '';

    beforeAll(async () => {
      first = await PostgresStorage.open(url, { schema, poolSize: 4 });
      second = await PostgresStorage.open(url, { schema, poolSize: 4 });
    });

    afterAll(async () => {
      await first?.close();
      await second?.close();
      await dropSchema(url, schema);
    });

    /** A store of its own per test, so pending counts and claims see only that test's jobs. */
    async function enqueue(count: number, now: number, tenants = 1): Promise<string[]> {
      store = `jobs_${randomUUID().slice(0, 8)}`;
      const jobs = Array.from({ length: count }, (_, index) => ({
        id: randomUUID(),
        scope: { appId: 'app', tenantId: `t${index % tenants}`, agentId: 'a', runId: 'r' },
        input: { text: `job ${index}`, metadata: {} },
      }));
      await first.jobs.enqueue(store, jobs, now);
      return jobs.map((job) => job.id);
    }

    /** Finishes every job the other tests left runnable, so claims below see only their own. */
    async function drainOthers(): Promise<void> {
      await withClient(url, (client) =>
        client.query(
          `UPDATE "${schema}".jobs SET state = 'succeeded' WHERE state IN ('queued', 'running')`,
        ),
      );
    }

    it('never hands one job to two pools claiming concurrently', async () => {
      await drainOthers();
      const now = Date.now();
      const ids = await enqueue(600, now, 7);
      const claimed: string[] = [];
      const worker = async (storage: PostgresStorage, name: string): Promise<void> => {
        for (;;) {
          const jobs = await storage.jobs.claim({
            worker: name,
            limit: 7,
            leaseMs: 60_000,
            now,
            isOwnerAlive: alive,
          });
          if (jobs.length === 0) return;
          claimed.push(...jobs.map((job) => job.id));
        }
      };
      await Promise.all([
        worker(first, 'host-a:1:x'),
        worker(second, 'host-b:1:y'),
        worker(first, 'host-a:2:z'),
        worker(second, 'host-b:2:w'),
      ]);
      expect(claimed).toHaveLength(ids.length);
      expect(new Set(claimed).size).toBe(ids.length);
      expect(await first.jobs.pendingCount(store)).toBe(ids.length);
      const job = await first.jobs.get(store, { appId: 'app', tenantId: 't0' }, ids[0]!);
      expect(job).toMatchObject({ state: 'running', attempts: 1 });
    });

    it('claims oldest first and lets another worker take a job only after its lease expires', async () => {
      await drainOthers();
      const now = Date.now();
      const ids = await enqueue(3, now);
      const [held] = await first.jobs.claim({
        worker: 'host-a:1:x',
        limit: 1,
        leaseMs: 1_000,
        now,
        isOwnerAlive: alive,
      });
      expect(held!.id).toBe(ids[0]);
      const during = await second.jobs.claim({
        worker: 'host-b:1:y',
        limit: 10,
        leaseMs: 1_000,
        now: now + 500,
        isOwnerAlive: alive,
      });
      expect(during.map((job) => job.id)).toEqual([ids[1], ids[2]]);
      expect(
        await second.jobs.claim({
          worker: 'host-b:1:y',
          limit: 10,
          leaseMs: 1_000,
          now: now + 1_000,
          isOwnerAlive: alive,
        }),
      ).toEqual([]);
      const after = await second.jobs.claim({
        worker: 'host-b:1:y',
        limit: 10,
        leaseMs: 1_000,
        now: now + 1_001,
        isOwnerAlive: alive,
      });
      expect(after.map((job) => job.id)).toEqual([ids[0]]);
      expect(after[0]!.attempts).toBe(2);
    });

    it('takes over the job of a dead owner before its lease runs out', async () => {
      await drainOthers();
      const now = Date.now();
      const [id] = await enqueue(1, now);
      await first.jobs.claim({
        worker: 'this-host:999999:dead',
        limit: 1,
        leaseMs: 60_000,
        now,
        isOwnerAlive: alive,
      });
      expect(
        await second.jobs.claim({
          worker: 'this-host:2:live',
          limit: 1,
          leaseMs: 60_000,
          now: now + 10,
          isOwnerAlive: alive,
        }),
      ).toEqual([]);
      const dead = (owner: string): boolean => !owner.includes(':999999:');
      const taken = await second.jobs.claim({
        worker: 'this-host:2:live',
        limit: 1,
        leaseMs: 60_000,
        now: now + 10,
        isOwnerAlive: dead,
      });
      expect(taken.map((job) => job.id)).toEqual([id]);
    });

    it('waits out a retry backoff, and fails for good without one', async () => {
      await drainOthers();
      const now = Date.now();
      const [id] = await enqueue(1, now);
      await first.jobs.claim({
        worker: 'host-a:1:x',
        limit: 1,
        leaseMs: 60_000,
        now,
        isOwnerAlive: alive,
      });
      await first.jobs.fail(
        id!,
        { attempt: 1, owner: 'host-a:1:x' },
        { error: 'boom', retryAt: now + 5_000, now },
      );
      expect(
        await second.jobs.claim({
          worker: 'host-b:1:y',
          limit: 1,
          leaseMs: 60_000,
          now: now + 4_999,
          isOwnerAlive: alive,
        }),
      ).toEqual([]);
      const retried = await second.jobs.claim({
        worker: 'host-b:1:y',
        limit: 1,
        leaseMs: 60_000,
        now: now + 5_000,
        isOwnerAlive: alive,
      });
      expect(retried).toEqual([expect.objectContaining({ id, attempts: 2, error: 'boom' })]);
      const claim = { attempt: 2, owner: 'host-b:1:y' };
      await second.jobs.fail(id!, claim, { error: 'boom again', retryAt: null, now: now + 5_001 });
      const tenant = { appId: 'app', tenantId: 't0' };
      expect(await first.jobs.get(store, tenant, id!)).toMatchObject({
        state: 'failed',
        error: 'boom again',
      });
      expect(await first.jobs.retry(store, tenant, 'all-failed', now + 6_000)).toBe(1);
      expect(await first.jobs.get(store, tenant, id!)).toMatchObject({
        state: 'queued',
        attempts: 0,
      });
    });

    it('enqueues already claimed by the worker that will run it', async () => {
      await drainOthers();
      const now = Date.now();
      store = `jobs_${randomUUID().slice(0, 8)}`;
      const [job] = await first.jobs.enqueue(
        store,
        [
          {
            id: randomUUID(),
            scope: { appId: 'app', tenantId: 't0', agentId: 'a', runId: 'r' },
            input: { text: 'x', metadata: {} },
          },
        ],
        now,
        { claim: { worker: 'host-a:1:x', leaseMs: 60_000 } },
      );
      expect(job).toMatchObject({ state: 'running', attempts: 1 });
      expect(
        await second.jobs.claim({
          worker: 'host-b:1:y',
          limit: 10,
          leaseMs: 60_000,
          now: now + 1,
          isOwnerAlive: alive,
        }),
      ).toEqual([]);
    });
  },
);
