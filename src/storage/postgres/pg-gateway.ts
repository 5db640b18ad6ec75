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
import type { Database } from './database.js';

/** The messaging gateway's records on Postgres: pairings, failed approvals, accounts, chat bindings. */
export class PostgresGateway implements GatewayStorage {
  constructor(private readonly db: Database) {}

  async addPairing(request: PairingRequest): Promise<void> {
    await this.db.run(
      `INSERT INTO gateway_pairings (${pairingColumns}) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      pairingValues(request),
    );
  }

  async pairings(now: number): Promise<PairingRequest[]> {
    const rows = await this.db.rows<PairingRow>(
      `SELECT ${pairingColumns} FROM gateway_pairings WHERE expires_at > $1
       ORDER BY created_at, code_hash`,
      [now],
    );
    return rows.map(pairingFromRow);
  }

  async pairingOf(platform: string, userId: string): Promise<PairingRequest | null> {
    const rows = await this.db.rows<PairingRow>(
      `SELECT ${pairingColumns} FROM gateway_pairings WHERE platform = $1 AND user_id = $2
       ORDER BY created_at DESC LIMIT 1`,
      [platform, userId],
    );
    return rows[0] ? pairingFromRow(rows[0]) : null;
  }

  async takePairing(codeHash: string, now: number): Promise<PairingRequest | null> {
    const rows = await this.db.rows<PairingRow>(
      `DELETE FROM gateway_pairings WHERE code_hash = $1 AND expires_at > $2
       RETURNING ${pairingColumns}`,
      [codeHash, now],
    );
    return rows[0] ? pairingFromRow(rows[0]) : null;
  }

  async prunePairings(
    before: number,
    person?: { platform: string; userId: string },
  ): Promise<number> {
    let removed = await this.db.run('DELETE FROM gateway_pairings WHERE expires_at < $1', [before]);
    if (person) {
      removed += await this.db.run(
        'DELETE FROM gateway_pairings WHERE platform = $1 AND user_id = $2',
        [person.platform, person.userId],
      );
    }
    return removed;
  }

  async recordFailure(at: number): Promise<void> {
    await this.db.run('INSERT INTO gateway_failures (at) VALUES ($1)', [at]);
  }

  async failures(since: number): Promise<number[]> {
    const rows = await this.db.rows<{ at: string | number }>(
      'SELECT at FROM gateway_failures WHERE at >= $1 ORDER BY at',
      [since],
    );
    return rows.map((row) => Number(row.at));
  }

  async clearFailures(): Promise<void> {
    await this.db.run('DELETE FROM gateway_failures');
  }

  async saveAccount(account: GatewayAccount): Promise<void> {
    await this.db.run(
      `INSERT INTO gateway_accounts (${accountColumns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (platform, user_id) DO UPDATE SET user_name = EXCLUDED.user_name,
         app_id = EXCLUDED.app_id, tenant_id = EXCLUDED.tenant_id,
         approved_by = EXCLUDED.approved_by, status = EXCLUDED.status,
         updated_at = EXCLUDED.updated_at`,
      accountValues(account),
    );
  }

  async account(platform: string, userId: string): Promise<GatewayAccount | null> {
    const rows = await this.db.rows<AccountRow>(
      `SELECT ${accountColumns} FROM gateway_accounts WHERE platform = $1 AND user_id = $2`,
      [platform, userId],
    );
    return rows[0] ? accountFromRow(rows[0]) : null;
  }

  async accounts(): Promise<GatewayAccount[]> {
    const rows = await this.db.rows<AccountRow>(
      `SELECT ${accountColumns} FROM gateway_accounts ORDER BY platform, user_id`,
    );
    return rows.map(accountFromRow);
  }

  async binding(tenant: TenantKey, chatKey: string): Promise<ChatBinding | null> {
    const rows = await this.db.rows<BindingRow>(
      `SELECT chat_key, platform, session_id, updated_at FROM gateway_bindings
       WHERE app_id = $1 AND tenant_id = $2 AND chat_key = $3`,
      [tenant.appId, tenant.tenantId, chatKey],
    );
    return rows[0] ? bindingFromRow(rows[0]) : null;
  }

  async bind(tenant: TenantKey, binding: ChatBinding): Promise<void> {
    await this.db.run(
      `INSERT INTO gateway_bindings (app_id, tenant_id, chat_key, platform, session_id, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (app_id, tenant_id, chat_key) DO UPDATE SET platform = EXCLUDED.platform,
         session_id = EXCLUDED.session_id, updated_at = EXCLUDED.updated_at`,
      [
        tenant.appId,
        tenant.tenantId,
        binding.chatKey,
        binding.platform,
        binding.sessionId,
        binding.updatedAt,
      ],
    );
  }
}
