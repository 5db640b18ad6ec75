import { randomBytes } from 'node:crypto';
import { constants, type Dirent } from 'node:fs';
import { lstat, mkdir, open, readdir, realpath, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { MnemosError } from '../core/errors.js';
import type { SkillFiles } from '../core/skill-record.js';
import { skillMarkdownFile } from './skill-format.js';
import { type SkillIssue, skillError, skillWarning } from './skill-issue.js';
import { skillLimits } from './skill-limits.js';
import { skillPathProblem } from './skill-path.js';

export { extractSkillArchive } from './skill-archive.js';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Reads a skill folder: SKILL.md and every file under it, paths joined with `/`. Hidden entries
 * (`.git`, `.env`, `.DS_Store`) are skipped with a warning. Symlinks are never followed (an error
 * issue, the entry skipped), nor are sockets or devices; binary files (NUL byte or invalid UTF-8)
 * are skipped with a `binary_file` warning, since skills hold text. Reading stops at the file-count
 * and size limits with an error issue. The folder itself may be reached through a symlink.
 * @example const { files, issues } = await readSkillFolder('/home/me/.agents/skills/git-flow');
 */
export async function readSkillFolder(
  dir: string,
): Promise<{ files: SkillFiles; issues: SkillIssue[] }> {
  const root = await realDirectory(dir);
  const files: SkillFiles = {};
  const issues: SkillIssue[] = [];
  const state = { count: 0, bytes: 0, visited: 0, stopped: false };

  async function readOne(path: string): Promise<void> {
    if (state.count >= skillLimits.maxFiles) {
      stop(
        skillError(
          'too_many_files',
          `more than ${skillLimits.maxFiles} files; the rest were not read`,
        ),
      );
      return;
    }
    const content = await readTextFile(join(root, path), path, issues);
    if (content === null) return;
    const bytes = Buffer.byteLength(content, 'utf8');
    if (state.bytes + bytes > skillLimits.maxSkillBytes) {
      stop(
        skillError(
          'skill_too_large',
          `more than ${skillLimits.maxSkillBytes} bytes; the rest were not read`,
          path,
        ),
      );
      return;
    }
    state.count += 1;
    state.bytes += bytes;
    files[path] = content;
  }

  function stop(issue: SkillIssue): void {
    state.stopped = true;
    issues.push(issue);
  }

  async function walk(relative: string): Promise<void> {
    const entries = await readdir(join(root, relative), { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (state.stopped) return;
      state.visited += 1;
      if (state.visited > skillLimits.maxArchiveEntries) {
        stop(
          skillError(
            'too_many_files',
            `more than ${skillLimits.maxArchiveEntries} entries; stopped`,
          ),
        );
        return;
      }
      const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (path === skillMarkdownFile) continue;
      const skipped = skipReason(entry, path);
      if (skipped !== null) {
        issues.push(skipped);
      } else if (entry.isDirectory()) {
        await walk(path);
      } else {
        await readOne(path);
      }
    }
  }

  const markdown = await lstat(join(root, skillMarkdownFile)).catch(() => null);
  if (markdown === null) {
    issues.push(skillError('skill_md_missing', 'the folder has no SKILL.md', skillMarkdownFile));
  } else if (markdown.isSymbolicLink()) {
    issues.push(
      skillError('file_symlink', 'SKILL.md is a symlink; it was not followed', skillMarkdownFile),
    );
  } else {
    await readOne(skillMarkdownFile);
  }
  await walk('');
  return { files, issues };
}

/**
 * Replaces a skill folder's content with `files`: they are written into a sibling temporary
 * folder that is then renamed over the old one, so readers see the old or the new skill, never
 * half of one. Folders get mode 0755, files 0644 and files under `scripts/` 0755. Unsafe paths
 * are refused before anything is written.
 * @example await writeSkillFolder('/home/me/.mnemos/skills/git-flow', { 'SKILL.md': text });
 */
export async function writeSkillFolder(dir: string, files: SkillFiles): Promise<void> {
  checkWritablePaths(files);
  const existing = await lstat(dir).catch(() => null);
  if (existing !== null && !existing.isDirectory()) {
    throw new MnemosError('invalid_input', `${dir} exists and is not a folder (or is a symlink)`, {
      details: { dir },
    });
  }
  const parent = dirname(dir);
  await mkdir(parent, { recursive: true });
  const tag = randomBytes(6).toString('hex');
  const staging = join(parent, `.${basename(dir)}.tmp-${tag}`);
  const retired = join(parent, `.${basename(dir)}.old-${tag}`);
  try {
    await mkdir(staging, { mode: 0o755 });
    for (const [path, content] of Object.entries(files)) {
      const target = join(staging, ...path.split('/'));
      await mkdir(dirname(target), { recursive: true, mode: 0o755 });
      const mode = path.startsWith('scripts/') ? 0o755 : 0o644;
      await writeFile(target, content, { encoding: 'utf8', mode, flag: 'wx' });
    }
    if (existing !== null) await rename(dir, retired);
    try {
      await rename(staging, dir);
    } catch (cause) {
      if (existing !== null) await rename(retired, dir).catch(() => undefined);
      throw cause;
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
    await rm(retired, { recursive: true, force: true });
  }
}

function checkWritablePaths(files: SkillFiles): void {
  const problems: Record<string, string> = {};
  const lowerCased = new Set<string>();
  const paths = Object.keys(files);
  for (const path of paths) {
    const problem = skillPathProblem(path);
    if (problem !== null) problems[path] = problem;
    else if (lowerCased.has(path.toLowerCase()))
      problems[path] = 'another path differs only in case';
    lowerCased.add(path.toLowerCase());
  }
  const all = new Set(paths);
  for (const path of paths) {
    const segments = path.split('/');
    for (let end = 1; end < segments.length; end += 1) {
      const prefix = segments.slice(0, end).join('/');
      if (all.has(prefix)) problems[prefix] = `it is a file and also the folder of "${path}"`;
    }
  }
  const refused = Object.keys(problems);
  if (refused.length > 0) {
    throw new MnemosError('invalid_input', `unsafe skill file paths: ${refused.join(', ')}`, {
      details: { problems },
    });
  }
}

/** The folder's real path; a missing folder or a file is a not-found error. */
async function realDirectory(dir: string): Promise<string> {
  const root = await realpath(dir).catch(() => null);
  const stats = root === null ? null : await lstat(root);
  if (root === null || stats === null || !stats.isDirectory()) {
    throw new MnemosError('not_found', `no skill folder at ${dir}`, { details: { dir } });
  }
  return root;
}

function skipReason(entry: Dirent, path: string): SkillIssue | null {
  if (entry.name.startsWith('.')) {
    return skillWarning('file_hidden', 'hidden entry skipped', path);
  }
  if (entry.isSymbolicLink()) {
    return skillError(
      'file_symlink',
      'symlink refused; skills may not point outside their folder',
      path,
    );
  }
  const problem = skillPathProblem(path);
  if (problem !== null) return skillError('file_path', `entry skipped: ${problem}`, path);
  if (!entry.isDirectory() && !entry.isFile()) {
    return skillError('file_special', 'not a regular file (socket, device or pipe); skipped', path);
  }
  return null;
}

/** A regular file's UTF-8 text, or null with an issue; opened without following a symlink. */
async function readTextFile(
  full: string,
  path: string,
  issues: SkillIssue[],
): Promise<string | null> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(full, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    issues.push(
      code === 'ELOOP'
        ? skillError('file_symlink', 'symlink refused; it was not followed', path)
        : skillError('file_unreadable', `could not read the file (${code ?? 'error'})`, path),
    );
    return null;
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) {
      issues.push(skillError('file_special', 'not a regular file; skipped', path));
      return null;
    }
    // Read one byte past the limit instead of trusting the size, which may change under us.
    const buffer = Buffer.alloc(skillLimits.maxFileBytes + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > skillLimits.maxFileBytes) {
      issues.push(
        skillError('file_too_large', `more than ${skillLimits.maxFileBytes} bytes; skipped`, path),
      );
      return null;
    }
    const bytes = buffer.subarray(0, length);
    if (bytes.includes(0)) {
      issues.push(
        skillWarning('binary_file', 'binary file (NUL bytes) skipped; skills hold text', path),
      );
      return null;
    }
    try {
      return utf8.decode(bytes);
    } catch {
      issues.push(skillWarning('binary_file', 'not valid UTF-8; skipped, skills hold text', path));
      return null;
    }
  } finally {
    await handle.close();
  }
}
