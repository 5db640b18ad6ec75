import { Command } from 'commander';
import { globals, withMnemos } from '../support/context.js';
import { printJson, printTable } from '../support/output.js';

/** `mnemos keys …`: API keys of the HTTP service (stored as hashes; a secret is shown once). */
export function keysCommand(): Command {
  const keys = new Command('keys').description('API keys of `mnemos serve`: create, list, revoke');

  keys
    .command('create')
    .description('create a key for one (app, tenant); prints the secret once')
    .option('--app <id>', 'application id (default: config app_id)')
    .requiredOption('--tenant <id>', 'tenant (user) id')
    .option('--admin', 'may manage stores and keys, and act on any tenant it names')
    .option('--name <text>', 'a label', '')
    .action(
      async (
        options: { app?: string; tenant: string; admin?: boolean; name: string },
        command: Command,
      ) => {
        await withMnemos(
          command,
          async (mnemos) => {
            const { key, record } = await mnemos.keys.create({
              appId: options.app ?? mnemos.config.app_id,
              tenantId: options.tenant,
              admin: options.admin ?? false,
              name: options.name,
            });
            if (globals(command).json) return printJson({ key, record });
            process.stdout.write(
              `${key}\n(id ${record.id}, ${record.admin ? 'admin, ' : ''}app ${record.appId}, tenant ${record.tenantId}; the key is shown only now)\n`,
            );
          },
          { processJobs: false },
        );
      },
    );

  keys
    .command('list')
    .description('list keys (never the secrets)')
    .action(async (_options: unknown, command: Command) => {
      await withMnemos(
        command,
        async (mnemos) => {
          const list = await mnemos.keys.list();
          if (globals(command).json) return printJson({ keys: list, count: list.length });
          printTable(
            ['id', 'prefix', 'app', 'tenant', 'admin', 'name', 'created', 'revoked'],
            list.map((key) => [
              key.id,
              `${key.prefix}…`,
              key.appId,
              key.tenantId,
              key.admin ? 'yes' : '',
              key.name,
              key.createdAt,
              key.revokedAt ?? '',
            ]),
            'no keys yet: mnemos keys create --app A --tenant T',
          );
        },
        { processJobs: false },
      );
    });

  keys
    .command('revoke')
    .description('revoke a key by id')
    .argument('<id>')
    .action(async (id: string, _options: unknown, command: Command) => {
      await withMnemos(
        command,
        async (mnemos) => {
          await mnemos.keys.revoke(id);
          if (globals(command).json) return printJson({ id, revoked: true });
          process.stdout.write(`revoked ${id}\n`);
        },
        { processJobs: false },
      );
    });
  return keys;
}
