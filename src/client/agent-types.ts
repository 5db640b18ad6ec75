import type { AgentDefinition, DefinitionOrigin } from '../core/agent-definition.js';

export type {
  AgentDefinition,
  AgentDefinitionInput,
  DefinitionOrigin,
} from '../core/agent-definition.js';

/** An agent as `/v1/agents` shows it. */
export interface AgentListing {
  name: string;
  /** `home`: a file of the server (read-only over the API); `tenant`: the tenant's own. */
  origin: DefinitionOrigin;
  description: string;
  /** The definition's model; null: the server's configured one. */
  model: string | null;
  /** Toolsets the definition names; null: the configured ones. */
  tools: string[] | null;
  version: number;
  createdAt: string;
  updatedAt: string;
  /** The whole definition, defaults applied, snake_case as in a definition file. */
  definition: AgentDefinition;
}
