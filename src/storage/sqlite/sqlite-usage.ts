import type { TenantKey } from '../../core/scope.js';
import type { TokenCounts, UsageStorage } from '../../spec/storage.js';
import type { Statements } from './statements.js';

/** Token counts of the SQLite backend: one row per (tenant, session, day), added to by upsert. */
export class SqliteUsage implements UsageStorage {
  constructor(private readonly statements: Statements) {}

  async add(tenant: TenantKey, sessionId: string, day: string, tokens: TokenCounts): Promise<void> {
    this.statements.write(() => {
      this.statements
        .get(
          `INSERT INTO token_usage (app_id, tenant_id, session_id, day, input_tokens, output_tokens, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (app_id, tenant_id, session_id, day) DO UPDATE SET
             input_tokens = input_tokens + excluded.input_tokens,
             output_tokens = output_tokens + excluded.output_tokens,
             updated_at = excluded.updated_at`,
        )
        .run(
          tenant.appId,
          tenant.tenantId,
          sessionId,
          day,
          tokens.input,
          tokens.output,
          Date.now(),
        );
    });
  }

  async totals(
    tenant: TenantKey,
    filter: { sessionId?: string; day?: string } = {},
  ): Promise<TokenCounts> {
    const conditions = ['app_id = ?', 'tenant_id = ?'];
    const params: string[] = [tenant.appId, tenant.tenantId];
    if (filter.sessionId !== undefined) {
      conditions.push('session_id = ?');
      params.push(filter.sessionId);
    }
    if (filter.day !== undefined) {
      conditions.push('day = ?');
      params.push(filter.day);
    }
    const row = this.statements
      .get(
        `SELECT COALESCE(SUM(input_tokens), 0) AS input, COALESCE(SUM(output_tokens), 0) AS output
         FROM token_usage WHERE ${conditions.join(' AND ')}`,
      )
      .get(...params) as { input: number; output: number };
    return { input: row.input, output: row.output };
  }
}
