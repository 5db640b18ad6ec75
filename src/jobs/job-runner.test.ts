import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempHome } from '../../test/support/temp-home.js';
import type { ConversationMessage } from '../core/conversation-message.js';
import { Mnemos } from '../mnemos.js';
import type { ExtractedMemory, Extractor } from '../spec/extractor.js';

const scope = { appId: 'app', tenantId: 'alice' };
const leaseMs = 1_000;

/** An extractor as slow as a slow model: each call takes `delayMs`, and is counted. */
class SlowExtractor implements Extractor {
  readonly id = 'slow-test-extractor';
  calls = 0;
  constructor(private readonly delayMs: number) {}
  async doExtract(messages: readonly ConversationMessage[]): Promise<ExtractedMemory[]> {
    this.calls += 1;
    await sleep(this.delayMs);
    return messages.map((message, index) => ({
      text: message.content,
      kind: 'fact',
      salience: 0.5,
      sourceMessages: [index],
    }));
  }
}

let dir: ReturnType<typeof tempHome>;
beforeEach(() => {
  dir = tempHome();
});
afterEach(() => dir.remove());

describe('JobRunner leases', () => {
  it('keeps renewing a batch slower than its lease, so a second worker never takes it over', async () => {
    const config = { ingest: { lease_ms: leaseMs, retry_base_ms: 50 } };
    const slow = new SlowExtractor(2.5 * leaseMs);
    const owner = await Mnemos.open({ home: dir.home, config, extractor: slow });
    const job = await owner.memories.add({
      scope,
      messages: [{ role: 'user', content: 'I moved to Lisbon in May' }],
    });
    while (slow.calls === 0) await sleep(5);
    // The owner is working on it now; a second worker polling the same database starts.
    const rival = new SlowExtractor(0);
    const other = await Mnemos.open({
      home: dir.home,
      config,
      extractor: rival,
      pollJobsMs: 50,
    });
    try {
      await owner.drain();
      // The other worker polled all along; had the lease lapsed it would have claimed the job.
      await sleep(leaseMs);
      const done = await owner.memories.job({ scope, id: job.id });
      expect(done.status).toBe('succeeded');
      expect(rival.calls).toBe(0);
      expect(slow.calls).toBe(1);
      const [record] = await owner.memories.jobs({ scope });
      expect(record).toMatchObject({ id: job.id, attempts: 1 });
      expect((await owner.memories.list({ scope })).total).toBe(1);
    } finally {
      await other.close();
      await owner.close();
    }
  });

  it('commits the rest of a batch when another worker has taken one of its jobs over', async () => {
    const config = { ingest: { lease_ms: 60_000, batch_size: 2, max_attempts: 1 } };
    const slow = new SlowExtractor(300);
    const setup = await Mnemos.open({ home: dir.home, config, processJobs: false });
    const store = setup.config.memory_store_name;
    const [taken, kept] = await setup.storage.jobs.enqueue(
      store,
      ['taken over', 'still mine'].map((text) => ({
        id: randomUUID(),
        scope: { ...scope, agentId: 'a', runId: 'r' },
        input: { messages: [{ role: 'user' as const, content: text }], metadata: {} },
      })),
      Date.now(),
    );
    await setup.close();
    // Opening starts the runner, which claims both jobs as one batch.
    const owner = await Mnemos.open({ home: dir.home, config, extractor: slow });
    try {
      while (slow.calls === 0) await sleep(5);
      // Another worker takes the first job over while the batch is being extracted.
      const db = new Database(join(dir.home, 'mnemos.db'));
      db.prepare("UPDATE jobs SET owner = 'elsewhere', attempts = attempts + 1 WHERE id = ?").run(
        taken!.id,
      );
      db.close();
      await owner.drain();
      const jobs = await owner.memories.jobs({ scope });
      const byId = new Map(jobs.map((job) => [job.id, job]));
      expect(byId.get(kept!.id)).toMatchObject({ state: 'succeeded', attempts: 1, error: null });
      expect(byId.get(taken!.id)).toMatchObject({ state: 'running', attempts: 2, error: null });
      const texts = (await owner.memories.list({ scope })).memories.map((memory) => memory.text);
      expect(texts).toEqual(['still mine']);
    } finally {
      await owner.close();
    }
  });
});
