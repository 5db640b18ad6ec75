import type { ApiKeyRecord, AuditEntry } from '../../core/key-record.js';
import type { TenantKey } from '../../core/scope.js';
import type { KeyStorage, Page } from '../../spec/storage.js';
import {
  type AuditRow,
  auditFromRow,
  type KeyRow,
  keyColumns,
  keyFromRow,
} from '../shared/record-rows.js';
import type { Database } from './database.js';

/**
 * API keys and the audit trail of the Postgres backend. `api_keys` is global: a request's key is
 * looked up by its hash before its tenant is known.
 */
export class PostgresKeys implements KeyStorage {
  constructor(private readonly db: Database) {}

  async create(record: ApiKeyRecord, hash: string): Promise<void> {
    await this.db.run(
      `INSERT INTO api_keys (${keyColumns}, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, NULL, $8)`,
      [
        record.id,
        record.prefix,
        record.name,
        record.appId,
        record.tenantId,
        record.admin,
        Date.parse(record.createdAt),
        hash,
      ],
    );
  }

  /** The live key with this hash, marking it used at most once a minute (last use is advisory). */
  async findByHash(hash: string, now: number): Promise<ApiKeyRecord | null> {
    const rows = await this.db.rows<KeyRow>(
      `SELECT ${keyColumns} FROM api_keys WHERE hash = $1 AND revoked_at IS NULL`,
      [hash],
    );
    const row = rows[0];
    if (!row) return null;
    if (row.last_used_at === null || now - row.last_used_at > 60_000) {
      await this.db.run('UPDATE api_keys SET last_used_at = $1 WHERE id = $2', [now, row.id]);
    }
    return keyFromRow(row);
  }

  async list(tenant: TenantKey | null): Promise<ApiKeyRecord[]> {
    const rows = tenant
      ? await this.db.rows<KeyRow>(
          `SELECT ${keyColumns} FROM api_keys WHERE app_id = $1 AND tenant_id = $2 ORDER BY created_at, seq`,
          [tenant.appId, tenant.tenantId],
        )
      : await this.db.rows<KeyRow>(`SELECT ${keyColumns} FROM api_keys ORDER BY created_at, seq`);
    return rows.map(keyFromRow);
  }

  async revoke(id: string, now: number): Promise<boolean> {
    return (
      (await this.db.run(
        'UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL',
        [now, id],
      )) > 0
    );
  }

  async appendAudit(entry: AuditEntry): Promise<void> {
    await this.db.run(
      `INSERT INTO audit_log (id, app_id, tenant_id, key_id, method, path, status, store, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        entry.id,
        entry.appId,
        entry.tenantId,
        entry.keyId,
        entry.method,
        entry.path,
        entry.status,
        entry.store,
        Date.parse(entry.createdAt),
      ],
    );
  }

  async listAudit(tenant: TenantKey, page: Page): Promise<AuditEntry[]> {
    const rows = await this.db.rows<AuditRow>(
      `SELECT id, app_id, tenant_id, key_id, method, path, status, store, created_at FROM audit_log
       WHERE app_id = $1 AND tenant_id = $2 ORDER BY seq DESC LIMIT $3 OFFSET $4`,
      [tenant.appId, tenant.tenantId, page.limit, page.offset],
    );
    return rows.map(auditFromRow);
  }
}
