import type { ApiKeyRecord } from '../core/key-record.js';
import type { ProfileEntry } from '../core/profile-record.js';
import type { StoreRecord } from '../core/store-record.js';
import { type HttpTransport, segment } from './http-transport.js';
import type { CallOptions, KeyCreateInput } from './types.js';

/** Memory stores: everyone reads; creating, changing and deleting need an admin key. */
export class StoresApi {
  constructor(private readonly http: HttpTransport) {}

  async list(options: CallOptions = {}): Promise<StoreRecord[]> {
    const { stores } = await this.http.json<{ stores: StoreRecord[] }>(
      'GET',
      '/v1/stores',
      options,
    );
    return stores;
  }

  /** Creates a store (admin). */
  create(
    input: { name: string; description?: string },
    options: CallOptions = {},
  ): Promise<StoreRecord> {
    return this.http.json('POST', '/v1/stores', { ...options, body: input });
  }

  get(name: string, options: CallOptions = {}): Promise<StoreRecord> {
    return this.http.json('GET', `/v1/stores${segment(name)}`, options);
  }

  /** Changes a store's description (admin). */
  update(
    name: string,
    input: { description: string },
    options: CallOptions = {},
  ): Promise<StoreRecord> {
    return this.http.json('PATCH', `/v1/stores${segment(name)}`, { ...options, body: input });
  }

  /** Deletes a store with all its memories (admin). */
  async delete(name: string, options: CallOptions = {}): Promise<void> {
    await this.http.json('DELETE', `/v1/stores${segment(name)}`, options);
  }
}

/** API keys (admin): the secret is returned by `create` only, never again. */
export class KeysApi {
  constructor(private readonly http: HttpTransport) {}

  create(
    input: KeyCreateInput,
    options: CallOptions = {},
  ): Promise<{ key: string; record: ApiKeyRecord }> {
    return this.http.json('POST', '/v1/keys', { ...options, body: input });
  }

  async list(options: CallOptions = {}): Promise<ApiKeyRecord[]> {
    const { keys } = await this.http.json<{ keys: ApiKeyRecord[] }>('GET', '/v1/keys', options);
    return keys;
  }

  /** Revokes a key by its id (not the secret). */
  async revoke(id: string, options: CallOptions = {}): Promise<void> {
    await this.http.json('DELETE', `/v1/keys${segment(id)}`, options);
  }
}

/** The user profile of the key's tenant (name, language, style, …). */
export class ProfileApi {
  constructor(private readonly http: HttpTransport) {}

  async get(options: CallOptions = {}): Promise<ProfileEntry[]> {
    const { profile } = await this.http.json<{ profile: ProfileEntry[] }>(
      'GET',
      '/v1/profile',
      options,
    );
    return profile;
  }

  /** Sets one key (normalised to snake_case by the server); the stored entry. */
  set(key: string, value: string, options: CallOptions = {}): Promise<ProfileEntry> {
    return this.http.json('PUT', `/v1/profile${segment(key)}`, { ...options, body: { value } });
  }

  /** Removes one key; whether it was set. */
  async unset(key: string, options: CallOptions = {}): Promise<boolean> {
    const { removed } = await this.http.json<{ removed: boolean }>(
      'DELETE',
      `/v1/profile${segment(key)}`,
      options,
    );
    return removed;
  }
}
