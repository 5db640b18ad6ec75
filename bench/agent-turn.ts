import { simulateReadableStream } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import {
  type AgentOptions,
  type ChainedModel,
  createAgent,
  Mnemos,
  type Recall,
} from '../src/index.js';
import { addInputs, syntheticMemories, syntheticQueries } from './corpus.js';
import { loadInBatches, storedCount } from './engine.js';
import { cpuMs, type Latency, log, nowMs, summarise } from './stats.js';
import { removeTempHome, tempHome } from './temp-home.js';

/** One series of agent turns on one home: timings per part, and what the job runner did meanwhile. */
export interface AgentTurnRun {
  /** Memories requested for the tenant before the turns (0 for the empty-tenant baseline). */
  loadedRequests: number;
  /** Live memories in the tenant when the turns began. */
  memoriesBefore: number;
  /** Live memories after the final drain (the synced turns added some). */
  memoriesAfter: number;
  loadSeconds: number;
  /** `agent.turn()` until it returned. */
  turn: Latency;
  /** From the start of `agent.turn()` until it returned and its sync enqueue had finished. */
  turnWithSync: Latency;
  /** `MemoryManager.prefetch`: recall for the current message from every provider, fenced. */
  prefetch: Latency;
  /** The `memories.search` call inside the prefetch. */
  prefetchSearch: Latency;
  /** End of the prefetch to the model call: compression check, recall block, AI SDK prompt and tools. */
  assembly: Latency;
  /** Model call to the first persistence write: the instant stand-in's stream through the AI SDK. */
  modelStep: Latency;
  /** `sessions.append` of the turn's messages plus the usage `sessions.update`. */
  persistence: Latency;
  /** The turn's `memories.add` (validation, durable job insert, runner kick). */
  enqueue: Latency;
  /** `agent.turn()` minus prefetch, assembly, model step and persistence (hooks, sync hand-off, …). */
  rest: Latency;
  /** Milliseconds of each turn during which a job-runner batch (background ingestion) was in flight. */
  ingestionOverlap: Latency;
  /** Measured turns with a job-runner batch in flight at some point. */
  turnsWithIngestion: number;
  /** Plain `memories.search` for the same queries, top 5, outside the agent. */
  rawSearch: Latency;
  /** Longest time the sync enqueue went on after `agent.turn()` returned, ms. */
  maxSyncLagMs: number;
  /** Turns whose recall produced a `<memory-context>` block. */
  recalled: number;
  recallTimeouts: number;
  modelCalls: number;
  /** Sync jobs enqueued by the measured and warm-up turns. */
  syncJobs: number;
  /** Jobs queued when the timing began (left by the warm-up turns) and when it ended. */
  pendingAtStart: number;
  pendingAtEnd: number;
  /** Sync jobs the runner finished while turns were being timed. */
  processedDuringTiming: number;
  /** Largest backlog of queued jobs seen after a measured turn. */
  maxPending: number;
  drainMs: number;
  failedJobs: number;
  /** Wall and process CPU time of the measured turns (between-turn bookkeeping included). */
  timedSeconds: number;
  timedCpuSeconds: number;
}

/** Figures of the `agent` section. */
export interface AgentTurnFigures {
  memories: number;
  turns: number;
  warmupTurns: number;
  sessionTurns: number;
  toolsOffered: number;
  recallTopK: number;
  prefetchBudgetMs: number;
  reply: string;
  loaded: AgentTurnRun;
  empty: AgentTurnRun;
}

/** The tenant `createAgent` uses by default (config `app_id` and `tenant_id`). */
const agentTenant = { appId: 'mnemos', tenantId: 'default' } as const;
const sessionTurns = 20;
const reply = 'Noted — I will keep that in mind.';

type StreamPart =
  Awaited<ReturnType<MockLanguageModelV3['doStream']>>['stream'] extends ReadableStream<infer P>
    ? P
    : never;

/** One short text answer, no tool calls, as a provider stream. */
const replyParts: StreamPart[] = [
  { type: 'stream-start', warnings: [] },
  { type: 'text-start', id: 'reply' },
  { type: 'text-delta', id: 'reply', delta: reply },
  { type: 'text-end', id: 'reply' },
  {
    type: 'finish',
    finishReason: { unified: 'stop', raw: 'stop' },
    usage: {
      inputTokens: { total: 0, noCache: 0, cacheRead: 0, cacheWrite: 0 },
      outputTokens: { total: 8, text: 8, reasoning: 0 },
    },
  },
];

/** An in-process model that streams `reply` at once (no timers, no network). */
function instantModel(contextWindow: number, onCall: () => void): ChainedModel {
  const model: MockLanguageModelV3 = new MockLanguageModelV3({
    provider: 'bench',
    modelId: 'instant-stand-in',
    doStream: async () => {
      onCall();
      // The mock records every call's options; keep none, the prompts grow with the session.
      model.doStreamCalls.length = 0;
      return {
        stream: simulateReadableStream({
          chunks: replyParts,
          initialDelayInMs: null,
          chunkDelayInMs: null,
        }),
      };
    },
  });
  return {
    name: 'bench/instant-stand-in',
    model,
    toolProtocol: 'native',
    contextWindow,
  };
}

/** Time marks of one turn, filled by the wrappers below. */
interface Marks {
  start: number;
  prefetch?: [number, number];
  search?: [number, number];
  recalled?: boolean;
  modelCall?: number;
  append?: [number, number];
  update?: [number, number];
  add?: [number, number];
  addDone?: Promise<unknown>;
  end?: number;
}

/**
 * Replaces an async method of one object by a wrapper reporting each call's start and end to
 * `onCall` (and the pending promise to `onStart`); only this instance is changed.
 */
function timeMethod<T extends object>(
  target: T,
  key: keyof T,
  onCall: (start: number, end: number, result: unknown) => void,
  onStart?: (done: Promise<unknown>) => void,
): void {
  const original = target[key] as unknown as (...args: unknown[]) => Promise<unknown>;
  const wrapped = (...args: unknown[]): Promise<unknown> => {
    const start = nowMs();
    const done = original.apply(target, args).then((result) => {
      onCall(start, nowMs(), result);
      return result;
    });
    onStart?.(done);
    return done;
  };
  (target as unknown as Record<PropertyKey, unknown>)[key] = wrapped;
}

function span(pair: [number, number] | undefined, what: string): number {
  if (!pair) throw new Error(`agent bench: no ${what} in a measured turn`);
  return pair[1] - pair[0];
}

async function pendingJobs(mnemos: Mnemos): Promise<number> {
  return mnemos.memories.pendingJobCount();
}

async function failedJobs(mnemos: Mnemos): Promise<number> {
  return (await mnemos.memories.jobs({ scope: agentTenant, states: ['failed'], limit: 1_000 }))
    .length;
}

/**
 * Runs `warmup + turns` agent turns on a fresh home holding `requests` synthetic memories (none
 * for the baseline), with an instant in-process model, timing each turn and its parts.
 */
async function measureAgent(options: {
  label: string;
  requests: number;
  queries: readonly string[];
  warmup: number;
}): Promise<{ run: AgentTurnRun; toolsOffered: number; recallTopK: number; budgetMs: number }> {
  const home = tempHome(`agent-${options.label}`);
  const mnemos = await Mnemos.open({
    home,
    config: { extractor: 'passthrough', agent: { workspace: home } },
  });
  try {
    let loadMs = 0;
    if (options.requests > 0) {
      log(`agent: loading ${options.requests} memories into ${agentTenant.appId}/default`);
      const corpus = syntheticMemories(options.requests, 31);
      loadMs = (await loadInBatches(mnemos, addInputs(corpus, agentTenant), 2_000)).ms;
    }
    const memoriesBefore = await storedCount(mnemos, agentTenant);
    const readScope = { ...agentTenant, agentId: '*', runId: '*' };
    const recallTopK = mnemos.config.agent.recall_top_k;

    log(
      `agent(${options.label}): raw memories.search, ${options.queries.length} queries, top ${recallTopK}`,
    );
    for (const query of options.queries.slice(0, options.warmup))
      await mnemos.memories.search({ scope: readScope, query, topK: recallTopK });
    const rawSamples: number[] = [];
    for (const query of options.queries.slice(options.warmup)) {
      const start = nowMs();
      await mnemos.memories.search({ scope: readScope, query, topK: recallTopK });
      rawSamples.push(nowMs() - start);
    }

    let marks: Marks = { start: 0 };
    let modelCalls = 0;
    const agent = createAgent({
      mnemos,
      models: [
        instantModel(mnemos.config.agent.context_window, () => {
          modelCalls++;
          marks.modelCall = nowMs();
        }),
      ],
    });
    const manager = (agent as unknown as { options: AgentOptions }).options.memory;
    timeMethod(manager, 'prefetch', (start, end, result) => {
      marks.prefetch = [start, end];
      marks.recalled = (result as Recall).block !== null;
    });
    timeMethod(mnemos.memories, 'search', (start, end) => {
      marks.search = [start, end];
    });
    timeMethod(
      mnemos.memories,
      'add',
      (start, end) => {
        marks.add = [start, end];
      },
      (done) => {
        marks.addDone = done;
      },
    );
    timeMethod(mnemos.sessions, 'append', (start, end) => {
      marks.append = [start, end];
    });
    timeMethod(mnemos.sessions, 'update', (start, end) => {
      marks.update = [start, end];
    });
    // The job runner runs in this process: record its batches to see how much of each turn they share.
    const batches: Array<[number, number]> = [];
    const runner = (mnemos as unknown as { runner: { handle: unknown } }).runner;
    timeMethod(runner, 'handle', (start, end) => {
      batches.push([start, end]);
    });
    const windows: Array<[number, number]> = [];

    const samples = {
      turn: [] as number[],
      turnWithSync: [] as number[],
      prefetch: [] as number[],
      prefetchSearch: [] as number[],
      assembly: [] as number[],
      modelStep: [] as number[],
      persistence: [] as number[],
      enqueue: [] as number[],
      rest: [] as number[],
    };
    let recalled = 0;
    let recallTimeouts = 0;
    let maxSyncLagMs = 0;
    let maxPending = 0;
    let toolsOffered = 0;
    let timedStart = 0;
    let cpuStart = 0;
    let pendingAtStart = 0;
    log(
      `agent(${options.label}): ${options.warmup} warm-up + ${options.queries.length - options.warmup} measured turns`,
    );
    for (const [index, query] of options.queries.entries()) {
      if (index % sessionTurns === 0) {
        await agent.newSession('bench');
        toolsOffered = agent.toolList.length;
      }
      if (index === options.warmup) {
        pendingAtStart = await pendingJobs(mnemos);
        modelCalls = 0;
        timedStart = nowMs();
        cpuStart = cpuMs();
      }
      marks = { start: nowMs() };
      const done = await agent.turn(query, {
        onEvent: (event) => {
          if (event.type === 'notice' && event.message.startsWith('recall:')) recallTimeouts++;
        },
      });
      marks.end = nowMs();
      if (done.reason !== 'answered' || done.text !== reply)
        throw new Error(`agent bench: turn ended ${done.reason} ${done.error ?? ''}`);
      await marks.addDone;
      if (index < options.warmup) continue;
      const turn = marks.end - marks.start;
      const prefetch = span(marks.prefetch, 'prefetch');
      if (marks.modelCall === undefined || !marks.prefetch || !marks.append)
        throw new Error('agent bench: a measured turn missed the model call or the append');
      const assembly = marks.modelCall - marks.prefetch[1];
      const modelStep = marks.append[0] - marks.modelCall;
      const persistence = span(marks.append, 'append') + span(marks.update, 'usage update');
      const add = marks.add as [number, number];
      windows.push([marks.start, marks.end]);
      samples.turn.push(turn);
      samples.turnWithSync.push(Math.max(marks.end, add[1]) - marks.start);
      samples.prefetch.push(prefetch);
      samples.prefetchSearch.push(span(marks.search, 'search'));
      samples.assembly.push(assembly);
      samples.modelStep.push(modelStep);
      samples.persistence.push(persistence);
      samples.enqueue.push(span(add, 'enqueue'));
      samples.rest.push(turn - prefetch - assembly - modelStep - persistence);
      maxSyncLagMs = Math.max(maxSyncLagMs, add[1] - marks.end);
      if (marks.recalled) recalled++;
      maxPending = Math.max(maxPending, await pendingJobs(mnemos));
    }
    const timedSeconds = (nowMs() - timedStart) / 1000;
    const timedCpuSeconds = (cpuMs() - cpuStart) / 1000;
    const pendingAtEnd = await pendingJobs(mnemos);
    const drainStart = nowMs();
    await agent.close();
    await mnemos.drain();
    const drainMs = nowMs() - drainStart;
    const turns = options.queries.length - options.warmup;
    const overlaps = windows.map(([from, to]) =>
      batches.reduce(
        (sum, [start, end]) => sum + Math.max(0, Math.min(to, end) - Math.max(from, start)),
        0,
      ),
    );
    return {
      toolsOffered,
      recallTopK,
      budgetMs: mnemos.config.agent.prefetch_budget_ms,
      run: {
        loadedRequests: options.requests,
        memoriesBefore,
        memoriesAfter: await storedCount(mnemos, agentTenant),
        loadSeconds: loadMs / 1000,
        turn: summarise(samples.turn),
        turnWithSync: summarise(samples.turnWithSync),
        prefetch: summarise(samples.prefetch),
        prefetchSearch: summarise(samples.prefetchSearch),
        assembly: summarise(samples.assembly),
        modelStep: summarise(samples.modelStep),
        persistence: summarise(samples.persistence),
        enqueue: summarise(samples.enqueue),
        rest: summarise(samples.rest),
        ingestionOverlap: summarise(overlaps),
        turnsWithIngestion: overlaps.filter((ms) => ms > 0).length,
        rawSearch: summarise(rawSamples),
        maxSyncLagMs,
        recalled,
        recallTimeouts,
        modelCalls,
        syncJobs: options.queries.length,
        pendingAtStart,
        pendingAtEnd,
        processedDuringTiming: pendingAtStart + turns - pendingAtEnd,
        maxPending,
        drainMs,
        failedJobs: await failedJobs(mnemos),
        timedSeconds,
        timedCpuSeconds,
      },
    };
  } finally {
    await mnemos.close();
    removeTempHome(home);
  }
}

/**
 * The agent's own overhead per turn with an in-process model that answers at once: recall for the
 * current message, prompt assembly, session persistence and the sync enqueue, over a tenant of 10k
 * synthetic memories (2k in a quick run), beside the same turns on an empty tenant and plain
 * `memories.search` for the same queries.
 */
export async function runAgentTurns(options: { quick: boolean }): Promise<AgentTurnFigures> {
  const memories = options.quick ? 2_000 : 10_000;
  const turns = options.quick ? 40 : 300;
  const warmupTurns = options.quick ? 5 : 20;
  // Queries are drawn from the memories the loaded tenant holds (same seed as its load).
  const queries = syntheticQueries(syntheticMemories(memories, 31), warmupTurns + turns, 32);
  const empty = await measureAgent({ label: 'empty', requests: 0, queries, warmup: warmupTurns });
  const loaded = await measureAgent({
    label: 'loaded',
    requests: memories,
    queries,
    warmup: warmupTurns,
  });
  return {
    memories,
    turns,
    warmupTurns,
    sessionTurns,
    toolsOffered: loaded.toolsOffered,
    recallTopK: loaded.recallTopK,
    prefetchBudgetMs: loaded.budgetMs,
    reply,
    loaded: loaded.run,
    empty: empty.run,
  };
}
