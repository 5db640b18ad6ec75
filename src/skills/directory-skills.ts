import {
  appendFile,
  mkdir,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { MnemosError } from '../core/errors.js';
import type {
  SkillFiles,
  SkillOrigin,
  SkillProvenance,
  SkillRecord,
  SkillStatus,
  SkillSummary,
  SkillVersionEntry,
} from '../core/skill-record.js';
import type { Page, SkillDeletion, SkillWrite } from '../spec/storage.js';
import { readSkillFolder, writeSkillFolder } from './skill-folder.js';
import { parseSkillMarkdown, skillNamePattern } from './skill-format.js';
import type { SkillRepository, SkillSource } from './skill-repository.js';

/** Bookkeeping of one skill that the SKILL.md folder cannot hold. */
interface SkillMeta {
  origin: SkillOrigin;
  version: number;
  provenance: SkillProvenance[];
  createdAt: string;
  updatedAt: string;
  lastUsedAt: string | null;
}

/**
 * Skills as agentskills.io folders under one root (`<home>/skills`, `<project>/.agents/skills`):
 * `<name>/SKILL.md` for active skills, `.archive/<name>/` for archived ones, and what a folder
 * cannot say (origin, version, provenance, last use, every earlier version) under `.mnemos/`.
 * A folder written by hand counts as version 1 of a `user` skill; its first change through Mnemos
 * records that version first, so it can always be reverted to.
 */
export class DirectorySkills implements SkillRepository {
  private problems: string[] = [];

  constructor(
    readonly location: string,
    readonly source: SkillSource,
    readonly writable: boolean,
    private readonly clock: () => number = Date.now,
  ) {}

  warnings(): string[] {
    return [...this.problems];
  }

  async list(options: { includeArchived?: boolean } = {}): Promise<SkillSummary[]> {
    this.problems = [];
    const found: SkillSummary[] = [];
    const places: Array<[string, SkillStatus]> = [[this.location, 'active']];
    if (options.includeArchived) places.push([join(this.location, '.archive'), 'archived']);
    for (const [dir, status] of places) {
      for (const name of await folderNames(dir)) {
        if (!skillNamePattern.test(name)) {
          this.problems.push(
            `${join(dir, name)}: skipped, a skill folder name must be 1-64 of a-z, 0-9 and single hyphens`,
          );
          continue;
        }
        const summary = await this.summary(dir, name, status);
        if (summary) found.push(summary);
      }
    }
    return found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async get(name: string): Promise<SkillRecord | null> {
    const place = await this.place(name);
    if (!place) return null;
    const { files } = await readSkillFolder(place.dir);
    const skill = parseSkillMarkdown(files['SKILL.md'] ?? '', { folderName: name }).skill;
    if (!skill) return null;
    const meta = await this.meta(name, place.dir);
    return {
      name,
      description: skill.frontmatter.description,
      status: place.status,
      files,
      ...meta,
    };
  }

  async save(write: SkillWrite): Promise<SkillRecord> {
    this.requireWritable();
    checkName(write.name);
    const current = await this.get(write.name);
    this.checkVersion(write.name, current?.version ?? null, write.expectedVersion);
    const version = await this.nextVersion(write.name, current);
    const now = new Date(this.clock()).toISOString();
    const target = this.folder(write.name, write.status);
    await writeSkillFolder(target, write.files);
    const other = this.folder(write.name, write.status === 'active' ? 'archived' : 'active');
    if (current && current.status !== write.status)
      await rm(other, { recursive: true, force: true });
    const meta: SkillMeta = {
      origin: write.origin,
      version,
      provenance: write.provenance,
      createdAt: current?.createdAt ?? now,
      updatedAt: now,
      lastUsedAt: current?.lastUsedAt ?? null,
    };
    await this.writeMeta(write.name, meta);
    await this.appendHistory({
      name: write.name,
      version,
      action: write.action,
      actor: write.actor,
      note: write.note,
      files: write.files,
      createdAt: now,
    });
    return {
      name: write.name,
      description: write.description,
      status: write.status,
      files: write.files,
      ...meta,
    };
  }

  async delete(name: string, deletion: SkillDeletion): Promise<boolean> {
    this.requireWritable();
    const current = await this.get(name);
    if (!current) return false;
    this.checkVersion(name, current.version, deletion.expectedVersion);
    const version = await this.nextVersion(name, current);
    await rm(this.folder(name, current.status), { recursive: true, force: true });
    await rm(this.metaPath(name), { force: true });
    await this.appendHistory({
      name,
      version,
      action: 'delete',
      actor: deletion.actor,
      note: deletion.note,
      files: null,
      createdAt: new Date(this.clock()).toISOString(),
    });
    return true;
  }

  async history(name: string, page: Page): Promise<SkillVersionEntry[]> {
    const entries = await this.readHistory(name);
    if (entries.length === 0) {
      // A hand-written skill not yet changed through Mnemos: its only version is what is on disk.
      const current = await this.get(name);
      if (current) entries.push(baselineOf(current));
    }
    return entries.reverse().slice(page.offset, page.offset + page.limit);
  }

  async version(name: string, version: number): Promise<SkillVersionEntry | null> {
    const all = await this.history(name, { limit: Number.MAX_SAFE_INTEGER, offset: 0 });
    return all.find((entry) => entry.version === version) ?? null;
  }

  async markUsed(name: string): Promise<void> {
    if (!this.writable) return;
    const place = await this.place(name);
    if (!place) return;
    const meta = await this.meta(name, place.dir);
    await this.writeMeta(name, { ...meta, lastUsedAt: new Date(this.clock()).toISOString() });
  }

  private async summary(
    dir: string,
    name: string,
    status: SkillStatus,
  ): Promise<SkillSummary | null> {
    const folder = join(dir, name);
    let text: string;
    try {
      text = await readFile(join(folder, 'SKILL.md'), 'utf8');
    } catch {
      return null;
    }
    const parsed = parseSkillMarkdown(text, { folderName: name });
    for (const issue of parsed.issues) {
      this.problems.push(`${join(folder, 'SKILL.md')}: ${issue.message}`);
    }
    if (!parsed.skill) return null;
    return {
      name,
      description: parsed.skill.frontmatter.description,
      status,
      ...(await this.meta(name, folder)),
    };
  }

  private async place(name: string): Promise<{ dir: string; status: SkillStatus } | null> {
    if (!skillNamePattern.test(name)) return null;
    for (const status of ['active', 'archived'] as const) {
      const dir = this.folder(name, status);
      if (await isFile(join(dir, 'SKILL.md'))) return { dir, status };
    }
    return null;
  }

  private folder(name: string, status: SkillStatus): string {
    return status === 'active' ? join(this.location, name) : join(this.location, '.archive', name);
  }

  private metaPath(name: string): string {
    return join(this.location, '.mnemos', 'meta', `${name}.json`);
  }

  private historyPath(name: string): string {
    return join(this.location, '.mnemos', 'history', `${name}.jsonl`);
  }

  private async meta(name: string, folder: string): Promise<SkillMeta> {
    try {
      return JSON.parse(await readFile(this.metaPath(name), 'utf8')) as SkillMeta;
    } catch {
      const made = (await stat(join(folder, 'SKILL.md'))).mtime.toISOString();
      return {
        origin: 'user',
        version: 1,
        provenance: [],
        createdAt: made,
        updatedAt: made,
        lastUsedAt: null,
      };
    }
  }

  private async writeMeta(name: string, meta: SkillMeta): Promise<void> {
    const path = this.metaPath(name);
    await mkdir(join(this.location, '.mnemos', 'meta'), { recursive: true });
    const temporary = `${path}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify(meta, null, 2)}\n`);
    await rename(temporary, path);
  }

  private async readHistory(name: string): Promise<SkillVersionEntry[]> {
    let text: string;
    try {
      text = await readFile(this.historyPath(name), 'utf8');
    } catch {
      return [];
    }
    const entries: SkillVersionEntry[] = [];
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      try {
        entries.push(JSON.parse(line) as SkillVersionEntry);
      } catch {
        // A line cut short by a crash mid-append; the versions before it are intact.
      }
    }
    return entries;
  }

  private async appendHistory(entry: SkillVersionEntry): Promise<void> {
    await mkdir(join(this.location, '.mnemos', 'history'), { recursive: true });
    await appendFile(this.historyPath(entry.name), `${JSON.stringify(entry)}\n`);
  }

  /**
   * The version a change is stored as: after the highest the name ever had. A skill on disk with
   * no history yet (written by hand) has its current files recorded first, so it can be reverted to.
   */
  private async nextVersion(name: string, current: SkillRecord | null): Promise<number> {
    const history = await this.readHistory(name);
    if (current && history.length === 0) await this.appendHistory(baselineOf(current));
    const highest = history.reduce((top, entry) => Math.max(top, entry.version), 0);
    return Math.max(current?.version ?? 0, highest) + 1;
  }

  private checkVersion(name: string, stored: number | null, expected: number | null): void {
    if (expected === null && stored !== null) {
      throw new MnemosError('already_exists', `skill ${name} already exists`, {
        details: { name, version: stored },
      });
    }
    if (expected !== null && stored !== expected) {
      throw new MnemosError(
        'conflict',
        stored === null
          ? `skill ${name} no longer exists`
          : `skill ${name} is at version ${stored}, not ${expected}: it changed since it was read`,
        { details: { name, version: stored } },
      );
    }
  }

  private requireWritable(): void {
    if (!this.writable) {
      throw new MnemosError('forbidden', `skills in ${this.location} are read-only to Mnemos`);
    }
  }
}

function baselineOf(skill: SkillRecord): SkillVersionEntry {
  return {
    name: skill.name,
    version: skill.version,
    action: 'create',
    actor: skill.origin === 'agent' ? 'agent' : 'user',
    note: 'as found on disk',
    files: skill.files satisfies SkillFiles,
    createdAt: skill.updatedAt,
  };
}

function checkName(name: string): void {
  if (!skillNamePattern.test(name)) {
    throw new MnemosError(
      'invalid_input',
      `skill name ${JSON.stringify(name)} must be 1-64 of a-z, 0-9 and single hyphens`,
      { details: { field: 'name' } },
    );
  }
}

async function folderNames(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries
      .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
      .map((entry) => entry.name);
  } catch {
    return [];
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
