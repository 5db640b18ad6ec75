import type { AgentDefinition, ModelChoice } from '../core/agent-definition.js';
import { MnemosError } from '../core/errors.js';

/** What a tenant's (database) definition may use of the server, from `agent.surfaces.http`. */
export interface TenantDefinitionPolicy {
  /** Environment variables a tenant's definition may name as a secret (`env_allow`). */
  envAllow: readonly string[];
}

/**
 * Refuses what a definition stored over HTTP must not do, naming the field (`invalid_input`): read
 * a file of the server (`spec_file`), or send a server environment variable not listed in
 * `agent.surfaces.http.env_allow` to an address of its choosing (OpenAPI auth, a model's
 * `api_key_env`, or a model `base_url` that would carry the provider's key elsewhere).
 */
export function checkTenantDefinition(
  definition: AgentDefinition,
  policy: TenantDefinitionPolicy,
  field = 'definition',
): void {
  const allowed = new Set(policy.envAllow);
  const refuse = (path: string, message: string): never => {
    throw new MnemosError('invalid_input', `${field}.${path}: ${message}`, {
      details: { field: `${field}.${path}` },
    });
  };
  const checkEnv = (path: string, name: string): void => {
    if (allowed.has(name)) return;
    refuse(
      path,
      `${name} is not in agent.surfaces.http.env_allow (${allowed.size > 0 ? [...allowed].join(', ') : 'empty'}); a definition stored over HTTP may only name the environment variables the server's configuration lists there`,
    );
  };
  const checkModel = (path: string, model: ModelChoice): void => {
    if (typeof model === 'string') return;
    if (model.api_key_env !== undefined) checkEnv(`${path}.api_key_env`, model.api_key_env);
    else if (model.base_url !== undefined)
      refuse(
        `${path}.base_url`,
        'a model address in a definition stored over HTTP needs api_key_env naming a variable of agent.surfaces.http.env_allow (otherwise the provider key of the server would be sent there)',
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
    if (typeof tool === 'string' || tool.type !== 'openapi') continue;
    const at = `tools.${index}`;
    if (tool.spec_file !== undefined)
      refuse(
        `${at}.spec_file`,
        'a definition stored over HTTP cannot read files of the server; give the document as spec_url',
      );
    const auth = tool.auth;
    if (auth === undefined) continue;
    if (auth.type === 'bearer') checkEnv(`${at}.auth.token_env`, auth.token_env);
    else checkEnv(`${at}.auth.value_env`, auth.value_env);
  }
}
