/** Metric name to value in [0, 1] for one query; a metric whose gold is empty is left out. */
export type QueryMetrics = Record<string, number>;

/** Ranks at which recall and "all found" are reported. */
export const cutoffs = [1, 3, 5, 10] as const;

function distinct(list: readonly string[]): string[] {
  return [...new Set(list)];
}

/** R@k, All@k, NDCG@10 and MRR of a ranking (best first, duplicates ignored) against a gold set. */
export function rankingMetrics(
  ranked: readonly string[],
  gold: ReadonlySet<string>,
  prefix = '',
): QueryMetrics {
  if (gold.size === 0) return {};
  const list = distinct(ranked);
  const out: QueryMetrics = {};
  for (const k of cutoffs) {
    let hits = 0;
    for (const id of list.slice(0, k)) if (gold.has(id)) hits++;
    out[`${prefix}R@${k}`] = hits / gold.size;
    out[`${prefix}All@${k}`] = hits === gold.size ? 1 : 0;
  }
  let dcg = 0;
  list.slice(0, 10).forEach((id, index) => {
    if (gold.has(id)) dcg += 1 / Math.log2(index + 2);
  });
  let ideal = 0;
  for (let index = 0; index < Math.min(10, gold.size); index++) ideal += 1 / Math.log2(index + 2);
  out[`${prefix}NDCG@10`] = dcg / ideal;
  const first = list.findIndex((id) => gold.has(id));
  out[`${prefix}MRR`] = first < 0 ? 0 : 1 / (first + 1);
  return out;
}

/** Metric-wise mean over queries, each metric over the queries that define it. */
export function meanMetrics(list: readonly QueryMetrics[]): QueryMetrics {
  const sums: Record<string, { total: number; count: number }> = {};
  for (const metrics of list) {
    for (const [name, value] of Object.entries(metrics)) {
      const entry = sums[name] ?? { total: 0, count: 0 };
      sums[name] = entry;
      entry.total += value;
      entry.count++;
    }
  }
  return Object.fromEntries(
    Object.entries(sums).map(([name, { total, count }]) => [name, total / count]),
  );
}
