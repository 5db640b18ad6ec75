import { afterEach, beforeEach, it as vitestIt } from 'vitest';
import { Mnemos, type MnemosOptions } from '../../../src/mnemos.js';
import type { Storage } from '../../../src/spec/storage.js';
import { tempHome } from '../../support/temp-home.js';
import { type Backend, type BackendInstance, skips } from './backends.js';

/** What a conformance test works with: a fresh database of the backend, and the engine over it. */
export interface ConformanceContext {
  /** The storage under test, empty at the start of every test. */
  readonly storage: Storage;
  /** A second storage on the same data (another worker or process). */
  openAnother(): Promise<Storage>;
  /**
   * The engine over this test's storage, opened on first call with these options (a temp home,
   * the built-in embedder). It owns the storage: closing it closes the storage.
   */
  engine(options?: Omit<MnemosOptions, 'home' | 'storage'>): Promise<Mnemos>;
  /** Another engine, on a second storage of the same data: another process sharing the database. */
  anotherEngine(options?: Omit<MnemosOptions, 'home' | 'storage'>): Promise<Mnemos>;
}

/**
 * Registers per-test setup for one backend and returns the suite's `it` and context. Tests of a
 * backend that does not run here are skipped, as are tests listed in `skips`.
 * @example
 * describe.each(backends)('stores on $name', (backend) => {
 *   const { it, context } = conformance(backend, 'stores');
 *   it('creates a store', async () => { await context.storage.stores.create(...) });
 * });
 */
export function conformance(
  backend: Backend,
  suite: string,
): {
  it: (title: string, test: () => Promise<void>, timeout?: number) => void;
  context: ConformanceContext;
} {
  let instance: BackendInstance | null = null;
  let engine: Mnemos | null = null;
  let engines: Array<{ mnemos: Mnemos; remove: () => void }> = [];

  beforeEach(async (test) => {
    if (backend.notRun) test.skip();
    instance = await backend.create();
  });

  afterEach(async () => {
    const opened = engines;
    const current = instance;
    engines = [];
    engine = null;
    instance = null;
    try {
      for (const { mnemos } of opened) await mnemos.close();
    } finally {
      for (const { remove } of opened) remove();
      await current?.dispose();
    }
  });

  const current = (): BackendInstance => {
    if (!instance) throw new Error('the conformance context is only available inside a test');
    return instance;
  };

  const context: ConformanceContext = {
    get storage() {
      return current().storage;
    },
    openAnother: () => current().openAnother(),
    async engine(options = {}) {
      engine ??= await openEngine(current().storage, options);
      return engine;
    },
    async anotherEngine(options = {}) {
      return openEngine(await current().openAnother(), options);
    },
  };

  const openEngine = async (
    storage: Storage,
    options: Omit<MnemosOptions, 'home' | 'storage'>,
  ): Promise<Mnemos> => {
    const home = tempHome('mnemos-conformance-home-');
    try {
      const mnemos = await Mnemos.open({ ...options, home: home.home, storage });
      engines.push({ mnemos, remove: home.remove });
      return mnemos;
    } catch (error) {
      home.remove();
      throw error;
    }
  };

  const it = (title: string, test: () => Promise<void>, timeout?: number): void => {
    const skipped = skips.some(
      (skip) => skip.backend === backend.name && skip.test === `${suite} > ${title}`,
    );
    (skipped ? vitestIt.skip : vitestIt)(title, test, timeout);
  };

  return { it, context };
}
