import { constants } from 'node:fs';
import { type FileHandle, lstat, open, readlink, realpath } from 'node:fs/promises';
import * as path from 'node:path';

/** A path inside the workspace: the real location and the form shown to the model. */
export interface WorkspacePath {
  /** Absolute path with every existing symlink resolved; safe to open. */
  real: string;
  /** Relative to the workspace root, `/`-separated; `.` for the root itself. */
  display: string;
  /** Real path of the workspace root. */
  root: string;
}

/** True when `child` is `parent` or lies below it (both absolute and normalised). */
export function isInside(parent: string, child: string): boolean {
  const relative = path.relative(parent, child);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/**
 * `requested` with the sandbox's mount point of the workspace (`/workspace`, what sandboxed commands
 * see) made relative, so `/workspace/a.txt` names the workspace's `a.txt`; anything else unchanged.
 */
export function withoutMountPoint(requested: string, mountPoint: string | undefined): string {
  if (!mountPoint) return requested;
  if (requested === mountPoint) return '.';
  return requested.startsWith(`${mountPoint}/`)
    ? `.${requested.slice(mountPoint.length)}`
    : requested;
}

/** Display form of a real path under `root`. */
export function displayPath(root: string, real: string): string {
  const relative = path.relative(root, real);
  return relative === '' ? '.' : relative.split(path.sep).join('/');
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * Resolves `requested` (relative to the workspace, or absolute) and proves it stays inside the
 * workspace after `..` and symlinks are followed; the part that does not exist yet is checked
 * through its deepest existing ancestor, so writes cannot escape through a symlinked folder.
 * Throws an Error meant for the model when the path leaves the workspace.
 */
export async function resolveInWorkspace(
  workspace: string,
  requested: string,
): Promise<WorkspacePath> {
  const root = await realpath(workspace).catch((error: unknown) => {
    throw new Error(`workspace ${workspace} is not accessible: ${(error as Error).message}`);
  });
  if (requested.includes('\0')) throw new Error(`invalid path ${JSON.stringify(requested)}`);
  const lexical = path.resolve(workspace, requested);
  const outside = new Error(
    `path ${requested} is outside the workspace; only files under the workspace can be used`,
  );
  if (!isInside(path.resolve(workspace), lexical) && !isInside(root, lexical)) throw outside;

  let existing = lexical;
  const rest: string[] = [];
  for (;;) {
    try {
      await lstat(existing);
      break;
    } catch (error) {
      if (!isMissing(error)) throw error;
      const parent = path.dirname(existing);
      if (parent === existing) throw outside;
      rest.unshift(path.basename(existing));
      existing = parent;
    }
  }
  const resolved = await realpath(existing).catch(() => {
    throw new Error(`path ${requested} goes through a broken symlink`);
  });
  const real = path.join(resolved, ...rest);
  if (!isInside(root, real)) throw outside;
  return { real, display: displayPath(root, real), root };
}

/** Where an open file really is, from the kernel (Linux); undefined where /proc is missing. */
async function openedPath(handle: FileHandle): Promise<string | undefined> {
  try {
    return await readlink(`/proc/self/fd/${handle.fd}`);
  } catch {
    return undefined;
  }
}

/** Throws an Error meant for the model when the kernel says the open file is not under `root`. */
export async function assertOpenedInside(
  handle: FileHandle,
  root: string,
  requested: string,
): Promise<void> {
  const actual = await openedPath(handle);
  if (actual !== undefined && !isInside(root, actual)) {
    throw new Error(
      `path ${requested} is outside the workspace; only files under the workspace can be used`,
    );
  }
}

/**
 * Opens a resolved workspace path for reading and proves the opened file is a regular file inside
 * the workspace, so a symlink swapped in after {@link resolveInWorkspace} checked the path (by a
 * command running at the same time) cannot lead outside. Throws an Error meant for the model.
 */
export async function openInWorkspace(
  target: WorkspacePath,
  requested: string,
): Promise<FileHandle> {
  const handle = await open(
    target.real,
    constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK,
  ).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ELOOP')
      throw new Error(`path ${requested} changed into a symlink; try again`);
    throw error;
  });
  try {
    await assertOpenedInside(handle, target.root, requested);
    if (!(await handle.stat()).isFile()) throw new Error(`${target.display} is not a regular file`);
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}
