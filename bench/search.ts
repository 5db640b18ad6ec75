import { BuiltinEmbedder } from '../src/index.js';
import { Bm25Index } from './bm25.js';
import { BruteForceIndex } from './brute-force.js';
import { addInputs, syntheticMemories, syntheticQueries } from './corpus.js';
import { benchTenant, loadInBatches, openEngine, storedCount, wholeTenant } from './engine.js';
import { type Latency, log, nowMs, perSecond, rssMiB, summarise } from './stats.js';
import { removeTempHome, tempHome } from './temp-home.js';

/** Search figures at one corpus size. */
export interface SearchStep {
  /** Size this step aimed for. */
  targetRequests: number;
  /** Requests actually loaded (below the target when the load budget ran out). */
  requests: number;
  storedMemories: number;
  /** Load of this step's new requests (addMany in batches of 2,000, each drained). */
  loadSeconds: number;
  loadCpuSeconds: number;
  loadPerSecond: number;
  rssMiBAfterLoad: number;
  engine: Latency;
  bruteForce: Latency;
  bm25: Latency;
  /** Mean results returned by the engine per query. */
  engineResults: number;
}

/** Figures of the search section. */
export interface SearchFigures {
  queries: number;
  hnswThreshold: number;
  loadBudgetSeconds: number;
  steps: SearchStep[];
}

const batchSize = 2_000;
const warmupQueries = 10;

async function measure(
  queries: readonly string[],
  run: (query: string) => Promise<unknown> | unknown,
): Promise<Latency> {
  for (const query of queries.slice(0, warmupQueries)) await run(query);
  const samples: number[] = [];
  for (const query of queries) {
    const start = nowMs();
    await run(query);
    samples.push(nowMs() - start);
  }
  return summarise(samples);
}

/**
 * Hybrid search latency in one tenant at growing sizes (10k then 100k; the same tenant keeps
 * growing), with 200 corpus-vocabulary queries, beside an exact brute-force cosine scan and plain
 * BM25 in JS over the same corpus and queries. Loading stops early when `loadBudgetSeconds` is spent;
 * the last step is then measured at the size reached.
 */
export async function runSearch(options: {
  quick: boolean;
  loadBudgetSeconds: number;
}): Promise<SearchFigures> {
  const sizes = options.quick ? [1_000, 3_000] : [10_000, 100_000];
  const queryCount = options.quick ? 50 : 200;
  const largest = sizes[sizes.length - 1]!;
  const corpus = syntheticMemories(largest, 21);
  const inputs = addInputs(corpus, benchTenant);
  const queries = syntheticQueries(corpus, queryCount, 22);
  const home = tempHome('search');
  const mnemos = await openEngine(home);
  const bm25 = new Bm25Index();
  const bruteForce = new BruteForceIndex(
    new BuiltinEmbedder({ dimensions: mnemos.config.embedder.dimensions }),
    largest,
  );
  const steps: SearchStep[] = [];
  const deadline = nowMs() + options.loadBudgetSeconds * 1000;
  try {
    let loaded = 0;
    for (const size of sizes) {
      log(`search: loading ${loaded} → ${size} memories`);
      const load = await loadInBatches(
        mnemos,
        inputs.slice(loaded, size),
        batchSize,
        deadline,
        (done) => {
          if ((loaded + done) % 10_000 === 0) log(`search: ${loaded + done} loaded`);
        },
      );
      const reached = loaded + load.loaded;
      if (reached < size)
        log(`search: load budget of ${options.loadBudgetSeconds} s spent at ${reached}`);
      const rss = rssMiB();
      const stored = await storedCount(mnemos);
      log(`search: ${queryCount} queries at ${stored} memories`);
      let results = 0;
      const engine = await measure(queries, async (query) => {
        results += (await mnemos.memories.search({ scope: wholeTenant, query, topK: 10 })).results
          .length;
      });
      for (const memory of corpus.slice(loaded, reached)) {
        bm25.add(memory.text);
        bruteForce.add(memory.text);
      }
      steps.push({
        targetRequests: size,
        requests: reached,
        storedMemories: stored,
        loadSeconds: load.ms / 1000,
        loadCpuSeconds: load.cpuMs / 1000,
        loadPerSecond: perSecond(load.loaded, load.ms),
        rssMiBAfterLoad: rss,
        engine,
        bruteForce: await measure(queries, (query) => bruteForce.search(query, 10)),
        bm25: await measure(queries, (query) => bm25.search(query, 10)),
        engineResults: results / (queryCount + warmupQueries),
      });
      loaded = reached;
      if (reached < size) break;
    }
  } finally {
    await mnemos.close();
    removeTempHome(home);
  }
  return {
    queries: queryCount,
    hnswThreshold: mnemos.config.retrieval.hnsw_threshold,
    loadBudgetSeconds: options.loadBudgetSeconds,
    steps,
  };
}
