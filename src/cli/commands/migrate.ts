import { join } from 'node:path';
import type { SingleBar } from 'cli-progress';
import { Command } from 'commander';
import { MnemosError } from '../../core/errors.js';
import type { CopyPlan } from '../../migration/copy-database.js';
import type { MigrateReport } from '../../migration/migrate.js';
import { databaseUrlVariable } from '../../storage/choose-storage.js';
import { integer } from '../support/arguments.js';
import { globals, homeOf } from '../support/context.js';
import { printJson, printTable } from '../support/output.js';
import { progress } from './mem-transfer.js';

interface MigrateFlags {
  from?: string;
  to?: string;
  batchSize: number;
  samples: number;
  verify: boolean;
}

/** `mnemos migrate`: copies a whole Mnemos database between SQLite and Postgres, resumable and verified. */
export function migrateCommand(): Command {
  return new Command('migrate')
    .description(
      'copy every store, memory, history row, job, session, profile and key from one database into an empty one (SQLite or Postgres, either way); a rerun resumes; verified at the end',
    )
    .option('--from <db>', 'sqlite:<file or home> or postgres://… (default: sqlite: this home)')
    .option('--to <db>', `sqlite:<file or home> or postgres://… (default: $${databaseUrlVariable})`)
    .option('--batch-size <n>', 'rows copied and committed together', integer, 500)
    .option('--samples <n>', 'memories searched on both sides when verifying', integer, 20)
    .option('--no-verify', 'skip the verification (row digests and sample searches)')
    .action(async (flags: MigrateFlags, command: Command) => {
      const json = globals(command).json ?? false;
      const home = homeOf(command);
      // The migration (and pg) loads when the command runs, never for --help.
      const [{ loadDotenv }, { migrate }] = await Promise.all([
        import('../../config/config.js'),
        import('../../migration/migrate.js'),
      ]);
      loadDotenv(home);
      const from = flags.from ?? `sqlite:${join(home, 'mnemos.db')}`;
      const to = flags.to ?? process.env[databaseUrlVariable]?.trim();
      if (!to) {
        throw new MnemosError(
          'invalid_input',
          `say where to copy to: --to postgres://user:password@host:5432/database (or sqlite:<path>), or set ${databaseUrlVariable}`,
          { details: { field: '--to' } },
        );
      }
      if (flags.batchSize < 1 || flags.batchSize > 10_000)
        throw new MnemosError('invalid_input', '--batch-size must be from 1 to 10000');
      if (flags.samples < 0 || flags.samples > 1_000)
        throw new MnemosError('invalid_input', '--samples must be from 0 to 1000');
      const view = new ProgressView(json);
      const started = Date.now();
      let report: MigrateReport;
      try {
        report = await migrate({
          from,
          to,
          home,
          batchSize: flags.batchSize,
          samples: flags.samples,
          verify: flags.verify,
          onPlan: (plan) => view.plan(plan),
          onProgress: (table, copied) => view.progress(table, copied),
          onVerify: () => view.verifying(),
        });
      } catch (error) {
        view.stop();
        if (view.started && !json)
          process.stderr.write(
            'every committed batch is kept: run the same command again to resume where it stopped\n',
          );
        throw error;
      }
      view.stop();
      const seconds = Number(((Date.now() - started) / 1000).toFixed(1));
      const ok = report.verification?.ok ?? true;
      if (!ok) process.exitCode = 1;
      if (json) return printJson({ ok, seconds, ...report });
      printReport(report, seconds);
    });
}

/** The progress bar of the copy (a line per tenth without a terminal) and the verification's steps. */
class ProgressView {
  started = false;
  private bar: SingleBar | null = null;
  private readonly done = new Map<string, number>();
  private total = 0;
  private before = 0;
  private nextLine = 0;
  private verifyStarted = false;

  constructor(private readonly quiet: boolean) {}

  plan(plan: CopyPlan): void {
    this.started = true;
    for (const entry of plan.tables) this.done.set(entry.table, entry.copied);
    this.total = plan.tables.reduce((sum, entry) => sum + Math.max(entry.rows, entry.copied), 0);
    this.before = plan.tables.reduce((sum, entry) => sum + entry.copied, 0);
    if (this.quiet) return;
    if (plan.resumed && this.before >= this.total)
      process.stderr.write('this copy is complete already; verifying it again\n');
    else if (plan.resumed)
      process.stderr.write(
        `resuming an interrupted copy: ${this.before} of ${this.total} rows already copied\n`,
      );
    this.bar = progress(this.total, false, 'copying', 'rows');
    this.bar?.update(this.before);
    this.nextLine = this.before + Math.ceil(this.total / 10);
  }

  progress(table: string, copied: number): void {
    this.done.set(table, copied);
    const sum = [...this.done.values()].reduce((a, b) => a + b, 0);
    if (this.quiet) return;
    if (this.bar) {
      this.bar.setTotal(Math.max(this.total, sum));
      this.bar.update(sum);
    } else if (sum >= this.nextLine) {
      process.stderr.write(`copied ${sum}/${this.total} rows\n`);
      this.nextLine = sum + Math.ceil(this.total / 10);
    }
  }

  verifying(): void {
    this.stop();
    if (this.quiet || this.verifyStarted) return;
    this.verifyStarted = true;
    process.stderr.write(
      'verifying: comparing every row of both databases, then sample searches\n',
    );
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}

function printReport(report: MigrateReport, seconds: number): void {
  const copied = report.copy.tables.reduce((sum, entry) => sum + entry.copied, 0);
  const now = report.copy.tables.reduce((sum, entry) => sum + entry.copiedNow, 0);
  const out = process.stdout;
  out.write(`copied ${report.from} -> ${report.to}\n`);
  out.write(
    `${copied} rows in ${seconds}s${now === copied ? '' : now === 0 ? ' (all copied by an earlier run)' : ` (${now} this run, the rest by an interrupted one)`}\n`,
  );
  const verification = report.verification;
  if (!verification) {
    out.write('not verified (--no-verify)\n');
    return;
  }
  printTable(
    ['table', 'source rows', 'target rows', 'content'],
    verification.tables.map((check) => [
      check.table,
      check.source,
      check.target,
      check.sameRows ? 'same' : 'DIFFERENT',
    ]),
  );
  const searches = verification.searches;
  if (searches.length > 0) {
    const found = searches.filter((check) => check.ok).length;
    const same = searches.filter((check) => check.same).length;
    const top = searches.filter((check) => check.sameTop).length;
    const overlap = searches.reduce((sum, check) => sum + check.overlap, 0) / searches.length;
    out.write(
      `sample searches: ${found} of ${searches.length} memories found by their own text as in the source; ${same} identical result lists, ${top} the same first result, ${Math.round(overlap * 100)}% of results shared\n`,
    );
  }
  for (const check of searches.filter((entry) => !entry.ok)) {
    out.write(
      `  memory ${check.memoryId} (store ${check.store}) found by ${check.foundBy.source?.join('+') ?? 'nothing'} in the source, ${check.foundBy.target?.join('+') ?? 'not found'} in the target\n`,
    );
  }
  for (const skip of verification.skipped)
    out.write(`  searches of store ${skip.store} not compared: ${skip.reason}\n`);
  out.write(
    verification.ok
      ? searches.length > 0
        ? 'verified: the target holds the same rows and finds every sampled memory as the source does\n'
        : 'verified: the target holds the same rows (no sample search ran)\n'
      : 'verification FAILED: see the differences above. The source is unchanged. If it was written to during the copy, stop its writers, empty the target (drop the schema or delete the file) and run the same command again\n',
  );
}
