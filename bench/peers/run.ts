/**
 * `npm run bench:peers`: Mnemos beside mem0 (OSS) and Mastra memory, every system given the same
 * local OpenAI-compatible embedding server, one process per system and size, rounds interleaved;
 * prints the medians side by side with ratios to Mnemos. Peers install apart: `npm ci --prefix
 * bench/peers` (the root install stays lean).
 *
 * Environment: BENCH_PEERS_SIZES (default 1000,10000; BENCH_PEERS_100K=1 adds 100000),
 * BENCH_PEERS_ROUNDS (default 2), BENCH_PEERS_SYSTEMS (default mnemos,mem0,mastra),
 * BENCH_PEERS_SINGLES (one-at-a-time adds measured, default 1000), BENCH_PEERS_QUERIES (default 100).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startEmbedServer } from './embed-server.js';
import type { WorkerFigures } from './worker.js';

const worker = fileURLToPath(new URL('./worker.ts', import.meta.url));
const root = fileURLToPath(new URL('../..', import.meta.url));

function list(name: string, fallback: string): string[] {
  return (process.env[name] ?? fallback)
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

const sizes = list('BENCH_PEERS_SIZES', '1000,10000').map(Number);
if (process.env.BENCH_PEERS_100K === '1' && !sizes.includes(100_000)) sizes.push(100_000);
const rounds = Number(process.env.BENCH_PEERS_ROUNDS ?? 2);
const systems = list('BENCH_PEERS_SYSTEMS', 'mnemos,mem0,mastra');

/** Runs one worker; resolves its figures or the reason it could not run. */
function measure(system: string, n: number, embedUrl: string): Promise<WorkerFigures | string> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', worker, system, String(n), embedUrl],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.on('close', (code) => {
      const line = out.trim().split('\n').at(-1);
      if (code === 0 && line) resolve(JSON.parse(line) as WorkerFigures);
      else resolve(`exit ${code}: ${err.trim().split('\n').slice(0, 3).join(' | ').slice(0, 400)}`);
    });
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

type Metric = {
  label: string;
  pick: (figures: WorkerFigures) => number | null;
  digits: number;
  unit: string;
};

const metrics: Metric[] = [
  { label: 'add one at a time', pick: (f) => f.singlePerSecond, digits: 0, unit: '/s' },
  { label: 'bulk add', pick: (f) => f.bulkPerSecond, digits: 0, unit: '/s' },
  { label: 'search p50', pick: (f) => f.searchP50Ms, digits: 1, unit: ' ms' },
  { label: 'search p95', pick: (f) => f.searchP95Ms, digits: 1, unit: ' ms' },
  {
    label: 'paraphrase found (top 5)',
    pick: (f) => f.paraphraseHitRate * 100,
    digits: 0,
    unit: '%',
  },
  { label: 'peak RSS', pick: (f) => f.peakRssMb, digits: 0, unit: ' MB' },
];

/** The side-by-side tables (medians over the rounds run so far) as Markdown. */
function table(
  results: Map<string, WorkerFigures[]>,
  failures: Map<string, string>,
  roundsRun: number,
): string {
  const lines: string[] = [];
  for (const n of sizes) {
    lines.push(`\nN = ${n.toLocaleString('en-US')} in one user (medians of ${roundsRun} rounds)\n`);
    lines.push(`| | ${systems.join(' | ')} |`);
    lines.push(`|---|${systems.map(() => '---').join('|')}|`);
    for (const metric of metrics) {
      const base = results.get(`mnemos@${n}`)?.map(metric.pick);
      const baseMedian = base?.every((v) => v !== null) ? median(base as number[]) : null;
      const cells = systems.map((system) => {
        const failure = failures.get(`${system}@${n}`);
        const values = results.get(`${system}@${n}`)?.map(metric.pick);
        if (!values) return failure ? 'did not run' : '—';
        if (values.some((value) => value === null)) return '—';
        const value = median(values as number[]);
        const text = `${value.toLocaleString('en-US', { maximumFractionDigits: metric.digits, minimumFractionDigits: metric.digits })}${metric.unit}`;
        if (system === 'mnemos' || baseMedian === null || baseMedian === 0) return text;
        return `${text} (${(value / baseMedian).toFixed(2)}×)`;
      });
      lines.push(`| ${metric.label} | ${cells.join(' | ')} |`);
    }
  }
  for (const [key, reason] of failures) lines.push(`\n${key} did not run: ${reason}`);
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const server = await startEmbedServer();
  const results = new Map<string, WorkerFigures[]>();
  const failures = new Map<string, string>();
  try {
    for (let round = 0; round < rounds; round++) {
      for (const n of sizes) {
        // Rotate the order each round, so no system always runs first (or after the same one).
        const order = systems.map((_, i) => systems[(i + round) % systems.length]!);
        for (const system of order) {
          const key = `${system}@${n}`;
          if (failures.has(key)) continue;
          const started = performance.now();
          const figures = await measure(system, n, server.url);
          const seconds = ((performance.now() - started) / 1000).toFixed(0);
          if (typeof figures === 'string') {
            failures.set(key, figures);
            console.error(`[peers] round ${round + 1} ${key}: failed (${figures})`);
            continue;
          }
          results.set(key, [...(results.get(key) ?? []), figures]);
          console.error(
            `[peers] round ${round + 1} ${key}: ${seconds}s ${JSON.stringify(figures)}`,
          );
        }
      }
    }
  } finally {
    await server.close();
  }
  process.stdout.write(table(results, failures, rounds));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
