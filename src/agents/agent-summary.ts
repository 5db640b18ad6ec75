import type { AgentDefinition, AgentToolEntry, ModelChoice } from '../core/agent-definition.js';

/** The model of a definition in one word (`provider/model`, a model name), or null: the configured one. */
export function definitionModel(definition: AgentDefinition): string | null {
  const llm = definition.llm;
  if (llm === undefined) return null;
  return modelText(llm);
}

function modelText(choice: ModelChoice): string {
  if (typeof choice === 'string') return choice;
  const name = choice.model ?? '(default model)';
  return choice.provider ? `${choice.provider}/${name}` : name;
}

/** The toolsets a definition names (`web`, `mcp_<server>`, `openapi_<name>`), or null: the configured ones. */
export function definitionToolsets(definition: AgentDefinition): string[] | null {
  if (definition.tools === undefined) return null;
  return definition.tools.map(toolsetOf);
}

function toolsetOf(entry: AgentToolEntry): string {
  if (typeof entry === 'string') return entry;
  if (entry.type === 'builtin') return entry.name;
  if (entry.type === 'mcp') return `mcp_${entry.server}`;
  return `openapi_${entry.name}`;
}
