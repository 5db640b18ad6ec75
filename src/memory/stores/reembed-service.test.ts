import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempHome } from '../../../test/support/temp-home.js';
import { MnemosError } from '../../core/errors.js';
import { readScope } from '../../core/scope.js';
import { Mnemos } from '../../mnemos.js';
import { BuiltinEmbedder } from '../../models/embed/builtin-embedder.js';
import type { Embedder } from '../../spec/embedder.js';

const alice = { appId: 'app', tenantId: 'alice' };
const bob = { appId: 'app', tenantId: 'bob' };

/** Builtin vectors reversed: same dimension, other vectors, other identity; counts what it embeds. */
class ReversedEmbedder implements Embedder {
  readonly id: string;
  readonly nearDuplicateThreshold = 0.99;
  readonly fusionWeight = 0;
  readonly inner: BuiltinEmbedder;
  embedded = 0;
  calls = 0;
  /** Throws on this call number (1-based) and later ones. */
  failFrom = Number.POSITIVE_INFINITY;
  /** Runs before the given call number, once. */
  before: { call: number; run: () => Promise<void> } | undefined;

  constructor(readonly dimensions: number) {
    this.inner = new BuiltinEmbedder({ dimensions });
    this.id = `test:reversed:${dimensions}`;
  }

  vector(text: string): Float32Array {
    return this.inner.embedOne(text).reverse();
  }

  async doEmbed(texts: readonly string[]): Promise<Float32Array[]> {
    this.calls += 1;
    if (this.before?.call === this.calls) await this.before.run();
    if (this.calls >= this.failFrom) {
      throw new MnemosError('upstream_error', 'embedding service down: connection refused', {
        category: 'upstream',
      });
    }
    this.embedded += texts.length;
    return texts.map((text) => this.vector(text));
  }
}

let home: ReturnType<typeof tempHome>;
let mnemos: Mnemos;

beforeEach(async () => {
  home = tempHome('mnemos-reembed-');
  mnemos = await Mnemos.open({ home: home.home });
});

afterEach(async () => {
  await mnemos.close();
  home.remove();
});

async function seed(count: number, scope = alice): Promise<string[]> {
  const jobs = await mnemos.memories.addMany(
    Array.from({ length: count }, (_, index) => ({
      scope,
      text: `note ${index} about topic${index} and the word zebra${index % 7}`,
    })),
    { sync: true },
  );
  return jobs.flatMap((job) => job.memoryIds);
}

function rows(): Array<{ text: string; embedding: Buffer; seq: number }> {
  const db = new Database(join(home.home, 'mnemos.db'), { readonly: true });
  try {
    return db.prepare('SELECT text, embedding, seq FROM memories ORDER BY key').all() as Array<{
      text: string;
      embedding: Buffer;
      seq: number;
    }>;
  } finally {
    db.close();
  }
}

function stagingCount(): number {
  const db = new Database(join(home.home, 'mnemos.db'), { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM reembed_vectors').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

function asVector(blob: Buffer): Float32Array {
  return new Float32Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength));
}

/** Every memory and history row of both tenants, read below the embedder check. */
async function snapshot(m: Mnemos): Promise<unknown> {
  const out: unknown[] = [];
  for (const tenant of [alice, bob]) {
    const page = { limit: 1000, offset: 0 };
    const memories = await m.storage.memories.list('mnemos', readScope(tenant), page, {
      includeDeleted: true,
    });
    out.push(memories);
    for (const memory of memories)
      out.push(await m.storage.memories.history('mnemos', tenant, memory.id));
  }
  return out;
}

describe('stores.reembed', () => {
  it('re-embeds every row of every tenant, deleted and invalidated ones too, and leaves the rest alone', async () => {
    const ids = await seed(12);
    await seed(5, bob);
    await mnemos.memories.delete({ scope: alice, id: ids[0]! });
    await mnemos.memories.update({ scope: alice, id: ids[1]! }, { text: 'an edited note' });
    await mnemos.storage.memories.apply(
      'mnemos',
      alice,
      [{ type: 'update', id: ids[2]!, reason: 'contradicted', patch: { validTo: Date.now() } }],
      Date.now(),
    );
    // Warm and persist an index at the same dimension: it must catch up, not serve old vectors.
    await mnemos.memories.search({ scope: alice, query: 'zebra3' });
    await mnemos.close();
    const seqBefore = Math.max(...rows().map((row) => row.seq));

    const target = new ReversedEmbedder(256);
    mnemos = await Mnemos.open({ home: home.home, embedder: target });
    const before = await snapshot(mnemos);
    await expect(mnemos.memories.search({ scope: alice, query: 'x' })).rejects.toMatchObject({
      code: 'embedder_mismatch',
      message: expect.stringContaining('mnemos mem reembed'),
    });
    const progress: number[] = [];
    const result = await mnemos.stores.reembed(undefined, {
      batchSize: 4,
      onProgress: ({ done }) => progress.push(done),
    });
    expect(result).toMatchObject({
      store: 'mnemos',
      from: 'builtin:hash-ngram-v2:256',
      to: 'test:reversed:256',
      dimensions: 256,
      reembedded: 17,
      resumedFrom: null,
      total: 17,
      changed: true,
    });
    expect(progress.at(-1)).toBe(17);
    expect(target.embedded).toBe(17);
    expect(stagingCount()).toBe(0);
    for (const row of rows()) {
      expect(Array.from(asVector(row.embedding))).toEqual(Array.from(target.vector(row.text)));
      expect(row.seq).toBeGreaterThan(seqBefore);
    }
    expect(await mnemos.stores.get('mnemos')).toMatchObject({
      embedderId: 'test:reversed:256',
      dimensions: 256,
    });
    expect(await snapshot(mnemos)).toEqual(before);
    // The same-dimension snapshot on disk caught up: an exact text is a perfect vector match.
    const exact = 'note 5 about topic5 and the word zebra5';
    const hit = await mnemos.memories.search({ scope: alice, query: exact });
    expect(hit.results[0]?.memory.id).toBe(ids[5]);
    expect(hit.results[0]?.signals.vector?.similarity).toBeCloseTo(1, 5);
    // New writes go on with the new embedder.
    const job = await mnemos.memories.add({ scope: alice, text: 'after the move', sync: true });
    expect(job.status).toBe('succeeded');
  });

  it('rebuilds the index at a new dimension instead of loading the old snapshot', async () => {
    const ids = await seed(30);
    await mnemos.memories.search({ scope: alice, query: 'zebra1' });
    await mnemos.close();
    mnemos = await Mnemos.open({
      home: home.home,
      embedder: new BuiltinEmbedder({ dimensions: 64 }),
    });
    const result = await mnemos.stores.reembed('mnemos');
    expect(result).toMatchObject({ to: 'builtin:hash-ngram-v2:64', dimensions: 64, total: 30 });
    const { results } = await mnemos.memories.search({
      scope: alice,
      query: 'note 7 about topic7',
    });
    expect(results[0]?.memory.id).toBe(ids[7]);
    expect(results[0]?.matched).toContain('vector');
    await mnemos.close();
    mnemos = await Mnemos.open({
      home: home.home,
      embedder: new BuiltinEmbedder({ dimensions: 64 }),
    });
    const again = await mnemos.memories.search({ scope: alice, query: 'note 9 about topic9' });
    expect(again.results[0]?.memory.id).toBe(ids[9]);
  });

  it('keeps staged batches when the embedder fails, resumes them, and a new target starts over', async () => {
    await seed(20);
    const failing = new ReversedEmbedder(128);
    failing.failFrom = 4;
    const error = await mnemos.stores
      .reembed('mnemos', { embedder: failing, batchSize: 5 })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      code: 'upstream_error',
      message: expect.stringContaining('embedding service down'),
    });
    expect(stagingCount()).toBe(15);
    expect((await mnemos.stores.get('mnemos')).embedderId).toBe('builtin:hash-ngram-v2:256');

    const resumed = new ReversedEmbedder(128);
    let start: unknown;
    const result = await mnemos.stores.reembed('mnemos', {
      embedder: resumed,
      batchSize: 5,
      onStart: (info) => {
        start = info;
      },
    });
    expect(start).toMatchObject({ resumed: true, staged: 15, total: 20 });
    expect(result).toMatchObject({ reembedded: 5, resumedFrom: 15, total: 20 });
    expect(resumed.embedded).toBe(5);

    // Interrupted towards one target, then asked for another: the staging is discarded.
    const first = new ReversedEmbedder(64);
    first.failFrom = 2;
    await expect(
      mnemos.stores.reembed('mnemos', { embedder: first, batchSize: 5 }),
    ).rejects.toThrow();
    expect(stagingCount()).toBe(5);
    const other = new BuiltinEmbedder({ dimensions: 32 });
    const fresh = await mnemos.stores.reembed('mnemos', { embedder: other, batchSize: 5 });
    expect(fresh).toMatchObject({ resumedFrom: null, reembedded: 20, dimensions: 32 });
  });

  it('embeds rows added or edited during the run in a final pass before the swap', async () => {
    const ids = await seed(10);
    const target = new ReversedEmbedder(256);
    const writer = await Mnemos.open({ home: home.home, processJobs: false });
    try {
      target.before = {
        call: 2,
        run: async () => {
          // Behind the cursor: an edit of an already staged row, and a brand new row.
          await writer.memories.update(
            { scope: alice, id: ids[0]! },
            { text: 'Note ZERO, edited' },
          );
          await writer.memories.add({ scope: bob, text: 'written mid-run', sync: true });
        },
      };
      const result = await mnemos.stores.reembed('mnemos', { embedder: target, batchSize: 4 });
      expect(result).toMatchObject({ total: 11, reembedded: 12 });
    } finally {
      await writer.close();
    }
    for (const row of rows())
      expect(Array.from(asVector(row.embedding))).toEqual(Array.from(target.vector(row.text)));
  });

  it('does nothing when the store already uses the embedder, unless forced', async () => {
    await seed(3);
    const same = new BuiltinEmbedder();
    expect(await mnemos.stores.reembed('mnemos', { embedder: same })).toMatchObject({
      changed: false,
      reembedded: 0,
    });
    expect(await mnemos.stores.reembed('mnemos', { embedder: same, force: true })).toMatchObject({
      changed: true,
      reembedded: 3,
    });
  });

  it('names a missing store and a bad batch size', async () => {
    await expect(mnemos.stores.reembed('nope')).rejects.toMatchObject({ code: 'store_not_found' });
    await seed(1);
    await expect(
      mnemos.stores.reembed('mnemos', { embedder: new ReversedEmbedder(64), batchSize: 0 }),
    ).rejects.toMatchObject({ code: 'invalid_input' });
  });
});
