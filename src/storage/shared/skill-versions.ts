import { MnemosError } from '../../core/errors.js';
import { rejectNul } from '../../core/schemas.js';
import type { SkillDeletion, SkillWrite } from '../../spec/storage.js';

/**
 * Fails unless a change made from `expected` may apply to a skill stored at `stored` (null: no
 * row): a new skill must not exist yet (`already_exists`), a change must start from the stored
 * version (`conflict`, with the stored version in the details).
 */
export function checkSkillVersion(
  name: string,
  expected: number | null,
  stored: number | null,
): void {
  if (expected === null) {
    if (stored === null) return;
    throw new MnemosError('already_exists', `skill ${name} already exists (version ${stored})`, {
      details: { name, version: stored },
    });
  }
  if (stored === expected) return;
  throw new MnemosError(
    'conflict',
    stored === null
      ? `skill ${name} was changed since version ${expected}: it no longer exists`
      : `skill ${name} was changed since version ${expected}: the stored version is ${stored}`,
    { details: { name, version: stored } },
  );
}

/** The version a change stores: after the highest the name ever had, so none repeats after a delete. */
export function nextSkillVersion(highestRecorded: number | null, stored: number | null): number {
  return Math.max(highestRecorded ?? 0, stored ?? 0) + 1;
}

/**
 * Refuses a change whose plain text columns hold U+0000 (PostgreSQL text cannot store it), alike
 * on both backends; files and provenance are stored as JSON, where it is escaped.
 */
export function rejectSkillNul(name: string, change: SkillWrite | SkillDeletion): void {
  rejectNul({ ...change, name, files: null, provenance: null }, 'skill change');
}
