import { removeTempHome, tempHome } from '../bench/temp-home.js';
import { type AddMemoriesInput, limits, Mnemos } from '../src/index.js';
import type { Dataset, Query, Tenant } from './dataset.js';
import { meanMetrics, type QueryMetrics, rankingMetrics } from './metrics.js';
import { PlainBm25 } from './plain-bm25.js';

/** Mean metrics of one system over one category of queries. */
export interface CategoryResult {
  category: string;
  queries: number;
  mnemos: QueryMetrics;
  bm25: QueryMetrics;
}

/** Everything one dataset's run measured. */
export interface DatasetResult {
  name: string;
  tenants: number;
  units: number;
  queries: number;
  overall: CategoryResult;
  byCategory: CategoryResult[];
  ingestSeconds: number;
  searchSeconds: number;
}

const appId = 'eval';
const addBatch = 2_000;
const searchConcurrency = 4;

function pieces(text: string): string[] {
  const out: string[] = [];
  for (let start = 0; start < text.length; start += limits.maxCharacters) {
    const piece = text.slice(start, start + limits.maxCharacters);
    if (piece.trim() !== '') out.push(piece);
  }
  return out;
}

function addInputs(tenant: Tenant): AddMemoriesInput[] {
  return tenant.units.flatMap((unit) =>
    pieces(unit.text).map((text) => ({
      scope: { appId, tenantId: tenant.id },
      text,
      metadata: { unit: unit.id, ...(unit.group ? { group: unit.group } : {}) },
    })),
  );
}

function scoreQuery(query: Query, units: string[], groups: string[]): QueryMetrics {
  return {
    ...rankingMetrics(units, query.gold),
    ...(query.goldGroups ? rankingMetrics(groups, query.goldGroups, 'session ') : {}),
  };
}

async function pool<T>(items: readonly T[], width: number, run: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await run(items[next++]!);
    }),
  );
}

function summarise(
  category: string,
  rows: Array<{ mnemos: QueryMetrics; bm25: QueryMetrics }>,
): CategoryResult {
  return {
    category,
    queries: rows.length,
    mnemos: meanMetrics(rows.map((row) => row.mnemos)),
    bm25: meanMetrics(rows.map((row) => row.bm25)),
  };
}

/**
 * Runs one dataset through Mnemos's public API (a fresh temp home, every unit added in bulk and
 * drained, every query searched within its tenant) and through plain BM25 over the same units.
 */
export async function evaluate(
  dataset: Dataset,
  config: Record<string, unknown>,
  log: (line: string) => void,
): Promise<DatasetResult> {
  const home = tempHome(`eval-${dataset.name}`);
  const mnemos = await Mnemos.open({ home, config: { ...config, app_id: appId } });
  const rows: Array<{ category: string; mnemos: QueryMetrics; bm25: QueryMetrics }> = [];
  let ingestSeconds = 0;
  let searchSeconds = 0;
  try {
    const ingestStart = performance.now();
    const inputs = dataset.tenants.flatMap(addInputs);
    for (let start = 0; start < inputs.length; start += addBatch) {
      await mnemos.memories.addMany(inputs.slice(start, start + addBatch));
    }
    await mnemos.drain();
    ingestSeconds = (performance.now() - ingestStart) / 1000;
    log(`${dataset.name}: ${inputs.length} memories in ${ingestSeconds.toFixed(1)} s`);

    const searchStart = performance.now();
    const deep = dataset.tenants.some((tenant) => tenant.queries.some((query) => query.goldGroups));
    const jobs = dataset.tenants.flatMap((tenant) =>
      tenant.queries.map((query) => ({ tenant, query })),
    );
    const baselines = new Map<Tenant, PlainBm25>();
    await pool(jobs, searchConcurrency, async ({ tenant, query }) => {
      const scope = { appId, tenantId: tenant.id };
      const top = await mnemos.memories.search({ scope, query: query.text, topK: 10 });
      const units = top.results.map((result) => result.memory.metadata.unit ?? '');
      let groups: string[] = [];
      if (deep) {
        const wide = await mnemos.memories.search({
          scope,
          query: query.text,
          topK: limits.maxTopK,
        });
        groups = wide.results.map((result) => result.memory.metadata.group ?? '');
      }
      const baseline =
        baselines.get(tenant) ?? new PlainBm25(tenant.units.map((unit) => unit.text));
      baselines.set(tenant, baseline);
      const hits = baseline.search(query.text, deep ? limits.maxTopK : 10);
      rows.push({
        category: query.category,
        mnemos: scoreQuery(query, units, groups),
        bm25: scoreQuery(
          query,
          hits.slice(0, 10).map((index) => tenant.units[index]!.id),
          hits.map((index) => tenant.units[index]!.group ?? ''),
        ),
      });
    });
    searchSeconds = (performance.now() - searchStart) / 1000;
  } finally {
    await mnemos.close();
    removeTempHome(home);
  }
  const categories = [...new Set(rows.map((row) => row.category))].sort();
  return {
    name: dataset.name,
    tenants: dataset.tenants.length,
    units: dataset.tenants.reduce((sum, tenant) => sum + tenant.units.length, 0),
    queries: rows.length,
    overall: summarise('all', rows),
    byCategory:
      categories.length > 1
        ? categories.map((category) =>
            summarise(
              category,
              rows.filter((row) => row.category === category),
            ),
          )
        : [],
    ingestSeconds,
    searchSeconds,
  };
}
