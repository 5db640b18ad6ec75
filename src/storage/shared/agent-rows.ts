import {
  type AgentDefinition,
  type AgentDefinitionRecord,
  agentDefinitionSchema,
} from '../../core/agent-definition.js';
import { MnemosError } from '../../core/errors.js';

/** An `agent_definitions` row: the definition as JSON text. */
export interface AgentDefinitionRow {
  name: string;
  definition: string;
  version: number;
  created_at: number;
  updated_at: number;
}

/** Columns of an agent definition row, in {@link AgentDefinitionRow} order. */
export const agentDefinitionColumns = 'name, definition, version, created_at, updated_at';

/** A row as the spec's record; the stored JSON is parsed again, so defaults added later apply. */
export function agentDefinitionFromRow(row: AgentDefinitionRow): AgentDefinitionRecord {
  return {
    definition: agentDefinitionSchema.parse(JSON.parse(row.definition)) as AgentDefinition,
    origin: 'tenant',
    version: Number(row.version),
    createdAt: new Date(Number(row.created_at)).toISOString(),
    updatedAt: new Date(Number(row.updated_at)).toISOString(),
  };
}

/**
 * Fails with `conflict` unless a save made from `expected` (0: not stored yet; undefined: no
 * check) may apply to the definition stored at `stored` (null: none).
 */
export function checkAgentVersion(
  name: string,
  expected: number | undefined,
  stored: number | null,
): void {
  if (expected === undefined || expected === (stored ?? 0)) return;
  throw new MnemosError(
    'conflict',
    stored === null
      ? `agent ${name} was changed since version ${expected}: it no longer exists`
      : expected === 0
        ? `agent ${name} already exists (version ${stored}); send expectedVersion ${stored} to replace it`
        : `agent ${name} was changed since version ${expected}: the stored version is ${stored}`,
    { details: { name, version: stored } },
  );
}

/** The row a save stores, after the one stored now (if any). */
export function nextAgentRow(
  definition: AgentDefinition,
  current: AgentDefinitionRow | undefined,
  now: number,
): AgentDefinitionRow {
  return {
    name: definition.name,
    definition: JSON.stringify(definition),
    version: (current ? Number(current.version) : 0) + 1,
    created_at: current ? Number(current.created_at) : now,
    updated_at: now,
  };
}
