import { existsSync, readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import type { MnemosConfig } from '../../config/config.js';
import { MnemosError } from '../../core/errors.js';
import { type MemoryKind, type MemoryRecord, memoryKinds } from '../../core/memory-record.js';
import type { Mnemos } from '../../mnemos.js';
import type { StorageChoice } from '../../storage/choose-storage.js';
import { collectList, collectPairs, integer } from '../support/arguments.js';
import {
  globals,
  homeOf,
  noticePassthroughOnce,
  readScopeFrom,
  type ScopeOptions,
  scopeFlags,
  withMnemos,
  writeScopeFrom,
} from '../support/context.js';
import { clip, printJson, printTable } from '../support/output.js';
import { memCleanupCommand } from './cleanup.js';
import { reembedCommand } from './mem-reembed.js';
import { exportCommand, importCommand } from './mem-transfer.js';

function textArgument(words: string[]): string {
  const text = words.length === 1 && words[0] === '-' ? readFileSync(0, 'utf8') : words.join(' ');
  if (text.trim() === '')
    throw new MnemosError(
      'invalid_input',
      'nothing to remember: give TEXT, or - to read standard input',
    );
  return text;
}

function memoryRows(memories: MemoryRecord[]): Array<Array<string | number>> {
  return memories.map((memory) => [
    memory.id,
    memory.kind,
    clip(memory.text),
    `${memory.scope.agentId}/${memory.scope.runId}`,
    memory.createdAt,
  ]);
}

/** `mnemos mem …`: long-term memory commands. */
export function memCommand(): Command {
  const mem = new Command('mem').description(
    'long-term memories: add, search, list, forget, import, export, reembed, cleanup, doctor',
  );

  scopeFlags(mem.command('add'), false)
    .description('remember a fact or note (asynchronous unless --sync)')
    .argument('<text...>', 'text to remember, or - to read standard input')
    .option('--sync', 'wait until the memory is searchable')
    .option('--metadata <key=value>', 'metadata, repeatable', collectPairs)
    .addOption(new Option('--kind <kind>', 'memory kind').choices(memoryKinds))
    .action(
      async (
        words: string[],
        options: ScopeOptions & {
          sync?: boolean;
          metadata?: Record<string, string>;
          kind?: MemoryKind;
        },
        command: Command,
      ) => {
        const text = textArgument(words);
        await withMnemos(command, async (mnemos) => {
          noticePassthroughOnce(command, mnemos);
          const job = await mnemos.memories.add({
            ...(options.store ? { store: options.store } : {}),
            scope: writeScopeFrom(mnemos, options),
            text,
            ...(options.metadata ? { metadata: options.metadata } : {}),
            ...(options.kind ? { kind: options.kind } : {}),
            sync: options.sync ?? false,
          });
          if (globals(command).json) printJson(job);
          else if (job.status === 'succeeded')
            process.stdout.write(`remembered ${job.memoryIds.join(', ')} (job ${job.id})\n`);
          else if (job.status === 'failed')
            process.stdout.write(`job ${job.id} failed: ${job.error}\n`);
          else
            process.stdout.write(
              `queued job ${job.id} (status running); it completes in the background\n`,
            );
          if (!globals(command).json)
            for (const warning of job.warnings) process.stderr.write(`notice: ${warning}\n`);
          if (job.status === 'failed') process.exitCode = 1;
          // Stay until the queue drains so an asynchronous add lands before the process exits.
          await mnemos.drain();
        });
      },
    );

  scopeFlags(mem.command('search'), true)
    .description('hybrid keyword + vector search within the tenant')
    .argument('<query...>', 'what to look for')
    .option('-k, --top-k <n>', 'results, 1-50', integer, 10)
    .addOption(
      new Option('--kind <kind>', 'only this kind, repeatable')
        .choices(memoryKinds)
        .argParser(collectList as never),
    )
    .option('--metadata <key=value>', 'metadata filter, repeatable', collectPairs)
    .option('--rerank', 'rerank with the configured reranker')
    .option('--include-invalidated', 'also show facts contradicted by later ones')
    .action(
      async (
        words: string[],
        options: ScopeOptions & {
          topK: number;
          kind?: MemoryKind[];
          metadata?: Record<string, string>;
          rerank?: boolean;
          includeInvalidated?: boolean;
        },
        command: Command,
      ) => {
        await withMnemos(command, async (mnemos) => {
          const output = await mnemos.memories.search({
            ...(options.store ? { store: options.store } : {}),
            scope: readScopeFrom(mnemos, options),
            query: words.join(' '),
            topK: options.topK,
            ...(options.kind ? { kinds: options.kind } : {}),
            ...(options.metadata ? { metadata: options.metadata } : {}),
            rerank: options.rerank ?? false,
            includeInvalidated: options.includeInvalidated ?? false,
          });
          if (globals(command).json) return printJson({ ...output, count: output.results.length });
          for (const warning of output.warnings) process.stderr.write(`warning: ${warning}\n`);
          printTable(
            ['score', 'text', 'kind', 'matched', 'id'],
            output.results.map((result) => [
              result.score.toFixed(3),
              result.memory.validTo
                ? `${clip(result.memory.text, 60)} (invalid since ${result.memory.validTo.slice(0, 10)})`
                : clip(result.memory.text, 70),
              result.memory.kind,
              result.matched.join('+'),
              result.memory.id,
            ]),
            'no memories found',
          );
        });
      },
    );

  scopeFlags(mem.command('list'), true)
    .description('list memories, newest first')
    .option('-n, --limit <n>', 'how many, 1-1000', integer, 20)
    .option('--offset <n>', 'skip this many', integer, 0)
    .option('--include-deleted', 'include forgotten and invalidated memories')
    .action(
      async (
        options: ScopeOptions & { limit: number; offset: number; includeDeleted?: boolean },
        command: Command,
      ) => {
        await withMnemos(command, async (mnemos) => {
          const output = await mnemos.memories.list({
            ...(options.store ? { store: options.store } : {}),
            scope: readScopeFrom(mnemos, options),
            limit: options.limit,
            offset: options.offset,
            includeDeleted: options.includeDeleted ?? false,
          });
          if (globals(command).json) return printJson({ ...output, count: output.memories.length });
          printTable(
            ['id', 'kind', 'text', 'agent/run', 'created'],
            memoryRows(output.memories),
            'no memories yet',
          );
          process.stdout.write(`${output.memories.length} of ${output.total}\n`);
        });
      },
    );

  scopeFlags(mem.command('get'), true)
    .description('show one memory')
    .argument('<id>')
    .action(async (id: string, options: ScopeOptions, command: Command) => {
      await withMnemos(command, async (mnemos) => {
        const memory = await mnemos.memories.get({
          ...(options.store ? { store: options.store } : {}),
          scope: readScopeFrom(mnemos, options),
          id,
        });
        if (globals(command).json) return printJson(memory);
        for (const [key, value] of Object.entries(memory)) {
          process.stdout.write(
            `${key.padEnd(15)} ${typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value)}\n`,
          );
        }
      });
    });

  scopeFlags(mem.command('update'), true)
    .description('change the text of a memory (history keeps the old text)')
    .argument('<id>')
    .argument('<text...>')
    .action(async (id: string, words: string[], options: ScopeOptions, command: Command) => {
      await withMnemos(command, async (mnemos) => {
        const memory = await mnemos.memories.update(
          {
            ...(options.store ? { store: options.store } : {}),
            scope: readScopeFrom(mnemos, options),
            id,
          },
          { text: textArgument(words) },
        );
        if (globals(command).json) return printJson(memory);
        process.stdout.write(`updated ${memory.id}\n`);
      });
    });

  scopeFlags(mem.command('history'), true)
    .description('show the ADD/UPDATE/DELETE history of a memory')
    .argument('<id>')
    .action(async (id: string, options: ScopeOptions, command: Command) => {
      await withMnemos(command, async (mnemos) => {
        const history = await mnemos.memories.history({
          ...(options.store ? { store: options.store } : {}),
          scope: readScopeFrom(mnemos, options),
          id,
        });
        if (globals(command).json) return printJson({ history, count: history.length });
        printTable(
          ['when', 'event', 'old', 'new', 'reason'],
          history.map((entry) => [
            entry.createdAt,
            entry.event,
            // Full texts: the table wraps them, and a merge is judged on every word.
            entry.oldText ?? '',
            entry.newText ?? '',
            entry.reason,
          ]),
          'no history for that id in this tenant',
        );
      });
    });

  scopeFlags(mem.command('forget'), true)
    .description('forget one memory by id, or every memory of a scope with --all')
    .argument('[id]')
    .option('--purge', 'remove for good, history included (default: soft delete kept in history)')
    .option('--all', 'forget every memory matching --agent/--run inside the tenant')
    .option('-y, --yes', 'confirm --all')
    .action(
      async (
        id: string | undefined,
        options: ScopeOptions & { purge?: boolean; all?: boolean; yes?: boolean },
        command: Command,
      ) => {
        if (options.all ? id !== undefined : id === undefined) {
          throw new MnemosError(
            'invalid_input',
            options.all
              ? '--all forgets by scope; do not give a memory id with it'
              : 'give the id of the memory to forget, or --all to forget a whole scope',
          );
        }
        if (options.all && !options.yes)
          throw new MnemosError(
            'invalid_input',
            '--all forgets many memories; add --yes to confirm',
          );
        await withMnemos(command, async (mnemos) => {
          const store = options.store ? { store: options.store } : {};
          if (options.all) {
            const count = await mnemos.memories.deleteByScope({
              ...store,
              scope: readScopeFrom(mnemos, options),
            });
            return globals(command).json
              ? printJson({ deleted: count })
              : process.stdout.write(`forgot ${count} memories\n`);
          }
          await mnemos.memories.delete({
            ...store,
            scope: readScopeFrom(mnemos, options),
            id: id!,
            purge: options.purge ?? false,
          });
          if (globals(command).json) printJson({ deleted: 1, id, purged: options.purge ?? false });
          else process.stdout.write(`${options.purge ? 'purged' : 'forgot'} ${id}\n`);
        });
      },
    );

  mem
    .command('doctor')
    .description(
      'read-only check of storage, the memory store and listing; prints JSON, exits 1 when not ok',
    )
    .action(async (_options: unknown, command: Command) => {
      const report = await doctor(homeOf(command));
      printJson(report);
      if (!report.ok) process.exitCode = 1;
    });

  jobsCommand(mem);
  mem.addCommand(importCommand());
  mem.addCommand(exportCommand());
  mem.addCommand(reembedCommand());
  mem.addCommand(memCleanupCommand());
  return mem;
}

async function doctor(home: string): Promise<{ ok: boolean } & Record<string, unknown>> {
  const fresh = await freshHome(home);
  if (fresh) return fresh;
  let mnemos: Mnemos;
  try {
    const { Mnemos } = await import('../../mnemos.js');
    mnemos = await Mnemos.open({ home, readOnly: true });
  } catch (error) {
    return {
      ok: false,
      provider: 'mnemos',
      checks: {
        initialize: { ok: false, error: (error as Error).message },
        describe_memory_store: { ok: false },
        list_memories: { ok: false },
      },
    };
  }
  try {
    return { ...(await mnemos.doctor()) };
  } finally {
    await mnemos.close();
  }
}

/**
 * The report of a home whose SQLite database does not exist yet (nothing was written): healthy when
 * `auto_create_store` creates the database and the store on the first write; nothing is created.
 */
async function freshHome(
  home: string,
): Promise<({ ok: boolean } & Record<string, unknown>) | null> {
  const { loadConfig, loadDotenv } = await import('../../config/config.js');
  const { chooseStorage } = await import('../../storage/choose-storage.js');
  let config: MnemosConfig;
  let choice: StorageChoice;
  try {
    config = loadConfig(home);
    loadDotenv(home);
    choice = chooseStorage(config, home);
  } catch {
    return null;
  }
  if (choice.kind !== 'sqlite' || existsSync(choice.path) || !config.auto_create_store) return null;
  const note = `nothing written yet: ${choice.path} and the memory store ${config.memory_store_name} are created on the first write (auto_create_store)`;
  return {
    ok: true,
    provider: 'mnemos',
    storage: 'sqlite',
    database: choice.path,
    store: config.memory_store_name,
    note,
    checks: {
      initialize: { ok: true, created: false },
      describe_memory_store: { ok: true, created: false },
      list_memories: { ok: true, count: 0, pendingJobs: 0 },
    },
  };
}

function jobsCommand(mem: Command): void {
  const jobs = mem.command('jobs').description('ingestion jobs: list and retry');
  scopeFlags(jobs.command('list'), true)
    .description('list recent jobs of the tenant')
    .addOption(
      new Option('--status <state>', 'only this state').choices([
        'queued',
        'running',
        'succeeded',
        'failed',
      ]),
    )
    .option('-n, --limit <n>', 'how many', integer, 20)
    .action(
      async (options: ScopeOptions & { status?: string; limit: number }, command: Command) => {
        await withMnemos(
          command,
          async (mnemos) => {
            const list = await mnemos.memories.jobs({
              ...(options.store ? { store: options.store } : {}),
              scope: readScopeFrom(mnemos, options),
              states: options.status ? [options.status] : [],
              limit: options.limit,
            });
            if (globals(command).json) return printJson({ jobs: list, count: list.length });
            printTable(
              ['id', 'state', 'memories', 'attempts', 'error', 'created'],
              list.map((job) => [
                job.id,
                job.state,
                job.memoryIds.length,
                job.attempts,
                clip(job.error ?? '', 40),
                job.createdAt,
              ]),
              'no jobs',
            );
          },
          { processJobs: false },
        );
      },
    );
  scopeFlags(jobs.command('retry'), true)
    .description('queue failed jobs again (all failed jobs of the tenant when no id is given)')
    .argument('[ids...]')
    .action(async (ids: string[], options: ScopeOptions, command: Command) => {
      await withMnemos(command, async (mnemos) => {
        const count = await mnemos.memories.retryJobs({
          ...(options.store ? { store: options.store } : {}),
          scope: readScopeFrom(mnemos, options),
          ...(ids.length > 0 ? { ids } : {}),
        });
        await mnemos.drain();
        if (globals(command).json) printJson({ retried: count });
        else process.stdout.write(`retried ${count} job(s)\n`);
      });
    });
}
