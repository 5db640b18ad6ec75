import { createHash } from 'node:crypto';
import type { SearchMemoriesInput, SearchMemoriesOutput } from '../memory/memory-service.js';
import type { Storage, TransferRow, TransferTable } from '../spec/storage.js';
import { transferTables } from '../spec/storage.js';
import { transferColumns } from '../storage/shared/transfer-columns.js';
import { requeue } from './copy-database.js';

/** A memory search on one side of a copy. */
export type SearchFunction = (input: SearchMemoriesInput) => Promise<SearchMemoriesOutput>;

/** One table compared: row counts and a digest of every row's content. */
export interface TableCheck {
  table: TransferTable;
  source: number;
  target: number;
  /** True when both hold the same rows (as a multiset, in any order). */
  sameRows: boolean;
}

/** One sample search run on both sides: a live memory searched by its own text. */
export interface SearchCheck {
  store: string;
  /** The sampled memory. */
  memoryId: string;
  query: string;
  source: string[];
  target: string[];
  /** Same memories in the same order. */
  same: boolean;
  /** Same first result. */
  sameTop: boolean;
  /** Share of the source's results the target also returned. */
  overlap: number;
  /** How each side found the sampled memory (`keyword`, `vector`), or null when not in its results. */
  foundBy: { source: string[] | null; target: string[] | null };
  /** The target finds the sampled memory exactly as the source does. */
  ok: boolean;
}

/** What {@link verifyCopy} found; `ok` when every table matches and every sample search agrees. */
export interface VerifyReport {
  ok: boolean;
  tables: TableCheck[];
  /**
   * Sample searches; each must find its memory on the target through the same signals as on the
   * source. Their order may differ where scores nearly tie: BM25 statistics depend on the full-text
   * index's history in SQLite and are kept per tenant in Postgres (docs/scaling.md).
   */
  searches: SearchCheck[];
  /** Stores whose searches could not run, with why (e.g. another embedder than the configured one). */
  skipped: Array<{ store: string; reason: string }>;
}

/** Options of {@link verifyCopy}. */
export interface VerifyOptions {
  /** Live memories sampled, spread over the source, each searched by its own text. */
  samples: number;
  topK: number;
  batchSize: number;
  onTable?: (table: TransferTable) => void;
}

/** The most characters of a sampled memory used as its search query. */
const maxQueryCharacters = 300;

/**
 * Compares a finished copy with its source: for every table the row count and an order-independent
 * digest of every row's shared columns (vectors bit for bit), then sample searches run through
 * each side's full retrieval (BM25, vectors, fusion, scoring) and compared result by result.
 */
export async function verifyCopy(
  source: Storage,
  target: Storage,
  search: { source: SearchFunction; target: SearchFunction },
  options: VerifyOptions,
): Promise<VerifyReport> {
  const tables: TableCheck[] = [];
  let samples: TransferRow[] = [];
  for (const table of transferTables) {
    options.onTable?.(table);
    const sourceCount = await source.transfer.count(table);
    const picker = table === 'memories' ? new SamplePicker(sourceCount, options.samples) : null;
    const sourceDigest = await digestTable(source, table, options.batchSize, (row) => {
      picker?.offer(row);
      return table === 'jobs' ? requeue(row) : row;
    });
    const targetDigest = await digestTable(target, table, options.batchSize, (row) => row);
    if (picker) samples = picker.picked;
    tables.push({
      table,
      source: sourceDigest.rows,
      target: targetDigest.rows,
      sameRows: sourceDigest.rows === targetDigest.rows && sourceDigest.sum === targetDigest.sum,
    });
  }
  const searches: SearchCheck[] = [];
  const skipped = new Map<string, string>();
  for (const sample of samples) {
    const store = String(sample.store);
    if (skipped.has(store)) continue;
    const input: SearchMemoriesInput = {
      store,
      scope: { appId: String(sample.app_id), tenantId: String(sample.tenant_id) },
      query: String(sample.text).slice(0, maxQueryCharacters),
      topK: options.topK,
    };
    let before: SearchMemoriesOutput;
    try {
      before = await search.source(input);
    } catch (error) {
      skipped.set(store, (error as Error).message);
      continue;
    }
    const after = await search.target(input);
    searches.push(compareResults(store, String(sample.id), input.query, before, after));
  }
  return {
    ok: tables.every((check) => check.sameRows) && searches.every((check) => check.ok),
    tables,
    searches,
    skipped: [...skipped].map(([store, reason]) => ({ store, reason })),
  };
}

function compareResults(
  store: string,
  memoryId: string,
  query: string,
  before: SearchMemoriesOutput,
  after: SearchMemoriesOutput,
): SearchCheck {
  const source = before.results.map((result) => result.memory.id);
  const target = after.results.map((result) => result.memory.id);
  const found = new Set(target);
  const foundBy = (output: SearchMemoriesOutput): string[] | null => {
    const hit = output.results.find((result) => result.memory.id === memoryId);
    return hit ? hit.matched.filter((signal) => signal !== 'rerank').sort() : null;
  };
  const by = { source: foundBy(before), target: foundBy(after) };
  return {
    store,
    memoryId,
    query,
    source,
    target,
    same: source.join() === target.join(),
    sameTop: source[0] === target[0],
    overlap: source.length === 0 ? 1 : source.filter((id) => found.has(id)).length / source.length,
    foundBy: by,
    ok: JSON.stringify(by.source) === JSON.stringify(by.target),
  };
}

/** Row count and an order-independent digest (sum of per-row SHA-256 prefixes, mod 2^64). */
async function digestTable(
  storage: Storage,
  table: TransferTable,
  batchSize: number,
  view: (row: TransferRow) => TransferRow,
): Promise<{ rows: number; sum: bigint }> {
  let cursor: string | null = null;
  let rows = 0;
  let sum = 0n;
  for (;;) {
    const page = await storage.transfer.export(table, cursor, batchSize);
    for (const row of page.rows) {
      rows += 1;
      sum = (sum + rowDigest(table, view(row))) & 0xffff_ffff_ffff_ffffn;
    }
    if (page.rows.length < batchSize) return { rows, sum };
    cursor = page.cursor;
  }
}

/** First 8 bytes of the SHA-256 of a row's shared columns in a canonical form. */
function rowDigest(table: TransferTable, row: TransferRow): bigint {
  const values = transferColumns[table].map(([name]) => {
    const value = row[name] ?? null;
    return value instanceof Float32Array
      ? Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')
      : value;
  });
  return createHash('sha256').update(JSON.stringify(values)).digest().readBigUInt64BE(0);
}

/** Picks live memories spread evenly over a table streamed in order. */
class SamplePicker {
  readonly picked: TransferRow[] = [];
  private readonly stride: number;
  private seen = 0;
  private next = 0;

  constructor(
    total: number,
    private readonly wanted: number,
  ) {
    this.stride = wanted > 0 ? Math.max(1, Math.floor(total / wanted)) : Number.POSITIVE_INFINITY;
  }

  offer(row: TransferRow): void {
    const position = this.seen++;
    if (
      this.picked.length >= this.wanted ||
      position < this.next ||
      row.deleted_at !== null ||
      row.valid_to !== null
    )
      return;
    this.picked.push(row);
    this.next = position + this.stride;
  }
}
