import { addInputs, syntheticMemories } from './corpus.js';
import { benchTenant, openEngine, storedCount } from './engine.js';
import { RawSqliteBaseline } from './raw-sqlite.js';
import { cpuMs, type Latency, log, nowMs, perSecond, summarise } from './stats.js';
import { removeTempHome, tempHome } from './temp-home.js';

/** Figures of the ingest section. */
export interface IngestFigures {
  batchRequests: number;
  storedMemories: number;
  batchSeconds: number;
  batchCpuSeconds: number;
  batchPerSecond: number;
  rawEndToEndPerSecond: number;
  rawInsertOnlyPerSecond: number;
  singleAdds: number;
  single: Latency;
  rawSingle: Latency;
}

/**
 * Ingest throughput: `addMany` of many text requests then `drain()` (memories/s), then single
 * `add({ sync: true })` latency into the loaded store, each beside raw better-sqlite3 inserts of the
 * same rows (tokens, embedding, FTS5 row) with the same durability settings.
 */
export async function runIngest(options: { quick: boolean }): Promise<IngestFigures> {
  const batchRequests = options.quick ? 1_000 : 10_000;
  const singleAdds = options.quick ? 50 : 500;
  const corpus = syntheticMemories(batchRequests, 11);
  const singles = syntheticMemories(singleAdds, 12);

  const home = tempHome('ingest');
  const mnemos = await openEngine(home);
  let figures: Omit<IngestFigures, 'rawEndToEndPerSecond' | 'rawInsertOnlyPerSecond' | 'rawSingle'>;
  try {
    log(`ingest: addMany of ${batchRequests} requests, then drain()`);
    const inputs = addInputs(corpus, benchTenant);
    const start = nowMs();
    const cpuStart = cpuMs();
    for (let offset = 0; offset < inputs.length; offset += 2_000)
      await mnemos.memories.addMany(inputs.slice(offset, offset + 2_000));
    await mnemos.drain();
    const batchMs = nowMs() - start;
    const batchCpuMs = cpuMs() - cpuStart;
    const storedMemories = await storedCount(mnemos);

    log(`ingest: ${singleAdds} single add({ sync: true }) into a store holding ${storedMemories}`);
    const samples: number[] = [];
    for (const input of addInputs(singles, benchTenant)) {
      const begin = nowMs();
      await mnemos.memories.add({ ...input, sync: true });
      samples.push(nowMs() - begin);
    }
    figures = {
      batchRequests,
      storedMemories,
      batchSeconds: batchMs / 1000,
      batchCpuSeconds: batchCpuMs / 1000,
      batchPerSecond: perSecond(batchRequests, batchMs),
      singleAdds,
      single: summarise(samples),
    };
  } finally {
    await mnemos.close();
    removeTempHome(home);
  }

  log('ingest: raw better-sqlite3 baseline');
  const rawHome = tempHome('raw');
  const raw = new RawSqliteBaseline(rawHome);
  try {
    const batch = raw.measureBatch(corpus);
    const rawSingle = summarise(singles.map((memory) => raw.singleRowMs(memory)));
    return {
      ...figures,
      rawEndToEndPerSecond: batch.endToEndPerSecond,
      rawInsertOnlyPerSecond: batch.insertOnlyPerSecond,
      rawSingle,
    };
  } finally {
    raw.close();
    removeTempHome(rawHome);
  }
}
