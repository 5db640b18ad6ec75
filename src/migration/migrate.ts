import { MnemosError } from '../core/errors.js';
import { Mnemos } from '../mnemos.js';
import type { Storage, TransferTable } from '../spec/storage.js';
import { type CopyPlan, type CopyResult, copyDatabase } from './copy-database.js';
import { openSource, openTarget, parseLocation } from './database-location.js';
import { type SearchFunction, type VerifyReport, verifyCopy } from './verify-copy.js';

/** Options of {@link migrate}. */
export interface MigrateOptions {
  /** `sqlite:<path>` or a postgres:// URL. */
  from: string;
  to: string;
  /** Home whose configuration (embedder, retrieval) the verification searches use. */
  home: string;
  batchSize?: number;
  /** Live memories searched on both sides at the end; 0 skips the searches. */
  samples?: number;
  /** False skips the verification. */
  verify?: boolean;
  onPlan?: (plan: CopyPlan) => void;
  onProgress?: (table: TransferTable, copied: number) => void;
  onVerify?: (table: TransferTable) => void;
}

/** What {@link migrate} did. */
export interface MigrateReport {
  from: string;
  to: string;
  copy: CopyResult;
  verification: VerifyReport | null;
}

/**
 * `mnemos migrate`: copies one Mnemos database into another (SQLite and Postgres either way),
 * resumable, then verifies the copy. The source is opened read-only and never changed.
 */
export async function migrate(options: MigrateOptions): Promise<MigrateReport> {
  const from = parseLocation(options.from, '--from');
  const to = parseLocation(options.to, '--to');
  if (from.name === to.name) {
    throw new MnemosError('invalid_input', `--from and --to are the same database (${from.name})`);
  }
  const source = await openSource(from);
  let target: Storage;
  try {
    target = await openTarget(to);
  } catch (error) {
    await source.close();
    throw error;
  }
  let copy: CopyResult;
  try {
    copy = await copyDatabase(source, target, {
      migration: from.name,
      batchSize: options.batchSize ?? 500,
      ...(options.onPlan ? { onPlan: options.onPlan } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
  } catch (error) {
    await Promise.all([source.close(), target.close()]);
    throw error;
  }
  if (options.verify === false) {
    await Promise.all([source.close(), target.close()]);
    return { from: from.name, to: to.name, copy, verification: null };
  }
  const verification = await verifyWithSearches(source, target, options);
  return { from: from.name, to: to.name, copy, verification };
}

/** Runs {@link verifyCopy} with each side's own engine for the searches; closes both storages. */
async function verifyWithSearches(
  source: Storage,
  target: Storage,
  options: MigrateOptions,
): Promise<VerifyReport> {
  const engines: Mnemos[] = [];
  const search: { source: SearchFunction; target: SearchFunction } = {
    source: unavailable('no engine'),
    target: unavailable('no engine'),
  };
  try {
    for (const [side, storage] of [
      ['source', source],
      ['target', target],
    ] as const) {
      const engine = await Mnemos.open({ home: options.home, storage, readOnly: true });
      engines.push(engine);
      search[side] = (input) => engine.memories.search(input);
    }
  } catch (error) {
    // Without the configured embedder no search can run; the tables are still compared.
    const reason = `searches need the configured embedder: ${(error as Error).message}`;
    search.source = unavailable(reason);
    search.target = unavailable(reason);
  }
  try {
    return await verifyCopy(source, target, search, {
      samples: options.samples ?? 20,
      topK: 10,
      batchSize: options.batchSize ?? 500,
      ...(options.onVerify ? { onTable: options.onVerify } : {}),
    });
  } finally {
    for (const engine of engines) await engine.close();
    // Closing an engine closes its storage; closing again is harmless.
    await Promise.all([source.close(), target.close()]);
  }
}

function unavailable(reason: string): SearchFunction {
  return async () => {
    throw new Error(reason);
  };
}
