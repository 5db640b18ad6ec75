import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Every file under `dir` whose name passes `keep`. */
function filesUnder(dir: string, keep: (name: string) => boolean): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && keep(entry.name))
    .map((entry) => join(entry.parentPath ?? entry.path, entry.name));
}

/** Why `dist/` is not the build of the current `src/`, or null when it is. */
export function staleDistReason(): string | null {
  const sources = filesUnder(
    join(root, 'src'),
    (name) => name.endsWith('.ts') && !name.endsWith('.test.ts'),
  );
  let oldestOutput = Number.POSITIVE_INFINITY;
  for (const source of sources) {
    const output = join(root, 'dist', relative(join(root, 'src'), source)).replace(/\.ts$/, '.js');
    if (!existsSync(output)) return `${relative(root, output)} is missing`;
    oldestOutput = Math.min(oldestOutput, statSync(output).mtimeMs);
  }
  const newer = sources.find((source) => statSync(source).mtimeMs > oldestOutput);
  return newer ? `${relative(root, newer)} changed after the last build` : null;
}

/**
 * Vitest global setup: CLI, serve and package tests run the built `dist/`, so a run started without
 * `npm test` (e.g. `npx vitest run test/cli`) builds first instead of testing stale code.
 */
export default function setup(): void {
  const reason = staleDistReason();
  if (!reason) return;
  console.log(`\n[dist] ${reason}: building with tsc -p tsconfig.build.json\n`);
  // tsc rewrites files in place (npm run build would clear dist/ first), so a run that is already
  // using dist/ in parallel never finds it missing.
  execFileSync(
    process.execPath,
    [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  const still = staleDistReason();
  if (still) throw new Error(`dist/ is still stale after the build: ${still}`);
}
