import { MnemosError } from '../core/errors.js';
import { checkPage } from '../core/limits.js';
import {
  normalizeProfileKey,
  type ProfileEntry,
  type ProfileHistoryEntry,
  profileLimits,
} from '../core/profile-record.js';
import { rejectUnstorable } from '../core/schemas.js';
import { type TenantKey, tenantScope } from '../core/scope.js';
import { Redactor } from '../redaction/redactor.js';
import type { Storage } from '../spec/storage.js';

/** The profile's owner; the profile is per (app, tenant), shared by the tenant's agents and runs. */
export type ProfileOwner = { appId?: string; tenantId?: string };

function tenantKey(owner: ProfileOwner): TenantKey {
  return tenantScope(owner);
}

function checkedKey(key: string): string {
  const normalized = typeof key === 'string' ? normalizeProfileKey(key) : null;
  // Only the canonical form is taken: renaming `Bad-Key` to `bad_key` (or `Name` to `name`)
  // would silently overwrite another key.
  if (normalized === null || normalized !== key) {
    const hint = normalized === null ? 'e.g. tech_stack' : `did you mean ${normalized}?`;
    throw new MnemosError(
      'invalid_input',
      `profile key ${JSON.stringify(key)} is not valid: use lowercase letters, digits and _ (at most ${profileLimits.maxKeyLength}), starting with a letter; ${hint}`,
      { details: { key, ...(normalized === null ? {} : { suggestion: normalized }) } },
    );
  }
  return normalized;
}

/**
 * The user profile ("meta memory"): short key/value facts about a user (name, language,
 * communication style, tech stack, …), kept up to date from profile facts during ingestion and
 * editable here. Every change is recorded in history.
 */
export class ProfileService {
  constructor(
    private readonly storage: Storage,
    private readonly redactor: Redactor = new Redactor(),
  ) {}

  /**
   * The current profile, keys in order.
   * @example const entries = await mnemos.profile.get({ appId: 'app', tenantId: 'u1' })
   */
  async get(owner: ProfileOwner): Promise<ProfileEntry[]> {
    return this.storage.profiles.get(tenantKey(owner));
  }

  /** The current profile as a plain object, as prompts and extractors use it. */
  async asRecord(owner: ProfileOwner): Promise<Record<string, string>> {
    return Object.fromEntries((await this.get(owner)).map((entry) => [entry.key, entry.value]));
  }

  /**
   * Sets one key (source `user`); returns the entry, whose value shows any secret it held replaced
   * by a `[REDACTED:<kind>]` marker. Keys are canonical snake_case (`tech_stack`).
   * @example await mnemos.profile.set({ appId: 'app', tenantId: 'u1' }, 'language', '中文')
   */
  async set(owner: ProfileOwner, key: string, value: string): Promise<ProfileEntry> {
    const tenant = tenantKey(owner);
    const name = checkedKey(key);
    rejectUnstorable(value, `profile value of ${name}`);
    if (typeof value !== 'string' || value.trim() === '') {
      throw new MnemosError('invalid_input', `profile value of ${name} is empty`, {
        details: { key: name },
      });
    }
    const given = value.trim();
    if (given.length > profileLimits.maxValueLength) {
      throw new MnemosError(
        'limit_exceeded',
        `profile value of ${name} has ${given.length} characters; the limit is ${profileLimits.maxValueLength}`,
        { details: { key: name, length: given.length, limit: profileLimits.maxValueLength } },
      );
    }
    const text = this.redactor.redact(given).text;
    const current = await this.storage.profiles.get(tenant);
    if (current.length >= profileLimits.maxKeys && !current.some((entry) => entry.key === name)) {
      throw new MnemosError(
        'limit_exceeded',
        `the profile already has ${profileLimits.maxKeys} keys; unset one before adding ${name}`,
        { details: { key: name, limit: profileLimits.maxKeys } },
      );
    }
    await this.storage.profiles.change(
      tenant,
      [{ key: name, value: text, source: 'user' }],
      Date.now(),
    );
    const entry = (await this.storage.profiles.get(tenant)).find((item) => item.key === name);
    return entry as ProfileEntry;
  }

  /** Removes one key; false when it was not set. */
  async unset(owner: ProfileOwner, key: string): Promise<boolean> {
    const name = checkedKey(key);
    const applied = await this.storage.profiles.change(
      tenantKey(owner),
      [{ key: name, value: null, source: 'user' }],
      Date.now(),
    );
    return applied > 0;
  }

  /** Changes newest first, of one key or of all. */
  async history(
    owner: ProfileOwner,
    options: { key?: string; limit?: number; offset?: number } = {},
  ): Promise<ProfileHistoryEntry[]> {
    const page = checkPage(options.limit, options.offset, 100);
    return this.storage.profiles.history(
      tenantKey(owner),
      options.key === undefined ? null : checkedKey(options.key),
      page,
    );
  }
}
