import { createHash, randomUUID } from 'node:crypto';
import { MnemosError } from '../../core/errors.js';
import type { ReembedStart, ReembedStorage } from '../../spec/storage.js';
import { isoRequired } from '../shared/rows.js';
import { ChangeSequence, lockStoreExclusively } from './change-sequence.js';
import type { Database, Sql } from './database.js';
import { createVectorIndexSql, dropVectorIndexSql, vectorLiteral } from './vectors.js';

interface RunRow {
  run_id: string;
  embedder_id: string;
  dimensions: number;
  store_created_at: number;
  started_at: number;
}

/** Digest of a memory's exact text, so a staged vector is known stale after any edit. */
function textDigest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Memories of a store (`$1`) without a staged vector for their current text. */
const pendingFrom = `memories m LEFT JOIN reembed_vectors r
  ON r.store = m.store AND r.app_id = m.app_id AND r.tenant_id = m.tenant_id AND r.key = m.key`;
const pendingWhere = `m.store = $1 AND (r.hash IS NULL OR r.hash <> sha256(convert_to(m.text, 'UTF8')))`;

/**
 * Staging of `mnemos mem reembed` in the Postgres backend, with the SQLite backend's semantics.
 * Every step locks the store's run row, so a run replaced by another process refuses late writes.
 */
export class PostgresReembed implements ReembedStorage {
  constructor(private readonly db: Database) {}

  begin(
    store: string,
    target: { embedderId: string; dimensions: number },
    now: number,
  ): Promise<ReembedStart> {
    return this.db.transaction((sql) => this.beginIn(sql, store, target, now));
  }

  stage(
    store: string,
    runId: string,
    vectors: Array<{ key: number; text: string; vector: Float32Array }>,
  ): Promise<void> {
    return this.db.transaction((sql) => this.stageIn(sql, store, runId, vectors));
  }

  finish(store: string, runId: string, now: number): Promise<{ swapped: number; missing: number }> {
    return this.db.transaction((sql) => this.finishIn(sql, store, runId, now));
  }

  /** Starts or resumes the store's run (inside the caller's transaction). */
  private async beginIn(
    sql: Sql,
    store: string,
    target: { embedderId: string; dimensions: number },
    now: number,
  ): Promise<ReembedStart> {
    const stores = await sql.rows<{ created_at: number }>(
      'SELECT created_at FROM stores WHERE name = $1 FOR UPDATE',
      [store],
    );
    const storeRow = stores[0];
    if (!storeRow) {
      throw new MnemosError('store_not_found', `memory store ${store} does not exist`, {
        details: { store },
      });
    }
    let run = await this.run(sql, store, 'FOR UPDATE');
    const resumed =
      run !== undefined &&
      run.embedder_id === target.embedderId &&
      run.dimensions === target.dimensions &&
      // A store deleted and created again under the same name starts over.
      run.store_created_at === storeRow.created_at;
    if (!resumed) {
      await this.forgetStore(sql, store);
      run = {
        run_id: randomUUID(),
        embedder_id: target.embedderId,
        dimensions: target.dimensions,
        store_created_at: storeRow.created_at,
        started_at: now,
      };
      await sql.run(
        'INSERT INTO reembed_runs (store, run_id, embedder_id, dimensions, store_created_at, started_at) VALUES ($1, $2, $3, $4, $5, $6)',
        [store, run.run_id, run.embedder_id, run.dimensions, run.store_created_at, run.started_at],
      );
    }
    const total = (
      await sql.rows<{ n: number }>('SELECT count(*) AS n FROM memories WHERE store = $1', [store])
    )[0]!.n;
    return {
      run: {
        id: run!.run_id,
        embedderId: run!.embedder_id,
        dimensions: run!.dimensions,
        startedAt: isoRequired(run!.started_at),
      },
      resumed,
      staged: resumed ? total - (await this.missing(sql, store)) : 0,
      total,
    };
  }

  /** Up to `limit` memories after `afterKey` still needing a vector, in key order. */
  async pending(
    store: string,
    afterKey: number,
    limit: number,
  ): Promise<Array<{ key: number; text: string }>> {
    return this.db.rows<{ key: number; text: string }>(
      `SELECT m.key, m.text FROM ${pendingFrom} WHERE ${pendingWhere} AND m.key > $2 ORDER BY m.key LIMIT $3`,
      [store, afterKey, limit],
    );
  }

  /** Stages vectors (inside the caller's transaction), refusing a replaced run and wrong lengths. */
  private async stageIn(
    sql: Sql,
    store: string,
    runId: string,
    vectors: Array<{ key: number; text: string; vector: Float32Array }>,
  ): Promise<void> {
    const run = await this.current(sql, store, runId, 'FOR SHARE');
    const byKey = new Map<number, { key: number; text: string; vector: Float32Array }>();
    for (const item of vectors) {
      if (item.vector.length !== run.dimensions) {
        throw new MnemosError(
          'storage_error',
          `a staged vector has ${item.vector.length} dimensions, not the ${run.dimensions} of ${run.embedder_id}`,
          { category: 'system', details: { store, key: item.key } },
        );
      }
      byKey.set(item.key, item);
    }
    if (byKey.size === 0) return;
    const items = [...byKey.values()];
    await sql.run(
      `INSERT INTO reembed_vectors (store, app_id, tenant_id, key, hash, embedding)
       SELECT $1, m.app_id, m.tenant_id, u.key, u.hash, u.embedding::vector
       FROM unnest($2::bigint[], $3::bytea[], $4::text[]) AS u(key, hash, embedding)
       JOIN memories m ON m.store = $1 AND m.key = u.key
       ON CONFLICT (store, app_id, tenant_id, key) DO UPDATE SET hash = excluded.hash, embedding = excluded.embedding`,
      [
        store,
        items.map((item) => item.key),
        items.map((item) => textDigest(item.text)),
        items.map((item) => vectorLiteral(item.vector)),
      ],
    );
  }

  /**
   * The swap (inside the caller's transaction); changes nothing while any memory lacks a current
   * staged vector. Every tenant's counter is locked first (in the one global order), then each row
   * gets the next numbers of its tenant's change sequence. A new dimension rebuilds the store's
   * HNSW index, which locks memory writes while it builds.
   */
  private async finishIn(
    sql: Sql,
    store: string,
    runId: string,
    now: number,
  ): Promise<{ swapped: number; missing: number }> {
    const stores = await sql.rows<{ dimensions: number }>(
      'SELECT dimensions FROM stores WHERE name = $1 FOR UPDATE',
      [store],
    );
    const run = await this.current(sql, store, runId, 'FOR UPDATE');
    await lockStoreExclusively(sql, store);
    const missing = await this.missing(sql, store);
    if (missing > 0) return { swapped: 0, missing };
    const tenants = await sql.rows<{ app_id: string; tenant_id: string }>(
      'SELECT DISTINCT app_id, tenant_id FROM memories WHERE store = $1',
      [store],
    );
    await new ChangeSequence(sql, store).lock(
      tenants.map((row) => ({ appId: row.app_id, tenantId: row.tenant_id })),
    );
    const dimensionsChanged = stores[0]?.dimensions !== run.dimensions;
    if (dimensionsChanged) await sql.run(dropVectorIndexSql(store));
    const swapped = await sql.run(
      `UPDATE memories m SET embedding = r.embedding, seq = s.value + x.position
       FROM (SELECT app_id, tenant_id, key, row_number() OVER (PARTITION BY app_id, tenant_id ORDER BY key) AS position
             FROM memories WHERE store = $1) x
       JOIN memory_sequences s ON s.store = $1 AND s.app_id = x.app_id AND s.tenant_id = x.tenant_id
       JOIN reembed_vectors r ON r.store = $1 AND r.app_id = x.app_id AND r.tenant_id = x.tenant_id AND r.key = x.key
       WHERE m.app_id = x.app_id AND m.tenant_id = x.tenant_id AND m.key = x.key`,
      [store],
    );
    await sql.run(
      `UPDATE memory_sequences s SET value = s.value + c.n
       FROM (SELECT app_id, tenant_id, count(*) AS n FROM memories WHERE store = $1 GROUP BY app_id, tenant_id) c
       WHERE s.store = $1 AND s.app_id = c.app_id AND s.tenant_id = c.tenant_id`,
      [store],
    );
    await sql.run(
      'UPDATE stores SET embedder_id = $1, dimensions = $2, updated_at = $3 WHERE name = $4',
      [run.embedder_id, run.dimensions, now, store],
    );
    const createIndex = createVectorIndexSql(store, run.dimensions);
    if (dimensionsChanged && createIndex) await sql.run(createIndex);
    await this.forgetStore(sql, store);
    return { swapped, missing: 0 };
  }

  /** Drops a store's run and staged vectors (inside the caller's transaction). */
  async forgetStore(sql: Sql, store: string): Promise<void> {
    await sql.run('DELETE FROM reembed_vectors WHERE store = $1', [store]);
    await sql.run('DELETE FROM reembed_runs WHERE store = $1', [store]);
  }

  private async run(
    sql: Sql,
    store: string,
    lock: 'FOR UPDATE' | 'FOR SHARE',
  ): Promise<RunRow | undefined> {
    const rows = await sql.rows<RunRow>(
      `SELECT run_id, embedder_id, dimensions, store_created_at, started_at FROM reembed_runs WHERE store = $1 ${lock}`,
      [store],
    );
    return rows[0];
  }

  private async current(
    sql: Sql,
    store: string,
    runId: string,
    lock: 'FOR UPDATE' | 'FOR SHARE',
  ): Promise<RunRow> {
    const run = await this.run(sql, store, lock);
    if (run?.run_id !== runId) {
      throw new MnemosError(
        'storage_error',
        `the re-embedding of store ${store} was replaced or finished by another process; run \`mnemos mem reembed\` again`,
        { category: 'system', details: { store } },
      );
    }
    return run;
  }

  private async missing(sql: Sql, store: string): Promise<number> {
    return (
      await sql.rows<{ n: number }>(
        `SELECT count(*) AS n FROM ${pendingFrom} WHERE ${pendingWhere}`,
        [store],
      )
    )[0]!.n;
  }
}
