import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import type { SingleBar } from 'cli-progress';
import { Command } from 'commander';
import { MnemosError } from '../../core/errors.js';
import { limits } from '../../core/limits.js';
import type { AddMemoriesInput } from '../../memory/memory-service.js';
import type { Mnemos } from '../../mnemos.js';
import { integer } from '../support/arguments.js';
import {
  globals,
  readScopeFrom,
  type ScopeOptions,
  scopeFlags,
  withMnemos,
  writeScopeFrom,
} from '../support/context.js';
import { printJson } from '../support/output.js';

// cli-progress loads with the first bar, never for --help.
const require = createRequire(import.meta.url);

/** Merges listed one by one in the text summary of an import; `--json` lists every one. */
const shownMerges = 10;

interface ImportLine {
  messages?: AddMemoriesInput['messages'];
  text?: string;
  kind?: AddMemoriesInput['kind'];
  metadata?: Record<string, string>;
  scope?: { appId?: string; tenantId?: string; agentId?: string; runId?: string };
  deletedAt?: string | null;
}

/**
 * One JSONL line as add requests: long conversations become several requests of at most 20 messages.
 * A line's own scope wins for agent and run; for app and tenant it wins only when no flag chose them.
 */
function requestsOf(
  line: ImportLine,
  base: AddMemoriesInput['scope'],
  pinned: { app: boolean; tenant: boolean },
  store: string | undefined,
): AddMemoriesInput[] {
  const own = line.scope ?? {};
  const scope = {
    ...base,
    ...(own.appId && !pinned.app ? { appId: own.appId } : {}),
    ...(own.tenantId && !pinned.tenant ? { tenantId: own.tenantId } : {}),
    ...(own.agentId ? { agentId: own.agentId } : {}),
    ...(own.runId ? { runId: own.runId } : {}),
  };
  const common = {
    ...(store ? { store } : {}),
    scope,
    ...(line.metadata ? { metadata: line.metadata } : {}),
    ...(line.kind ? { kind: line.kind } : {}),
  };
  if (line.messages === undefined)
    return [{ ...common, ...(line.text !== undefined ? { text: line.text } : {}) }];
  const out: AddMemoriesInput[] = [];
  for (let start = 0; start < line.messages.length; start += limits.maxMessages) {
    out.push({ ...common, messages: line.messages.slice(start, start + limits.maxMessages) });
  }
  return out;
}

async function readLines(path: string): Promise<Array<{ number: number; value: ImportLine }>> {
  const lines: Array<{ number: number; value: ImportLine }> = [];
  const input = path === '-' ? process.stdin : createReadStream(path, 'utf8');
  const reader = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let number = 0;
  try {
    for await (const raw of reader) {
      number += 1;
      if (raw.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch (error) {
        throw new MnemosError(
          'invalid_input',
          `${path}:${number}: not valid JSON (${(error as Error).message}); nothing was imported`,
        );
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw new MnemosError(
          'invalid_input',
          `${path}:${number}: each line must be a JSON object with "messages" or "text"; nothing was imported`,
        );
      }
      lines.push({ number, value: value as ImportLine });
    }
  } catch (error) {
    if (MnemosError.isInstance(error)) throw error;
    throw new MnemosError('invalid_input', `cannot read ${path}: ${(error as Error).message}`);
  }
  return lines;
}

/** `mnemos mem import FILE`: JSONL conversations or notes, validated whole before any write. */
export function importCommand(): Command {
  return scopeFlags(new Command('import'), false)
    .description(
      'import JSONL: {"messages":[{role,content,createdAt?}],"scope"?:{agentId,runId},"metadata"?} or {"text":...} per line (- reads stdin)',
    )
    .argument('<file>')
    .option('--batch <n>', 'requests enqueued per transaction', integer, 500)
    .action(async (file: string, options: ScopeOptions & { batch: number }, command: Command) => {
      const all = await readLines(file);
      // Forgotten memories in an export stay forgotten.
      const lines = all.filter(({ value }) => !value.deletedAt);
      await withMnemos(command, async (mnemos) => {
        const base = writeScopeFrom(mnemos, options);
        const pinned = { app: options.app !== undefined, tenant: options.tenant !== undefined };
        const requests = lines.flatMap(({ number, value }) =>
          requestsOf(value, base, pinned, options.store).map((request) => ({ number, request })),
        );
        // Validate everything first: addMany rejects the whole batch, so check line by line for a useful message.
        const batches: AddMemoriesInput[][] = [];
        for (let start = 0; start < requests.length; start += options.batch) {
          batches.push(requests.slice(start, start + options.batch).map((item) => item.request));
        }
        // Progress moves with each committed ingestion batch (batches start while enqueueing).
        let done = 0;
        let bar: SingleBar | null = null;
        const stopListening = mnemos.onIngestBatch((jobs) => {
          done += jobs;
          bar?.update(Math.min(done, bar.getTotal()));
        });
        let enqueued: Array<{ id: string; scope: AddMemoriesInput['scope']; redacted: number }>;
        try {
          enqueued = await enqueueAll(
            mnemos,
            batches,
            requests.map((item) => item.number),
            file,
          );
          bar = progress(enqueued.length, globals(command).json ?? false);
          bar?.update(Math.min(done, enqueued.length));
          try {
            await mnemos.drain();
          } finally {
            bar?.update(enqueued.length);
            bar?.stop();
          }
        } finally {
          stopListening();
        }
        const total = enqueued.length;
        const outcomes = await mnemos.memories.jobOutcomes({
          ...(options.store ? { store: options.store } : {}),
          jobs: enqueued,
        });
        const failed = outcomes.filter((outcome) => outcome.status === 'failed').length;
        const added = new Set(outcomes.flatMap((outcome) => outcome.added));
        const merged = outcomes.flatMap((outcome, index) =>
          outcome.merged.map((into) => ({
            line: requests[index]!.number,
            into: into.id,
            text: into.text,
          })),
        );
        const mergedLines = new Set(merged.map((item) => item.line)).size;
        const skipped = all.length - lines.length;
        const summary = {
          lines: lines.length,
          jobs: total,
          failedJobs: failed,
          skippedDeleted: skipped,
          memoriesAdded: added.size,
          mergedLines,
          merged,
          redacted: enqueued.reduce((sum, job) => sum + job.redacted, 0),
        };
        if (globals(command).json) printJson(summary);
        else {
          process.stdout.write(
            `imported ${lines.length} lines as ${total} jobs: ${added.size} new memories, ${mergedLines} lines merged into existing ones${skipped ? ` (skipped ${skipped} deleted)` : ''}${failed ? `, ${failed} failed (see mnemos mem jobs list --status failed)` : ''}\n`,
          );
          for (const item of merged.slice(0, shownMerges))
            process.stdout.write(`  line ${item.line} merged into ${item.into}: ${item.text}\n`);
          if (merged.length > shownMerges)
            process.stdout.write(
              `  … and ${merged.length - shownMerges} more (--json lists all)\n`,
            );
        }
        if (summary.redacted > 0 && !globals(command).json)
          process.stderr.write(
            `notice: redacted ${summary.redacted} secret${summary.redacted === 1 ? '' : 's'} before storing\n`,
          );
        if (failed > 0) process.exitCode = 1;
      });
    });
}

async function enqueueAll(
  mnemos: Mnemos,
  batches: AddMemoriesInput[][],
  lineNumbers: number[],
  file: string,
): Promise<Array<{ id: string; scope: AddMemoriesInput['scope']; redacted: number }>> {
  // Dry validation pass: a bad line anywhere stops the import before the first write.
  let index = 0;
  for (const batch of batches) {
    for (const request of batch) {
      try {
        await mnemos.memories.validate(request);
      } catch (error) {
        if (MnemosError.isInstance(error)) {
          throw new MnemosError(
            error.code,
            `${file}:${lineNumbers[index]}: ${error.message}; nothing was imported`,
            { details: error.details },
          );
        }
        throw error;
      }
      index += 1;
    }
  }
  const enqueued: Array<{ id: string; scope: AddMemoriesInput['scope']; redacted: number }> = [];
  for (const batch of batches) {
    const jobs = await mnemos.memories.addMany(batch);
    for (const [position, job] of jobs.entries())
      enqueued.push({ id: job.id, scope: batch[position]!.scope, redacted: job.redacted });
  }
  return enqueued;
}

/** A progress bar on stderr, or null when quiet (`--json`) or stderr is not a terminal. */
export function progress(
  total: number,
  quiet: boolean,
  label = 'importing',
  unit = 'jobs',
): SingleBar | null {
  if (quiet || !process.stderr.isTTY) return null;
  const { SingleBar: Bar } = require('cli-progress') as typeof import('cli-progress');
  const bar = new Bar({
    format: `${label} [{bar}] {value}/{total} ${unit} | {eta_formatted} left`,
    stream: process.stderr,
    hideCursor: true,
  });
  bar.start(total, 0);
  return bar;
}

/** `mnemos mem export`: memories of the tenant as JSONL that `import` reads back. */
export function exportCommand(): Command {
  return scopeFlags(new Command('export'), true)
    .description('export memories as JSONL (to stdout, or --out FILE)')
    .option('-o, --out <file>', 'write to a file instead of stdout')
    .option('--include-deleted', 'include forgotten memories')
    .action(
      async (
        options: ScopeOptions & { out?: string; includeDeleted?: boolean },
        command: Command,
      ) => {
        await withMnemos(
          command,
          async (mnemos) => {
            const out: NodeJS.WritableStream = options.out
              ? createWriteStream(options.out)
              : process.stdout;
            let count = 0;
            for (let offset = 0; ; offset += 1000) {
              const page = await mnemos.memories.list({
                ...(options.store ? { store: options.store } : {}),
                scope: readScopeFrom(mnemos, options),
                limit: 1000,
                offset,
                includeDeleted: options.includeDeleted ?? false,
              });
              for (const memory of page.memories) {
                const line = {
                  id: memory.id,
                  text: memory.text,
                  kind: memory.kind,
                  salience: memory.salience,
                  scope: memory.scope,
                  metadata: memory.metadata,
                  createdAt: memory.createdAt,
                  updatedAt: memory.updatedAt,
                  deletedAt: memory.deletedAt,
                };
                if (!out.write(`${JSON.stringify(line)}\n`))
                  await new Promise<void>((resolve) => out.once('drain', () => resolve()));
                count += 1;
              }
              if (page.memories.length < 1000) break;
            }
            if (options.out) {
              await new Promise<void>((resolve, reject) => {
                const file = out as WriteStream;
                file.once('error', reject);
                file.end(() => resolve());
              });
              process.stderr.write(`exported ${count} memories to ${options.out}\n`);
            }
          },
          { processJobs: false },
        );
      },
    );
}
