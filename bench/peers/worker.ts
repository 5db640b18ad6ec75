/**
 * One measurement in its own process: `tsx bench/peers/worker.ts <system> <n> <embedUrl>` loads n
 * facts into a fresh folder of one system and prints one JSON line of figures (see WorkerFigures).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { facts } from './facts.js';
import type { OpenSystem, PeerSystem } from './systems/system.js';

/** What one worker run measured. */
export interface WorkerFigures {
  system: string;
  n: number;
  /** One-at-a-time adds per second, over the first `singles` adds into an empty store. */
  singlePerSecond: number;
  singles: number;
  /** Bulk adds per second over all n, or null when the system has no bulk path. */
  bulkPerSecond: number | null;
  searchP50Ms: number;
  searchP95Ms: number;
  /** Share of paraphrase questions whose memory is in the top 5. */
  paraphraseHitRate: number;
  queries: number;
  /** Peak resident set of this process, MB. */
  peakRssMb: number;
}

const singleCap = Number(process.env.BENCH_PEERS_SINGLES ?? 1_000);
const queryCount = Number(process.env.BENCH_PEERS_QUERIES ?? 100);
const bulkBatch = 1_000;

async function opener(name: string): Promise<OpenSystem> {
  if (name === 'mnemos') return (await import('./systems/mnemos.js')).openMnemos;
  if (name === 'mem0') return (await import('./systems/mem0.js')).openMem0;
  if (name === 'mastra') return (await import('./systems/mastra.js')).openMastra;
  throw new Error(`unknown system ${name}`);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main(): Promise<void> {
  const [name, nText, embedUrl] = process.argv.slice(2);
  if (!name || !nText || !embedUrl) throw new Error('usage: worker.ts <system> <n> <embedUrl>');
  const n = Number(nText);
  const open = await opener(name);
  const all = facts(n);
  const singles = Math.min(n, singleCap);
  const folders: string[] = [];
  const fresh = (): string => {
    const folder = mkdtempSync(join(tmpdir(), `mnemos-peers-${name}-`));
    folders.push(folder);
    return folder;
  };
  let searched: PeerSystem | undefined;
  try {
    // One at a time into an empty store.
    let system = await open(fresh(), embedUrl);
    let start = performance.now();
    for (const fact of all.slice(0, singles)) await system.addOne(fact);
    const singlePerSecond = singles / ((performance.now() - start) / 1000);
    let bulkPerSecond: number | null = null;
    if (system.addMany) {
      await system.close();
      system = await open(fresh(), embedUrl);
      const addMany = system.addMany!.bind(system);
      start = performance.now();
      for (let offset = 0; offset < n; offset += bulkBatch)
        await addMany(all.slice(offset, offset + bulkBatch));
      bulkPerSecond = n / ((performance.now() - start) / 1000);
    } else {
      // No bulk path: the rest goes in one at a time too, so search sees all n.
      for (const fact of all.slice(singles)) await system.addOne(fact);
    }
    searched = system;
    const step = Math.max(1, Math.floor(n / queryCount));
    const asked = all.filter((_, index) => index % step === 0).slice(0, queryCount);
    await system.search(asked[0]!.question, 5);
    const latencies: number[] = [];
    let hits = 0;
    for (const fact of asked) {
      const begin = performance.now();
      const texts = await system.search(fact.question, 5);
      latencies.push(performance.now() - begin);
      if (texts.includes(fact.text)) hits++;
    }
    latencies.sort((a, b) => a - b);
    const figures: WorkerFigures = {
      system: name,
      n,
      singlePerSecond,
      singles,
      bulkPerSecond,
      searchP50Ms: percentile(latencies, 50),
      searchP95Ms: percentile(latencies, 95),
      paraphraseHitRate: hits / asked.length,
      queries: asked.length,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
    };
    process.stdout.write(`${JSON.stringify(figures)}\n`);
  } finally {
    await searched?.close().catch(() => {});
    for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
