import type { AgentDefinitionRecord } from '../core/agent-definition.js';
import { MnemosError } from '../core/errors.js';
import type { TenantKey } from '../core/scope.js';
import type { AgentDefinitionStorage } from '../spec/storage.js';
import { type BrokenAgentFile, readHomeAgents } from './home-agents.js';

/** Where a catalog reads a tenant's definitions; absent for the local (home-only) catalog. */
export interface TenantDefinitions {
  storage: AgentDefinitionStorage;
  tenant: TenantKey;
}

/**
 * The agents one place sees by name: the home's `agents/*.yaml` and, for a tenant, its own
 * definitions in the database, which win over a home one of the same name. Files are read on every
 * call, so an edited file counts at once.
 */
export class AgentCatalog {
  constructor(
    private readonly home: string,
    private readonly tenant: TenantDefinitions | null = null,
  ) {}

  /** Every definition that loads, by name, each with its origin. */
  async list(): Promise<AgentDefinitionRecord[]> {
    const byName = new Map<string, AgentDefinitionRecord>();
    for (const record of readHomeAgents(this.home).records)
      byName.set(record.definition.name, record);
    if (this.tenant) {
      for (const record of await this.tenant.storage.list(this.tenant.tenant))
        byName.set(record.definition.name, record);
    }
    return [...byName.values()].sort((a, b) =>
      a.definition.name < b.definition.name ? -1 : a.definition.name > b.definition.name ? 1 : 0,
    );
  }

  /** Home definition files that do not load, with why (they are left out of {@link list}). */
  broken(): BrokenAgentFile[] {
    return readHomeAgents(this.home).broken;
  }

  /** The definition of this name (the tenant's before the home's), or null. */
  async get(name: string): Promise<AgentDefinitionRecord | null> {
    if (this.tenant) {
      const own = await this.tenant.storage.get(this.tenant.tenant, name);
      if (own) return own;
    }
    return (
      readHomeAgents(this.home).records.find((record) => record.definition.name === name) ?? null
    );
  }

  /** The definition of this name; `not_found` naming the known agents (and a broken file of it). */
  async require(name: string): Promise<AgentDefinitionRecord> {
    const found = await this.get(name);
    if (found) return found;
    const known = (await this.list()).map((record) => record.definition.name);
    const broken = this.broken().find((file) => file.name === name);
    const why = broken
      ? `its file does not load: ${broken.error}`
      : known.length > 0
        ? `known agents: ${known.join(', ')}`
        : 'no agents are defined yet: write <home>/agents/NAME.yaml (see docs/agents.md)';
    throw new MnemosError('not_found', `no agent named ${name}; ${why}`, {
      details: { name, known },
    });
  }
}
