import type { AgentDefinitionInput } from '../core/agent-definition.js';
import type { AgentListing } from './agent-types.js';
import { type HttpTransport, segment } from './http-transport.js';
import type { CallOptions } from './types.js';

/** Agents as configuration: the tenant's own definitions over the server's home ones. */
export class AgentsApi {
  constructor(private readonly http: HttpTransport) {}

  /** The tenant's agents by name, each with its origin and whole definition. */
  async list(options: CallOptions = {}): Promise<AgentListing[]> {
    const { agents } = await this.http.json<{ agents: AgentListing[] }>(
      'GET',
      '/v1/agents',
      options,
    );
    return agents;
  }

  get(name: string, options: CallOptions = {}): Promise<AgentListing> {
    return this.http.json('GET', `/v1/agents${segment(name)}`, options);
  }

  /**
   * Creates or replaces the tenant's definition of an agent (admin key); fields as in a definition
   * file. `expectedVersion` (0: must not exist yet) makes a stale change fail with `conflict`.
   */
  put(
    name: string,
    definition: Omit<AgentDefinitionInput, 'name'> & { name?: string },
    options: CallOptions & { expectedVersion?: number } = {},
  ): Promise<AgentListing> {
    const { expectedVersion, ...call } = options;
    return this.http.json('PUT', `/v1/agents${segment(name)}`, {
      ...call,
      body: { definition, ...(expectedVersion !== undefined ? { expectedVersion } : {}) },
    });
  }

  /** Deletes the tenant's definition (admin key); a home one of the name shows again. */
  async delete(name: string, options: CallOptions = {}): Promise<void> {
    await this.http.json('DELETE', `/v1/agents${segment(name)}`, options);
  }
}
