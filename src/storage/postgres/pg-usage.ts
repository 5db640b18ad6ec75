import type { TenantKey } from '../../core/scope.js';
import type { TokenCounts, UsageStorage } from '../../spec/storage.js';
import type { Database } from './database.js';

/** Token counts of the Postgres backend: one row per (tenant, session, day), added to by upsert. */
export class PostgresUsage implements UsageStorage {
  constructor(private readonly db: Database) {}

  async add(tenant: TenantKey, sessionId: string, day: string, tokens: TokenCounts): Promise<void> {
    await this.db.run(
      `INSERT INTO token_usage (app_id, tenant_id, session_id, day, input_tokens, output_tokens, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (app_id, tenant_id, session_id, day) DO UPDATE SET
         input_tokens = token_usage.input_tokens + excluded.input_tokens,
         output_tokens = token_usage.output_tokens + excluded.output_tokens,
         updated_at = excluded.updated_at`,
      [tenant.appId, tenant.tenantId, sessionId, day, tokens.input, tokens.output, Date.now()],
    );
  }

  async totals(
    tenant: TenantKey,
    filter: { sessionId?: string; day?: string } = {},
  ): Promise<TokenCounts> {
    const conditions = ['app_id = $1', 'tenant_id = $2'];
    const params: string[] = [tenant.appId, tenant.tenantId];
    if (filter.sessionId !== undefined) {
      params.push(filter.sessionId);
      conditions.push(`session_id = $${params.length}`);
    }
    if (filter.day !== undefined) {
      params.push(filter.day);
      conditions.push(`day = $${params.length}`);
    }
    const rows = await this.db.rows<{ input: string; output: string }>(
      `SELECT COALESCE(SUM(input_tokens), 0) AS input, COALESCE(SUM(output_tokens), 0) AS output
       FROM token_usage WHERE ${conditions.join(' AND ')}`,
      params,
    );
    return { input: Number(rows[0]?.input ?? 0), output: Number(rows[0]?.output ?? 0) };
  }
}
