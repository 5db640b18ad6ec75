import { parseDocument, stringify } from 'yaml';
import type { SkillFiles } from '../core/skill-record.js';
import { readFrontmatterFields } from './skill-frontmatter-fields.js';
import { skillError as error, type SkillIssue, skillWarning as warning } from './skill-issue.js';
import { skillLimits } from './skill-limits.js';
import { isHiddenSkillPath, skillPathProblem } from './skill-path.js';

/** The frontmatter of a SKILL.md in the agentskills.io format. */
export interface SkillFrontmatter {
  /** 1–64 of `a-z0-9-`, equal to the folder name. */
  name: string;
  /** What the skill does and when to use it, 1–1024 characters. */
  description: string;
  license?: string;
  /** Environment requirements, at most 500 characters. */
  compatibility?: string;
  /** Free string → string map. */
  metadata?: Record<string, string>;
  /** `allowed-tools`: a space-separated string or a list in the file. */
  allowedTools?: string[];
  /** Other keys kept as parsed (also known keys whose value had the wrong type, so nothing is lost). */
  extra: Record<string, unknown>;
}

export { skillNamePattern } from './skill-frontmatter-fields.js';
export type { SkillIssue } from './skill-issue.js';

/** A parsed SKILL.md: its frontmatter and its Markdown body. */
export interface ParsedSkill {
  frontmatter: SkillFrontmatter;
  body: string;
}

/** The file every skill must hold. */
export const skillMarkdownFile = 'SKILL.md';

const fence = /^---[ \t]*$/;

/** Rules that stay warnings even in strict validation. */
const strictWarnings = new Set(['body_too_long', 'frontmatter_unknown_key', 'file_hidden']);

/**
 * Parses a SKILL.md leniently, as clients load skills written for other clients: a bad name,
 * a name that differs from the folder or over-long fields are warnings and the skill still loads;
 * a missing description, missing or unclosed frontmatter or YAML that does not parse give
 * `skill: null` with an error issue.
 * @example parseSkillMarkdown('---\nname: git-flow\ndescription: Branching steps\n---\n\n# Steps', { folderName: 'git-flow' })
 */
export function parseSkillMarkdown(
  text: string,
  options: { folderName?: string } = {},
): { skill: ParsedSkill | null; issues: SkillIssue[] } {
  const issues: SkillIssue[] = [];
  const lines = text
    .replace(/^\uFEFF/, '')
    .replace(/\r\n?/g, '\n')
    .split('\n');
  if (!fence.test(lines[0] ?? '')) {
    issues.push(error('frontmatter_missing', 'SKILL.md must start with a "---" frontmatter line'));
    return { skill: null, issues };
  }
  const close = lines.findIndex((line, index) => index > 0 && fence.test(line));
  if (close < 0) {
    issues.push(error('frontmatter_unclosed', 'the frontmatter has no closing "---" line'));
    return { skill: null, issues };
  }
  const data = parseFrontmatterYaml(lines.slice(1, close).join('\n'), issues);
  if (data === null) return { skill: null, issues };
  const frontmatter = readFrontmatterFields(data, options.folderName, issues);
  const body = normaliseBody(lines.slice(close + 1).join('\n'));
  if (body.trim() === '') {
    issues.push(warning('body_empty', 'the body after the frontmatter is empty'));
  } else if (body.split('\n').length > skillLimits.maxBodyLines) {
    issues.push(
      warning(
        'body_too_long',
        `the body has ${body.split('\n').length} lines; keep it under ${skillLimits.maxBodyLines} and move details to references/`,
      ),
    );
  }
  const failed = frontmatter === null || issues.some((issue) => issue.level === 'error');
  return { skill: failed ? null : { frontmatter, body }, issues };
}

/**
 * Validates a whole skill strictly, as `mnemos skills validate` does: every frontmatter rule is an
 * error (a name that differs from the folder too), plus the file rules (safe relative paths, size
 * and count limits, SKILL.md present). Only a long body, unknown keys and hidden files warn.
 * @example validateSkill({ 'SKILL.md': text }, 'git-flow').filter((issue) => issue.level === 'error')
 */
export function validateSkill(files: SkillFiles, folderName: string): SkillIssue[] {
  const issues: SkillIssue[] = [];
  const paths = Object.keys(files);
  if (paths.length > skillLimits.maxFiles) {
    issues.push(
      error(
        'too_many_files',
        `the skill has ${paths.length} files; at most ${skillLimits.maxFiles}`,
      ),
    );
  }
  let total = 0;
  const lowerCased = new Map<string, string>();
  for (const path of paths) {
    const content = files[path] ?? '';
    const problem = skillPathProblem(path);
    if (problem !== null) {
      issues.push(error('file_path', `unsafe file path: ${problem}`, path));
      continue;
    }
    const clash = lowerCased.get(path.toLowerCase());
    if (clash !== undefined) {
      issues.push(
        error('file_case_conflict', `the path differs from "${clash}" only in letter case`, path),
      );
    }
    lowerCased.set(path.toLowerCase(), path);
    if (isHiddenSkillPath(path)) {
      issues.push(
        warning('file_hidden', 'hidden files are skipped when a skill folder is read', path),
      );
    }
    if (content.includes('\u0000')) {
      issues.push(
        error('binary_file', 'the file holds NUL characters; skills hold text only', path),
      );
    }
    const bytes = Buffer.byteLength(content, 'utf8');
    total += bytes;
    if (bytes > skillLimits.maxFileBytes) {
      issues.push(
        error(
          'file_too_large',
          `the file has ${bytes} bytes; at most ${skillLimits.maxFileBytes}`,
          path,
        ),
      );
    }
  }
  if (total > skillLimits.maxSkillBytes) {
    issues.push(
      error(
        'skill_too_large',
        `the skill has ${total} bytes; at most ${skillLimits.maxSkillBytes}`,
      ),
    );
  }
  const markdown = files[skillMarkdownFile];
  if (markdown === undefined) {
    issues.push(error('skill_md_missing', 'the skill has no SKILL.md', skillMarkdownFile));
    return issues;
  }
  const parsed = parseSkillMarkdown(markdown, { folderName });
  for (const issue of parsed.issues) {
    const level = strictWarnings.has(issue.rule) ? issue.level : 'error';
    issues.push({ ...issue, level, file: skillMarkdownFile });
  }
  return issues;
}

/**
 * Writes a SKILL.md: `---\n<yaml>\n---\n\n<body>\n`. `parseSkillMarkdown` of the result gives the
 * same frontmatter and the body with `\r\n` folded, leading blank lines and trailing white space cut.
 * @example composeSkillMarkdown({ name: 'git-flow', description: 'Branching steps' }, '# Steps')
 */
export function composeSkillMarkdown(
  frontmatter: Omit<SkillFrontmatter, 'extra'> & { extra?: Record<string, unknown> },
  body: string,
): string {
  const data: Record<string, unknown> = {
    name: frontmatter.name,
    description: frontmatter.description,
  };
  if (frontmatter.license !== undefined) data.license = frontmatter.license;
  if (frontmatter.compatibility !== undefined) data.compatibility = frontmatter.compatibility;
  if (frontmatter.metadata !== undefined) data.metadata = { ...frontmatter.metadata };
  if (frontmatter.allowedTools !== undefined) {
    const tools = frontmatter.allowedTools;
    // The spec's form is a space-separated string; a list keeps tools that contain spaces intact.
    data['allowed-tools'] = tools.some((tool) => /\s/.test(tool)) ? [...tools] : tools.join(' ');
  }
  for (const [key, value] of Object.entries(frontmatter.extra ?? {})) {
    if (!(key in data) && value !== undefined) data[key] = value;
  }
  const yaml = stringify(data, { lineWidth: 0 }).trimEnd();
  return `---\n${yaml}\n---\n\n${normaliseBody(body)}\n`;
}

/** Parses the YAML between the fences into a mapping, retrying once with unquoted colons quoted. */
function parseFrontmatterYaml(
  source: string,
  issues: SkillIssue[],
): Record<string, unknown> | null {
  const first = loadMapping(source);
  if (typeof first !== 'string') return first;
  // Skills written for other clients often carry `description: Use when: …` unquoted.
  const repairedSource = quoteColonValues(source);
  if (repairedSource !== source) {
    const repaired = loadMapping(repairedSource);
    if (typeof repaired !== 'string') {
      issues.push(
        warning(
          'frontmatter_yaml_repaired',
          `the frontmatter is not valid YAML (${first}); it loaded after quoting values that hold ": "`,
        ),
      );
      return repaired;
    }
  }
  issues.push(error('frontmatter_yaml', `the frontmatter is not valid YAML: ${first}`));
  return null;
}

/** The YAML as a plain mapping, or the reason it is not one. */
function loadMapping(source: string): Record<string, unknown> | string {
  try {
    const document = parseDocument(source, { uniqueKeys: true, prettyErrors: false });
    const first = document.errors[0];
    if (first !== undefined) return first.message.split('\n')[0] ?? first.code;
    const value: unknown = document.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) return {};
    if (typeof value !== 'object' || Array.isArray(value)) return 'it must be a mapping of keys';
    return value as Record<string, unknown>;
  } catch (cause) {
    return cause instanceof Error ? cause.message : String(cause);
  }
}

/** Quotes top-level plain values that contain `: ` (or end in `:`), the usual hand-written slip. */
function quoteColonValues(source: string): string {
  return source
    .split('\n')
    .map((line) => {
      const match = /^([A-Za-z0-9_-]{1,64}):[ \t]+(\S.*)$/.exec(line);
      const value = match?.[2]?.trimEnd();
      if (match === null || value === undefined || /^["'[{|>&*!#%@`]/.test(value)) return line;
      return /:(?:\s|$)/.test(value) ? `${match[1]}: ${JSON.stringify(value)}` : line;
    })
    .join('\n');
}

/** The body as stored: `\n` line ends, no leading blank lines, no trailing white space. */
function normaliseBody(body: string): string {
  return body
    .replace(/\r\n?/g, '\n')
    .replace(/^(?:[ \t]*\n)+/, '')
    .trimEnd();
}
