import { backends, databaseUrlVariable, skips } from './backends.js';
import { checkDatabase, dropStaleSchemas } from './postgres-schema.js';

const staleAfterMs = 6 * 60 * 60 * 1000;

/**
 * Vitest global setup: says once per run which storage backends the conformance suite covers and
 * which tests it skips, and checks the Postgres database before any test uses it.
 */
export default async function setup(): Promise<void> {
  const lines: string[] = [];
  for (const backend of backends) {
    if (backend.notRun) lines.push(backend.notRun);
  }
  const url = process.env[databaseUrlVariable];
  if (url) {
    lines.push(`Postgres suite runs: ${await checkDatabase(url)}`);
    const dropped = await dropStaleSchemas(url, staleAfterMs);
    if (dropped.length > 0)
      lines.push(`dropped ${dropped.length} test schemas left by killed runs`);
  }
  lines.push(
    skips.length === 0
      ? 'Conformance skips: none'
      : `Conformance skips:\n${skips.map((skip) => `  ${skip.backend}: ${skip.test} — ${skip.reason}`).join('\n')}`,
  );
  console.log(`\n${lines.map((line) => `[storage conformance] ${line}`).join('\n')}\n`);
}
