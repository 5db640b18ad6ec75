import type {
  SkillActor,
  SkillChangeAction,
  SkillFiles,
  SkillOrigin,
  SkillStatus,
} from '../core/skill-record.js';

export type { SkillActor, SkillChangeAction, SkillFiles, SkillOrigin, SkillStatus };

/** A skill of `listSkills`, as `/v1/skills` lists it (no files). */
export interface SkillListing {
  name: string;
  description: string;
  origin: SkillOrigin;
  status: SkillStatus;
  version: number;
  createdAt: string;
  updatedAt: string;
  lastUsedAt: string | null;
}

/** One experience a skill was learned from, as the API shows it. */
export interface SkillProvenanceEntry {
  sessionId: string;
  task: string;
  tools: string[];
  outcome: string;
  tokens: { input: number; output: number };
  action: SkillChangeAction;
  at: string;
}

/** A skill with its files (SKILL.md included) and provenance. */
export interface SkillDetail extends SkillListing {
  files: SkillFiles;
  provenance: SkillProvenanceEntry[];
}

/** One recorded version of a skill; `files` only when asked for (null: the change deleted it). */
export interface SkillHistoryEntry {
  version: number;
  action: SkillChangeAction;
  actor: SkillActor;
  note: string;
  createdAt: string;
  files?: SkillFiles | null;
}

/** Input of `createSkill`: the SKILL.md (its frontmatter names the skill) and supporting files. */
export interface SkillCreateInput {
  content: string;
  /** Path under `scripts/`, `references/`, `assets/` or `templates/` → text. */
  files?: SkillFiles;
}

/** Input of `updateSkill`: what is sent replaces (`files` all supporting files), the rest stays. */
export interface SkillUpdateInput {
  content?: string;
  files?: SkillFiles;
  /** The version the change is made from; a stale one fails with `conflict`. */
  expectedVersion?: number;
}

/** Input of `patchSkill`: `oldString` must occur once in the file unless `replaceAll`. */
export interface SkillPatchInput {
  oldString: string;
  newString: string;
  /** Default `SKILL.md`. */
  filePath?: string;
  replaceAll?: boolean;
  expectedVersion?: number;
}

/** The version a change is made from; a stale one fails with `conflict`. */
export interface ExpectedVersionOption {
  expectedVersion?: number;
}

/** Options of `skillHistory`. */
export interface SkillHistoryOptions {
  limit?: number;
  offset?: number;
  /** Include the files of every version. */
  files?: boolean;
}
