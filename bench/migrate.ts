/**
 * `npm run bench:migrate`: `mnemos migrate` on a LongMemEval home (one tenant per question, every
 * haystack session ingested by passthrough). Copies SQLite -> SQLite (the baseline), SQLite ->
 * Postgres and Postgres -> SQLite, timing the copy and the verification apart; then asks every
 * question on the original and on each copy and compares the ten results. Writes the `migrate`
 * block of docs/benchmarks.md (a quick run, BENCH_QUICK=1, only prints).
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { type MigrateReport, migrate } from '../src/migration/migrate.js';
import { Mnemos } from '../src/mnemos.js';
import type { Storage } from '../src/spec/storage.js';
import { openStorage } from '../src/storage/open-storage.js';
import { writeGeneratedBlocks } from './docs-writer.js';
import { int, pct, table, times } from './format.js';
import { interleaveByType, type LongMemEvalQuestion, loadLongMemEval } from './longmemeval-data.js';
import { describeMachine, machineLine } from './machine.js';
import { log, nowMs } from './stats.js';
import { removeTempHomes, tempHome } from './temp-home.js';

const databaseUrl = process.env.MNEMOS_BENCH_DATABASE_URL ?? process.env.MNEMOS_TEST_DATABASE_URL;
const quick = process.env.BENCH_QUICK === '1';
const questionCount = quick ? 3 : 12;

/** One copy: rows, seconds of the copy and of the verification, and what the verification said. */
interface CopyFigures {
  label: string;
  rows: number;
  copySeconds: number;
  verifySeconds: number;
  report: MigrateReport;
}

/** Answers to the questions on a copy compared with the original's. */
interface Agreement {
  identical: number;
  sameTop: number;
  overlap: number;
}

async function seed(home: string, questions: LongMemEvalQuestion[]): Promise<number> {
  const mnemos = await Mnemos.open({ home });
  try {
    for (const [index, question] of questions.entries()) {
      const scope = { appId: 'bench', tenantId: `q${index}` };
      for (const session of question.haystack_sessions) {
        const messages = session
          .filter((message) => message.content.trim() !== '')
          .map((message) => ({ role: message.role, content: message.content.slice(0, 8_000) }));
        for (let start = 0; start < messages.length; start += 20)
          await mnemos.memories.add({ scope, messages: messages.slice(start, start + 20) });
      }
    }
    await mnemos.drain();
    return mnemos.storage.transfer.count('memories');
  } finally {
    await mnemos.close();
  }
}

async function timedCopy(
  label: string,
  from: string,
  to: string,
  home: string,
): Promise<CopyFigures> {
  const copyStart = nowMs();
  const copied = await migrate({ from, to, home, verify: false });
  const copySeconds = (nowMs() - copyStart) / 1000;
  // Run again: the copy is complete, so this is the verification alone.
  const verifyStart = nowMs();
  const report = await migrate({ from, to, home, samples: 50 });
  const verifySeconds = (nowMs() - verifyStart) / 1000;
  const rows = copied.copy.tables.reduce((sum, entry) => sum + entry.copied, 0);
  for (const check of report.verification?.searches ?? [])
    if (!check.ok && process.env.BENCH_DEBUG) log(JSON.stringify(check));
  log(
    `${label}: ${rows} rows, copy ${copySeconds.toFixed(1)} s, verify ${verifySeconds.toFixed(1)} s, ok ${report.verification?.ok}`,
  );
  return { label, rows, copySeconds, verifySeconds, report };
}

async function answers(
  home: string,
  storage: Storage,
  questions: LongMemEvalQuestion[],
): Promise<string[][]> {
  const mnemos = await Mnemos.open({ home, storage, readOnly: true });
  try {
    const out: string[][] = [];
    for (const [index, question] of questions.entries()) {
      const { results } = await mnemos.memories.search({
        scope: { appId: 'bench', tenantId: `q${index}` },
        query: question.question,
        topK: 10,
      });
      out.push(results.map((result) => result.memory.id));
    }
    return out;
  } finally {
    await mnemos.close();
  }
}

function agreement(original: string[][], copy: string[][]): Agreement {
  let identical = 0;
  let sameTop = 0;
  let overlap = 0;
  original.forEach((ids, index) => {
    const other = copy[index] ?? [];
    if (ids.join() === other.join()) identical++;
    if (ids[0] === other[0]) sameTop++;
    const found = new Set(other);
    overlap += ids.length === 0 ? 1 : ids.filter((id) => found.has(id)).length / ids.length;
  });
  return { identical, sameTop, overlap: overlap / Math.max(1, original.length) };
}

function section(
  memories: number,
  copies: CopyFigures[],
  agreements: Agreement[],
  questions: number,
): string {
  const baseline = copies[0]!;
  const rate = (figures: CopyFigures): number => figures.rows / figures.copySeconds;
  const rows = copies.map((figures, index) => {
    const verification = figures.report.verification!;
    const searches = verification.searches;
    const agree = agreements[index]!;
    return [
      figures.label,
      int(figures.rows),
      `${figures.copySeconds.toFixed(1)} s (${int(rate(figures))} rows/s, ${times(rate(figures) / rate(baseline))})`,
      `${figures.verifySeconds.toFixed(1)} s`,
      verification.tables.every((check) => check.sameRows) ? 'all same' : 'DIFFERENT',
      `${searches.filter((check) => check.ok).length} / ${searches.filter((check) => check.same).length} / ${searches.filter((check) => check.sameTop).length} of ${searches.length}`,
      `${agree.identical} / ${agree.sameTop} of ${questions}, ${pct(agree.overlap)} shared`,
      verification.ok ? 'ok' : 'FAILED',
    ];
  });
  return [
    `A home of ${questions} LongMemEval-S questions, one tenant each, every haystack session ingested by passthrough (${int(memories)} memories). Each copy is timed apart from its verification (the same command run again on the finished copy). "Sampled searches": 50 live memories searched by their own text on both sides: found through the same signals as in the source (what the verification requires) / identical top-10 lists / same first result. "Questions": each question asked on the original home and on the copy, top 10 (identical / same first / share of results in both). Rows/s ratios are against the SQLite -> SQLite copy of this run.`,
    '',
    table(
      [
        'Copy',
        'Rows',
        'Copy time',
        'Verification',
        'Rows compared',
        'Sampled searches',
        'Questions',
        'Verdict',
      ],
      rows,
    ),
  ].join('\n');
}

async function main(): Promise<void> {
  if (!databaseUrl) {
    process.stderr.write(
      'npm run bench:migrate needs PostgreSQL with pgvector: MNEMOS_BENCH_DATABASE_URL=postgres://… (or MNEMOS_TEST_DATABASE_URL)\n',
    );
    process.exitCode = 1;
    return;
  }
  const machine = describeMachine();
  const started = new Date();
  const questions = interleaveByType(loadLongMemEval()).slice(0, questionCount);
  const schema = `mnemos_bench_migrate_${Date.now().toString(36)}`;
  const parsed = new URL(databaseUrl);
  parsed.searchParams.set('schema', schema);
  const postgres = parsed.toString();
  const home = tempHome('migrate');
  try {
    log(`seeding ${questions.length} questions`);
    const memories = await seed(join(home, 'original'), questions);
    const original = `sqlite:${join(home, 'original')}`;
    const copies = [
      await timedCopy('SQLite -> SQLite', original, `sqlite:${join(home, 'copy')}`, home),
      await timedCopy('SQLite -> Postgres', original, postgres, home),
      await timedCopy('Postgres -> SQLite', postgres, `sqlite:${join(home, 'back')}`, home),
    ];
    const sqlite = (folder: string): Promise<Storage> =>
      openStorage({ kind: 'sqlite', path: join(home, folder, 'mnemos.db') }, { readOnly: true });
    const before = await answers(home, await sqlite('original'), questions);
    const agreements = [
      agreement(before, await answers(home, await sqlite('copy'), questions)),
      agreement(
        before,
        await answers(
          home,
          await openStorage({ kind: 'postgres', url: postgres }, { readOnly: true }),
          questions,
        ),
      ),
      agreement(before, await answers(home, await sqlite('back'), questions)),
    ];
    const stamp = `_${quick ? 'Quick (smoke) run' : 'Full run'} of ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machineLine(machine)}, ${loadavg()[0]!.toFixed(2)} at the end._`;
    const body = `${stamp}\n\n${section(memories, copies, agreements, questions.length)}`;
    process.stdout.write(`# Mnemos bench:migrate\n\n${body}\n`);
    if (!quick || process.env.BENCH_WRITE_DOCS === '1') {
      writeGeneratedBlocks({ migrate: body });
      log('updated docs/benchmarks.md (migrate)');
    }
    if (copies.some((figures) => !figures.report.verification?.ok)) process.exitCode = 1;
  } finally {
    removeTempHomes();
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
    await client.end();
  }
}

main().catch((error: unknown) => {
  removeTempHomes();
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
