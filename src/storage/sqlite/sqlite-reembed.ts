import { createHash, randomUUID } from 'node:crypto';
import { MnemosError } from '../../core/errors.js';
import type { ReembedStart, ReembedStorage } from '../../spec/storage.js';
import { isoRequired, vectorToBlob } from '../shared/rows.js';
import type { Statements } from './statements.js';

/** SQL function giving the digest of a memory's exact text, so a staged vector is known stale after any edit. */
const digest = 'mnemos_reembed_digest';

function textDigest(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

interface RunRow {
  run_id: string;
  embedder_id: string;
  dimensions: number;
  store_created_at: number;
  started_at: number;
}

/** Memories of a store without a staged vector for their current text; `@store` is the store. */
const pendingWhere = `m.store = @store AND (r.hash IS NULL OR r.hash <> ${digest}(m.text))`;
const pendingFrom = 'memories m LEFT JOIN reembed_vectors r ON r.store = m.store AND r.key = m.key';

/** Staging of `mnemos mem reembed` in the SQLite backend; each write method runs in one transaction. */
export class SqliteReembed implements ReembedStorage {
  constructor(private readonly statements: Statements) {
    statements.db.function(digest, { deterministic: true }, (text: unknown) =>
      textDigest(String(text)),
    );
  }

  /** Starts or resumes the store's run in one transaction. */
  async begin(
    store: string,
    target: { embedderId: string; dimensions: number },
    now: number,
  ): Promise<ReembedStart> {
    return this.statements.write(() => {
      const storeRow = this.statements
        .get('SELECT created_at FROM stores WHERE name = ?')
        .get(store) as { created_at: number } | undefined;
      if (!storeRow) {
        throw new MnemosError('store_not_found', `memory store ${store} does not exist`, {
          details: { store },
        });
      }
      let run = this.run(store);
      const resumed =
        run !== undefined &&
        run.embedder_id === target.embedderId &&
        run.dimensions === target.dimensions &&
        // A store deleted and created again under the same name starts over.
        run.store_created_at === storeRow.created_at;
      if (!resumed) {
        this.forgetStore(store);
        run = {
          run_id: randomUUID(),
          embedder_id: target.embedderId,
          dimensions: target.dimensions,
          store_created_at: storeRow.created_at,
          started_at: now,
        };
        this.statements
          .get(
            'INSERT INTO reembed_runs (store, run_id, embedder_id, dimensions, store_created_at, started_at) VALUES (?, ?, ?, ?, ?, ?)',
          )
          .run(
            store,
            run.run_id,
            run.embedder_id,
            run.dimensions,
            run.store_created_at,
            run.started_at,
          );
      }
      const total = (
        this.statements.get('SELECT count(*) AS n FROM memories WHERE store = ?').get(store) as {
          n: number;
        }
      ).n;
      return {
        run: {
          id: run!.run_id,
          embedderId: run!.embedder_id,
          dimensions: run!.dimensions,
          startedAt: isoRequired(run!.started_at),
        },
        resumed,
        staged: resumed ? total - this.missing(store) : 0,
        total,
      };
    });
  }

  /** Up to `limit` memories after `afterKey` still needing a vector, in key order. */
  async pending(
    store: string,
    afterKey: number,
    limit: number,
  ): Promise<Array<{ key: number; text: string }>> {
    // `+m.store` keeps the planner on the primary key range (key > ?) instead of sorting the store's rows per batch.
    return this.statements
      .get(
        `SELECT m.key AS key, m.text AS text FROM ${pendingFrom}
         WHERE +${pendingWhere} AND m.key > @afterKey ORDER BY m.key LIMIT @limit`,
      )
      .all({ store, afterKey, limit }) as Array<{ key: number; text: string }>;
  }

  /** Stages vectors in one transaction, refusing a replaced run and wrong lengths. */
  async stage(
    store: string,
    runId: string,
    vectors: Array<{ key: number; text: string; vector: Float32Array }>,
  ): Promise<void> {
    return this.statements.write(() => {
      const run = this.current(store, runId);
      const insert = this.statements.get(
        'INSERT OR REPLACE INTO reembed_vectors (store, key, hash, embedding) VALUES (?, ?, ?, ?)',
      );
      for (const item of vectors) {
        if (item.vector.length !== run.dimensions) {
          throw new MnemosError(
            'storage_error',
            `a staged vector has ${item.vector.length} dimensions, not the ${run.dimensions} of ${run.embedder_id}`,
            { category: 'system', details: { store, key: item.key } },
          );
        }
        insert.run(store, item.key, textDigest(item.text), vectorToBlob(item.vector));
      }
    });
  }

  /** The swap, in one transaction; changes nothing while any memory lacks a current staged vector. */
  async finish(
    store: string,
    runId: string,
    now: number,
  ): Promise<{ swapped: number; missing: number }> {
    return this.statements.write(() => {
      const run = this.current(store, runId);
      const missing = this.missing(store);
      if (missing > 0) return { swapped: 0, missing };
      // Every row gets a fresh, unique change sequence so in-process vector indexes pick up the new
      // vectors: base + key is unique per row and above every earlier seq; the counter then moves past it.
      const base = (
        this.statements.get("SELECT value FROM counters WHERE name = 'seq'").get() as {
          value: number;
        }
      ).value;
      const maxKey =
        (
          this.statements.get('SELECT max(key) AS k FROM memories WHERE store = ?').get(store) as {
            k: number | null;
          }
        ).k ?? 0;
      const swapped = this.statements
        .get(
          `UPDATE memories SET
             embedding = (SELECT r.embedding FROM reembed_vectors r WHERE r.store = @store AND r.key = memories.key),
             seq = @base + key
           WHERE store = @store`,
        )
        .run({ store, base }).changes;
      this.statements.get("UPDATE counters SET value = ? WHERE name = 'seq'").run(base + maxKey);
      this.statements
        .get('UPDATE stores SET embedder_id = ?, dimensions = ?, updated_at = ? WHERE name = ?')
        .run(run.embedder_id, run.dimensions, now, store);
      this.forgetStore(store);
      return { swapped, missing: 0 };
    });
  }

  /** Drops a store's run and staged vectors (inside the caller's transaction). */
  forgetStore(store: string): void {
    this.statements.get('DELETE FROM reembed_vectors WHERE store = ?').run(store);
    this.statements.get('DELETE FROM reembed_runs WHERE store = ?').run(store);
  }

  private run(store: string): RunRow | undefined {
    return this.statements
      .get(
        'SELECT run_id, embedder_id, dimensions, store_created_at, started_at FROM reembed_runs WHERE store = ?',
      )
      .get(store) as RunRow | undefined;
  }

  private current(store: string, runId: string): RunRow {
    const run = this.run(store);
    if (run?.run_id !== runId) {
      throw new MnemosError(
        'storage_error',
        `the re-embedding of store ${store} was replaced or finished by another process; run \`mnemos mem reembed\` again`,
        { category: 'system', details: { store } },
      );
    }
    return run;
  }

  private missing(store: string): number {
    return (
      this.statements
        .get(`SELECT count(*) AS n FROM ${pendingFrom} WHERE ${pendingWhere}`)
        .get({ store }) as { n: number }
    ).n;
  }
}
