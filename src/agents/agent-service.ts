import type { AgentDefinitionRecord } from '../core/agent-definition.js';
import { MnemosError } from '../core/errors.js';
import type { TenantKey } from '../core/scope.js';
import type { AgentDefinitionStorage } from '../spec/storage.js';
import { AgentCatalog } from './agent-catalog.js';
import { checkAgentDefinition, fieldDefinitionError } from './agent-definition-file.js';
import { readHomeAgents } from './home-agents.js';
import { checkTenantDefinition, type TenantDefinitionPolicy } from './tenant-definition-policy.js';

/** A tenant's new definition: the fields as in a definition file (snake_case), not yet validated. */
export interface AgentDefinitionChange {
  definition: unknown;
  /** The version it was made from (0: must not exist yet); absent: no check. */
  expectedVersion?: number | undefined;
}

/**
 * Agents as configuration: the home's `agents/*.yaml` (written by whoever runs Mnemos, trusted) and
 * each tenant's definitions in the database (written over HTTP, held to {@link checkTenantDefinition}).
 */
export class AgentService {
  constructor(
    private readonly storage: AgentDefinitionStorage,
    /** The Mnemos home; its definitions live in `<home>/agents`. */
    readonly home: string,
    private readonly policy: TenantDefinitionPolicy,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The home's agents only (`mnemos chat`, the CLI). */
  local(): AgentCatalog {
    return new AgentCatalog(this.home);
  }

  /** What one (app, tenant) sees: its own definitions, then the home's. */
  forTenant(tenant: TenantKey): AgentCatalog {
    return new AgentCatalog(this.home, {
      storage: this.storage,
      tenant: { appId: tenant.appId, tenantId: tenant.tenantId },
    });
  }

  /**
   * Validates and stores a tenant's definition (a home one of the name is shadowed, not changed).
   * Errors name the field under `definition.`; a stale `expectedVersion` fails with `conflict`.
   */
  async save(tenant: TenantKey, change: AgentDefinitionChange): Promise<AgentDefinitionRecord> {
    const checked = checkAgentDefinition(change.definition);
    if (checked.definition === null) throw fieldDefinitionError('definition', checked.issues);
    checkTenantDefinition(checked.definition, this.policy);
    return this.storage.save(
      { appId: tenant.appId, tenantId: tenant.tenantId },
      { definition: checked.definition, expectedVersion: change.expectedVersion },
      this.clock(),
    );
  }

  /**
   * Deletes a tenant's definition (a home one of the name shows again). A home-only name fails with
   * `conflict` (home files are changed on the server, not over the API); an unknown one `not_found`.
   */
  async delete(tenant: TenantKey, name: string): Promise<void> {
    if (await this.storage.delete({ appId: tenant.appId, tenantId: tenant.tenantId }, name)) return;
    const home = readHomeAgents(this.home).records.find(
      (record) => record.definition.name === name,
    );
    if (home) {
      throw new MnemosError(
        'conflict',
        `agent ${name} is defined by the server's home (agents/${home.path?.split(/[\\/]/).pop() ?? `${name}.yaml`}) and cannot be deleted here; PUT a definition of the same name to replace it for this tenant`,
        { details: { name, origin: 'home' } },
      );
    }
    await this.forTenant(tenant).require(name);
  }
}

/** {@link AgentService.local} without an open engine (commands that read only the home's files). */
export function localAgents(home: string): AgentCatalog {
  return new AgentCatalog(home);
}
