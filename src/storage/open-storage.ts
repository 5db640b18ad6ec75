import { MnemosError } from '../core/errors.js';
import type { Storage } from '../spec/storage.js';
import { SqliteStorage } from './sqlite/sqlite-storage.js';

/** A database to open: a SQLite file, or a PostgreSQL URL (as `chooseStorage` or `mnemos migrate` name them). */
export type StorageTarget = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

/** How to open a database. */
export interface OpenStorageOptions {
  /** Open without writing anything: no schema creation or migration. */
  readOnly?: boolean;
  /** Refuse (`invalid_input`) a SQLite file Mnemos never wrote, instead of opening it empty. */
  requireMnemos?: boolean;
}

/** Opens the backend a target names; the only place that constructs an adapter. */
export async function openStorage(
  target: StorageTarget,
  options: OpenStorageOptions = {},
): Promise<Storage> {
  const readOnly = options.readOnly ?? false;
  if (target.kind === 'postgres') {
    // pg loads only for PostgreSQL, so SQLite homes start without it.
    const { PostgresStorage } = await import('./postgres/postgres-storage.js');
    return PostgresStorage.open(target.url, { readOnly });
  }
  const storage = new SqliteStorage(target.path, { readOnly });
  if (options.requireMnemos && storage.schemaVersion === 0) {
    await storage.close();
    throw new MnemosError('invalid_input', `${target.path} is not a Mnemos database`, {
      details: { path: target.path },
    });
  }
  return storage;
}
