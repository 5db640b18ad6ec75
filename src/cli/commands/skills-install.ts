import { randomUUID } from 'node:crypto';
import { cp, lstat, mkdir, realpath, rm, rmdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { MnemosError } from '../../core/errors.js';
import type { SkillRecord } from '../../core/skill-record.js';
import type { SkillIssue } from '../../skills/skill-format.js';
import type { SkillManager } from '../../skills/skill-manager.js';
import { type CheckedSkill, checkSkillFolders, issueLine, skillFoldersAt } from './skills-check.js';

/** One skill `mnemos skills install` stored. */
export interface InstalledSkill {
  skill: SkillRecord;
  /** The scan verdict it was installed with (`caution` only with --force). */
  verdict: 'safe' | 'caution' | 'dangerous';
}

/**
 * Installs every skill of a folder or tarball, all or none: copies or extracts it into
 * `<home>/skills/.quarantine/<random>/`, validates and scans every skill found, refuses the whole
 * install on any error, a dangerous verdict, a caution verdict without `force` or a name that is
 * taken, then creates each skill with origin `installed`. The quarantine copy is always removed.
 */
export async function installSkills(
  manager: SkillManager,
  home: string,
  source: string,
  force: boolean,
): Promise<InstalledSkill[]> {
  // The real path, so a link to a folder is copied as the folder, not as the link.
  const path = await realpath(resolve(source)).catch(() => null);
  const found = path === null ? null : await stat(path).catch(() => null);
  if (path === null || !found) {
    throw new MnemosError('not_found', `${source} does not exist`, { details: { source } });
  }
  const quarantineRoot = join(home, 'skills', '.quarantine');
  const quarantine = join(quarantineRoot, randomUUID());
  await mkdir(quarantine, { recursive: true, mode: 0o700 });
  try {
    const folders = found.isDirectory()
      ? await copyIntoQuarantine(path, quarantine)
      : await extractIntoQuarantine(path, quarantine, source);
    const checked = await checkSkillFolders(folders);
    await refuseUnlessAllPass(manager, checked, force);
    return await createAll(manager, checked, force, basename(path));
  } finally {
    await rm(quarantine, { recursive: true, force: true });
    // Left when another install is still running; an empty one is noise.
    await rmdir(quarantineRoot).catch(() => {});
  }
}

async function copyIntoQuarantine(path: string, quarantine: string): Promise<string[]> {
  const { skillLimits } = await import('../../skills/skill-limits.js');
  const copy = join(quarantine, basename(path));
  let entries = 0;
  let bytes = 0;
  await cp(path, copy, {
    recursive: true,
    // Links are copied as links, so reading the copy refuses them like it refuses them anywhere.
    verbatimSymlinks: true,
    filter: async (from) => {
      if (basename(from) === '.git') return false;
      entries += 1;
      bytes += (await lstat(from)).size;
      if (entries > skillLimits.maxArchiveEntries || bytes > skillLimits.maxArchiveBytes) {
        throw new MnemosError(
          'limit_exceeded',
          `${path} is too big to install: at most ${skillLimits.maxArchiveEntries} entries and ${skillLimits.maxArchiveBytes} bytes`,
          { details: { path } },
        );
      }
      return true;
    },
  });
  return skillFoldersAt(copy);
}

async function extractIntoQuarantine(
  archive: string,
  quarantine: string,
  source: string,
): Promise<string[]> {
  const { extractSkillArchive } = await import('../../skills/skill-folder.js');
  const folders = await extractSkillArchive(archive, quarantine);
  if (folders.length === 0) {
    throw new MnemosError(
      'invalid_input',
      `no skill in ${source}: the archive must hold a folder with SKILL.md (at the top or one level down)`,
      { details: { source } },
    );
  }
  return folders;
}

/** Checks every skill before any is created, so a refusal leaves nothing installed. */
async function refuseUnlessAllPass(
  manager: SkillManager,
  checked: readonly CheckedSkill[],
  force: boolean,
): Promise<void> {
  const [{ scanDecision, trustOf }, { describeScan }] = await Promise.all([
    import('../../skills/skill-policy.js'),
    import('../../skills/skill-scan.js'),
  ]);
  const { toleratedOnSave } = await import('../../skills/skill-manager.js');
  const blocking = (issue: SkillIssue): boolean =>
    issue.level === 'error' && !toleratedOnSave.has(issue.rule);
  const invalid = checked.filter((skill) => skill.issues.some(blocking));
  if (invalid.length > 0) {
    const lines = invalid.flatMap((skill) =>
      skill.issues.filter(blocking).map((issue) => issueLine(skill, issue)),
    );
    throw new MnemosError('invalid_input', `nothing installed: not valid\n${lines.join('\n')}`, {
      details: {
        skills: invalid.map((skill) => ({ name: skill.folderName, issues: skill.issues })),
      },
    });
  }
  const names = new Set<string>();
  for (const skill of checked) {
    if (names.has(skill.folderName)) {
      throw new MnemosError(
        'invalid_input',
        `nothing installed: the source holds two skills named ${skill.folderName}`,
        { details: { name: skill.folderName } },
      );
    }
    names.add(skill.folderName);
  }
  for (const skill of checked) {
    const decision = scanDecision(trustOf('user', 'installed'), skill.scan.verdict, force);
    if (decision === 'allow') continue;
    const why =
      decision === 'needs_force'
        ? `skill ${skill.folderName} needs --force: the safety scan says caution`
        : `skill ${skill.folderName} was refused by the safety scan (${skill.scan.verdict}); --force does not override that`;
    throw new MnemosError('forbidden', `nothing installed: ${why}\n${describeScan(skill.scan)}`, {
      details: {
        name: skill.folderName,
        verdict: skill.scan.verdict,
        findings: skill.scan.findings,
      },
    });
  }
  for (const skill of checked) {
    const existing = await manager.find(skill.folderName);
    if (existing) {
      throw new MnemosError(
        'already_exists',
        `nothing installed: skill ${skill.folderName} already exists (${existing.repository.source}, version ${existing.skill.version}); uninstall it first: mnemos skills uninstall ${skill.folderName}`,
        { details: { name: skill.folderName, source: existing.repository.source } },
      );
    }
  }
}

async function createAll(
  manager: SkillManager,
  checked: readonly CheckedSkill[],
  force: boolean,
  from: string,
): Promise<InstalledSkill[]> {
  const installed: InstalledSkill[] = [];
  try {
    for (const skill of checked) {
      const record = await manager.create(skill.files, 'installed', {
        actor: 'user',
        force,
        note: `installed from ${from}`,
      });
      installed.push({ skill: record, verdict: skill.scan.verdict });
    }
  } catch (error) {
    // All or none: a skill stored before the failure is taken out again (its history stays).
    for (const done of installed) {
      await manager
        .delete(done.skill.name, { actor: 'user', note: 'install rolled back' })
        .catch(() => {});
    }
    throw error;
  }
  return installed;
}
