import type { ChatBinding, GatewayAccount, PairingRequest } from '../../core/gateway-record.js';
import type { TenantKey } from '../../core/scope.js';
import type { GatewayStorage } from '../../spec/storage.js';
import {
  type AccountRow,
  accountColumns,
  accountFromRow,
  accountValues,
  type BindingRow,
  bindingFromRow,
  type PairingRow,
  pairingColumns,
  pairingFromRow,
  pairingValues,
} from '../shared/gateway-rows.js';
import type { Statements } from './statements.js';

/** The messaging gateway's records on SQLite: pairings, failed approvals, accounts, chat bindings. */
export class SqliteGateway implements GatewayStorage {
  constructor(private readonly statements: Statements) {}

  async addPairing(request: PairingRequest): Promise<void> {
    this.statements.write(() =>
      this.statements
        .get(`INSERT INTO gateway_pairings (${pairingColumns}) VALUES (?, ?, ?, ?, ?, ?, ?)`)
        .run(...pairingValues(request)),
    );
  }

  async pairings(now: number): Promise<PairingRequest[]> {
    const rows = this.statements
      .get(
        `SELECT ${pairingColumns} FROM gateway_pairings WHERE expires_at > ? ORDER BY created_at, rowid`,
      )
      .all(now) as PairingRow[];
    return rows.map(pairingFromRow);
  }

  async pairingOf(platform: string, userId: string): Promise<PairingRequest | null> {
    const row = this.statements
      .get(
        `SELECT ${pairingColumns} FROM gateway_pairings WHERE platform = ? AND user_id = ?
         ORDER BY created_at DESC, rowid DESC LIMIT 1`,
      )
      .get(platform, userId) as PairingRow | undefined;
    return row ? pairingFromRow(row) : null;
  }

  async takePairing(codeHash: string, now: number): Promise<PairingRequest | null> {
    return this.statements.write(() => {
      const row = this.statements
        .get(
          `DELETE FROM gateway_pairings WHERE code_hash = ? AND expires_at > ? RETURNING ${pairingColumns}`,
        )
        .get(codeHash, now) as PairingRow | undefined;
      return row ? pairingFromRow(row) : null;
    });
  }

  async prunePairings(
    before: number,
    person?: { platform: string; userId: string },
  ): Promise<number> {
    return this.statements.write(() => {
      let removed = this.statements
        .get('DELETE FROM gateway_pairings WHERE expires_at < ?')
        .run(before).changes;
      if (person) {
        removed += this.statements
          .get('DELETE FROM gateway_pairings WHERE platform = ? AND user_id = ?')
          .run(person.platform, person.userId).changes;
      }
      return removed;
    });
  }

  async recordFailure(at: number): Promise<void> {
    this.statements.write(() =>
      this.statements.get('INSERT INTO gateway_failures (at) VALUES (?)').run(at),
    );
  }

  async failures(since: number): Promise<number[]> {
    const rows = this.statements
      .get('SELECT at FROM gateway_failures WHERE at >= ? ORDER BY at')
      .all(since) as Array<{ at: number }>;
    return rows.map((row) => Number(row.at));
  }

  async clearFailures(): Promise<void> {
    this.statements.write(() => this.statements.get('DELETE FROM gateway_failures').run());
  }

  async saveAccount(account: GatewayAccount): Promise<void> {
    this.statements.write(() =>
      this.statements
        .get(
          `INSERT INTO gateway_accounts (${accountColumns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (platform, user_id) DO UPDATE SET user_name = excluded.user_name,
             app_id = excluded.app_id, tenant_id = excluded.tenant_id,
             approved_by = excluded.approved_by, status = excluded.status,
             updated_at = excluded.updated_at`,
        )
        .run(...accountValues(account)),
    );
  }

  async account(platform: string, userId: string): Promise<GatewayAccount | null> {
    const row = this.statements
      .get(`SELECT ${accountColumns} FROM gateway_accounts WHERE platform = ? AND user_id = ?`)
      .get(platform, userId) as AccountRow | undefined;
    return row ? accountFromRow(row) : null;
  }

  async accounts(): Promise<GatewayAccount[]> {
    const rows = this.statements
      .get(`SELECT ${accountColumns} FROM gateway_accounts ORDER BY platform, user_id`)
      .all() as AccountRow[];
    return rows.map(accountFromRow);
  }

  async binding(tenant: TenantKey, chatKey: string): Promise<ChatBinding | null> {
    const row = this.statements
      .get(
        `SELECT chat_key, platform, session_id, updated_at FROM gateway_bindings
         WHERE app_id = ? AND tenant_id = ? AND chat_key = ?`,
      )
      .get(tenant.appId, tenant.tenantId, chatKey) as BindingRow | undefined;
    return row ? bindingFromRow(row) : null;
  }

  async bind(tenant: TenantKey, binding: ChatBinding): Promise<void> {
    this.statements.write(() =>
      this.statements
        .get(
          `INSERT INTO gateway_bindings (app_id, tenant_id, chat_key, platform, session_id, updated_at)
           VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (app_id, tenant_id, chat_key) DO UPDATE SET platform = excluded.platform,
             session_id = excluded.session_id, updated_at = excluded.updated_at`,
        )
        .run(
          tenant.appId,
          tenant.tenantId,
          binding.chatKey,
          binding.platform,
          binding.sessionId,
          binding.updatedAt,
        ),
    );
  }
}
