import { Command } from 'commander';
import { configPath } from '../../config/home.js';
import { MnemosError } from '../../core/errors.js';
import { globals, homeOf } from '../support/context.js';
import { printJson } from '../support/output.js';

function lookup(value: unknown, path: string[]): unknown {
  let current = value;
  for (const part of path) {
    if (typeof current !== 'object' || current === null || !(part in current)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/** `mnemos config …`: read and change `config.yaml`. */
export function configCommand(): Command {
  const config = new Command('config').description(
    'settings in config.yaml (secrets belong in .env)',
  );

  config
    .command('get')
    .description('print a setting (dotted path), or every setting with defaults filled in')
    .argument('[key]')
    .action(async (key: string | undefined, _options: unknown, command: Command) => {
      const home = homeOf(command);
      const { loadConfig } = await import('../../config/config.js');
      const resolved = loadConfig(home);
      const value = key ? lookup(resolved, key.split('.')) : resolved;
      if (value === undefined)
        throw new MnemosError(
          'invalid_input',
          `unknown setting ${key}; run \`mnemos config get\` to see them all`,
        );
      if (globals(command).json || typeof value === 'object') printJson(value);
      else process.stdout.write(`${String(value)}\n`);
    });

  config
    .command('set')
    .description('change a setting; the value is read as YAML (numbers, true/false, strings)')
    .argument('<key>', 'dotted path, e.g. retrieval.recency_weight')
    .argument('<value>')
    .action(async (key: string, raw: string, _options: unknown, command: Command) => {
      const home = homeOf(command);
      // The config schema and YAML load when a setting is read or written, never for --help.
      const [{ loadConfig, readRawConfig, writeRawConfig }, { parse: parseYaml }] =
        await Promise.all([import('../../config/config.js'), import('yaml')]);
      if (/(_KEY|_SECRET|_TOKEN|PASSWORD)$/i.test(key)) {
        throw new MnemosError(
          'invalid_input',
          `${key} looks like a secret; put it in ${home}/.env, not config.yaml`,
        );
      }
      const settings = readRawConfig(home);
      const path = key.split('.');
      let target: Record<string, unknown> = settings;
      for (const part of path.slice(0, -1)) {
        const next = target[part];
        target[part] = typeof next === 'object' && next !== null ? next : {};
        target = target[part] as Record<string, unknown>;
      }
      target[path.at(-1)!] = parseYaml(raw);
      writeRawConfig(home, settings);
      if (globals(command).json) printJson({ key, value: lookup(loadConfig(home), path) });
      else
        process.stdout.write(
          `${key} = ${JSON.stringify(lookup(loadConfig(home), path))} (${configPath(home)})\n`,
        );
    });

  config
    .command('path')
    .description('print where config.yaml lives')
    .action((_options: unknown, command: Command) => {
      process.stdout.write(`${configPath(homeOf(command))}\n`);
    });
  return config;
}
