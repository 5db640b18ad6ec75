import { Command } from 'commander';
import { integer } from '../support/arguments.js';
import {
  globals,
  type ScopeOptions,
  tenantFlags,
  tenantOwner,
  withMnemos,
} from '../support/context.js';
import { clip, printJson, printTable } from '../support/output.js';

/** `mnemos profile …`: the user profile (name, language, style, tech stack, …) of a tenant. */
export function profileCommand(): Command {
  const profile = new Command('profile').description('the user profile: show, set, unset, history');

  tenantFlags(profile.command('show'))
    .description('show the profile; it is kept up to date from profile facts during ingestion')
    .action(async (options: ScopeOptions, command: Command) => {
      await withMnemos(
        command,
        async (mnemos) => {
          const owner = tenantOwner(mnemos, options);
          const entries = await mnemos.profile.get(owner);
          if (globals(command).json) return printJson({ ...owner, profile: entries });
          printTable(
            ['key', 'value', 'source', 'updated'],
            entries.map((entry) => [
              entry.key,
              clip(entry.value, 60),
              entry.source,
              entry.updatedAt,
            ]),
            'the profile is empty; it fills from conversations (with a chat model) or `mnemos profile set`',
          );
        },
        { processJobs: false },
      );
    });

  tenantFlags(profile.command('set'))
    .description('set one key, e.g. `mnemos profile set language 中文`')
    .argument('<key>', 'lowercase snake_case, e.g. communication_style')
    .argument('<value...>', 'the value')
    .action(async (key: string, words: string[], options: ScopeOptions, command: Command) => {
      await withMnemos(
        command,
        async (mnemos) => {
          const entry = await mnemos.profile.set(
            tenantOwner(mnemos, options),
            key,
            words.join(' '),
          );
          if (globals(command).json) return printJson(entry);
          process.stdout.write(`${entry.key} = ${entry.value}\n`);
        },
        { processJobs: false },
      );
    });

  tenantFlags(profile.command('unset'))
    .description('remove one key')
    .argument('<key>')
    .action(async (key: string, options: ScopeOptions, command: Command) => {
      await withMnemos(
        command,
        async (mnemos) => {
          const removed = await mnemos.profile.unset(tenantOwner(mnemos, options), key);
          if (globals(command).json) return printJson({ key, removed });
          process.stdout.write(removed ? `removed ${key}\n` : `${key} was not set\n`);
        },
        { processJobs: false },
      );
    });

  tenantFlags(profile.command('history'))
    .description('changes of the profile, newest first')
    .option('--key <key>', 'only this key')
    .option('-n, --limit <n>', 'how many', integer, 20)
    .action(async (options: ScopeOptions & { key?: string; limit: number }, command: Command) => {
      await withMnemos(
        command,
        async (mnemos) => {
          const history = await mnemos.profile.history(tenantOwner(mnemos, options), {
            ...(options.key ? { key: options.key } : {}),
            limit: options.limit,
          });
          if (globals(command).json) return printJson({ history, count: history.length });
          printTable(
            ['when', 'key', 'old', 'new', 'source'],
            history.map((change) => [
              change.createdAt,
              change.key,
              clip(change.oldValue ?? '-', 40),
              clip(change.newValue ?? '(removed)', 40),
              change.source,
            ]),
            'no profile changes yet',
          );
        },
        { processJobs: false },
      );
    });

  return profile;
}
