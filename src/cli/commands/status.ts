import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import type { MnemosConfig } from '../../config/config.js';
import { configPath } from '../../config/home.js';
import { chooseStorage } from '../../storage/choose-storage.js';
import { globals, homeOf } from '../support/context.js';
import { printJson, printTable } from '../support/output.js';

/** `mnemos status`: which provider and model each role uses, and which setting or variable chose it. */
export function statusCommand(): Command {
  return new Command('status')
    .description('show the provider and model of chat, extraction, embedding and rerank, and why')
    .action(async (_options: unknown, command: Command) => {
      const home = homeOf(command);
      // Config, dotenv and the model presets load when the command runs, never for --help.
      const [{ parse: parseDotenv }, { loadConfig, loadDotenv }, { describeModels }] =
        await Promise.all([
          import('dotenv'),
          import('../../config/config.js'),
          import('../../models/model-status.js'),
        ]);
      const envFile = join(home, '.env');
      const fromFile = existsSync(envFile)
        ? new Set(
            Object.keys(parseDotenv(readFileSync(envFile))).filter(
              (key) => process.env[key] === undefined,
            ),
          )
        : new Set<string>();
      loadDotenv(home);
      const config = loadConfig(home);
      const status = describeModels(config, process.env);
      const storage = describeStorage(config, home);
      if (storage.problem) status.problems.push(storage.problem);
      const where = (variable: string | null): string =>
        variable && fromFile.has(variable) ? `${variable} (from .env)` : (variable ?? '');
      // A configuration that cannot work is the user's to fix: exit code 2, in both output modes.
      if (status.problems.length > 0) process.exitCode = 2;
      if (globals(command).json) {
        return printJson({
          home,
          config: { path: configPath(home), exists: existsSync(configPath(home)) },
          env: { path: envFile, exists: existsSync(envFile), variables: [...fromFile].sort() },
          storage: { kind: storage.kind, location: storage.location },
          ...status,
        });
      }
      process.stdout.write(
        `home    ${home}\nconfig  ${configPath(home)}${existsSync(configPath(home)) ? '' : ' (absent: defaults)'}\nsecrets ${envFile}${existsSync(envFile) ? '' : ' (absent)'}\nstorage ${storage.kind} ${storage.location}\n\n`,
      );
      printTable(
        ['role', 'provider', 'model', 'endpoint', 'chosen by', 'key'],
        status.roles.map((role) => [
          role.role,
          role.provider,
          role.model ?? '-',
          role.endpoint ?? '-',
          role.chosenBy.startsWith('config.yaml') ? role.chosenBy : where(role.chosenBy),
          role.keyVariable ? `${role.keyVariable}: ${role.keySet ? 'set' : 'NOT SET'}` : '-',
        ]),
      );
      for (const role of status.roles) {
        if (role.note) process.stdout.write(`${role.role}: ${role.note}\n`);
      }
      const detected = status.detection
        .map((entry) => `${entry.variable} ${entry.set ? 'set' : 'unset'}`)
        .join(', ');
      process.stdout.write(`auto-detection (in order): ${detected}\n`);
      for (const problem of status.problems) process.stdout.write(`problem: ${problem}\n`);
    });
}

/** The storage backend the configuration selects, or the reason it cannot be used. */
function describeStorage(
  config: MnemosConfig,
  home: string,
): { kind: string; location: string; problem?: string } {
  try {
    const choice = chooseStorage(config, home);
    return {
      kind: choice.kind,
      location:
        choice.kind === 'postgres' ? `${choice.location} (${choice.chosenBy})` : choice.location,
    };
  } catch (error) {
    return { kind: config.storage, location: '-', problem: (error as Error).message };
  }
}
