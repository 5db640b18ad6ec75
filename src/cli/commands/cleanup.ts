import { Command } from 'commander';
import { collectList, duration, durationOrZero, integer } from '../support/arguments.js';
import { globals, withMnemos } from '../support/context.js';
import { printJson, printTable } from '../support/output.js';

const day = 86_400_000;

interface TenantFlags {
  app?: string;
  tenant?: string;
}

/** The one (app, tenant) of `--tenant` (app from `--app`, else config), or every tenant. */
function tenantOf(
  config: { app_id: string },
  flags: TenantFlags,
): { appId: string; tenantId: string } | undefined {
  if (flags.tenant === undefined) return undefined;
  return { appId: flags.app ?? config.app_id, tenantId: flags.tenant };
}

function tenantFlags(command: Command): Command {
  return command
    .option('--tenant <id>', 'only this tenant (default: every tenant)')
    .option('--app <id>', 'application of --tenant (default: config app_id)');
}

/** `mnemos mem cleanup`: expires old, rarely recalled memories (defaults: `maintenance.memory_cleanup`). */
export function memCleanupCommand(): Command {
  return tenantFlags(
    new Command('cleanup')
      .description(
        'delete memories not updated for a while, keeping often or lately recalled ones and kept kinds (defaults: maintenance.memory_cleanup)',
      )
      .option('--older-than <duration>', 'age after which memories expire, e.g. 90d, 12h', duration)
      .option('--keep-access <n>', 'keep memories recalled at least n times (0: none)', integer)
      .option(
        '--keep-recent <duration>',
        'keep memories recalled within this time (0: none)',
        durationOrZero,
      )
      .option('--keep-kind <kind>', 'kind never expired, repeatable', collectList)
      .option('--store <name>', 'only this store (default: every store)'),
  )
    .option('--purge', 'remove rows and history for good instead of a soft delete')
    .option('--dry-run', 'count what would expire, change nothing')
    .action(
      async (
        flags: TenantFlags & {
          olderThan?: number;
          keepAccess?: number;
          keepRecent?: number;
          keepKind?: string[];
          store?: string;
          purge?: boolean;
          dryRun?: boolean;
        },
        command: Command,
      ) => {
        await withMnemos(
          command,
          async (mnemos) => {
            const defaults = mnemos.config.maintenance.memory_cleanup;
            const tenant = tenantOf(mnemos.config, flags);
            const outcome = await mnemos.memories.expire({
              ...(flags.store ? { store: flags.store } : {}),
              ...(tenant ? { tenant } : {}),
              olderThanMs: flags.olderThan ?? Math.round(defaults.max_age_days * day),
              keepAccessCount: flags.keepAccess ?? defaults.keep_access_count,
              keepAccessedWithinMs:
                flags.keepRecent ?? Math.round(defaults.keep_accessed_within_days * day),
              keepKinds: flags.keepKind ?? defaults.keep_kinds,
              action: flags.purge ? 'purge' : defaults.action,
              dryRun: flags.dryRun ?? false,
            });
            if (globals(command).json) return printJson(outcome);
            printTable(
              ['store', outcome.dryRun ? 'would expire' : 'expired'],
              outcome.stores.map((store) => [
                store.store,
                outcome.dryRun ? store.matched : store.removed,
              ]),
              'no stores',
            );
            const verb = outcome.action === 'purge' ? 'purged' : 'deleted';
            process.stdout.write(
              outcome.dryRun
                ? `dry run: ${outcome.matched} memory(ies) would be ${verb}\n`
                : `${verb} ${outcome.removed} memory(ies)\n`,
            );
          },
          { processJobs: false },
        );
      },
    );
}

/** `mnemos sessions cleanup`: deletes idle sessions (defaults: `maintenance.session_cleanup`). */
export function sessionsCleanupCommand(): Command {
  return tenantFlags(
    new Command('cleanup')
      .description(
        'delete sessions idle for a while, with their messages (default age: maintenance.session_cleanup)',
      )
      .option('--older-than <duration>', 'idle time after which sessions go, e.g. 30d', duration),
  )
    .option('--dry-run', 'count what would be deleted, change nothing')
    .action(
      async (flags: TenantFlags & { olderThan?: number; dryRun?: boolean }, command: Command) => {
        await withMnemos(
          command,
          async (mnemos) => {
            const tenant = tenantOf(mnemos.config, flags);
            const outcome = await mnemos.sessions.expireIdle({
              ...(tenant ? { tenant } : {}),
              idleForMs:
                flags.olderThan ??
                Math.round(mnemos.config.maintenance.session_cleanup.max_age_days * day),
              dryRun: flags.dryRun ?? false,
            });
            if (globals(command).json) return printJson(outcome);
            process.stdout.write(
              outcome.dryRun
                ? `dry run: ${outcome.deleted} session(s) would be deleted\n`
                : `deleted ${outcome.deleted} session(s)\n`,
            );
          },
          { processJobs: false },
        );
      },
    );
}
