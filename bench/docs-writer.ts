import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/** The generated benchmark page; only the marked blocks are rewritten, the prose is kept. */
export const benchmarksDoc = new URL('../docs/benchmarks.md', import.meta.url);

function markers(name: string): [string, string] {
  return [`<!-- bench:${name}:start -->`, `<!-- bench:${name}:end -->`];
}

/**
 * Replaces the content between `<!-- bench:NAME:start -->` and `<!-- bench:NAME:end -->` for every
 * given block, appending blocks whose markers are missing; other blocks and the prose stay as they are.
 */
export function writeGeneratedBlocks(
  blocks: Record<string, string>,
  path: URL = benchmarksDoc,
): void {
  let text = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
  for (const [name, body] of Object.entries(blocks)) {
    const [start, end] = markers(name);
    const block = `${start}\n${body.trim()}\n${end}`;
    const from = text.indexOf(start);
    const to = text.indexOf(end);
    text =
      from >= 0 && to > from
        ? text.slice(0, from) + block + text.slice(to + end.length)
        : `${text.trimEnd()}\n\n${block}\n`;
  }
  writeFileSync(path, text);
}
