import { MnemosError } from '../core/errors.js';
import type {
  SkillActor,
  SkillChangeAction,
  SkillFiles,
  SkillOrigin,
  SkillProvenance,
  SkillRecord,
  SkillStatus,
  SkillSummary,
  SkillVersionEntry,
} from '../core/skill-record.js';
import type { Page } from '../spec/storage.js';
import { parseSkillMarkdown, validateSkill } from './skill-format.js';
import { skillFolders, skillLimits } from './skill-limits.js';
import { scanDecision, trustOf } from './skill-policy.js';
import type { SkillRepository, SkillSource } from './skill-repository.js';
import { describeScan, type SkillScan, scanSkill } from './skill-scan.js';

/** A skill of the catalog, with where it lives and which lower places it hides. */
export interface CatalogEntry extends SkillSummary {
  source: SkillSource;
  location: string;
  /** Places holding a skill of the same name that this one wins over. */
  shadows: SkillSource[];
}

/** A skill and the repository it was found in. */
export interface FoundSkill {
  skill: SkillRecord;
  repository: SkillRepository;
}

/** Who is changing a skill, and why; shared by every change. */
export interface SkillChange {
  actor: SkillActor;
  note?: string;
  /** The experience behind an agent's change, appended to the skill's provenance. */
  provenance?: SkillProvenance;
  /** The version the change was made from; a stale one fails with `conflict`. Default: the current one. */
  expectedVersion?: number;
  /** Saves a skill whose scan says `caution` (installs only); `dangerous` is never forced. */
  force?: boolean;
}

/** A patch: replace `oldString` by `newString` in one file, once unless `replaceAll`. */
export interface SkillPatch {
  oldString: string;
  newString: string;
  /** File of the skill to patch; default `SKILL.md`. */
  path?: string;
  replaceAll?: boolean;
}

/**
 * Skills across places in precedence order (project, then user; or a tenant's database), and
 * every change to them: validated, scanned, versioned and refused as a whole when any check fails.
 * New skills go to the first writable place. The agent (actor `agent` or `review`) may change
 * only skills it created itself.
 */
export class SkillManager {
  constructor(private readonly repositories: readonly SkillRepository[]) {}

  /** Where new skills are written: the first writable place, if any. */
  get target(): SkillRepository | undefined {
    return this.repositories.find((repository) => repository.writable);
  }

  /** The places searched, highest precedence first. */
  get places(): readonly SkillRepository[] {
    return this.repositories;
  }

  /** Every skill, the first place winning on a name; archived ones only when asked. */
  async catalog(options: { includeArchived?: boolean } = {}): Promise<CatalogEntry[]> {
    const byName = new Map<string, CatalogEntry>();
    for (const repository of this.repositories) {
      for (const summary of await repository.list(options)) {
        const winner = byName.get(summary.name);
        if (winner) {
          winner.shadows.push(repository.source);
          continue;
        }
        byName.set(summary.name, {
          ...summary,
          source: repository.source,
          location: repository.location,
          shadows: [],
        });
      }
    }
    return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Problems met while reading the places, and names a higher place hides. */
  async warnings(): Promise<string[]> {
    const shadowed = (await this.catalog({ includeArchived: true }))
      .filter((entry) => entry.shadows.length > 0)
      .map(
        (entry) =>
          `skill ${entry.name}: the ${entry.source} skill wins over the ${entry.shadows.join(' and ')} one`,
      );
    return [...this.repositories.flatMap((repository) => repository.warnings()), ...shadowed];
  }

  /** The skill of that name in the first place holding it, or null. */
  async find(name: string): Promise<FoundSkill | null> {
    for (const repository of this.repositories) {
      const skill = await repository.get(name);
      if (skill) return { skill, repository };
    }
    return null;
  }

  /** Like `find`, but a `not_found` error when no place holds it. */
  async require(name: string): Promise<FoundSkill> {
    const found = await this.find(name);
    if (!found) {
      throw new MnemosError('not_found', `no skill named ${name}`, { details: { name } });
    }
    return found;
  }

  /** Creates a skill from its files (SKILL.md's frontmatter names it) in the first writable place. */
  async create(files: SkillFiles, origin: SkillOrigin, change: SkillChange): Promise<SkillRecord> {
    const target = this.target;
    if (!target) throw new MnemosError('forbidden', 'no writable place for new skills');
    const parsed = parseSkillMarkdown(files['SKILL.md'] ?? '');
    const name = parsed.skill?.frontmatter.name ?? '';
    const existing = name === '' ? null : await this.find(name);
    if (existing) {
      throw new MnemosError(
        'already_exists',
        `skill ${name} already exists (${existing.repository.source}); patch or edit it instead`,
        { details: { name, source: existing.repository.source } },
      );
    }
    const action = origin === 'installed' ? 'install' : 'create';
    return this.store(target, null, name, files, origin, 'active', action, change);
  }

  /** Replaces SKILL.md. */
  async edit(name: string, content: string, change: SkillChange): Promise<SkillRecord> {
    const { skill, repository } = await this.require(name);
    return this.update(repository, skill, { ...skill.files, 'SKILL.md': content }, 'edit', change);
  }

  /** Replaces all files of a skill at once (SKILL.md included), recorded as an `edit`. */
  async replace(name: string, files: SkillFiles, change: SkillChange): Promise<SkillRecord> {
    const { skill, repository } = await this.require(name);
    return this.update(repository, skill, files, 'edit', change);
  }

  /** Replaces text in one file: the string must occur exactly once unless `replaceAll`. */
  async patch(name: string, patch: SkillPatch, change: SkillChange): Promise<SkillRecord> {
    const { skill, repository } = await this.require(name);
    const path = patch.path ?? 'SKILL.md';
    const text = skill.files[path];
    if (text === undefined) {
      throw new MnemosError('not_found', `skill ${name} has no file ${path}`, {
        details: { name, path },
      });
    }
    if (patch.oldString === '') {
      throw new MnemosError('invalid_input', 'old_string must not be empty', {
        details: { field: 'old_string' },
      });
    }
    const count = text.split(patch.oldString).length - 1;
    if (count === 0) {
      throw new MnemosError('invalid_input', `old_string does not occur in ${path} of ${name}`, {
        details: { field: 'old_string', path },
      });
    }
    if (count > 1 && !patch.replaceAll) {
      throw new MnemosError(
        'invalid_input',
        `old_string occurs ${count} times in ${path} of ${name}: give more context, or set replace_all`,
        { details: { field: 'old_string', path, count } },
      );
    }
    // Checked before the text is built: a short string replaced many times could grow past memory.
    const grown =
      Buffer.byteLength(text) +
      (patch.replaceAll ? count : 1) *
        (Buffer.byteLength(patch.newString) - Buffer.byteLength(patch.oldString));
    if (grown > skillLimits.maxFileBytes) {
      throw new MnemosError(
        'payload_too_large',
        `the patch would make ${path} of ${name} ${grown} bytes; a file holds at most ${skillLimits.maxFileBytes}`,
        { details: { name, path, bytes: grown } },
      );
    }
    const total = Object.entries(skill.files).reduce(
      (sum, [file, content]) => sum + (file === path ? grown : Buffer.byteLength(content)),
      0,
    );
    if (total > skillLimits.maxSkillBytes) {
      throw new MnemosError(
        'payload_too_large',
        `the patch would make the files of ${name} add up to ${total} bytes, over the limit of ${skillLimits.maxSkillBytes}`,
        { details: { name, bytes: total, limit: skillLimits.maxSkillBytes } },
      );
    }
    const patched = patch.replaceAll
      ? text.split(patch.oldString).join(patch.newString)
      : text.replace(patch.oldString, () => patch.newString);
    return this.update(repository, skill, { ...skill.files, [path]: patched }, 'patch', change);
  }

  /** Adds or replaces a supporting file under `scripts/`, `references/`, `assets/` or `templates/`. */
  async writeFile(
    name: string,
    path: string,
    content: string,
    change: SkillChange,
  ): Promise<SkillRecord> {
    checkSupportPath(path);
    const { skill, repository } = await this.require(name);
    return this.update(
      repository,
      skill,
      { ...skill.files, [path]: content },
      'write_file',
      change,
    );
  }

  /** Removes a supporting file. */
  async removeFile(name: string, path: string, change: SkillChange): Promise<SkillRecord> {
    checkSupportPath(path);
    const { skill, repository } = await this.require(name);
    if (skill.files[path] === undefined) {
      throw new MnemosError('not_found', `skill ${name} has no file ${path}`, {
        details: { name, path },
      });
    }
    const files = { ...skill.files };
    delete files[path];
    return this.update(repository, skill, files, 'remove_file', change);
  }

  /** Deletes a skill; its history stays, so it can be brought back with `revert`. */
  async delete(name: string, change: SkillChange): Promise<void> {
    const { skill, repository } = await this.require(name);
    this.checkMayChange(repository, skill, change.actor);
    await repository.delete(name, {
      expectedVersion: change.expectedVersion ?? skill.version,
      actor: change.actor,
      note: change.note ?? 'deleted',
    });
  }

  /** Hides a skill from the catalog and the agent, keeping it; `restore` undoes it. */
  archive(name: string, change: SkillChange): Promise<SkillRecord> {
    return this.setStatus(name, 'archived', change);
  }

  /** Brings an archived skill back. */
  restore(name: string, change: SkillChange): Promise<SkillRecord> {
    return this.setStatus(name, 'active', change);
  }

  /** Stores the files of an earlier version as the newest version (also brings back a deleted skill). */
  async revert(name: string, version: number, change: SkillChange): Promise<SkillRecord> {
    const found = await this.find(name);
    const repository = found?.repository ?? this.target;
    if (!repository) throw new MnemosError('forbidden', 'no writable place for skills');
    const entry = await repository.version(name, version);
    if (!entry) {
      throw new MnemosError('not_found', `skill ${name} has no version ${version}`, {
        details: { name, version },
      });
    }
    if (!entry.files) {
      throw new MnemosError(
        'invalid_input',
        `version ${version} of ${name} is its deletion; revert to a version before it`,
        { details: { name, version } },
      );
    }
    const note = change.note ?? `reverted to version ${version}`;
    if (found) {
      return this.update(repository, found.skill, entry.files, 'revert', { ...change, note });
    }
    const origin = await originBefore(repository, entry);
    return this.store(repository, null, name, entry.files, origin, 'active', 'revert', {
      ...change,
      note,
    });
  }

  /** Recorded versions of a skill, newest first. */
  async history(name: string, page: Page): Promise<SkillVersionEntry[]> {
    for (const repository of this.repositories) {
      const entries = await repository.history(name, page);
      if (entries.length > 0) return entries;
    }
    throw new MnemosError('not_found', `no skill named ${name}`, { details: { name } });
  }

  /**
   * Archives active skills of writable places not used (or changed) for `days` days, only those of
   * the given origins when `origins` is set (the agent's own, for the automatic curator). Returns
   * their names. Nothing is deleted.
   */
  async archiveStale(
    days: number,
    options: { origins?: readonly SkillOrigin[]; now?: number } = {},
  ): Promise<string[]> {
    const cutoff = (options.now ?? Date.now()) - days * 86_400_000;
    const archived: string[] = [];
    for (const repository of this.repositories.filter((place) => place.writable)) {
      for (const summary of await repository.list()) {
        if (options.origins && !options.origins.includes(summary.origin)) continue;
        const last = Date.parse(summary.lastUsedAt ?? summary.updatedAt);
        if (last >= cutoff) continue;
        const skill = await repository.get(summary.name);
        if (!skill) continue;
        await this.store(
          repository,
          skill,
          skill.name,
          skill.files,
          skill.origin,
          'archived',
          'archive',
          {
            actor: 'user',
            note: `not used for ${days} days`,
          },
        );
        archived.push(summary.name);
      }
    }
    return archived;
  }

  /** Records that a skill was loaded into a turn. */
  async markUsed(found: FoundSkill): Promise<void> {
    if (found.repository.writable) await found.repository.markUsed(found.skill.name);
  }

  /** The scan of a skill's files, for loading skills nobody scanned (written by hand). */
  scan(files: SkillFiles): SkillScan {
    return scanSkill(files);
  }

  private async setStatus(
    name: string,
    status: SkillStatus,
    change: SkillChange,
  ): Promise<SkillRecord> {
    const { skill, repository } = await this.require(name);
    if (skill.status === status) return skill;
    return this.update(
      repository,
      skill,
      skill.files,
      status === 'archived' ? 'archive' : 'restore',
      change,
      status,
    );
  }

  private update(
    repository: SkillRepository,
    skill: SkillRecord,
    files: SkillFiles,
    action: SkillChangeAction,
    change: SkillChange,
    status: SkillStatus = skill.status,
  ): Promise<SkillRecord> {
    this.checkMayChange(repository, skill, change.actor);
    return this.store(repository, skill, skill.name, files, skill.origin, status, action, change);
  }

  /** Validates, scans and saves one whole version; nothing is written when a check fails. */
  private async store(
    repository: SkillRepository,
    current: SkillRecord | null,
    name: string,
    files: SkillFiles,
    origin: SkillOrigin,
    status: SkillStatus,
    action: SkillChangeAction,
    change: SkillChange,
  ): Promise<SkillRecord> {
    if (!repository.writable) {
      throw new MnemosError(
        'forbidden',
        `skill ${name} is a ${repository.source} skill in ${repository.location}, which Mnemos only reads`,
        { details: { name, source: repository.source } },
      );
    }
    const errors = validateSkill(files, name).filter(
      (issue) => issue.level === 'error' && !toleratedOnSave.has(issue.rule),
    );
    if (errors.length > 0) {
      throw new MnemosError(
        'invalid_input',
        `skill ${name || '(unnamed)'} is not valid: ${errors.map((issue) => issue.message).join('; ')}`,
        { details: { name, issues: errors } },
      );
    }
    const scan = scanSkill(files);
    const decision = scanDecision(
      trustOf(change.actor, origin),
      scan.verdict,
      change.force ?? false,
    );
    if (decision !== 'allow') {
      throw new MnemosError(
        'forbidden',
        decision === 'needs_force'
          ? `skill ${name} needs --force: the safety scan says caution\n${describeScan(scan)}`
          : `skill ${name} was refused by the safety scan (${scan.verdict})\n${describeScan(scan)}`,
        { details: { name, verdict: scan.verdict, findings: scan.findings } },
      );
    }
    const description = parseSkillMarkdown(files['SKILL.md'] ?? '').skill?.frontmatter.description;
    return repository.save({
      name,
      description: description ?? '',
      origin,
      status,
      files,
      provenance: change.provenance
        ? [...(current?.provenance ?? []), change.provenance]
        : (current?.provenance ?? []),
      expectedVersion: current ? (change.expectedVersion ?? current.version) : null,
      action,
      actor: change.actor,
      note: change.note ?? action,
    });
  }

  private checkMayChange(repository: SkillRepository, skill: SkillRecord, actor: SkillActor): void {
    if (actor !== 'user' && skill.origin !== 'agent') {
      throw new MnemosError(
        'forbidden',
        `skill ${skill.name} was ${skill.origin === 'installed' ? 'installed' : 'written by a person'}; the agent may change only skills it created (ask the user to change it)`,
        { details: { name: skill.name, origin: skill.origin, source: repository.source } },
      );
    }
  }
}

/**
 * Strict rules a stored (or installed) skill may break because loading tolerates them: other clients' frontmatter
 * (Hermes nests `metadata.hermes`, some tools write `allowed-tools` as a map). `mnemos skills
 * validate` still reports them as errors.
 */
export const toleratedOnSave: ReadonlySet<string> = new Set([
  'metadata_type',
  'allowed_tools_type',
  'license_type',
  'frontmatter_yaml_repaired',
  'frontmatter_unknown_key',
]);

function checkSupportPath(path: string): void {
  const [folder, ...rest] = path.split('/');
  if (
    !(skillFolders as readonly string[]).includes(folder ?? '') ||
    rest.length === 0 ||
    rest.some((part) => part === '' || part === '.' || part === '..') ||
    path.includes('\\')
  ) {
    throw new MnemosError(
      'invalid_input',
      `file_path must be a relative path under ${skillFolders.join('/, ')}/ (got ${JSON.stringify(path)})`,
      { details: { field: 'file_path' } },
    );
  }
}

/** The origin a deleted skill had at `entry`: from its latest create or install up to then. */
async function originBefore(
  repository: SkillRepository,
  entry: SkillVersionEntry,
): Promise<SkillOrigin> {
  const entries = await repository.history(entry.name, {
    limit: Number.MAX_SAFE_INTEGER,
    offset: 0,
  });
  const start =
    entries.find(
      (older) =>
        older.version <= entry.version && (older.action === 'create' || older.action === 'install'),
    ) ?? entry;
  if (start.action === 'install') return 'installed';
  return start.actor === 'user' ? 'user' : 'agent';
}
