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
import type { Statements } from './statements.js';

/** The agent definitions of the SQLite backend: one row per (app, tenant, name). */
export class SqliteAgents implements AgentDefinitionStorage {
  constructor(private readonly statements: Statements) {}

  async list(tenant: TenantKey): Promise<AgentDefinitionRecord[]> {
    const rows = this.statements
      .get(
        `SELECT ${agentDefinitionColumns} FROM agent_definitions WHERE app_id = ? AND tenant_id = ? ORDER BY name`,
      )
      .all(tenant.appId, tenant.tenantId) as AgentDefinitionRow[];
    return rows.map(agentDefinitionFromRow);
  }

  async get(tenant: TenantKey, name: string): Promise<AgentDefinitionRecord | null> {
    const row = this.row(tenant, name);
    return row ? agentDefinitionFromRow(row) : null;
  }

  async save(
    tenant: TenantKey,
    write: AgentDefinitionWrite,
    now: number,
  ): Promise<AgentDefinitionRecord> {
    rejectNul(write.definition.name, 'agent name');
    return this.statements.write(() => {
      const current = this.row(tenant, write.definition.name);
      checkAgentVersion(write.definition.name, write.expectedVersion, current?.version ?? null);
      const row = nextAgentRow(write.definition, current, now);
      this.statements
        .get(
          `INSERT INTO agent_definitions (app_id, tenant_id, ${agentDefinitionColumns}) VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (app_id, tenant_id, name) DO UPDATE SET
             definition = excluded.definition, version = excluded.version, updated_at = excluded.updated_at`,
        )
        .run(
          tenant.appId,
          tenant.tenantId,
          row.name,
          row.definition,
          row.version,
          row.created_at,
          row.updated_at,
        );
      return agentDefinitionFromRow(row);
    });
  }

  async delete(tenant: TenantKey, name: string): Promise<boolean> {
    return this.statements.write(
      () =>
        this.statements
          .get('DELETE FROM agent_definitions WHERE app_id = ? AND tenant_id = ? AND name = ?')
          .run(tenant.appId, tenant.tenantId, name).changes > 0,
    );
  }

  private row(tenant: TenantKey, name: string): AgentDefinitionRow | undefined {
    return this.statements
      .get(
        `SELECT ${agentDefinitionColumns} FROM agent_definitions WHERE app_id = ? AND tenant_id = ? AND name = ?`,
      )
      .get(tenant.appId, tenant.tenantId, name) as AgentDefinitionRow | undefined;
  }
}
