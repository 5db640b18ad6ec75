import { skillLimits } from './skill-limits.js';

/** Characters no skill file path may hold: control characters (NUL included) and backslashes. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
const forbiddenCharacters = /[\u0000-\u001f\u007f\\]/;

/**
 * Why a skill file path is unsafe, or null when it is a plain relative path with `/` separators:
 * no absolute or drive path, no backslash, no empty, `.` or `..` segment, no control character.
 */
export function skillPathProblem(path: string): string | null {
  if (path.length === 0) return 'the path is empty';
  if (path.length > skillLimits.maxPathLength) {
    return `the path is longer than ${skillLimits.maxPathLength} characters`;
  }
  if (forbiddenCharacters.test(path)) return 'the path holds a backslash or a control character';
  if (path.startsWith('/')) return 'the path is absolute';
  if (/^[A-Za-z]:/.test(path)) return 'the path starts with a drive letter';
  for (const segment of path.split('/')) {
    if (segment === '') return 'the path has an empty segment (leading, trailing or double /)';
    if (segment === '.' || segment === '..') return `the path has a "${segment}" segment`;
  }
  return null;
}

/** True when a path (already safe) has a segment starting with a dot, such as `.env` or `.git/x`. */
export function isHiddenSkillPath(path: string): boolean {
  return path.split('/').some((segment) => segment.startsWith('.'));
}
