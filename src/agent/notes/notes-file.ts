import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { MnemosError } from '../../core/errors.js';

/** The line that separates two entries in `MEMORY.md` / `USER.md` (Hermes' format). */
export const ENTRY_SEPARATOR = '§';
/** How entries are joined on disk and in the prompt; its three characters count toward the limit. */
export const ENTRY_JOINER = `\n${ENTRY_SEPARATOR}\n`;

/** Length in Unicode code points, so a CJK character or an emoji counts as one character. */
export function charCount(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

/** Characters a list of entries takes, joiners included (the number limits apply to). */
export function usedChars(entries: readonly string[]): number {
  return entries.length === 0 ? 0 : charCount(entries.join(ENTRY_JOINER));
}

/** True when a text holds a line that would be read back as an entry separator. */
export function hasSeparatorLine(text: string): boolean {
  return text.split(/\r?\n/).some((line) => line.trim() === ENTRY_SEPARATOR);
}

/** Entries of a notes file: text between `§` lines, trimmed, empty ones dropped. */
export function parseEntries(text: string): string[] {
  const entries: string[] = [];
  let lines: string[] = [];
  const flush = () => {
    const entry = lines.join('\n').trim();
    if (entry !== '') entries.push(entry);
    lines = [];
  };
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === ENTRY_SEPARATOR) flush();
    else lines.push(line);
  }
  flush();
  return entries;
}

/** The file text for a list of entries. */
export function serializeEntries(entries: readonly string[]): string {
  return entries.length === 0 ? '' : `${entries.join(ENTRY_JOINER)}\n`;
}

/** A notes file's text, or '' when it does not exist yet. */
export async function readNotesFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
}

/** Replaces a file atomically: write and fsync a temporary sibling, then rename it over. */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
  try {
    const handle = await open(temporary, 'w');
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
}

/** How long to wait for a lock and when a left-over lock counts as abandoned. */
export interface LockOptions {
  /** Give up after this long (default 5 s). */
  timeoutMs?: number;
  /** A lock file older than this is abandoned (default 30 s; a critical section takes ms). */
  staleMs?: number;
}

/**
 * Runs `work` while holding `<path>.lock`, a lock file created with O_EXCL so that exactly one
 * process (or one instance within a process) at a time reads, changes and replaces the notes file.
 * The lock records host, pid and a random token; it is released only by its owner and broken when
 * its owner process is gone (same host) or it is older than `staleMs`. Chosen over compare-and-swap
 * on content because a check-then-rename always leaves a window; a lock closes it. Breaking an
 * abandoned lock is itself not atomic, a race that needs a crash first and is accepted.
 */
export async function withFileLock<T>(
  path: string,
  work: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const lockPath = `${path}.lock`;
  const token = `${hostname()} ${process.pid} ${randomUUID()}`;
  await acquire(lockPath, token, options.timeoutMs ?? 5_000, options.staleMs ?? 30_000);
  try {
    return await work();
  } finally {
    await release(lockPath, token);
  }
}

async function acquire(lockPath: string, token: string, timeoutMs: number, staleMs: number) {
  await mkdir(dirname(lockPath), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(lockPath, 'wx');
      try {
        await handle.writeFile(token, 'utf8');
      } finally {
        await handle.close();
      }
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (await isAbandoned(lockPath, staleMs)) {
      await unlink(lockPath).catch(() => undefined);
      continue;
    }
    if (Date.now() >= deadline) {
      throw new MnemosError(
        'storage_error',
        `Curated notes are locked by another process (${lockPath}); try again, or delete the lock file if no Mnemos process is running.`,
        { category: 'system', details: { lockPath } },
      );
    }
    await sleep(Math.min(5 + attempt * 5, 50) + Math.random() * 10);
  }
}

/** A lock whose owner died on this host, or that has been held far longer than any write takes. */
async function isAbandoned(lockPath: string, staleMs: number): Promise<boolean> {
  try {
    const [info, owner] = await Promise.all([stat(lockPath), readFile(lockPath, 'utf8')]);
    if (Date.now() - info.mtimeMs > staleMs) return true;
    const [host, pid] = owner.split(' ');
    return host === hostname() && pid !== undefined && /^\d+$/.test(pid) && !isAlive(Number(pid));
  } catch {
    return false; // released meanwhile, or not readable yet: just try again
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function release(lockPath: string, token: string): Promise<void> {
  try {
    if ((await readFile(lockPath, 'utf8')) === token) await unlink(lockPath);
  } catch {
    // Already gone (broken as stale by another process): nothing to release.
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
