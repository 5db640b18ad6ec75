import { chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
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
  if (target.owner) chownSync(folder, target.owner.uid, target.owner.gid);
  const lines: string[] = [];
  for (const attachment of attachments) {
    const name = safeFileName(attachment.name);
    if (attachment.size !== null && attachment.size > cap) {
      lines.push(`[attachment not saved: ${name} is larger than ${cap} bytes]`);
      continue;
    }
    try {
      const bytes = await attachment.fetch(cap);
      if (bytes.byteLength > cap) throw new Error(`larger than ${cap} bytes`);
      const path = writeUnique(folder, name, bytes);
      if (target.owner) chownSync(path, target.owner.uid, target.owner.gid);
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
function writeUnique(folder: string, name: string, bytes: Uint8Array): string {
  const dot = name.lastIndexOf('.');
  const stem = dot > 0 ? name.slice(0, dot) : name;
  const extension = dot > 0 ? name.slice(dot) : '';
  for (let n = 1; n < 1_000; n++) {
    const path = resolve(folder, n === 1 ? name : `${stem}-${n}${extension}`);
    // `safeFileName` already keeps names inside; this guards the invariant itself.
    if (relative(folder, path).startsWith('..')) throw new Error('unsafe file name');
    try {
      writeFileSync(path, bytes, { flag: 'wx', mode: 0o600 });
      return path;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  throw new Error('too many files of that name');
}
