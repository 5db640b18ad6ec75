import { join } from 'node:path';
import { invalidInput } from '../../core/errors.js';
import {
  checkContent,
  checkNeedle,
  type EarlyRefusal,
  findUniqueEntry,
  fullAnswer,
  normalizeContent,
} from './notes-checks.js';
import {
  type LockOptions,
  parseEntries,
  readNotesFile,
  serializeEntries,
  usedChars,
  withFileLock,
  writeFileAtomic,
} from './notes-file.js';
import {
  type NotesAction,
  type NotesRefused,
  type NotesResult,
  type NotesTarget,
  type NotesUsage,
  refused,
  usageOf,
} from './notes-results.js';
import { renderSnapshot } from './notes-snapshot.js';

/** Hermes' default limits, in code points. */
export const DEFAULT_MEMORY_LIMIT = 2_200;
export const DEFAULT_USER_LIMIT = 1_375;

/** File name of each target inside the notes folder. */
export const NOTES_FILES: Record<NotesTarget, string> = { memory: 'MEMORY.md', user: 'USER.md' };

/** Where the notes live and how large they may grow. */
export interface CuratedNotesOptions {
  /** Folder holding `MEMORY.md` and `USER.md`, e.g. `<home>/memories`; created on first write. */
  dir: string;
  /** Limit of `MEMORY.md` in code points (default 2,200). */
  memoryLimit?: number | undefined;
  /** Limit of `USER.md` in code points (default 1,375). */
  userLimit?: number | undefined;
  lock?: LockOptions | undefined;
}

/** An edit of the entry list, or the refusal that replaces it. */
type Edit = { entries: string[]; entry: string } | NotesRefused;

/**
 * The built-in curated notes (Hermes' MEMORY.md / USER.md): small, bounded lists of entries that
 * are rendered into the system prompt. Every write takes the file's lock, re-reads the file, then
 * replaces it atomically, so several instances and processes never lose each other's writes.
 * Expected refusals (full, duplicate, no match, …) are answers, never exceptions. Sizes are in
 * Unicode code points, so a CJK character or an emoji counts as one.
 */
export class CuratedNotes {
  readonly dir: string;
  private readonly limits: Record<NotesTarget, number>;
  private readonly lockOptions: LockOptions;
  /**
   * Loop guard: contents refused as full, with the usage at that moment. A retry of the same
   * content while usage has not dropped since means the model is looping.
   */
  private readonly refusedFull: Record<NotesTarget, Map<string, number>> = {
    memory: new Map(),
    user: new Map(),
  };

  constructor(options: CuratedNotesOptions) {
    this.dir = options.dir;
    this.limits = {
      memory: checkLimit(options.memoryLimit ?? DEFAULT_MEMORY_LIMIT, 'memoryLimit'),
      user: checkLimit(options.userLimit ?? DEFAULT_USER_LIMIT, 'userLimit'),
    };
    this.lockOptions = options.lock ?? {};
  }

  /** Path of a target's file. */
  path(target: NotesTarget): string {
    return join(this.dir, NOTES_FILES[target]);
  }

  /** Limit of a target in code points. */
  limit(target: NotesTarget): number {
    return this.limits[target];
  }

  /** Current entries of a target, read from disk. */
  async entries(target: NotesTarget): Promise<string[]> {
    return parseEntries(await readNotesFile(this.path(target)));
  }

  /** How full a target is now. */
  async usage(target: NotesTarget): Promise<NotesUsage> {
    return usageOf(await this.entries(target), this.limits[target]);
  }

  /**
   * The system-prompt text of both files as they are now, with usage headers. Call it once per
   * session and keep the text (the provider does), so the cached prompt prefix stays stable.
   */
  async snapshot(): Promise<string> {
    const [memory, user] = await Promise.all([this.entries('memory'), this.entries('user')]);
    return renderSnapshot(
      { entries: memory, limit: this.limits.memory },
      { entries: user, limit: this.limits.user },
    );
  }

  /** Appends an entry. */
  async add(target: NotesTarget, content: string): Promise<NotesResult> {
    const text = normalizeContent(content);
    const early = checkContent(target, text, this.limits[target]);
    if (early) return this.refuseEarly(target, early);
    return this.change(target, 'add', text, (entries) => {
      if (!entries.includes(text)) return { entries: [...entries, text], entry: text };
      return this.refuse(
        target,
        entries,
        'duplicate',
        'This exact entry already exists; nothing was saved.',
      );
    });
  }

  /** Rewrites the one entry containing `oldText` as `content`. */
  async replace(target: NotesTarget, oldText: string, content: string): Promise<NotesResult> {
    const needle = oldText.trim();
    const text = normalizeContent(content);
    const early = checkNeedle(needle) ?? checkContent(target, text, this.limits[target]);
    if (early) return this.refuseEarly(target, early);
    return this.change(target, 'replace', text, (entries) => {
      const found = findUniqueEntry(target, entries, needle, this.limits[target]);
      if (typeof found !== 'number') return found;
      const same = entries.indexOf(text);
      if (same !== -1) {
        const message =
          same === found
            ? 'The new content is identical to the entry; nothing changed.'
            : `The new content already exists as entry ${same + 1}; use remove to drop entry ${found + 1} instead.`;
        return this.refuse(target, entries, 'duplicate', message);
      }
      return {
        entries: entries.map((entry, index) => (index === found ? text : entry)),
        entry: text,
      };
    });
  }

  /** Deletes the one entry containing `oldText`. */
  async remove(target: NotesTarget, oldText: string): Promise<NotesResult> {
    const needle = oldText.trim();
    const early = checkNeedle(needle);
    if (early) return this.refuseEarly(target, early);
    return this.change(target, 'remove', '', (entries) => {
      const found = findUniqueEntry(target, entries, needle, this.limits[target]);
      if (typeof found !== 'number') return found;
      return { entries: entries.filter((_, index) => index !== found), entry: entries[found]! };
    });
  }

  /** Under the lock: re-read, apply the edit, enforce the limit, replace the file. */
  private change(
    target: NotesTarget,
    action: NotesAction,
    content: string,
    edit: (entries: string[]) => Edit,
  ): Promise<NotesResult> {
    const path = this.path(target);
    return withFileLock(
      path,
      async () => {
        const entries = parseEntries(await readNotesFile(path));
        const result = edit(entries);
        if ('ok' in result) return result;
        const limit = this.limits[target];
        const used = usedChars(entries);
        const wouldUse = usedChars(result.entries);
        // A write that shrinks an over-full file (edited by hand) is consolidation: let it through.
        if (wouldUse > limit && wouldUse > used) {
          return fullAnswer(
            target,
            action,
            entries,
            limit,
            wouldUse,
            this.guard(target, content, used),
          );
        }
        await writeFileAtomic(path, serializeEntries(result.entries));
        if (wouldUse < used) this.refusedFull[target].clear();
        this.refusedFull[target].delete(content);
        return {
          ok: true,
          action,
          target,
          entry: result.entry,
          entryCount: result.entries.length,
          usage: usageOf(result.entries, limit),
          message: `Entry ${pastTense[action]} and saved; it shows in the system prompt from the next session. Done: do not repeat this call.`,
        };
      },
      this.lockOptions,
    );
  }

  /** Records a full refusal; true when the same content was refused before at no lower usage. */
  private guard(target: NotesTarget, content: string, used: number): boolean {
    const before = this.refusedFull[target].get(content);
    this.refusedFull[target].set(content, used);
    return before !== undefined && used >= before;
  }

  private async refuseEarly(target: NotesTarget, early: EarlyRefusal): Promise<NotesRefused> {
    const extra = early.threat ? { threat: early.threat } : {};
    return this.refuse(target, await this.entries(target), early.error, early.message, extra);
  }

  private refuse(
    target: NotesTarget,
    entries: readonly string[],
    error: NotesRefused['error'],
    message: string,
    extra: Pick<NotesRefused, 'threat'> = {},
  ): NotesRefused {
    return refused(target, entries, this.limits[target], error, message, extra);
  }
}

const pastTense: Record<NotesAction, string> = {
  add: 'added',
  replace: 'replaced',
  remove: 'removed',
};

function checkLimit(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw invalidInput(`${name} must be a positive integer`, { [name]: value });
  }
  return value;
}
