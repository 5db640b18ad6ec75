import type { AgentDefinition, ModelChoice } from '../core/agent-definition.js';
import { MnemosError } from '../core/errors.js';

/** What a tenant's (database) definition may use of the server, from `agent.surfaces.http`. */
export interface TenantDefinitionPolicy {
  /** Environment variables a tenant's definition may name as a secret (`env_allow`). */
  envAllow: readonly string[];
}

/** Throws `invalid_input` for a field of a tenant's definition, named under `field`. */
function refuser(field: string) {
  return (path: string, message: string): never => {
    throw new MnemosError('invalid_input', `${field}.${path}: ${message}`, {
      details: { field: `${field}.${path}` },
    });
  };
}

/**
 * Refuses where a tenant's definition would point the server's own resources, naming the field
 * (`invalid_input`): a model's address or key variable (`base_url`, `api_key_env`: the server's
 * model key would follow it) or a file of the server (`spec_file`).
 */
export function checkTenantReach(definition: AgentDefinition, field = 'definition'): void {
  const refuse = refuser(field);
  const checkModel = (path: string, model: ModelChoice): void => {
    if (typeof model === 'string') return;
    for (const key of ['base_url', 'api_key_env'] as const)
      if (model[key] !== undefined)
        refuse(
          `${path}.${key}`,
          "not allowed in a tenant's definition: the server's configuration decides model addresses and keys (choose a model by provider/model name)",
        );
  };
  const llm = definition.llm;
  if (llm !== undefined) {
    checkModel('llm', llm);
    if (typeof llm !== 'string')
      for (const [index, fallback] of (llm.fallback ?? []).entries())
        checkModel(`llm.fallback.${index}`, fallback);
  }
  for (const [index, tool] of (definition.tools ?? []).entries()) {
    if (typeof tool !== 'string' && tool.type === 'openapi' && tool.spec_file !== undefined)
      refuse(
        `tools.${index}.spec_file`,
        'a definition stored over HTTP cannot read files of the server; give the document as spec_url',
      );
  }
}

/**
 * Refuses what a definition stored over HTTP must not do, naming the field (`invalid_input`): what
 * {@link checkTenantReach} refuses, and sending a server environment variable not listed in
 * `agent.surfaces.http.env_allow` to an address of its choosing (OpenAPI auth).
 */
export function checkTenantDefinition(
  definition: AgentDefinition,
  policy: TenantDefinitionPolicy,
  field = 'definition',
): void {
  const allowed = new Set(policy.envAllow);
  const refuse = refuser(field);
  const checkEnv = (path: string, name: string): void => {
    if (allowed.has(name)) return;
    refuse(
      path,
      `${name} is not in agent.surfaces.http.env_allow (${allowed.size > 0 ? [...allowed].join(', ') : 'empty'}); a definition stored over HTTP may only name the environment variables the server's configuration lists there`,
    );
  };
  checkTenantReach(definition, field);
  for (const [index, tool] of (definition.tools ?? []).entries()) {
    if (typeof tool === 'string' || tool.type !== 'openapi' || tool.auth === undefined) continue;
    const auth = tool.auth;
    const at = `tools.${index}`;
    if (auth.type === 'bearer') checkEnv(`${at}.auth.token_env`, auth.token_env);
    else checkEnv(`${at}.auth.value_env`, auth.value_env);
  }
}
