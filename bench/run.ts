/**
 * `npm run bench`: ingest throughput, hybrid search latency, LongMemEval-S retrieval quality, the
 * model calls of LLM ingestion (against a scripted stand-in model) and the agent's per-turn overhead
 * (against an instant in-process model), each beside a baseline measured in the same run; prints a
 * summary and updates docs/benchmarks.md.
 *
 * Environment: BENCH_QUICK=1 (small sizes, smoke run, docs untouched unless BENCH_WRITE_DOCS=1),
 * BENCH_ONLY=ingest,search,longmemeval,llm,agent (sections to run), BENCH_SEARCH_LOAD_BUDGET_S and
 * BENCH_LME_BUDGET_S (time budgets that keep a full run near ten minutes on two cores).
 */
import { loadavg } from 'node:os';
import { runAgentTurns } from './agent-turn.js';
import { writeGeneratedBlocks } from './docs-writer.js';
import { runIngest } from './ingest.js';
import { runLlmIngest } from './llm-ingest.js';
import { runLongMemEval } from './longmemeval.js';
import { describeMachine, machineLine } from './machine.js';
import {
  agentTurnSection,
  ingestSection,
  llmIngestSection,
  longMemEvalSection,
  type RunFigures,
  searchSection,
  summarySection,
} from './report.js';
import { runSearch } from './search.js';
import { log, nowMs } from './stats.js';
import { removeTempHomes } from './temp-home.js';

const sections = ['ingest', 'search', 'longmemeval', 'llm', 'agent'] as const;
type Section = (typeof sections)[number];

function selectedSections(): Section[] {
  const only = process.env.BENCH_ONLY?.trim();
  if (!only) return [...sections];
  const names = only
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const unknown = names.filter((name) => !(sections as readonly string[]).includes(name));
  if (unknown.length > 0)
    throw new Error(
      `BENCH_ONLY: unknown section(s) ${unknown.join(', ')}; choose from ${sections.join(', ')}`,
    );
  return sections.filter((section) => names.includes(section));
}

function seconds(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!(value > 0)) throw new Error(`${name} must be a positive number of seconds, got ${raw}`);
  return value;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    removeTempHomes();
    process.exit(130);
  });
}

async function main(): Promise<void> {
  const quick = process.env.BENCH_QUICK === '1';
  const chosen = selectedSections();
  const lmeBudgetSeconds = seconds('BENCH_LME_BUDGET_S', quick ? 30 : 270);
  const loadBudgetSeconds = seconds('BENCH_SEARCH_LOAD_BUDGET_S', quick ? 30 : 240);
  const machine = describeMachine();
  const started = new Date();
  const wallStart = nowMs();
  log(`${quick ? 'quick' : 'full'} run of ${chosen.join(', ')} on ${machineLine(machine)}`);

  const run: RunFigures = {};
  try {
    if (chosen.includes('ingest')) run.ingest = await runIngest({ quick });
    if (chosen.includes('search')) run.search = await runSearch({ quick, loadBudgetSeconds });
    if (chosen.includes('longmemeval'))
      run.longmemeval = await runLongMemEval({ quick, budgetSeconds: lmeBudgetSeconds });
    if (chosen.includes('llm')) run.llm = await runLlmIngest({ quick });
    if (chosen.includes('agent')) run.agent = await runAgentTurns({ quick });
  } finally {
    removeTempHomes();
  }
  const wallSeconds = (nowMs() - wallStart) / 1000;

  const stamp = `_${quick ? 'Quick (smoke) run' : 'Full run'} of ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machineLine(machine)}, ${loadavg()[0]!.toFixed(2)} at the end; whole run ${wallSeconds.toFixed(0)} s._`;
  const blocks: Record<string, string> = {};
  if (run.ingest) blocks.ingest = `${stamp}\n\n${ingestSection(run.ingest)}`;
  if (run.search) blocks.search = `${stamp}\n\n${searchSection(run.search)}`;
  if (run.longmemeval) blocks.longmemeval = `${stamp}\n\n${longMemEvalSection(run.longmemeval)}`;
  if (run.llm) blocks.llm = `${stamp}\n\n${llmIngestSection(run.llm)}`;
  if (run.agent) blocks.agent = `${stamp}\n\n${agentTurnSection(run.agent)}`;
  if (chosen.length === sections.length) blocks.summary = `${stamp}\n\n${summarySection(run)}`;

  const out = [`# Mnemos benchmarks (${quick ? 'quick' : 'full'})`, '', stamp];
  for (const [name, body] of Object.entries(blocks))
    if (name !== 'summary') out.push('', `## ${name}`, '', body.slice(stamp.length).trim());
  out.push('', '## summary', '', summarySection(run), '');
  process.stdout.write(out.join('\n'));

  if (!quick || process.env.BENCH_WRITE_DOCS === '1') {
    writeGeneratedBlocks(blocks);
    log(`updated docs/benchmarks.md (${Object.keys(blocks).join(', ')})`);
  } else {
    log('quick run: docs/benchmarks.md left as it is (set BENCH_WRITE_DOCS=1 to write it)');
  }
}

main().catch((error: unknown) => {
  removeTempHomes();
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
