import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempHome } from '../../../test/support/temp-home.js';
import type { MemoryRecord } from '../../core/memory-record.js';
import { Mnemos } from '../../mnemos.js';

const user = { appId: 'app', tenantId: 'u1', agentId: 'assistant' };

let home: ReturnType<typeof tempHome>;
let mnemos: Mnemos;

beforeEach(async () => {
  home = tempHome();
  // The default offline configuration: builtin embedder, passthrough extraction, no reconciler.
  mnemos = await Mnemos.open({ home: home.home });
});

afterEach(async () => {
  await mnemos.close();
  home.remove();
});

async function remember(
  text: string,
  scope: Record<string, string> = { ...user, runId: 'r1' },
  metadata: Record<string, string> = {},
): Promise<{ job: string; memory: string }> {
  const job = await mnemos.memories.add({ scope, text, metadata, sync: true });
  expect(job.status).toBe('succeeded');
  return { job: job.id, memory: job.memoryIds[0]! };
}

async function all(scope: { appId: string; tenantId: string } = user): Promise<MemoryRecord[]> {
  return (await mnemos.memories.list({ scope: { ...scope, agentId: '*', runId: '*' } })).memories;
}

describe('merging without a reconciler', () => {
  it('never merges facts that differ in a name, a number or a date', async () => {
    const pairs = [
      ['Theo Mori is allergic to pollen', 'Ravi Mori is allergic to pollen'],
      ['Ravi paid 40 dollars on 2024-05-01', 'Ravi paid 41 dollars on 2024-05-01'],
      ['Ravi paid 40 dollars on 2024-05-01', 'Ravi paid 40 dollars on 2024-05-02'],
      ['The temperature was -5 degrees', 'The temperature was 5 degrees'],
      ['我欠他钱', '他欠我钱'],
    ];
    for (const [a, b] of pairs) {
      const first = await remember(a!);
      const second = await remember(b!);
      expect(second.memory, `${a} / ${b}`).not.toBe(first.memory);
    }
    // The one text repeated across pairs is the only memory stored once.
    expect(await all()).toHaveLength(pairs.length * 2 - 1);
  });

  it('merges the same statement in other case and punctuation, keeping both sources', async () => {
    const first = await remember('The user likes tea.', { ...user, runId: 'r1' }, { turn: '1' });
    const second = await remember('the user likes tea', { ...user, runId: 'r1' }, { turn: '2' });
    expect(second.memory).toBe(first.memory);
    const [memory] = await all();
    expect(memory?.text).toBe('The user likes tea.');
    expect(memory?.sources.map((source) => source.jobId)).toEqual([first.job, second.job]);
    expect(memory?.sources.map((source) => source.metadata?.turn)).toEqual(['1', '2']);
    expect(memory?.sources[1]?.text).toBe('the user likes tea');
    expect(memory?.source).toEqual(memory?.sources[0]);
  });

  it('keeps both sources of an exact duplicate, and search hits carry them', async () => {
    const first = await remember('The user likes tea', { ...user, runId: 'r1' }, { turn: '1' });
    const second = await remember('the user  likes TEA', { ...user, runId: 'r1' }, { turn: '2' });
    expect(second.memory).toBe(first.memory);
    const { results } = await mnemos.memories.search({ scope: user, query: 'tea' });
    expect(results).toHaveLength(1);
    expect(results[0]?.memory.sources.map((source) => source.metadata?.turn)).toEqual(['1', '2']);
  });

  it('tells Chinese facts apart by their words, not their characters in common', async () => {
    const longjing = await remember('用户喜欢喝龙井茶');
    const biluochun = await remember('用户喜欢喝碧螺春');
    expect(biluochun.memory).not.toBe(longjing.memory);
    const again = await remember('用户喜欢喝龙井茶。');
    expect(again.memory).toBe(longjing.memory);
    expect(await all()).toHaveLength(2);
  });

  it('merges within one batch too, keeping every source', async () => {
    const jobs = await mnemos.memories.addMany(
      [
        { scope: { ...user, runId: 'r1' }, text: 'Ravi Mori is allergic to pollen.' },
        { scope: { ...user, runId: 'r1' }, text: 'Theo Mori is allergic to pollen.' },
        { scope: { ...user, runId: 'r2' }, text: 'ravi mori is allergic to pollen' },
        { scope: { ...user, runId: 'r3' }, text: 'Ravi Mori is allergic to pollen.' },
      ],
      { sync: true },
    );
    const memories = await all();
    expect(memories).toHaveLength(2);
    const ravi = memories.find((memory) => memory.text.startsWith('Ravi'))!;
    expect(ravi.sources.map((source) => source.jobId)).toEqual(
      [jobs[0], jobs[2], jobs[3]].map((job) => job!.id),
    );
  });
});

describe('one fact per user, not per session', () => {
  it('keeps a fact said in three runs as one memory with three sources', async () => {
    const ids = [];
    for (const [runId, text] of [
      ['s1', 'The user works at Acme'],
      ['s2', 'The user works at Acme'],
      ['s3', 'the user works at acme!'],
    ] as const) {
      ids.push((await remember(text, { ...user, runId })).memory);
    }
    expect(new Set(ids).size).toBe(1);
    const memories = await all();
    expect(memories).toHaveLength(1);
    expect(memories[0]?.sources.map((source) => source.runId)).toEqual(['s1', 's2', 's3']);
    const { results } = await mnemos.memories.search({ scope: user, query: 'Acme' });
    expect(results).toHaveLength(1);
  });

  it('keeps agents apart and never lets tenants touch each other', async () => {
    const first = await remember('The user works at Acme', { ...user, runId: 's1' });
    const otherAgent = await remember('The user works at Acme', {
      ...user,
      agentId: 'planner',
      runId: 's1',
    });
    const otherTenant = await remember('The user works at Acme', {
      ...user,
      tenantId: 'u2',
      runId: 's1',
    });
    expect(new Set([first.memory, otherAgent.memory, otherTenant.memory]).size).toBe(3);
    const [mine] = (await all()).filter((memory) => memory.id === first.memory);
    expect(mine?.sources).toHaveLength(1);
    const theirs = await all({ appId: 'app', tenantId: 'u2' });
    expect(theirs.map((memory) => memory.sources.length)).toEqual([1]);
  });
});
