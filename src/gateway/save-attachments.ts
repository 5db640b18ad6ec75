import {
  closeSync,
  fchownSync,
  lchownSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  realpathSync,
  writeSync,
} from 'node:fs';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import type { InboundAttachment } from './platform/gateway-adapter.js';

/** Largest attachment the gateway saves, bytes. */
export const maxAttachmentBytes = 20 * 1024 * 1024;

/** Where attachments are saved and by whom, and how large one may be. */
export interface AttachmentTarget {
  /** The tenant's workspace; files go to its `attachments/`. */
  workspace: string;
  /** Owner of what is written (the sandbox user when Mnemos runs as root). */
  owner?: { uid: number; gid: number } | undefined;
  maxBytes?: number;
  /** Most the folder may hold in all, bytes; a file that would pass it is not saved. */
  maxTotalBytes?: number;
}

/**
 * A file name that stays inside its folder: the last path part, only letters, digits, `.`, `_`
 * and `-`, no leading dot, at most 100 characters; `file` when nothing is left.
 */
export function safeFileName(name: string): string {
  const last = basename(name.replaceAll('\\', '/'));
  const cleaned = last
    .normalize('NFKC')
    .replace(/[^\p{L}\p{N}._-]+/gu, '_')
    .replace(/^[._]+/, '')
    .slice(-100);
  return cleaned === '' ? 'file' : cleaned;
}

/**
 * Saves attachments in the workspace's `attachments/` (never overwriting, never outside it) and
 * returns one line per attachment telling the agent where it is, or why it was not saved.
 */
export async function saveAttachments(
  attachments: InboundAttachment[],
  target: AttachmentTarget,
  log: (message: string) => void,
): Promise<string[]> {
  if (attachments.length === 0) return [];
  const cap = target.maxBytes ?? maxAttachmentBytes;
  const folder = join(target.workspace, 'attachments');
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  // The workspace is the tenant's to change (file and terminal tools): `attachments` may have been
  // replaced by a link to somewhere else, which nothing here may follow.
  if (!plainFolderInside(folder, target.workspace)) {
    log(`attachments: ${folder} is not a plain folder inside the workspace; nothing saved`);
    return attachments.map(
      (attachment) =>
        `[attachment not saved: ${safeFileName(attachment.name)}: attachments/ is not a plain folder]`,
    );
  }
  if (target.owner) lchownSync(folder, target.owner.uid, target.owner.gid);
  const lines: string[] = [];
  let used = folderBytes(folder);
  const total = target.maxTotalBytes ?? Number.POSITIVE_INFINITY;
  for (const attachment of attachments) {
    const name = safeFileName(attachment.name);
    if (attachment.size !== null && attachment.size > cap) {
      lines.push(`[attachment not saved: ${name} is larger than ${cap} bytes]`);
      continue;
    }
    const room = Math.min(cap, total - used);
    if (room <= 0 || (attachment.size !== null && attachment.size > room)) {
      lines.push(
        `[attachment not saved: ${name}: the attachments folder is full (${total} bytes)]`,
      );
      continue;
    }
    try {
      const bytes = await attachment.fetch(room);
      if (bytes.byteLength > room) throw new Error(`larger than ${room} bytes`);
      used += bytes.byteLength;
      const path = writeUnique(folder, name, bytes, target.owner);
      const shown = relative(target.workspace, path).split('\\').join('/');
      lines.push(
        `[attachment saved: ${shown} (${attachment.mimeType}, ${bytes.byteLength} bytes)]`,
      );
    } catch (error) {
      log(`attachment ${name}: ${(error as Error).message}`);
      lines.push(`[attachment not saved: ${name} could not be downloaded]`);
    }
  }
  return lines;
}

/** Writes `bytes` as `name`, or `name-2`, `name-3`… when taken; returns the path. */
function writeUnique(
  folder: string,
  name: string,
  bytes: Uint8Array,
  owner: AttachmentTarget['owner'],
): string {
  const dot = name.lastIndexOf('.');
  const stem = dot > 0 ? name.slice(0, dot) : name;
  const extension = dot > 0 ? name.slice(dot) : '';
  for (let n = 1; n < 1_000; n++) {
    const path = resolve(folder, n === 1 ? name : `${stem}-${n}${extension}`);
    // `safeFileName` already keeps names inside; this guards the invariant itself.
    if (relative(folder, path).startsWith('..')) throw new Error('unsafe file name');
    let fd: number;
    try {
      // `wx` (O_EXCL) never follows a link at the path; the owner is set on the open file itself.
      fd = openSync(path, 'wx', 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      continue;
    }
    try {
      writeSync(fd, bytes);
      if (owner) fchownSync(fd, owner.uid, owner.gid);
    } finally {
      closeSync(fd);
    }
    return path;
  }
  throw new Error('too many files of that name');
}

/** Whether `folder` is a directory (not a link) whose real path lies inside the workspace's. */
function plainFolderInside(folder: string, workspace: string): boolean {
  try {
    const stat = lstatSync(folder);
    if (stat.isSymbolicLink() || !stat.isDirectory()) return false;
    const inside = relative(realpathSync(workspace), realpathSync(folder));
    return inside !== '' && !inside.startsWith('..') && !isAbsolute(inside);
  } catch {
    return false;
  }
}

/** Bytes the regular files directly in `folder` take (what the gateway saved there, mostly). */
function folderBytes(folder: string): number {
  let bytes = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    if (!entry.isFile()) continue;
    try {
      bytes += lstatSync(join(folder, entry.name)).size;
    } catch {
      // Removed meanwhile.
    }
  }
  return bytes;
}
