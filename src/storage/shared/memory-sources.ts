import { type MemorySource, maxSources } from '../../core/memory-record.js';
import type { MemoryPatch } from '../../spec/storage.js';

/**
 * The `source` column of a memory: the first source as a JSON object, with the later ones under
 * `merged`. Rows written before sources were merged hold only the object, and read the same.
 */
interface SourceColumn extends MemorySource {
  merged?: MemorySource[];
}

/** The `source` column value of a new memory: its source, and the sources merged into it before it was stored. */
export function encodeSources(source: MemorySource, merged: readonly MemorySource[] = []): string {
  const kept = merged.slice(Math.max(0, merged.length - (maxSources - 1)));
  return JSON.stringify(kept.length > 0 ? { ...source, merged: kept } : source);
}

/** The first source and every source of a `source` column value. */
export function decodeSources(column: string): { source: MemorySource; sources: MemorySource[] } {
  const { merged, ...source } = JSON.parse(column) as SourceColumn;
  return { source, sources: [source, ...(Array.isArray(merged) ? merged : [])] };
}

/** A `source` column value with one more source; past the cap the oldest merged one gives way. */
export function appendSource(column: string, added: MemorySource): string {
  const { source, sources } = decodeSources(column);
  return encodeSources(source, [...sources.slice(1), added]);
}

/** True for a patch that only adds a source: no text or field changes, so no history row. */
export function sourceOnly(patch: MemoryPatch): boolean {
  return (
    patch.addSource !== undefined &&
    Object.entries(patch).every(([key, value]) => key === 'addSource' || value === undefined)
  );
}
