import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Command } from 'commander';
import { configPath } from '../../config/home.js';
import { type ProviderId, providerIds } from '../../config/provider-ids.js';
import { MnemosError } from '../../core/errors.js';
import { detectProvider, presetOf } from '../../models/llm/providers.js';
import { LineQueue } from '../chat/line-queue.js';
import { globals, homeOf } from '../support/context.js';
import { printJson } from '../support/output.js';

interface SetupOptions {
  provider?: string;
  model?: string;
  baseUrl?: string;
  apiKey?: string;
  yes?: boolean;
}

/** `mnemos setup`: choose the chat provider, model and key; writes config.yaml and .env. */
export function setupCommand(): Command {
  return new Command('setup')
    .description('choose the chat provider, model and API key (config.yaml and .env)')
    .option('--provider <id>', `one of ${providerIds.join(', ')}`)
    .option('--model <name>', 'chat model (default: the provider’s)')
    .option('--base-url <url>', 'endpoint, for openai-compatible servers (vLLM, DeepSeek, …)')
    .option('--api-key <key>', 'API key, stored in .env of the home (never in config.yaml)')
    .option('-y, --yes', 'no questions: take the flags and defaults')
    .action(async (options: SetupOptions, command: Command) => {
      const home = homeOf(command);
      const ask = options.yes
        ? null
        : new LineQueue(createInterface({ input: process.stdin, terminal: false }));
      try {
        const question = async (text: string, fallback: string): Promise<string> => {
          if (!ask) return fallback;
          const answer = await ask.next(`${text}${fallback ? ` [${fallback}]` : ''}: `);
          return answer?.trim() || fallback;
        };
        const detected = detectProvider(process.env)?.id ?? 'dashscope';
        const provider = (options.provider ??
          (await question(`provider (${providerIds.join(', ')})`, detected))) as ProviderId;
        if (!providerIds.includes(provider)) {
          throw new MnemosError(
            'invalid_input',
            `unknown provider ${provider}; choose one of ${providerIds.join(', ')}`,
          );
        }
        const preset = presetOf(provider);
        const baseURL =
          options.baseUrl ??
          (provider === 'openai-compatible' ? await question('base URL (…/v1)', '') : undefined);
        if (provider === 'openai-compatible' && !baseURL) {
          throw new MnemosError(
            'invalid_input',
            'openai-compatible needs a base URL (--base-url), e.g. http://localhost:8000/v1',
          );
        }
        const model = options.model ?? (await question('model', preset.chatModel ?? ''));
        if (!model)
          throw new MnemosError('invalid_input', `${provider} needs a model name (--model)`);
        const keyVariable = preset.apiKeyEnv;
        let key = options.apiKey;
        if (key === undefined && keyVariable && ask) {
          const current = process.env[keyVariable] ? 'keep the current one' : '';
          key =
            (await question(`${keyVariable} (leave empty to ${current || 'set it later'})`, '')) ||
            undefined;
        }
        const { readRawConfig, writeRawConfig } = await import('../../config/config.js');
        const raw = readRawConfig(home);
        raw.llm = { provider, model, ...(baseURL ? { base_url: baseURL } : {}) };
        writeRawConfig(home, raw);
        if (key && keyVariable) writeSecret(home, keyVariable, key);
        if (globals(command).json) {
          return printJson({
            config: configPath(home),
            provider,
            model,
            ...(baseURL ? { baseURL } : {}),
            keyVariable,
            keyStored: Boolean(key && keyVariable),
          });
        }
        process.stdout.write(
          `saved ${configPath(home)}: llm.provider ${provider}, llm.model ${model}${baseURL ? `, llm.base_url ${baseURL}` : ''}\n` +
            (key && keyVariable
              ? `saved ${keyVariable} in ${join(home, '.env')} (readable only by you)\n`
              : '') +
            (keyVariable && !key && !process.env[keyVariable]
              ? `${keyVariable} is not set yet: add it to ${join(home, '.env')}\n`
              : '') +
            'next: `mnemos status` to check, `mnemos chat` to talk\n',
        );
      } finally {
        ask?.close();
      }
    });
}

/** Sets `NAME=value` in the home's `.env`, replacing an earlier line of the same name; mode 0600. */
function writeSecret(home: string, name: string, value: string): void {
  if (/[\r\n]/.test(value)) throw new MnemosError('invalid_input', 'the API key must be one line');
  mkdirSync(home, { recursive: true });
  const path = join(home, '.env');
  const lines = existsSync(path) ? readFileSync(path, 'utf8').split('\n') : [];
  const kept = lines.filter((line) => !line.startsWith(`${name}=`) && line !== '');
  kept.push(`${name}=${value}`);
  writeFileSync(path, `${kept.join('\n')}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
}
