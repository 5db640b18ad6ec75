/** One retrievable unit (a turn, a memory) of a tenant. */
export interface Unit {
  /** Stable id within the tenant; gold lists refer to it. */
  id: string;
  text: string;
  /** Coarser unit the metric may also rank by (LongMemEval's session), when there is one. */
  group?: string;
}

/** One query with its gold evidence. */
export interface Query {
  category: string;
  text: string;
  /** Gold unit ids. */
  gold: ReadonlySet<string>;
  /** Gold groups, for group-level recall (LongMemEval sessions). */
  goldGroups?: ReadonlySet<string>;
}

/** The candidates of one search: a tenant holds units and is searched by its queries. */
export interface Tenant {
  id: string;
  units: Unit[];
  queries: Query[];
}

/** A benchmark as loaded for the evaluation. */
export interface Dataset {
  name: string;
  /** Script the plain BM25 baseline tokenises by: CJK bigrams (`cjk`) or words. */
  language: 'cjk' | 'words';
  tenants: Tenant[];
}

/** Where the dev datasets live on this machine. */
export const datasetsRoot = process.env.MNEMOS_EVAL_DATA ?? '/work/shared/datasets';
