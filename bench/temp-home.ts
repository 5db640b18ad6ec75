import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const created: string[] = [];

/** A fresh, empty folder under the OS temp dir, removed by `removeTempHomes`. */
export function tempHome(label: string): string {
  const home = mkdtempSync(join(tmpdir(), `mnemos-bench-${label}-`));
  created.push(home);
  return home;
}

/** Deletes one temp home now (frees disk between sections). */
export function removeTempHome(home: string): void {
  rmSync(home, { recursive: true, force: true });
  const index = created.indexOf(home);
  if (index >= 0) created.splice(index, 1);
}

/** Deletes every temp home this run created. */
export function removeTempHomes(): void {
  for (const home of created.splice(0)) rmSync(home, { recursive: true, force: true });
}
