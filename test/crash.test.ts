import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { Mnemos } from '../src/mnemos.js';
import { tempHome } from './support/temp-home.js';

const child = new URL('./support/ingest-child.mjs', import.meta.url).pathname;
const scope = { appId: 'crash', tenantId: 't1' };

/** Starts the ingesting child and resolves with the acknowledged job ids once `killAfter` are seen, after SIGKILL. */
async function ingestAndKill(
  home: string,
  killAfter: number,
): Promise<{ acked: string[]; finishedBeforeKill: boolean }> {
  const process_ = spawn(process.execPath, [child, home, '60', '25'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const acked: string[] = [];
  let buffer = '';
  let finishedBeforeKill = false;
  process_.stdout.setEncoding('utf8');
  process_.stdout.on('data', (chunk: string) => {
    buffer += chunk;
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) {
      if (line.startsWith('ACK ')) acked.push(line.slice(4));
      if (line === 'DONE') finishedBeforeKill = true;
    }
    if (acked.length >= killAfter && process_.exitCode === null && process_.signalCode === null)
      process_.kill('SIGKILL');
  });
  await once(process_, 'exit');
  return { acked, finishedBeforeKill };
}

let home: ReturnType<typeof tempHome> | undefined;
afterEach(() => home?.remove());

describe('crash during asynchronous ingestion', () => {
  it('finishes every acknowledged job after kill -9, losing and duplicating nothing', async () => {
    home = tempHome('mnemos-crash-');
    const { acked, finishedBeforeKill } = await ingestAndKill(home.home, 200);
    expect(finishedBeforeKill).toBe(false);
    expect(acked.length).toBeGreaterThanOrEqual(200);

    const inspector = await Mnemos.open({ home: home.home, processJobs: false });
    const unfinished = await inspector.memories.pendingJobCount();
    await inspector.close();
    // The kill must have interrupted ingestion for this test to mean anything.
    expect(unfinished).toBeGreaterThan(0);

    const mnemos = await Mnemos.open({ home: home.home });
    try {
      await mnemos.drain();
      expect(await mnemos.memories.pendingJobCount()).toBe(0);
      const jobs = await Promise.all(acked.map((id) => mnemos.memories.job({ scope, id })));
      expect(jobs.filter((job) => job.status !== 'succeeded')).toEqual([]);
      const short = jobs
        .filter((job) => job.memoryIds.length !== 20)
        .map((job) => [job.id, job.memoryIds.length]);
      expect(short).toEqual([]);
      const memoryIds = jobs.flatMap((job) => job.memoryIds);
      expect(memoryIds).toHaveLength(acked.length * 20);

      const texts: string[] = [];
      for (let offset = 0; ; offset += 1000) {
        const page = await mnemos.memories.list({ scope, limit: 1000, offset });
        texts.push(...page.memories.map((memory) => memory.text));
        if (page.memories.length < 1000) break;
      }
      // Every stored text appears once: no job was applied twice.
      expect(new Set(texts).size).toBe(texts.length);
      // Every acknowledged job's memories are stored.
      const stored = new Set(
        await Promise.all(
          memoryIds.map(async (id) => (await mnemos.memories.get({ scope, id })).id),
        ),
      );
      expect(stored.size).toBe(memoryIds.length);
      const last = `token${acked.length - 1}x19`;
      const hits = await mnemos.memories.search({ scope, query: last });
      expect(hits.results[0]?.memory.text).toContain(last);
    } finally {
      await mnemos.close();
    }
  }, 120_000);
});
