import { MnemosError } from '../../core/errors.js';
import { limits } from '../../core/limits.js';
import { rejectNul } from '../../core/schemas.js';
import type { StoreRecord } from '../../core/store-record.js';
import type { Embedder } from '../../spec/embedder.js';
import type { Storage } from '../../spec/storage.js';
import { type ReembedOptions, type ReembedResult, ReembedService } from './reembed-service.js';

const storeNamePattern = /^[A-Za-z0-9_]{1,32}$/;

/** Validates a store name: letters, digits and `_`, at most 32 characters. */
export function checkStoreName(name: unknown): string {
  if (typeof name !== 'string' || !storeNamePattern.test(name)) {
    throw new MnemosError(
      'invalid_input',
      `invalid store name ${JSON.stringify(name)}: use 1-${limits.maxStoreNameLength} letters, digits or \`_\``,
      { details: { field: 'store' } },
    );
  }
  return name;
}

function checkDescription(description: unknown): string {
  rejectNul(description, 'store description');
  if (typeof description !== 'string' || description.length > limits.maxStoreDescriptionLength) {
    throw new MnemosError(
      'invalid_input',
      `description must be a string of at most ${limits.maxStoreDescriptionLength} characters`,
      {
        details: { field: 'description' },
      },
    );
  }
  return description;
}

/** Memory store management: create, describe, update, list, delete. */
export class StoreService {
  constructor(
    private readonly storage: Storage,
    private readonly embedder: Embedder,
    private readonly defaults: { name: string; autoCreate: boolean },
    /** Drops cached vector indexes of a store (deleted, or re-embedded). */
    private readonly forgetIndexes: (name: string) => void,
  ) {}

  /**
   * Creates a store bound to the configured embedder.
   * @example await mnemos.stores.create({ name: 'support_bot', description: 'Support agent memory' })
   */
  async create(input: { name: string; description?: string }): Promise<StoreRecord> {
    const now = new Date().toISOString();
    return this.storage.stores.create({
      name: checkStoreName(input.name),
      description: checkDescription(input.description ?? ''),
      embedderId: this.embedder.id,
      dimensions: this.embedder.dimensions,
      createdAt: now,
      updatedAt: now,
    });
  }

  /** Describes a store; throws `store_not_found` when absent. */
  async get(name: string): Promise<StoreRecord> {
    const store = await this.storage.stores.get(checkStoreName(name));
    if (!store) throw notFound(name);
    return store;
  }

  /** Changes a store's description. */
  async update(name: string, input: { description: string }): Promise<StoreRecord> {
    const store = await this.storage.stores.update(
      checkStoreName(name),
      checkDescription(input.description),
      Date.now(),
    );
    if (!store) throw notFound(name);
    return store;
  }

  /** Every store. */
  async list(): Promise<StoreRecord[]> {
    return this.storage.stores.list();
  }

  /** Deletes a store with all its memories and jobs; throws `store_not_found` when absent. */
  async delete(name: string): Promise<void> {
    if (!(await this.storage.stores.delete(checkStoreName(name)))) throw notFound(name);
    this.forgetIndexes(name);
  }

  /**
   * Re-embeds every memory of a store (the default store when `name` is omitted) with `embedder`
   * (default: this engine's embedder) and binds the store to it; resumable after a crash. Open the
   * engine with that embedder to search the store afterwards.
   * @example await mnemos.stores.reembed('mnemos', { embedder: newEmbedder, onProgress: ({ done, total }) => log(done, total) })
   */
  async reembed(
    name: string | undefined,
    options: ReembedOptions & { embedder?: Embedder } = {},
  ): Promise<ReembedResult> {
    const storeName = checkStoreName(name ?? this.defaults.name);
    const result = await new ReembedService(this.storage).run(
      storeName,
      options.embedder ?? this.embedder,
      options,
    );
    if (result.changed) this.forgetIndexes(storeName);
    return result;
  }

  /**
   * The store to read from: the named one, or the configured default. `null` when the default store
   * does not exist yet but is created on the first write (`autoCreateStore`), so a read finds
   * nothing and creates nothing. Refuses a store written by a different embedder.
   */
  async resolveForRead(name: string | undefined): Promise<StoreRecord | null> {
    const storeName = checkStoreName(name ?? this.defaults.name);
    const store = await this.storage.stores.get(storeName);
    if (!store && this.createsOnWrite(storeName)) return null;
    return this.checked(storeName, store);
  }

  /**
   * The store to write to: the named one, or the configured default, created on the first write
   * when `autoCreateStore` is on. Refuses a store written by a different embedder.
   */
  async resolveForWrite(name: string | undefined): Promise<StoreRecord> {
    const storeName = checkStoreName(name ?? this.defaults.name);
    let store = await this.storage.stores.get(storeName);
    if (!store && this.createsOnWrite(storeName)) {
      try {
        store = await this.create({ name: storeName, description: 'Default Mnemos memory store' });
      } catch (error) {
        // Another process created it first.
        if (!(MnemosError.isInstance(error) && error.code === 'already_exists')) throw error;
        store = await this.storage.stores.get(storeName);
      }
    }
    return this.checked(storeName, store);
  }

  private createsOnWrite(storeName: string): boolean {
    return this.defaults.autoCreate && storeName === this.defaults.name;
  }

  private checked(storeName: string, store: StoreRecord | null): StoreRecord {
    if (!store) throw notFound(storeName);
    if (store.embedderId !== this.embedder.id || store.dimensions !== this.embedder.dimensions) {
      throw new MnemosError(
        'embedder_mismatch',
        `memory store ${store.name} holds vectors from ${store.embedderId} (${store.dimensions} dimensions), but the configured embedder is ${this.embedder.id} (${this.embedder.dimensions} dimensions); run \`mnemos mem reembed${store.name === this.defaults.name ? '' : ` --store ${store.name}`}\` to re-embed the store with the configured embedder, or configure its old embedder again, or use another store`,
        {
          details: {
            store: store.name,
            storeEmbedder: store.embedderId,
            configuredEmbedder: this.embedder.id,
          },
        },
      );
    }
    return store;
  }
}

function notFound(name: string): MnemosError {
  return new MnemosError(
    'store_not_found',
    `memory store ${name} does not exist; create it with \`mnemos stores create ${name}\``,
    {
      details: { store: name },
    },
  );
}
