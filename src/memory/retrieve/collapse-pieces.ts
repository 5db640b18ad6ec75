import type { MemoryRecord } from '../../core/memory-record.js';

/** The text a piece was split from (its job and messages), or undefined for a whole memory. */
function pieceOf(memory: MemoryRecord): string | undefined {
  const { source } = memory;
  if (source.part === undefined || source.jobId === undefined) return undefined;
  return `${source.jobId}:${(source.messages ?? []).join(',')}`;
}

/**
 * Keeps the best-ranked piece of each split text and drops its other pieces, so the top k holds
 * k distinct texts; `results` must be best first.
 */
export function collapsePieces<T extends { memory: MemoryRecord }>(results: readonly T[]): T[] {
  const seen = new Set<string>();
  return results.filter((result) => {
    const piece = pieceOf(result.memory);
    if (piece === undefined) return true;
    if (seen.has(piece)) return false;
    seen.add(piece);
    return true;
  });
}
