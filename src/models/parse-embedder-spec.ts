import { MnemosError } from '../core/errors.js';

/** Flags completing an embedder spec (`mnemos mem reembed --to …`). */
export interface EmbedderSpecFlags {
  baseUrl?: string | undefined;
  apiKeyEnv?: string | undefined;
  dimensions?: number | undefined;
}

/** A spec turned into the `embedder` section of `config.yaml`. */
export interface EmbedderSpecSection {
  /** The raw section, to validate with the config schema and build with `createEmbedder`. */
  section: Record<string, unknown>;
  /** True for `config`: the section is the configured one, so `config.yaml` needs no change. */
  fromConfig: boolean;
}

/** Keys of an HTTP embedder section carried over from the configured one. */
const carriedKeys = [
  'base_url',
  'api_key_env',
  'batch_size',
  'concurrency',
  'max_retries',
  'timeout_ms',
];

const usage =
  'use config, builtin, builtin:<dimensions>, dashscope[:<model>], openai[:<model>], ollama[:<model>], openai-compatible:<model> or onnx:<model folder or Hugging Face id>';

/**
 * The `embedder` section for a target spec: `config` (the configured section), `builtin` or
 * `builtin:<dims>`, a preset (`dashscope`, `openai`, `ollama`, optionally `:<model>`),
 * `openai-compatible:<model>` (base URL, key variable, dimensions and tuning from
 * the configured section when it is openai-compatible too, flags winning), or `onnx:<model>`.
 * Everything after the first `:` is the model, so `openai-compatible:nomic-embed-text:latest` works.
 */
export function embedderSectionFor(
  spec: string,
  configured: Record<string, unknown> | undefined,
  flags: EmbedderSpecFlags = {},
): EmbedderSpecSection {
  const current = configured ?? {};
  if (spec === 'config') {
    if (flags.baseUrl || flags.apiKeyEnv || flags.dimensions !== undefined) {
      throw new MnemosError(
        'invalid_input',
        '--base-url, --api-key-env and --dimensions complete a --to spec; with --to config, change config.yaml instead',
      );
    }
    return { section: current, fromConfig: true };
  }
  const colon = spec.indexOf(':');
  const provider = colon < 0 ? spec : spec.slice(0, colon);
  const argument = colon < 0 ? undefined : spec.slice(colon + 1);
  const dimensions = (): Record<string, unknown> =>
    flags.dimensions !== undefined ? { dimensions: flags.dimensions } : {};
  if (provider === 'builtin') {
    if (flags.baseUrl || flags.apiKeyEnv) {
      throw new MnemosError(
        'invalid_input',
        'the builtin embedder takes no --base-url or --api-key-env',
      );
    }
    if (argument === undefined)
      return { section: { provider, ...dimensions() }, fromConfig: false };
    if (!/^\d+$/.test(argument)) {
      throw new MnemosError(
        'invalid_input',
        `invalid embedder spec ${JSON.stringify(spec)}: builtin:<dimensions> takes a whole number`,
        { details: { field: 'to' } },
      );
    }
    return { section: { provider, dimensions: Number(argument) }, fromConfig: false };
  }
  if ((provider === 'openai-compatible' || provider === 'onnx') && !argument) {
    throw new MnemosError(
      'invalid_input',
      `invalid embedder spec ${JSON.stringify(spec)}: name the model after the colon, e.g. ${provider === 'onnx' ? 'onnx:Xenova/bge-small-zh-v1.5' : 'openai-compatible:text-embedding-v4'}`,
      { details: { field: 'to' } },
    );
  }
  if (provider === 'openai-compatible') {
    const section: Record<string, unknown> = { provider, model: argument };
    for (const key of carriedKeys) if (current[key] !== undefined) section[key] = current[key];
    // Dimensions of a builtin (or other) section say nothing about this model.
    if (current.provider === 'openai-compatible' && current.dimensions !== undefined)
      section.dimensions = current.dimensions;
    if (flags.baseUrl) section.base_url = flags.baseUrl;
    if (flags.apiKeyEnv) section.api_key_env = flags.apiKeyEnv;
    Object.assign(section, dimensions());
    if (!section.base_url) {
      throw new MnemosError(
        'invalid_input',
        `--to ${spec} needs the endpoint: pass --base-url (e.g. https://dashscope.aliyuncs.com/compatible-mode/v1) or set embedder.base_url in config.yaml`,
        { details: { field: 'base-url' } },
      );
    }
    return { section, fromConfig: false };
  }
  if (provider === 'dashscope' || provider === 'openai' || provider === 'ollama') {
    // Presets: endpoint, model and key variable come from the preset unless given.
    const section: Record<string, unknown> = { provider, ...dimensions() };
    if (argument) section.model = argument;
    if (flags.baseUrl) section.base_url = flags.baseUrl;
    if (flags.apiKeyEnv) section.api_key_env = flags.apiKeyEnv;
    return { section, fromConfig: false };
  }
  if (provider === 'onnx') {
    if (flags.baseUrl || flags.apiKeyEnv) {
      throw new MnemosError(
        'invalid_input',
        'the onnx embedder runs locally; it takes no --base-url or --api-key-env',
      );
    }
    return { section: { provider, model: argument, ...dimensions() }, fromConfig: false };
  }
  throw new MnemosError(
    'invalid_input',
    `unknown embedder spec ${JSON.stringify(spec)}: ${usage}`,
    {
      details: { field: 'to' },
    },
  );
}
