import { Command } from 'commander';
import { MnemosError } from '../../core/errors.js';
import { globals, withMnemos } from '../support/context.js';
import { printJson, printTable } from '../support/output.js';

/** `mnemos stores …`: memory store management. */
export function storesCommand(): Command {
  const stores = new Command('stores').description(
    'memory stores: list, create, describe, update, delete',
  );

  stores
    .command('list')
    .description('list memory stores')
    .action(async (_options: unknown, command: Command) => {
      await withMnemos(
        command,
        async (mnemos) => {
          const list = await mnemos.stores.list();
          if (globals(command).json) return printJson({ stores: list, count: list.length });
          printTable(
            ['name', 'description', 'embedder', 'created'],
            list.map((store) => [store.name, store.description, store.embedderId, store.createdAt]),
            'no stores yet',
          );
        },
        { processJobs: false },
      );
    });

  stores
    .command('create')
    .description('create a memory store bound to the configured embedder')
    .argument('<name>', 'letters, digits and _, at most 32 characters')
    .option('-d, --description <text>', 'description', '')
    .action(async (name: string, options: { description: string }, command: Command) => {
      await withMnemos(
        command,
        async (mnemos) => {
          const store = await mnemos.stores.create({ name, description: options.description });
          if (globals(command).json) return printJson(store);
          process.stdout.write(`created store ${store.name} (${store.embedderId})\n`);
        },
        { processJobs: false },
      );
    });

  stores
    .command('describe')
    .description('show a memory store')
    .argument('<name>')
    .action(async (name: string, _options: unknown, command: Command) => {
      await withMnemos(
        command,
        async (mnemos) => {
          const store = await mnemos.stores.get(name);
          if (globals(command).json) return printJson(store);
          for (const [key, value] of Object.entries(store))
            process.stdout.write(`${key.padEnd(12)} ${value}\n`);
        },
        { processJobs: false },
      );
    });

  stores
    .command('update')
    .description("change a memory store's description")
    .argument('<name>')
    .requiredOption('-d, --description <text>', 'new description')
    .action(async (name: string, options: { description: string }, command: Command) => {
      await withMnemos(
        command,
        async (mnemos) => {
          const store = await mnemos.stores.update(name, { description: options.description });
          if (globals(command).json) return printJson(store);
          process.stdout.write(`updated store ${store.name}\n`);
        },
        { processJobs: false },
      );
    });

  stores
    .command('delete')
    .description('delete a memory store with every memory, history row and job in it')
    .argument('<name>')
    .option('-y, --yes', 'confirm')
    .action(async (name: string, options: { yes?: boolean }, command: Command) => {
      if (!options.yes)
        throw new MnemosError(
          'invalid_input',
          `deleting store ${name} removes all of its memories; add --yes to confirm`,
        );
      await withMnemos(
        command,
        async (mnemos) => {
          await mnemos.stores.delete(name);
          if (globals(command).json) return printJson({ deleted: name });
          process.stdout.write(`deleted store ${name}\n`);
        },
        { processJobs: false },
      );
    });
  return stores;
}
