import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { MnemosError } from '../core/errors.js';
import type { Storage } from '../spec/storage.js';
import { openStorage } from '../storage/open-storage.js';
import { isPostgresUrl, redactDatabaseUrl } from '../storage/shared/database-url.js';

/** A database named on the command line: `sqlite:<file or home folder>` or a postgres:// URL. */
export type DatabaseLocation =
  | { kind: 'sqlite'; path: string; name: string }
  | { kind: 'postgres'; url: string; name: string };

/** File names taken as a SQLite database file when the path does not exist yet; anything else is a home folder. */
const databaseFile = /\.(db|sqlite3?)$/i;

/**
 * Parses a location. A SQLite path is a database file when it is one (or, when it does not exist
 * yet, ends in .db, .sqlite or .sqlite3); otherwise a Mnemos home, meaning the `mnemos.db` inside.
 */
export function parseLocation(text: string, what: string): DatabaseLocation {
  const value = text.trim();
  if (isPostgresUrl(value)) {
    return { kind: 'postgres', url: value, name: redactDatabaseUrl(value) };
  }
  if (value.startsWith('sqlite:') && value.length > 'sqlite:'.length) {
    let path = resolve(value.slice('sqlite:'.length));
    const isFile = existsSync(path) ? statSync(path).isFile() : databaseFile.test(path);
    if (!isFile) path = join(path, 'mnemos.db');
    return { kind: 'sqlite', path, name: `sqlite:${path}` };
  }
  const shown = value.includes('://') ? redactDatabaseUrl(value) : value;
  throw new MnemosError(
    'invalid_input',
    `${what} must be sqlite:<path to mnemos.db or a Mnemos home> or a postgres://user:password@host:5432/database URL, not ${JSON.stringify(shown)}`,
    { details: { field: what } },
  );
}

/** Opens the source of a copy without writing anything to it. */
export async function openSource(location: DatabaseLocation): Promise<Storage> {
  if (location.kind === 'sqlite' && !existsSync(location.path)) {
    throw new MnemosError('not_found', `no Mnemos database at ${location.path}`, {
      details: { path: location.path },
    });
  }
  return openStorage(location, { readOnly: true, requireMnemos: true });
}

/**
 * Opens (creating and migrating if needed) the target of a copy. A new `<home>/mnemos.db` drops the
 * vector index snapshots beside it: they belong to an earlier database of that home, and a copy's
 * change sequence could reach their watermark, so they would be taken as current.
 */
export async function openTarget(location: DatabaseLocation): Promise<Storage> {
  if (location.kind === 'postgres') return openStorage(location);
  mkdirSync(dirname(location.path), { recursive: true });
  // Only a home's own database file has snapshots beside it (`<home>/indexes/`).
  if (!existsSync(location.path) && basename(location.path) === 'mnemos.db')
    rmSync(join(dirname(location.path), 'indexes'), { recursive: true, force: true });
  return openStorage(location);
}
