import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempHome } from '../../test/support/temp-home.js';
import { Mnemos } from '../mnemos.js';
import type { ConversationMessage, ExtractedMemory, Extractor } from '../models/extractor.js';

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
});
