/**
 * Who made a skill. Only `agent` skills may be changed by the agent itself; `user` skills were
 * written by a person (by hand, `mnemos skills`, `/v1/skills`) and `installed` ones came from a
 * folder or tarball through `mnemos skills install`.
 */
export type SkillOrigin = 'user' | 'agent' | 'installed';

/** `archived` skills are kept (and revertable) but hidden from the catalog and the agent. */
export type SkillStatus = 'active' | 'archived';

/** The files of a skill: path relative to the skill folder (`SKILL.md`, `scripts/run.sh`) → UTF-8 text. */
export type SkillFiles = Record<string, string>;

/** One experience a skill was learned from or improved by, kept as the skill's provenance. */
export interface SkillProvenance {
  /** The session the experience happened in. */
  sessionId: string;
  /** What the user asked for, cut to a few hundred characters. */
  task: string;
  /** Tools the agent used to solve it, in first-use order. */
  tools: string[];
  /** How it ended: the final answer, cut short, or why it failed. */
  outcome: string;
  /** Tokens the session had used when the skill was written. */
  tokens: { input: number; output: number };
  /** What the change did: `create`, `patch`, … */
  action: SkillChangeAction;
  /** ISO time of the change. */
  at: string;
}

/** What one recorded change of a skill did. */
export type SkillChangeAction =
  | 'create'
  | 'edit'
  | 'patch'
  | 'write_file'
  | 'remove_file'
  | 'delete'
  | 'install'
  | 'revert'
  | 'archive'
  | 'restore';

/** Who made a change: a person, the agent in a turn, or the background review after a turn. */
export type SkillActor = 'user' | 'agent' | 'review';

/** A skill as stored: its files and its bookkeeping. */
export interface SkillRecord {
  /** Folder name and `name` of the frontmatter: 1–64 of `a-z0-9-`. */
  name: string;
  /** The frontmatter's `description` (copied for listing without reading the files). */
  description: string;
  origin: SkillOrigin;
  status: SkillStatus;
  /** 1 for the first stored version, +1 with every change. */
  version: number;
  files: SkillFiles;
  /** Experiences the skill was learned from, oldest first. */
  provenance: SkillProvenance[];
  createdAt: string;
  updatedAt: string;
  /** Last time the skill was loaded into a turn (preloaded, `/name`, `skill_view`); null when never. */
  lastUsedAt: string | null;
}

/** A skill without its files, for catalogs and listings. */
export type SkillSummary = Omit<SkillRecord, 'files'>;

/** One recorded version of a skill: the files after the change (null once deleted). */
export interface SkillVersionEntry {
  name: string;
  version: number;
  action: SkillChangeAction;
  actor: SkillActor;
  /** Why, in a few words (`patched the retry step`, `reverted to 2`). */
  note: string;
  /** Files after the change; null when the change deleted the skill. */
  files: SkillFiles | null;
  createdAt: string;
}
