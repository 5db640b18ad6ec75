import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Storage } from '../../../src/spec/storage.js';
import { SqliteStorage } from '../../../src/storage/sqlite/sqlite-storage.js';
import { dropSchema, uniqueSchemaName } from './postgres-schema.js';

/** Names of the storage backends the conformance suite knows. */
export type BackendName = 'sqlite' | 'postgres';

/** One fresh, empty database of a backend, opened for one test. */
export interface BackendInstance {
  /** The storage under test. */
  readonly storage: Storage;
  /** Opens a second storage on the same data, as another process or worker would. */
  openAnother(): Promise<Storage>;
  /** Closes every storage still open and removes the data. */
  dispose(): Promise<void>;
}

/** A backend factory of the suite. */
export interface Backend {
  readonly name: BackendName;
  /** Why this backend does not run here, or null when it runs. */
  readonly notRun: string | null;
  /** Opens a fresh, empty database (a temp file, or a schema of its own). */
  create(): Promise<BackendInstance>;
}

/** A test that must not run on one backend, with the reason; printed at the start of every run. */
export interface Skip {
  backend: BackendName;
  /** `suite > test title`, as given to `conformance()`. */
  test: string;
  reason: string;
}

/** Every conformance test skipped on some backend, in one place. Keep it empty. */
export const skips: Skip[] = [];

/** Environment variable naming the Postgres database the suite may create schemas in. */
export const databaseUrlVariable = 'MNEMOS_TEST_DATABASE_URL';

const postgresAdapterPath = '../../../src/storage/postgres/postgres-storage.js';

/** The shape of the Postgres adapter the suite needs; typed here so the SQLite run never depends on it. */
interface PostgresAdapterModule {
  PostgresStorage: {
    open(url: string, options?: { schema?: string }): Promise<Storage>;
  };
}

async function loadPostgresAdapter(): Promise<PostgresAdapterModule> {
  try {
    return (await import(postgresAdapterPath)) as PostgresAdapterModule;
  } catch (error) {
    throw new Error(
      `${databaseUrlVariable} is set but the Postgres adapter could not be loaded from src/storage/postgres/postgres-storage.ts: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** Storages opened on one database; each is closed at most once, whoever closes it first. */
class OpenStorages {
  private readonly open = new Set<Storage>();

  track(storage: Storage): Storage {
    const close = storage.close.bind(storage);
    let closing: Promise<void> | null = null;
    storage.close = () => {
      this.open.delete(storage);
      closing ??= close();
      return closing;
    };
    this.open.add(storage);
    return storage;
  }

  async closeAll(): Promise<void> {
    for (const storage of [...this.open]) await storage.close();
  }
}

const sqlite: Backend = {
  name: 'sqlite',
  notRun: null,
  async create() {
    const folder = mkdtempSync(join(tmpdir(), 'mnemos-conformance-'));
    const path = join(folder, 'mnemos.db');
    const storages = new OpenStorages();
    return {
      storage: storages.track(new SqliteStorage(path)),
      openAnother: async () => storages.track(new SqliteStorage(path)),
      async dispose() {
        await storages.closeAll();
        rmSync(folder, { recursive: true, force: true });
      },
    };
  },
};

const databaseUrl = process.env[databaseUrlVariable];

const postgres: Backend = {
  name: 'postgres',
  notRun: databaseUrl
    ? null
    : `Postgres suite not run: set ${databaseUrlVariable}=postgres://user:password@127.0.0.1:5432/database or run npm run test:postgres`,
  async create() {
    if (!databaseUrl) throw new Error(`${databaseUrlVariable} is not set`);
    const { PostgresStorage } = await loadPostgresAdapter();
    const schema = uniqueSchemaName();
    const storages = new OpenStorages();
    const open = async () => storages.track(await PostgresStorage.open(databaseUrl, { schema }));
    let storage: Storage;
    try {
      storage = await open();
    } catch (error) {
      await dropSchema(databaseUrl, schema);
      throw error;
    }
    return {
      storage,
      openAnother: open,
      async dispose() {
        try {
          await storages.closeAll();
        } finally {
          await dropSchema(databaseUrl, schema);
        }
      },
    };
  },
};

/** Every backend, in the order the suite reports them; `describe.each(backends)` runs each test on all. */
export const backends: Backend[] = [sqlite, postgres];
