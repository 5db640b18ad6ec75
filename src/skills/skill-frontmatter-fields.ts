import type { SkillFrontmatter } from './skill-format.js';
import { type SkillIssue, skillError, skillWarning } from './skill-issue.js';
import { skillLimits } from './skill-limits.js';

/** A valid skill name: 1–64 of `a-z0-9-`, no leading, trailing or double `-`. */
export const skillNamePattern = /^(?=.{1,64}$)[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** The frontmatter keys of the agentskills.io specification; others land in `extra`. */
export const skillFrontmatterKeys = [
  'name',
  'description',
  'license',
  'compatibility',
  'metadata',
  'allowed-tools',
] as const;

const known = new Set<string>(skillFrontmatterKeys);

/**
 * Reads the fields of a parsed frontmatter mapping leniently, pushing issues as it goes: only a
 * missing description (or a missing name without a folder to fall back on) is an error and gives
 * null. A known key whose value has the wrong type is kept, as parsed, in `extra`.
 */
export function readFrontmatterFields(
  data: Record<string, unknown>,
  folderName: string | undefined,
  issues: SkillIssue[],
): SkillFrontmatter | null {
  const extra: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data)) {
    if (known.has(key)) continue;
    extra[key] = value;
    issues.push(
      skillWarning('frontmatter_unknown_key', `"${key}" is not a key of the skill specification`),
    );
  }
  const name = readName(data.name, folderName, issues);
  const description = readDescription(data.description, issues);
  const frontmatter: SkillFrontmatter = { name: name ?? '', description: description ?? '', extra };
  const license = readText(data.license, 'license', Number.POSITIVE_INFINITY, issues);
  if (license !== undefined) frontmatter.license = license;
  const compatibility = readText(
    data.compatibility,
    'compatibility',
    skillLimits.maxCompatibilityLength,
    issues,
  );
  if (compatibility !== undefined) frontmatter.compatibility = compatibility;
  const metadata = readMetadata(data.metadata, issues);
  if (metadata !== undefined) frontmatter.metadata = metadata;
  const allowedTools = readAllowedTools(data['allowed-tools'], issues);
  if (allowedTools !== undefined) frontmatter.allowedTools = allowedTools;
  for (const key of ['license', 'compatibility', 'metadata', 'allowed-tools'] as const) {
    const field = key === 'allowed-tools' ? 'allowedTools' : key;
    if (data[key] !== undefined && frontmatter[field] === undefined) extra[key] = data[key];
  }
  return name === null || description === null ? null : frontmatter;
}

/** Splits `allowed-tools` on white space outside parentheses, so `Bash(git status:*)` stays whole. */
export function splitAllowedTools(value: string): string[] {
  const tools: string[] = [];
  let current = '';
  let depth = 0;
  for (const character of value) {
    if (character === '(') depth += 1;
    if (character === ')' && depth > 0) depth -= 1;
    if (depth === 0 && /\s/.test(character)) {
      if (current !== '') tools.push(current);
      current = '';
    } else {
      current += character;
    }
  }
  if (current !== '') tools.push(current);
  return tools;
}

function readName(
  value: unknown,
  folderName: string | undefined,
  issues: SkillIssue[],
): string | null {
  let name: string | undefined;
  if (typeof value === 'string' && value.trim() !== '') name = value.trim();
  else if (typeof value === 'number' || typeof value === 'boolean') name = String(value);
  if (name === undefined) {
    if (folderName === undefined) {
      issues.push(skillError('name_missing', 'the frontmatter has no "name"'));
      return null;
    }
    issues.push(
      skillWarning(
        'name_missing',
        `the frontmatter has no "name"; using the folder name "${folderName}"`,
      ),
    );
    return folderName;
  }
  if (length(name) > skillLimits.maxNameLength) {
    issues.push(
      skillWarning(
        'name_length',
        `"name" has ${length(name)} characters; at most ${skillLimits.maxNameLength}`,
      ),
    );
  }
  if (!/^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(name) || typeof value !== 'string') {
    issues.push(
      skillWarning(
        'name_format',
        `"name" must be a string of lowercase letters, digits and single "-" inside (got ${JSON.stringify(name)})`,
      ),
    );
  }
  if (folderName !== undefined && name !== folderName) {
    issues.push(
      skillWarning('name_folder_mismatch', `"name" is "${name}" but the folder is "${folderName}"`),
    );
  }
  return name;
}

function readDescription(value: unknown, issues: SkillIssue[]): string | null {
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) {
    issues.push(skillError('description_missing', 'the frontmatter has no "description"'));
    return null;
  }
  if (typeof value !== 'string') {
    issues.push(skillError('description_type', '"description" must be a string'));
    return null;
  }
  const description = value.trim();
  if (length(description) > skillLimits.maxDescriptionLength) {
    issues.push(
      skillWarning(
        'description_length',
        `"description" has ${length(description)} characters; at most ${skillLimits.maxDescriptionLength}`,
      ),
    );
  }
  return description;
}

function readText(
  value: unknown,
  key: 'license' | 'compatibility',
  maxLength: number,
  issues: SkillIssue[],
): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    issues.push(skillWarning(`${key}_type`, `"${key}" must be a string`));
    return undefined;
  }
  if (length(value) > maxLength) {
    issues.push(
      skillWarning(
        `${key}_length`,
        `"${key}" has ${length(value)} characters; at most ${maxLength}`,
      ),
    );
  }
  return value;
}

function readMetadata(value: unknown, issues: SkillIssue[]): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  const isMap = typeof value === 'object' && value !== null && !Array.isArray(value);
  if (isMap && Object.values(value).every((entry) => typeof entry === 'string')) {
    return { ...(value as Record<string, string>) };
  }
  issues.push(
    skillWarning('metadata_type', '"metadata" must map keys to strings (quote numbers and flags)'),
  );
  return undefined;
}

function readAllowedTools(value: unknown, issues: SkillIssue[]): string[] | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return splitAllowedTools(value);
  if (Array.isArray(value) && value.every((tool) => typeof tool === 'string')) return [...value];
  issues.push(
    skillWarning(
      'allowed_tools_type',
      '"allowed-tools" must be a space-separated string or a list of strings',
    ),
  );
  return undefined;
}

/** Length in characters (code points), as the specification counts. */
function length(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}
