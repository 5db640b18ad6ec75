import type { MnemosConfig } from '../../config/config.js';
import { type ProviderId, providerIds } from '../../config/provider-ids.js';
import type { AgentDefinition, ModelChoice } from '../../core/agent-definition.js';
import type { ChainedModel } from '../../core/agent-events.js';
import { MnemosError } from '../../core/errors.js';
import { resolveChatModel } from '../../models/llm/resolve-chat-model.js';

type LlmSection = NonNullable<MnemosConfig['llm']>;

/**
 * The model chain of an agent definition: its `llm` (a `provider/model` string, a bare model of the
 * configured provider, or an object), then its `fallback` list, else the configured fallbacks.
 * `toChained` turns a resolved model into a chain link (it is `create-agent`'s, so both agree).
 */
export function definitionModels(
  config: MnemosConfig,
  llm: NonNullable<AgentDefinition['llm']>,
  toChained: (section: LlmSection, label: string) => ChainedModel,
  fallbacks: () => ChainedModel[],
): ChainedModel[] {
  if (typeof llm === 'string') return [link(config, llm, 'llm', toChained), ...fallbacks()];
  const { fallback, ...primary } = llm;
  const chain = [link(config, primary, 'llm', toChained)];
  if (!fallback) return [...chain, ...fallbacks()];
  for (const [index, choice] of fallback.entries()) {
    chain.push(link(config, choice, `llm.fallback.${index}`, toChained));
  }
  return chain;
}

function link(
  config: MnemosConfig,
  choice: ModelChoice,
  field: string,
  toChained: (section: LlmSection, label: string) => ChainedModel,
): ChainedModel {
  const section = sectionOf(config, choice, field);
  const chained = toChained(section, field);
  if (typeof choice === 'string') return chained;
  return {
    ...chained,
    ...(choice.temperature !== undefined ? { temperature: choice.temperature } : {}),
    ...(choice.max_tokens !== undefined ? { maxOutputTokens: choice.max_tokens } : {}),
  };
}

/** The `llm` section a choice stands for: a different provider stands alone, else it refines `llm`. */
function sectionOf(config: MnemosConfig, choice: ModelChoice, field: string): LlmSection {
  if (typeof choice === 'string') {
    const slash = choice.indexOf('/');
    const prefix = slash > 0 ? choice.slice(0, slash) : '';
    if ((providerIds as readonly string[]).includes(prefix)) {
      return { provider: prefix as ProviderId, model: choice.slice(slash + 1) };
    }
    return { ...config.llm, model: choice };
  }
  const { temperature: _t, max_tokens: maxTokens, provider, ...rest } = choice;
  if (provider !== undefined && !(providerIds as readonly string[]).includes(provider)) {
    throw new MnemosError(
      'config_error',
      `${field}.provider: unknown provider ${provider}; one of ${providerIds.join(', ')}`,
    );
  }
  const own: LlmSection = {
    ...(provider ? { provider: provider as ProviderId } : {}),
    ...rest,
    ...(maxTokens !== undefined ? { max_tokens: maxTokens } : {}),
  };
  const standsAlone = provider !== undefined && provider !== config.llm?.provider;
  return standsAlone ? own : { ...config.llm, ...own };
}

/** Resolves a section to a model, or a `config_error` naming the definition field. */
export function resolveDefinitionModel(section: LlmSection, field: string) {
  const resolution = resolveChatModel({ llm: section }, 'chat');
  if (resolution.status !== 'resolved') {
    throw new MnemosError(
      'config_error',
      `${field}: ${resolution.status === 'none' ? "set its provider or model (and the provider's API key)" : resolution.reason}`,
    );
  }
  return resolution.model;
}
