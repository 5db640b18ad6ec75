import type { SkillRecord, SkillSummary, SkillVersionEntry } from '../core/skill-record.js';
import type { Page, SkillDeletion, SkillWrite } from '../spec/storage.js';

/** Where a skill lives: the project's `.agents/skills`, the home's `skills/`, or a tenant's database rows. */
export type SkillSource = 'project' | 'user' | 'tenant';

/**
 * One place skills are kept, with the same versioned operations whatever backs it (a folder of
 * SKILL.md folders, or a tenant's rows in the database).
 */
export interface SkillRepository {
  readonly source: SkillSource;
  /** Shown to people: a folder, or `database`. */
  readonly location: string;
  /** False for places Mnemos only reads (a project's skills). */
  readonly writable: boolean;
  /** Skills by name; archived ones only when asked. Unreadable skills are left out (see `warnings`). */
  list(options?: { includeArchived?: boolean }): Promise<SkillSummary[]>;
  get(name: string): Promise<SkillRecord | null>;
  /** Stores the next version (see `SkillStorage.save`): `conflict` when `expectedVersion` is stale. */
  save(write: SkillWrite): Promise<SkillRecord>;
  delete(name: string, deletion: SkillDeletion): Promise<boolean>;
  /** Recorded versions, newest first. */
  history(name: string, page: Page): Promise<SkillVersionEntry[]>;
  version(name: string, version: number): Promise<SkillVersionEntry | null>;
  markUsed(name: string): Promise<void>;
  /** Problems met while reading (a SKILL.md that does not parse), for `mnemos skills list`. */
  warnings(): string[];
}
