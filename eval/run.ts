import type { Dataset } from './dataset.js';
import { type DatasetResult, evaluate } from './evaluate.js';
import { loadLocomo } from './locomo.js';
import { loadLongMemEvalDataset } from './longmemeval.js';
import { loadMadial } from './madial.js';

/**
 * `npm run eval [-- --only locomo,madial-zh] [--json] [--set retrieval.vector_weight=0]`:
 * retrieval quality of the offline default against plain BM25 on the dev datasets.
 */
const loaders: Record<string, () => Dataset> = {
  longmemeval: loadLongMemEvalDataset,
  locomo: loadLocomo,
  'madial-zh': () => loadMadial('zh'),
  'madial-en': () => loadMadial('en'),
};

/** Columns shown per dataset: the headline metric first. */
const columns: Record<string, string[]> = {
  longmemeval: ['session R@5', 'session R@10', 'session All@5', 'R@10', 'NDCG@10', 'MRR'],
  locomo: ['R@5', 'R@10', 'All@10', 'NDCG@10', 'MRR'],
  'madial-zh': ['R@1', 'R@3', 'R@5', 'R@10', 'NDCG@10', 'MRR'],
  'madial-en': ['R@1', 'R@3', 'R@5', 'R@10', 'NDCG@10', 'MRR'],
};

function parseArgs(argv: string[]) {
  let only = Object.keys(loaders);
  let json = false;
  const config: Record<string, unknown> = {};
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!;
    if (arg === '--json') json = true;
    else if (arg === '--only') only = (argv[++index] ?? '').split(',').filter(Boolean);
    else if (arg.startsWith('--only=')) only = arg.slice(7).split(',').filter(Boolean);
    else if (arg === '--set') {
      const [path, raw] = (argv[++index] ?? '').split('=');
      let target = config;
      const keys = path!.split('.');
      for (const key of keys.slice(0, -1)) {
        target[key] ??= {};
        target = target[key] as Record<string, unknown>;
      }
      target[keys.at(-1)!] =
        raw !== undefined && raw !== '' && !Number.isNaN(Number(raw)) ? Number(raw) : raw;
    } else throw new Error(`unknown argument ${arg}`);
  }
  for (const name of only) if (!loaders[name]) throw new Error(`unknown dataset ${name}`);
  return { only, json, config };
}

const percent = (value: number | undefined): string =>
  value === undefined ? '–' : (value * 100).toFixed(1);

function table(result: DatasetResult): string {
  const names = columns[result.name]!;
  const lines = [
    `### ${result.name} (${result.queries} queries, ${result.units} units, ${result.tenants} tenants)`,
    '',
    `| category | n | system | ${names.join(' | ')} |`,
    `|---|---|---|${names.map(() => '---').join('|')}|`,
  ];
  for (const row of [result.overall, ...result.byCategory]) {
    lines.push(
      `| ${row.category} | ${row.queries} | Mnemos | ${names.map((name) => percent(row.mnemos[name])).join(' | ')} |`,
      `| | | BM25 | ${names.map((name) => percent(row.bm25[name])).join(' | ')} |`,
    );
  }
  lines.push(
    '',
    `ingest ${result.ingestSeconds.toFixed(1)} s, search ${result.searchSeconds.toFixed(1)} s`,
    '',
  );
  return lines.join('\n');
}

const { only, json, config } = parseArgs(process.argv.slice(2));
const results: DatasetResult[] = [];
for (const name of only) {
  const result = await evaluate(loaders[name]!(), config, (line) => console.error(line));
  results.push(result);
  if (!json) console.log(table(result));
}
if (json) console.log(JSON.stringify({ config, results }, null, 2));
