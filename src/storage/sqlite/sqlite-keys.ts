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
import type { Statements } from './statements.js';

/** API keys and the audit trail of the SQLite backend. */
export class SqliteKeys implements KeyStorage {
  constructor(private readonly statements: Statements) {}

  async create(record: ApiKeyRecord, hash: string): Promise<void> {
    return this.statements.write(() => {
      this.statements
        .get(
          `INSERT INTO api_keys (${keyColumns}, hash) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?)`,
        )
        .run(
          record.id,
          record.prefix,
          record.name,
          record.appId,
          record.tenantId,
          record.admin ? 1 : 0,
          Date.parse(record.createdAt),
          hash,
        );
    });
  }

  /** The live key with this hash, marking it used. */
  async findByHash(hash: string, now: number): Promise<ApiKeyRecord | null> {
    return this.statements.write(() => {
      const row = this.statements
        .get(`SELECT ${keyColumns} FROM api_keys WHERE hash = ? AND revoked_at IS NULL`)
        .get(hash) as KeyRow | undefined;
      if (!row) return null;
      // Last use is advisory; updating it at most once a minute keeps reads cheap.
      if (row.last_used_at === null || now - row.last_used_at > 60_000) {
        this.statements.get('UPDATE api_keys SET last_used_at = ? WHERE id = ?').run(now, row.id);
      }
      return keyFromRow(row);
    });
  }

  async list(tenant: TenantKey | null): Promise<ApiKeyRecord[]> {
    const rows = (
      tenant
        ? this.statements
            .get(
              `SELECT ${keyColumns} FROM api_keys WHERE app_id = ? AND tenant_id = ? ORDER BY created_at`,
            )
            .all(tenant.appId, tenant.tenantId)
        : this.statements.get(`SELECT ${keyColumns} FROM api_keys ORDER BY created_at`).all()
    ) as KeyRow[];
    return rows.map(keyFromRow);
  }

  async revoke(id: string, now: number): Promise<boolean> {
    return this.statements.write(() => {
      return (
        this.statements
          .get('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL')
          .run(now, id).changes > 0
      );
    });
  }

  async appendAudit(entry: AuditEntry): Promise<void> {
    return this.statements.write(() => {
      this.statements
        .get(
          `INSERT INTO audit_log (id, app_id, tenant_id, key_id, method, path, status, store, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          entry.id,
          entry.appId,
          entry.tenantId,
          entry.keyId,
          entry.method,
          entry.path,
          entry.status,
          entry.store,
          Date.parse(entry.createdAt),
        );
    });
  }

  async listAudit(tenant: TenantKey, page: Page): Promise<AuditEntry[]> {
    const rows = this.statements
      .get(
        'SELECT id, app_id, tenant_id, key_id, method, path, status, store, created_at FROM audit_log WHERE app_id = ? AND tenant_id = ? ORDER BY seq DESC LIMIT ? OFFSET ?',
      )
      .all(tenant.appId, tenant.tenantId, page.limit, page.offset) as AuditRow[];
    return rows.map(auditFromRow);
  }
}
