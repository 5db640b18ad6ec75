import { join } from 'node:path';
import type { MnemosConfig } from '../config/config.js';
import { MnemosError } from '../core/errors.js';
import { isPostgresUrl, redactDatabaseUrl } from './shared/database-url.js';

/** Environment variable (or `.env` entry) holding the PostgreSQL URL; secrets never go in config.yaml. */
export const databaseUrlVariable = 'MNEMOS_DATABASE_URL';

/** The storage backend `Mnemos.open` uses, and what chose it. */
export type StorageChoice =
  | { kind: 'sqlite'; path: string; location: string }
  | { kind: 'postgres'; url: string; location: string; chosenBy: string };

/**
 * Picks the backend: PostgreSQL when `MNEMOS_DATABASE_URL` is set or `storage: postgres` asks for
 * it (which then needs the variable), else the SQLite file in the home.
 */
export function chooseStorage(
  config: MnemosConfig,
  home: string,
  env: NodeJS.ProcessEnv = process.env,
): StorageChoice {
  const url = env[databaseUrlVariable]?.trim();
  if (!url) {
    if (config.storage === 'postgres') {
      throw new MnemosError(
        'config_error',
        `storage: postgres needs ${databaseUrlVariable}=postgres://user:password@host:5432/database, set in the environment or in ${join(home, '.env')}`,
        { details: { variable: databaseUrlVariable } },
      );
    }
    const path = join(home, 'mnemos.db');
    return { kind: 'sqlite', path, location: path };
  }
  if (!isPostgresUrl(url)) {
    throw new MnemosError(
      'config_error',
      `${databaseUrlVariable} must be a postgres:// or postgresql:// URL`,
      { details: { variable: databaseUrlVariable } },
    );
  }
  return {
    kind: 'postgres',
    url,
    location: redactDatabaseUrl(url),
    chosenBy: config.storage === 'postgres' ? `config.yaml storage: postgres` : databaseUrlVariable,
  };
}
