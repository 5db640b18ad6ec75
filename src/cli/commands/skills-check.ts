import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { MnemosError } from '../../core/errors.js';
import type { SkillFiles } from '../../core/skill-record.js';
import type { SkillIssue } from '../../skills/skill-format.js';
import type { SkillScan } from '../../skills/skill-scan.js';

/** One skill folder read, validated strictly and scanned. */
export interface CheckedSkill {
  /** The folder it was read from. */
  path: string;
  /** The folder's name, which the frontmatter's `name` must equal. */
  folderName: string;
  files: SkillFiles;
  /** Problems of reading and of the format (not the scan). */
  issues: SkillIssue[];
  scan: SkillScan;
}

/**
 * The skill folders at a path: the path itself when it holds SKILL.md, else its (not hidden)
 * subfolders that hold one. Throws `not_found` for a missing path and `invalid_input` when there
 * is no skill folder.
 */
export async function skillFoldersAt(path: string): Promise<string[]> {
  const found = await stat(path).catch(() => null);
  if (!found) {
    throw new MnemosError('not_found', `${path} does not exist`, { details: { path } });
  }
  if (!found.isDirectory()) {
    throw new MnemosError('invalid_input', `${path} is not a folder`, { details: { path } });
  }
  if (await isFile(join(path, 'SKILL.md'))) return [path];
  const folders: string[] = [];
  for (const entry of await readdir(path, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    if (await isFile(join(path, entry.name, 'SKILL.md'))) folders.push(join(path, entry.name));
  }
  if (folders.length === 0) {
    throw new MnemosError(
      'invalid_input',
      `no skill in ${path}: a skill is a folder holding SKILL.md (give it, or a folder of them)`,
      { details: { path } },
    );
  }
  return folders.sort();
}

/** Reads each folder, validates it strictly (`validateSkill`) and scans it (`scanSkill`). */
export async function checkSkillFolders(folders: readonly string[]): Promise<CheckedSkill[]> {
  const [{ readSkillFolder }, { validateSkill }, { scanSkill }] = await Promise.all([
    import('../../skills/skill-folder.js'),
    import('../../skills/skill-format.js'),
    import('../../skills/skill-scan.js'),
  ]);
  const checked: CheckedSkill[] = [];
  for (const path of folders) {
    const folderName = basename(path);
    const { files, issues } = await readSkillFolder(path);
    checked.push({
      path,
      folderName,
      files,
      issues: [...issues, ...validateSkill(files, folderName)],
      scan: scanSkill(files),
    });
  }
  return checked;
}

/**
 * The issues `mnemos skills validate` reports: the format's, then each scan finding (dangerous
 * ones are errors, caution ones warnings) with the rule `scan_<category>`.
 */
export function reportedIssues(skill: CheckedSkill): SkillIssue[] {
  return [
    ...skill.issues,
    ...skill.scan.findings.map(
      (finding): SkillIssue => ({
        level: finding.severity === 'dangerous' ? 'error' : 'warning',
        rule: `scan_${finding.category}`,
        message: `${finding.id} (${finding.severity}) at line ${finding.line}: ${finding.excerpt}`,
        file: finding.file,
      }),
    ),
  ];
}

/** One issue as a line: `folder/file: rule: message`, warnings marked. */
export function issueLine(skill: CheckedSkill, issue: SkillIssue): string {
  const where = issue.file === undefined ? skill.folderName : `${skill.folderName}/${issue.file}`;
  const mark = issue.level === 'warning' ? ' (warning)' : '';
  return `${where}: ${issue.rule}${mark}: ${issue.message}`;
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null))?.isFile() ?? false;
}
