import type { AgentDefinitionRecord } from '../../core/agent-definition.js';
import { rejectNul } from '../../core/schemas.js';
import type { TenantKey } from '../../core/scope.js';
import type { AgentDefinitionStorage, AgentDefinitionWrite } from '../../spec/storage.js';
import {
  type AgentDefinitionRow,
  agentDefinitionColumns,
  agentDefinitionFromRow,
  checkAgentVersion,
  nextAgentRow,
} from '../shared/agent-rows.js';
import type { Database } from './database.js';

/** The agent definitions of the Postgres backend: one row per (app, tenant, name). */
export class PostgresAgents implements AgentDefinitionStorage {
  constructor(private readonly db: Database) {}

  async list(tenant: TenantKey): Promise<AgentDefinitionRecord[]> {
    const rows = await this.db.rows<AgentDefinitionRow>(
      `SELECT ${agentDefinitionColumns} FROM agent_definitions WHERE app_id = $1 AND tenant_id = $2 ORDER BY name COLLATE "C"`,
      [tenant.appId, tenant.tenantId],
    );
    return rows.map(agentDefinitionFromRow);
  }

  async get(tenant: TenantKey, name: string): Promise<AgentDefinitionRecord | null> {
    const rows = await this.db.rows<AgentDefinitionRow>(
      `SELECT ${agentDefinitionColumns} FROM agent_definitions WHERE app_id = $1 AND tenant_id = $2 AND name = $3`,
      [tenant.appId, tenant.tenantId, name],
    );
    return rows[0] ? agentDefinitionFromRow(rows[0]) : null;
  }

  async save(
    tenant: TenantKey,
    write: AgentDefinitionWrite,
    now: number,
  ): Promise<AgentDefinitionRecord> {
    rejectNul(write.definition.name, 'agent name');
    const name = write.definition.name;
    return this.db.transaction(async (sql) => {
      // Concurrent saves of one name run one after the other, even before its first row exists.
      await sql.run(
        "SELECT pg_advisory_xact_lock(hashtextextended('mnemos.agent' || chr(31) || $1 || chr(31) || $2 || chr(31) || $3, 0))",
        [tenant.appId, tenant.tenantId, name],
      );
      const [current] = await sql.rows<AgentDefinitionRow>(
        `SELECT ${agentDefinitionColumns} FROM agent_definitions WHERE app_id = $1 AND tenant_id = $2 AND name = $3`,
        [tenant.appId, tenant.tenantId, name],
      );
      checkAgentVersion(name, write.expectedVersion, current ? Number(current.version) : null);
      const row = nextAgentRow(write.definition, current, now);
      await sql.run(
        `INSERT INTO agent_definitions (app_id, tenant_id, ${agentDefinitionColumns}) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (app_id, tenant_id, name) DO UPDATE SET
           definition = excluded.definition, version = excluded.version, updated_at = excluded.updated_at`,
        [
          tenant.appId,
          tenant.tenantId,
          row.name,
          row.definition,
          row.version,
          row.created_at,
          row.updated_at,
        ],
      );
      return agentDefinitionFromRow(row);
    });
  }

  async delete(tenant: TenantKey, name: string): Promise<boolean> {
    const changed = await this.db.run(
      'DELETE FROM agent_definitions WHERE app_id = $1 AND tenant_id = $2 AND name = $3',
      [tenant.appId, tenant.tenantId, name],
    );
    return changed > 0;
  }
}
