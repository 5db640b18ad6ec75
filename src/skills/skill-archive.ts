import { createReadStream } from 'node:fs';
import { chmod, lstat, mkdir, readdir, realpath, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { extract, Parser, type ReadEntry } from 'tar';
import { MnemosError } from '../core/errors.js';
import { skillMarkdownFile } from './skill-format.js';
import { skillLimits } from './skill-limits.js';
import { skillPathProblem } from './skill-path.js';

/** Entry types an archive may hold; links, devices and pipes are refused. */
const allowedTypes = new Set(['File', 'OldFile', 'ContiguousFile', 'Directory']);

/**
 * Extracts a `.tar.gz`, `.tgz` or `.tar` skill archive into `into` (created; it must be empty)
 * and returns the skill folders found: `into` itself when SKILL.md is at the top, else each
 * folder one level down that holds one. The whole archive is checked before anything is written:
 * an absolute or `..` path, a symlink, hard link, device or pipe, more than `maxArchiveEntries`
 * entries or `maxArchiveBytes` bytes refuses it. Modes are reset to 0755 folders, 0644 files
 * (0755 when the archive marked them executable).
 * @example const folders = await extractSkillArchive('/tmp/skills.tgz', '/tmp/unpacked');
 */
export async function extractSkillArchive(archive: string, into: string): Promise<string[]> {
  const stats = await lstat(archive).catch(() => null);
  if (stats === null || !stats.isFile()) {
    throw new MnemosError('not_found', `no archive file at ${archive}`, { details: { archive } });
  }
  if (stats.size > skillLimits.maxArchiveBytes) {
    throw new MnemosError(
      'limit_exceeded',
      `the archive has ${stats.size} bytes; at most ${skillLimits.maxArchiveBytes}`,
      { details: { archive, bytes: stats.size } },
    );
  }
  await inspectArchive(archive);
  const created = await prepareTarget(into);
  const budget = { entries: 0, bytes: 0 };
  try {
    // The filter repeats the checks in case the file changed since it was inspected.
    await extract({
      file: archive,
      cwd: into,
      strict: true,
      preservePaths: false,
      preserveOwner: false,
      filter: (_path, entry) =>
        'type' in entry && entryProblem(entry as ReadEntry, budget) === null,
    });
    await normaliseModes(into);
  } catch (cause) {
    // A half-extracted archive must not pass for a skill later.
    await (created ? rm(into, { recursive: true, force: true }) : emptyFolder(into));
    throw MnemosError.isInstance(cause)
      ? cause
      : new MnemosError('invalid_input', `could not extract ${archive}: ${errorMessage(cause)}`, {
          details: { archive },
          cause,
        });
  }
  return skillFoldersIn(into);
}

/** Reads every header of the archive without writing, and refuses it on the first bad entry. */
async function inspectArchive(archive: string): Promise<void> {
  const budget = { entries: 0, bytes: 0 };
  await new Promise<void>((resolve, reject) => {
    let settled = false;
    const source = createReadStream(archive);
    const finish = (failure?: unknown) => {
      if (settled) return;
      settled = true;
      source.destroy();
      if (failure === undefined) resolve();
      else reject(failure);
    };
    const parser = new Parser({
      strict: true,
      onReadEntry: (entry) => {
        const problem = entryProblem(entry, budget);
        if (problem !== null) {
          const code = problem.startsWith('more than') ? 'limit_exceeded' : 'invalid_input';
          finish(
            new MnemosError(code, `refused skill archive: ${entry.path}: ${problem}`, {
              details: { archive, entry: entry.path, type: entry.type, problem },
            }),
          );
        }
        entry.resume();
      },
    });
    parser.on('error', (cause: unknown) =>
      finish(
        new MnemosError('invalid_input', `not a readable tar archive: ${errorMessage(cause)}`, {
          details: { archive },
          cause,
        }),
      ),
    );
    parser.on('end', () => finish());
    parser.on('close', () => finish());
    source.on('error', (cause) => finish(cause));
    source.on('data', (chunk) => {
      if (!settled) parser.write(chunk as Buffer);
    });
    source.on('end', () => {
      if (!settled) parser.end();
    });
  });
}

/** Why an entry may not be extracted, or null; counts it against the budget. */
function entryProblem(entry: ReadEntry, budget: { entries: number; bytes: number }): string | null {
  budget.entries += 1;
  budget.bytes += entry.size ?? 0;
  if (budget.entries > skillLimits.maxArchiveEntries) {
    return `more than ${skillLimits.maxArchiveEntries} entries`;
  }
  if (budget.bytes > skillLimits.maxArchiveBytes) {
    return `more than ${skillLimits.maxArchiveBytes} bytes unpacked`;
  }
  if (!allowedTypes.has(entry.type)) return `${entry.type} entries are not allowed`;
  const path = entry.path.replace(/^(?:\.\/)+/, '').replace(/\/+$/, '');
  if (path === '' || path === '.') return entry.type === 'Directory' ? null : 'the path is empty';
  return skillPathProblem(path);
}

/** Creates `into` (true when it did not exist), refusing a symlink or a folder that holds something. */
async function prepareTarget(into: string): Promise<boolean> {
  const existing = await lstat(into).catch(() => null);
  if (existing !== null) {
    if (!existing.isDirectory() || (await readdir(into)).length > 0) {
      throw new MnemosError('invalid_input', `${into} must be a new or empty folder`, {
        details: { into },
      });
    }
    return false;
  }
  await mkdir(into, { recursive: true, mode: 0o755 });
  return true;
}

async function emptyFolder(dir: string): Promise<void> {
  for (const name of await readdir(dir))
    await rm(join(dir, name), { recursive: true, force: true });
}

/** Resets modes so an archive cannot bring setuid bits or world-writable files. */
async function normaliseModes(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      await normaliseModes(full);
    } else if (entry.isFile()) {
      const { mode } = await lstat(full);
      await chmod(full, mode & 0o111 ? 0o755 : 0o644);
    }
  }
}

/** `into` when it holds SKILL.md, plus each non-hidden folder one level down that holds one. */
async function skillFoldersIn(into: string): Promise<string[]> {
  const root = await realpath(into);
  const folders: string[] = [];
  if (await isFile(join(root, skillMarkdownFile))) folders.push(root);
  const entries = await readdir(root, { withFileTypes: true });
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    if (await isFile(join(root, entry.name, skillMarkdownFile)))
      folders.push(join(root, entry.name));
  }
  return folders;
}

async function isFile(path: string): Promise<boolean> {
  const stats = await lstat(path).catch(() => null);
  return stats?.isFile() ?? false;
}

function errorMessage(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
