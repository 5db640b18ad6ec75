import type { AgentTurnFigures, AgentTurnRun } from './agent-turn.js';
import { int, ms, pct, points, table, times } from './format.js';
import type { IngestFigures } from './ingest.js';
import type { LlmIngestFigures, LlmIngestRun } from './llm-ingest.js';
import type { LongMemEvalFigures, QualityRow } from './longmemeval.js';
import type { SearchFigures, SearchStep } from './search.js';
import type { Latency } from './stats.js';

/** Targets from the performance issue, checked against the figures. */
export const targets = {
  searchP50Ms: 5,
  searchP95Ms: 15,
  searchAtMemories: 100_000,
  batchIngestPerSecond: 5_000,
  addSyncP50Ms: 5,
  agentTurnP95Ms: 20,
  agentTurnAtMemories: 10_000,
} as const;

function verdict(met: boolean): string {
  return met ? '**met**' : '**not met**';
}

/** Markdown of the ingest section, with the baseline beside each figure and the targets checked. */
export function ingestSection(f: IngestFigures): string {
  return [
    table(
      [
        'Figure',
        'Mnemos',
        'Baseline (same run, same rows)',
        'Mnemos / baseline',
        'Target',
        'Status',
      ],
      [
        [
          `Batch ingest: \`addMany\` of ${int(f.batchRequests)} requests + \`drain()\``,
          `${int(f.batchPerSecond)} memories/s (${f.batchSeconds.toFixed(1)} s wall, ${f.batchCpuSeconds.toFixed(1)} s CPU)`,
          `raw better-sqlite3, tokenise + embed + insert, one transaction: ${int(f.rawEndToEndPerSecond)} rows/s (insert alone: ${int(f.rawInsertOnlyPerSecond)} rows/s)`,
          times(f.batchPerSecond / f.rawEndToEndPerSecond),
          `≥ ${int(targets.batchIngestPerSecond)} memories/s`,
          verdict(f.batchPerSecond >= targets.batchIngestPerSecond),
        ],
        [
          `Single \`add({ sync: true })\`, ${f.singleAdds} adds into a store of ${int(f.storedMemories)}`,
          `p50 ${ms(f.single.p50)} ms, p95 ${ms(f.single.p95)} ms, p99 ${ms(f.single.p99)} ms`,
          `raw single-row transaction (tokenise + embed + insert + commit): p50 ${ms(f.rawSingle.p50)} ms, p95 ${ms(f.rawSingle.p95)} ms`,
          `${times(f.single.p50 / f.rawSingle.p50)} (p50)`,
          `p50 ≤ ${targets.addSyncP50Ms} ms`,
          verdict(f.single.p50 <= targets.addSyncP50Ms),
        ],
      ],
    ),
    '',
    `Stored after the batch: ${int(f.storedMemories)} of ${int(f.batchRequests)} requests (the rest merged into existing memories of the same agent as the same statement, from any run: the corpus repeats template sentences).`,
  ].join('\n');
}

function searchTarget(step: SearchStep): [string, string] {
  if (step.targetRequests !== targets.searchAtMemories) return ['(target is at 100k)', '—'];
  const target = `p50 ≤ ${targets.searchP50Ms} ms, p95 ≤ ${targets.searchP95Ms} ms at 100k`;
  if (step.requests < step.targetRequests) {
    return [target, `**not measured**: load budget spent at ${int(step.requests)}`];
  }
  const met = step.engine.p50 <= targets.searchP50Ms && step.engine.p95 <= targets.searchP95Ms;
  return [target, verdict(met)];
}

/** Markdown of the search section: engine latency beside brute-force cosine and JS BM25. */
export function searchSection(f: SearchFigures): string {
  const latency = table(
    [
      'Memories (requests)',
      'Mnemos hybrid p50 / p95 / p99',
      'Brute-force cosine p50 / p95',
      'JS BM25 p50 / p95',
      'Mnemos / brute force (p50)',
      'Mnemos / BM25 (p50)',
      'Target',
      'Status',
    ],
    f.steps.map((step) => {
      const [target, status] = searchTarget(step);
      return [
        `${int(step.storedMemories)} (${int(step.requests)})`,
        `${ms(step.engine.p50)} / ${ms(step.engine.p95)} / ${ms(step.engine.p99)} ms`,
        `${ms(step.bruteForce.p50)} / ${ms(step.bruteForce.p95)} ms`,
        `${ms(step.bm25.p50)} / ${ms(step.bm25.p95)} ms`,
        times(step.engine.p50 / step.bruteForce.p50),
        times(step.engine.p50 / step.bm25.p50),
        target,
        status,
      ];
    }),
  );
  const load = table(
    [
      'Load step',
      'Requests loaded',
      'Wall time',
      'Process CPU time',
      'Rate',
      'Process RSS after load',
    ],
    f.steps.map((step, index) => {
      const from = index === 0 ? 0 : f.steps[index - 1]!.requests;
      return [
        `${int(from)} → ${int(step.targetRequests)}${step.requests < step.targetRequests ? ` (stopped at ${int(step.requests)})` : ''}`,
        int(step.requests - from),
        `${step.loadSeconds.toFixed(1)} s`,
        `${step.loadCpuSeconds.toFixed(1)} s`,
        `${int(step.loadPerSecond)} memories/s`,
        `${int(step.rssMiBAfterLoad)} MiB`,
      ];
    }),
  );
  return [
    `${f.queries} queries, top 10, one tenant, all agents and runs; \`retrieval.hnsw_threshold\` = ${int(f.hnswThreshold)}; load budget ${f.loadBudgetSeconds} s.`,
    '',
    latency,
    '',
    load,
  ].join('\n');
}

function qualityCells(row: QualityRow): string[] {
  const { engine, bm25 } = row;
  return [
    row.questionType,
    String(row.questions),
    `${pct(engine.sessionRecall5)} / ${pct(bm25.sessionRecall5)}`,
    `${pct(engine.sessionRecall10)} / ${pct(bm25.sessionRecall10)}`,
    `${pct(engine.sessionAny5)} / ${pct(bm25.sessionAny5)}`,
    `${pct(engine.sessionAll10)} / ${pct(bm25.sessionAll10)}`,
    `${pct(engine.rankedSessionRecall5)} / ${pct(bm25.rankedSessionRecall5)}`,
    `${pct(engine.turnRecall10)} / ${pct(bm25.turnRecall10)}`,
  ];
}

/** Whether the engine beats BM25 on the headline metrics, in words. */
export function beatsBm25(f: LongMemEvalFigures): string {
  const { engine, bm25 } = f.overall;
  const parts = [
    ['session Recall@5', engine.sessionRecall5 - bm25.sessionRecall5],
    ['session Recall@10', engine.sessionRecall10 - bm25.sessionRecall10],
    ['ranked-session Recall@5', engine.rankedSessionRecall5 - bm25.rankedSessionRecall5],
    ['turn Recall@10', engine.turnRecall10 - bm25.turnRecall10],
  ] as const;
  return parts
    .map(
      ([name, delta]) =>
        `${name} ${points(delta)} (${delta > 0 ? 'beats' : delta === 0 ? 'ties' : 'loses to'} BM25)`,
    )
    .join('; ');
}

/** Markdown of the LongMemEval section: engine vs BM25 recall, overall and per question type. */
export function longMemEvalSection(f: LongMemEvalFigures): string {
  const coverage = f.budgetExhausted
    ? `**Only ${f.questionsMeasured} of ${f.questionsAvailable} questions were measured** before the ${f.budgetSeconds} s budget ran out (questions run round-robin by type).`
    : `${f.questionsMeasured} of ${f.questionsAvailable} non-abstention questions measured.`;
  return [
    `${coverage} ${int(f.turns)} turns stored as ${int(f.memories)} memories (turns over 1,000 characters are split by the engine); failed jobs: ${f.failedJobs}.`,
    '',
    'Each cell is **Mnemos / BM25**.',
    '',
    table(
      [
        'Question type',
        'Questions',
        'Session R@5',
        'Session R@10',
        'Session any@5',
        'Session all@10',
        'Ranked-session R@5',
        'Turn R@10',
      ],
      [
        ...f.byType.map(qualityCells),
        qualityCells(f.overall).map((cell, index) => (index === 0 ? '**all**' : cell)),
      ],
    ),
    '',
    `Verdict: ${beatsBm25(f)}.`,
    '',
    table(
      ['Cost', 'Mnemos', 'BM25 baseline'],
      [
        [
          'Indexing',
          `${f.engineIngestSeconds.toFixed(1)} s wall, ${f.engineIngestCpuSeconds.toFixed(1)} s CPU (\`addMany\` + \`drain()\`, ${int(f.engineIngestTurnsPerSecond)} turns/s)`,
          `${f.bm25IndexSeconds.toFixed(1)} s`,
        ],
        [
          'Search p50 / p95',
          `${ms(f.engineSearch.p50)} / ${ms(f.engineSearch.p95)} ms`,
          `${ms(f.bm25Search.p50)} / ${ms(f.bm25Search.p95)} ms`,
        ],
        [
          'Section wall time',
          `${f.wallSeconds.toFixed(0)} s (both systems, including loading the data set)`,
          '',
        ],
      ],
    ),
  ].join('\n');
}

/** Figures of one run; absent sections were not selected. */
export interface RunFigures {
  ingest?: IngestFigures;
  search?: SearchFigures;
  longmemeval?: LongMemEvalFigures;
  llm?: LlmIngestFigures;
  agent?: AgentTurnFigures;
}

/** The one-table summary of a run: headline figure, baseline, target and status per line. */
export function summarySection(run: RunFigures): string {
  const rows: string[][] = [];
  const { ingest, search, longmemeval, llm, agent } = run;
  if (ingest) {
    rows.push([
      'Batch ingest',
      `${int(ingest.batchPerSecond)} memories/s`,
      `raw SQLite ${int(ingest.rawEndToEndPerSecond)} rows/s`,
      `≥ ${int(targets.batchIngestPerSecond)}/s`,
      verdict(ingest.batchPerSecond >= targets.batchIngestPerSecond),
    ]);
    rows.push([
      '`add --sync` p50',
      `${ms(ingest.single.p50)} ms`,
      `raw single-row txn ${ms(ingest.rawSingle.p50)} ms`,
      `≤ ${targets.addSyncP50Ms} ms`,
      verdict(ingest.single.p50 <= targets.addSyncP50Ms),
    ]);
  }
  if (search) {
    for (const step of search.steps) {
      const [target, status] = searchTarget(step);
      rows.push([
        `Search p50 / p95 @ ${int(step.requests)}`,
        `${ms(step.engine.p50)} / ${ms(step.engine.p95)} ms`,
        `brute force ${ms(step.bruteForce.p50)} / ${ms(step.bruteForce.p95)} ms; BM25 ${ms(step.bm25.p50)} / ${ms(step.bm25.p95)} ms`,
        target,
        status,
      ]);
    }
    const last = search.steps[search.steps.length - 1]!;
    const loadSeconds = search.steps.reduce((sum, step) => sum + step.loadSeconds, 0);
    rows.push([
      `Load rate 0 → ${int(last.requests)} (addMany 2,000 + drain)`,
      `${int(last.requests / loadSeconds)} memories/s (${loadSeconds.toFixed(0)} s)`,
      '',
      '',
      '',
    ]);
    rows.push([
      `RSS after load @ ${int(last.requests)}`,
      `${int(last.rssMiBAfterLoad)} MiB`,
      '',
      '',
      '',
    ]);
  }
  if (longmemeval) {
    const { engine, bm25 } = longmemeval.overall;
    const status = (delta: number): string =>
      delta > 0 ? '**beats BM25**' : delta === 0 ? 'ties BM25' : '**loses to BM25**';
    const note = `${longmemeval.questionsMeasured} questions`;
    rows.push([
      `LongMemEval session R@5 (${note})`,
      pct(engine.sessionRecall5),
      `BM25 ${pct(bm25.sessionRecall5)}`,
      'beat BM25',
      status(engine.sessionRecall5 - bm25.sessionRecall5),
    ]);
    rows.push([
      `LongMemEval session R@10 (${note})`,
      pct(engine.sessionRecall10),
      `BM25 ${pct(bm25.sessionRecall10)}`,
      'beat BM25',
      status(engine.sessionRecall10 - bm25.sessionRecall10),
    ]);
    rows.push([
      `LongMemEval turn R@10 (${note})`,
      pct(engine.turnRecall10),
      `BM25 ${pct(bm25.turnRecall10)}`,
      'beat BM25',
      status(engine.turnRecall10 - bm25.turnRecall10),
    ]);
    rows.push([
      `LongMemEval ranked-session R@5 (${note})`,
      pct(engine.rankedSessionRecall5),
      `BM25 ${pct(bm25.rankedSessionRecall5)}`,
      'beat BM25',
      status(engine.rankedSessionRecall5 - bm25.rankedSessionRecall5),
    ]);
  }
  const largest = llm?.runs.filter((r) => r.unit === 'session').at(-1);
  if (largest) {
    rows.push([
      `LLM ingest of ${int(largest.characters)} characters, one job per session (scripted instant model)`,
      `${int(chatCalls(largest))} chat calls (${largest.extractionCalls} extraction + ${largest.reconciliationCalls} reconciliation), ${per10k(largest)} per 10k characters; ${ms(largest.llmSeconds * 1000)} ms`,
      `passthrough: no calls, ${ms(largest.passthroughSeconds * 1000)} ms (LLM path ${times(largest.llmSeconds / largest.passthroughSeconds)})`,
      '',
      '',
    ]);
  }
  if (agent) {
    const [target, status] = agentTarget(agent);
    rows.push([
      `Agent turn overhead p50 / p95 @ ${int(agent.loaded.memoriesBefore)} memories (instant in-process stand-in model)`,
      latency(agent.loaded.turnWithSync, false),
      `empty tenant ${latency(agent.empty.turnWithSync, false)}; recall search alone ${latency(agent.loaded.rawSearch, false)}`,
      target,
      status,
    ]);
  }
  return table(['Figure', 'Mnemos', 'Baseline (same run)', 'Target', 'Status'], rows);
}

function chatCalls(r: LlmIngestRun): number {
  return r.extractionCalls + r.reconciliationCalls;
}

function per10k(r: LlmIngestRun): string {
  return ((chatCalls(r) * 10_000) / r.characters).toFixed(1);
}

/** Markdown of the `llm` section: model calls, tokens and time of LLM ingestion beside passthrough. */
export function llmIngestSection(f: LlmIngestFigures): string {
  const set = (r: LlmIngestRun): string =>
    `${int(r.characters)} characters (${r.sessions} session${r.sessions === 1 ? '' : 's'}, ${int(r.messages)} messages, ${int(r.userMessages)} from the user)`;
  const unit = (r: LlmIngestRun): string =>
    r.unit === 'session' ? 'one per session' : 'one per exchange';
  const failures = f.runs.reduce((sum, r) => sum + r.failedJobs + r.passthroughFailedJobs, 0);
  const other = f.runs.reduce((sum, r) => sum + r.otherRequests, 0);
  return [
    "**The model is a local scripted stand-in** (`test/support/model-server.ts`: an OpenAI-compatible HTTP server on 127.0.0.1, in the bench process) **that answers every call at once.** The call counts are what Mnemos asks of a model; the times measure Mnemos' own overhead (prompts, HTTP, JSON validation, reconciliation look-ups, writes), **not model latency**, which a hosted model adds per call. The stand-in answers each extraction call with one `fact` per user message (its first 24 words) and, for every 5th user message, a shortened rewording of a fact from an earlier call instead; it answers each reconciliation call with NONE for a rewording whose original is shown and ADD otherwise.",
    '',
    table(
      [
        'Conversations (LongMemEval-S)',
        'Jobs',
        'Extraction calls',
        'Reconciliation calls',
        'Chat calls per 10k characters',
        'Prompt characters sent',
        'Tokens on jobs (prompt + completion)',
        'Rewordings: made / shown to the reconciler / NONE',
      ],
      f.runs.map((r) => [
        set(r),
        `${int(r.jobs)} (${unit(r)})`,
        int(r.extractionCalls),
        int(r.reconciliationCalls),
        per10k(r),
        int(r.promptCharacters),
        `${int(r.promptTokens)} + ${int(r.completionTokens)}`,
        `${r.script.restated} / ${r.script.restatedAsked} / ${r.script.none}`,
      ]),
    ),
    '',
    table(
      [
        'Conversations',
        'Jobs',
        `LLM path (stand-in model), median of ${f.repetitions}`,
        `Passthrough (no model), median of ${f.repetitions}`,
        'LLM / passthrough (wall)',
        'Memories stored (LLM / passthrough)',
      ],
      f.runs.map((r) => [
        `${int(r.characters)} characters`,
        `${int(r.jobs)} (${unit(r)})`,
        `${ms(r.llmSeconds * 1000)} ms, ${int(r.jobs / r.llmSeconds)} jobs/s`,
        `${ms(r.passthroughSeconds * 1000)} ms, ${int(r.jobs / r.passthroughSeconds)} jobs/s`,
        times(r.llmSeconds / r.passthroughSeconds),
        `${int(r.llmMemories)} / ${int(r.passthroughMemories)}`,
      ]),
    ),
    '',
    `Failed jobs: ${failures}; requests other than chat calls: ${other}. Tokens are the stand-in's counts (words of the request's messages as prompt tokens, words of the answer as completion tokens), not a real tokenizer's. Rewordings not shown to the reconciler were settled before it: merged as a near-duplicate (cosine ≥ 0.92) or stored as new when no stored memory of the scope reached 0.5. Other systems' published figures are reported, not measured here: the project's research notes (\`memory-landscape.md\`) record for Zep/Graphiti that "Ingestion is slow: about 12 s per message is "expected"", and for mem0's legacy algorithm an LLM call that extracts facts, then "a second LLM call decides ADD, UPDATE, DELETE or NONE for each".`,
  ].join('\n');
}

function latency(l: Latency, p99 = true): string {
  return `${ms(l.p50)} / ${ms(l.p95)}${p99 ? ` / ${ms(l.p99)}` : ''} ms`;
}

function agentTarget(f: AgentTurnFigures): [string, string] {
  if (f.memories !== targets.agentTurnAtMemories) return ['(target is at 10k)', '—'];
  return [
    `p95 ≤ ${targets.agentTurnP95Ms} ms at 10k`,
    verdict(f.loaded.turnWithSync.p95 <= targets.agentTurnP95Ms),
  ];
}

function waiting(r: AgentTurnRun): boolean {
  return r.timedSeconds > 1.25 * r.timedCpuSeconds;
}

/** Markdown of the `agent` section: per-turn overhead and its parts, 10k memories beside an empty tenant. */
export function agentTurnSection(f: AgentTurnFigures): string {
  const { loaded, empty } = f;
  const [target, status] = agentTarget(f);
  const row = (
    label: string,
    pick: (r: AgentTurnRun) => Latency,
    check: [string, string] = ['', ''],
  ): string[] => [
    label,
    latency(pick(loaded)),
    latency(pick(empty)),
    times(pick(loaded).p50 / pick(empty).p50),
    ...check,
  ];
  const background = (r: AgentTurnRun, name: string): string =>
    `${name}: the runner finished ${r.processedDuringTiming} of the ${f.turns} sync jobs enqueued during the timing${r.pendingAtStart > 0 ? ` (plus ${r.pendingAtStart} left by the warm-up)` : ''}, never more than ${r.maxPending} queued after a turn; a runner batch was in flight during ${r.turnsWithIngestion} of ${f.turns} turns, for p50 ${ms(r.ingestionOverlap.p50)} / p95 ${ms(r.ingestionOverlap.p95)} ms of the turn; ${r.pendingAtEnd} left at the end, drained (with \`agent.close()\`) in ${ms(r.drainMs)} ms; failed jobs ${r.failedJobs}; the enqueue ended at most ${ms(Math.max(0, r.maxSyncLagMs))} ms after \`turn()\` returned.`;
  return [
    `**The model is an in-process stand-in that answers instantly** (\`MockLanguageModelV3\` from \`ai/test\`, streaming the one-line reply "${f.reply}" with no tool calls, no timers and no network), passed to \`createAgent\` as its model chain. The times are Mnemos' own per-turn overhead — recall for the current message, prompt assembly, the AI SDK's streaming of an instant answer, session persistence and the sync enqueue — **not model latency**, which a real model adds on top.`,
    '',
    `Tenant \`mnemos\`/\`default\` (the one \`createAgent\` uses) loaded with ${int(loaded.loadedRequests)} synthetic memories (${int(loaded.memoriesBefore)} stored; \`addMany\` 2,000 + \`drain()\`, passthrough extraction, ${loaded.loadSeconds.toFixed(1)} s), against a fresh home with an empty tenant. Each runs ${f.warmupTurns} unrecorded warm-up turns, then ${f.turns} measured turns one after another, corpus queries that hit stored memories, in sessions of ${f.sessionTurns} turns (a new session, untimed, every ${f.sessionTurns}); default agent configuration: ${f.toolsOffered} tools offered, recall top ${f.recallTopK}, prefetch budget ${f.prefetchBudgetMs} ms.`,
    '',
    table(
      [
        'Per turn',
        `${int(loaded.memoriesBefore)} memories: p50 / p95 / p99`,
        'Empty tenant: p50 / p95 / p99',
        'Loaded / empty (p50)',
        'Target',
        'Status',
      ],
      [
        row(
          '**Turn overhead**: `agent.turn()` until it returned and its sync enqueue finished',
          (r) => r.turnWithSync,
          [target, status],
        ),
        row('`agent.turn()` until it returned', (r) => r.turn),
        row('Recall for the current message (`MemoryManager.prefetch`)', (r) => r.prefetch),
        row('… of which `memories.search`, top 5, all agents and runs', (r) => r.prefetchSearch),
        row(
          'Prompt assembly: end of recall to the model call (compression check, recall block, AI SDK prompt and tool schemas)',
          (r) => r.assembly,
        ),
        row(
          'Instant model step: model call to the first session write (the AI SDK stream)',
          (r) => r.modelStep,
        ),
        row(
          'Session persistence: `sessions.append` + usage `sessions.update`',
          (r) => r.persistence,
        ),
        row(
          "Sync enqueue: the turn's `memories.add` (validation, durable job insert); overlaps the usage update",
          (r) => r.enqueue,
        ),
        row('Rest of `turn()` (hooks, sync hand-off, event-loop waits)', (r) => r.rest),
        row(
          'Baseline: plain `memories.search` for the same queries, top 5, no agent',
          (r) => r.rawSearch,
        ),
      ],
    ),
    '',
    `Background ingestion was **not** paused: the job runner shares the process and its event loop, and with passthrough extraction it ingested the synced turns while later turns were timed. ${background(loaded, `${int(loaded.memoriesBefore)} memories`)} ${background(empty, 'Empty tenant')} Turns recalled a \`<memory-context>\` block in ${loaded.recalled} of ${f.turns} (loaded) and ${empty.recalled} of ${f.turns} (empty: only turns synced earlier in the run); recall missed the budget ${loaded.recallTimeouts + empty.recallTimeouts} times; model calls ${loaded.modelCalls} and ${empty.modelCalls}. Tenant after the final drain: ${int(loaded.memoriesAfter)} and ${int(empty.memoriesAfter)} memories. The measured turns took ${loaded.timedSeconds.toFixed(1)} s wall and ${loaded.timedCpuSeconds.toFixed(1)} s process CPU (loaded), ${empty.timedSeconds.toFixed(1)} s and ${empty.timedCpuSeconds.toFixed(1)} s (empty); CPU time includes the runner's ingestion and Node's own threads${waiting(loaded) || waiting(empty) ? ', and wall time well above it means the process waited — for `fsync` (each turn commits the session append, the usage update, the job insert and the ingested memories with `synchronous = FULL`) or for the CPU, shared with other processes' : ''}.`,
  ].join('\n');
}
