import { MnemosError } from '../../core/errors.js';
import type { Embedder } from '../../spec/embedder.js';
import type { Storage } from '../../spec/storage.js';

/** Options of a re-embedding. */
export interface ReembedOptions {
  /** Memories embedded and staged per transaction (a kill loses at most one batch); default 64. */
  batchSize?: number;
  /** Re-embed even when the store already records this embedder. */
  force?: boolean;
  /** Called once when the run starts or resumes. */
  onStart?: (start: ReembedStartInfo) => void;
  /** Called after every staged batch with memories done so far and the store's total. */
  onProgress?: (progress: { done: number; total: number }) => void;
}

/** How a re-embedding began. */
export interface ReembedStartInfo {
  store: string;
  from: string;
  to: string;
  dimensions: number;
  /** True when an interrupted run for the same embedder was resumed. */
  resumed: boolean;
  /** Memories already staged (by the interrupted run) before this call embedded any. */
  staged: number;
  total: number;
  /** ISO time the (possibly resumed) run started. */
  startedAt: string;
}

/** Outcome of a re-embedding. */
export interface ReembedResult {
  store: string;
  /** Embedder the store was bound to before. */
  from: string;
  /** Embedder it is bound to now. */
  to: string;
  dimensions: number;
  /** Memories embedded by this call, a final pass over rows changed meanwhile included. */
  reembedded: number;
  /** Memories already staged by the interrupted run this call resumed; null for a fresh run. */
  resumedFrom: number | null;
  /** Memories of the store (every tenant, deleted and invalidated ones included); 0 when nothing was done. */
  total: number;
  /** False when the store already used this embedder and nothing was done (see `force`). */
  changed: boolean;
  seconds: number;
}

const defaultBatchSize = 64;
const maxBatchSize = 10_000;
/** Passes over rows edited while earlier passes ran, before giving up. */
const maxPasses = 10;

/**
 * Moves a store to another embedder: every memory of the store (all tenants; deleted and
 * invalidated ones too, so history reads and a later restore stay consistent) is embedded again in
 * batches into staging, each batch committed on its own; then one transaction swaps the vectors in
 * and binds the store to the new embedder. An interrupted run for the same embedder resumes.
 */
export class ReembedService {
  constructor(private readonly storage: Storage) {}

  /** Re-embeds store `name` with `embedder`; see the class comment. */
  async run(
    name: string,
    embedder: Embedder,
    options: ReembedOptions = {},
  ): Promise<ReembedResult> {
    const started = performance.now();
    const batchSize = options.batchSize ?? defaultBatchSize;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > maxBatchSize) {
      throw new MnemosError(
        'invalid_input',
        `batch size must be a whole number from 1 to ${maxBatchSize}, got ${batchSize}`,
        { details: { field: 'batchSize' } },
      );
    }
    const store = await this.storage.stores.get(name);
    if (!store) {
      throw new MnemosError(
        'store_not_found',
        `memory store ${name} does not exist; nothing to re-embed`,
        { details: { store: name } },
      );
    }
    const target = { embedderId: embedder.id, dimensions: embedder.dimensions };
    const seconds = (): number => Math.round((performance.now() - started) / 10) / 100;
    const common = { store: name, from: store.embedderId, to: target.embedderId };
    const bound = store.embedderId === target.embedderId && store.dimensions === target.dimensions;
    if (bound && !options.force) {
      return {
        ...common,
        dimensions: target.dimensions,
        reembedded: 0,
        resumedFrom: null,
        total: 0,
        changed: false,
        seconds: seconds(),
      };
    }
    const begun = await this.storage.reembed.begin(name, target, Date.now());
    options.onStart?.({
      ...common,
      dimensions: target.dimensions,
      resumed: begun.resumed,
      staged: begun.staged,
      total: begun.total,
      startedAt: begun.run.startedAt,
    });
    let total = begun.total;
    let done = begun.staged;
    let reembedded = 0;
    for (let pass = 0; pass < maxPasses; pass++) {
      // Rows added or edited behind the cursor are caught by the next pass; the swap re-checks all.
      for (let after = 0; ; ) {
        const rows = await this.storage.reembed.pending(name, after, batchSize);
        if (rows.length === 0) break;
        const vectors = await embedder.doEmbed(rows.map((row) => row.text));
        if (vectors.length !== rows.length) {
          throw new MnemosError(
            'upstream_error',
            `embedder ${target.embedderId} returned ${vectors.length} vectors for ${rows.length} texts`,
            { category: 'upstream', details: { store: name } },
          );
        }
        await this.storage.reembed.stage(
          name,
          begun.run.id,
          rows.map((row, index) => ({ key: row.key, text: row.text, vector: vectors[index]! })),
        );
        reembedded += rows.length;
        done += rows.length;
        total = Math.max(total, done);
        options.onProgress?.({ done, total });
        after = rows[rows.length - 1]!.key;
      }
      const finished = await this.storage.reembed.finish(name, begun.run.id, Date.now());
      if (finished.missing === 0) {
        return {
          ...common,
          dimensions: target.dimensions,
          reembedded,
          resumedFrom: begun.resumed ? begun.staged : null,
          total: finished.swapped,
          changed: true,
          seconds: seconds(),
        };
      }
    }
    throw new MnemosError(
      'storage_error',
      `memories of store ${name} kept changing during the re-embedding; staged vectors are kept, run it again`,
      { category: 'system', details: { store: name } },
    );
  }
}
