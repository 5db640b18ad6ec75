import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { MnemosError } from '../core/errors.js';
import { createKeySchema, type KeyCreateInput } from '../core/key-inputs.js';
import type { ApiKeyRecord, AuditEntry } from '../core/key-record.js';
import { checkPage } from '../core/limits.js';
import { parseInput } from '../core/schemas.js';
import { writeScope } from '../core/scope.js';
import type { Storage } from '../spec/storage.js';

const keyPrefix = 'mn_';

/** SHA-256 of a key, hex: what storage keeps instead of the key. */
export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/**
 * API keys of the HTTP service: created once (the secret is shown only then), stored as hashes,
 * listed and revoked; plus the audit trail of mutating requests.
 */
export class KeyService {
  constructor(private readonly storage: Storage) {}

  /** Creates a key for one (app, tenant); returns the record and the secret, which is not kept. */
  async create(input: KeyCreateInput): Promise<{ key: string; record: ApiKeyRecord }> {
    const parsed = parseInput(createKeySchema, input, 'key');
    writeScope({ appId: parsed.appId, tenantId: parsed.tenantId, agentId: 'key', runId: 'key' });
    const key = `${keyPrefix}${randomBytes(32).toString('base64url')}`;
    const record: ApiKeyRecord = {
      id: randomUUID(),
      prefix: key.slice(0, 10),
      name: parsed.name,
      appId: parsed.appId,
      tenantId: parsed.tenantId,
      admin: parsed.admin,
      createdAt: new Date().toISOString(),
      lastUsedAt: null,
      revokedAt: null,
    };
    await this.storage.keys.create(record, hashKey(key));
    return { key, record };
  }

  /** The live key record of a presented secret, or null. */
  async authenticate(key: string): Promise<ApiKeyRecord | null> {
    if (!key.startsWith(keyPrefix) || key.length > 200) return null;
    return this.storage.keys.findByHash(hashKey(key), Date.now());
  }

  /** Keys of a tenant, or all keys. */
  async list(tenant?: { appId: string; tenantId: string }): Promise<ApiKeyRecord[]> {
    return this.storage.keys.list(tenant ?? null);
  }

  async revoke(id: string): Promise<void> {
    if (!(await this.storage.keys.revoke(id, Date.now()))) {
      throw new MnemosError('not_found', `key ${id} not found or already revoked`, {
        details: { id },
      });
    }
  }

  /** Records a mutating request (method, path, status; never bodies). */
  async audit(entry: Omit<AuditEntry, 'id' | 'createdAt'>): Promise<void> {
    await this.storage.keys.appendAudit({
      ...entry,
      id: randomUUID(),
      createdAt: new Date().toISOString(),
    });
  }

  /** A tenant's recorded requests, newest first. */
  async requests(
    tenant: { appId: string; tenantId: string },
    options: { limit?: number; offset?: number } = {},
  ): Promise<AuditEntry[]> {
    return this.storage.keys.listAudit(tenant, checkPage(options.limit, options.offset, 50));
  }
}
