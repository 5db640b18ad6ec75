import { scanForThreats, type ThreatFinding } from '../../text/injection-scan.js';
import { charCount, usedChars } from './notes-file.js';

/** Which curated file: `memory` (the agent's own notes) or `user` (what it knows about the user). */
export type NotesTarget = 'memory' | 'user';
/** The three writes the `memory` tool offers. */
export type NotesAction = 'add' | 'replace' | 'remove';

/** How full a curated file is, in code points (joiners between entries included). */
export interface NotesUsage {
  used: number;
  limit: number;
  /** `floor(used / limit * 100)`; above 100 when the file was edited past its limit by hand. */
  percent: number;
}

/** One entry as answers show it: 1-based position, length in code points and its text. */
export interface EntryInfo {
  index: number;
  length: number;
  text: string;
}

interface ResultBase {
  target: NotesTarget;
  usage: NotesUsage;
  /** One or two sentences for the model. */
  message: string;
}

/** A write that landed. `entry` is the entry as saved (add, replace) or as it was (remove). */
export interface NotesSaved extends ResultBase {
  ok: true;
  action: NotesAction;
  entry: string;
  entryCount: number;
}

/** A write refused because the file would exceed its limit; nothing was written. */
export interface NotesFull extends ResultBase {
  ok: false;
  error: 'full';
  action: NotesAction;
  /** Characters the file would have used after the write. */
  wouldUse: number;
  /** Every current entry, so the model can pick what to merge or drop. */
  entries: EntryInfo[];
  advice: string;
  /** The same content was refused before and nothing was consolidated since: stop, tell the user. */
  repeated: boolean;
}

/** Why a write was refused other than a full file. */
export type NotesRefusalCode =
  | 'duplicate'
  | 'no_match'
  | 'ambiguous'
  | 'invalid'
  | 'too_long'
  | 'unsafe'
  | 'read_only';

/** A write refused for another reason than size; nothing was written. */
export interface NotesRefused extends ResultBase {
  ok: false;
  error: NotesRefusalCode;
  /** Brief list of entries (no_match) or the candidates (ambiguous). */
  entries?: EntryInfo[];
  threat?: ThreatFinding;
}

/** What every write of curated notes answers; JSON-able, handed to the model as is. */
export type NotesResult = NotesSaved | NotesFull | NotesRefused;

/** The advice of a `full` answer. */
export const CONSOLIDATE_ADVICE =
  'consolidate: replace several related entries with one shorter entry, or remove stale ones, then retry';
/** The advice of a `full` answer the loop guard caught. */
export const STOP_ADVICE =
  'stop: do not retry this write; tell the user the memory is full and ask which notes to merge or drop';

/** Display names of the targets, as in the system prompt headers. */
export const TARGET_TITLES: Record<NotesTarget, string> = {
  memory: 'MEMORY',
  user: 'USER PROFILE',
};

/** Usage of a list of entries against a limit. */
export function usageOf(entries: readonly string[], limit: number): NotesUsage {
  const used = usedChars(entries);
  return { used, limit, percent: Math.floor((used * 100) / limit) };
}

/** `1,474`: thousands separated by commas, independent of the locale. */
export function formatCount(value: number): string {
  return String(value).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** `MEMORY [67% — 1,474/2,200 chars]`. */
export function usageHeader(target: NotesTarget, usage: NotesUsage): string {
  return `${TARGET_TITLES[target]} [${usage.percent}% — ${formatCount(usage.used)}/${formatCount(usage.limit)} chars]`;
}

/**
 * An entry safe to show the model: one that fails the injection scan (edited into the file by hand
 * or by another tool) is replaced by a placeholder, so it cannot reach the prompt through us.
 */
export function displayEntry(entry: string, target: NotesTarget): string {
  const threat = scanForThreats(entry);
  if (threat === null) return entry;
  const file = target === 'user' ? 'USER.md' : 'MEMORY.md';
  return `[blocked entry: flagged as ${threat.category} (${threat.id}); ask the user to review ${file}]`;
}

/** Entries as answers show them; `preview` cuts each text to that many code points. */
export function entryInfos(
  entries: readonly string[],
  target: NotesTarget,
  options: { preview?: number; only?: readonly number[] } = {},
): EntryInfo[] {
  const indexes = options.only ?? entries.map((_, index) => index);
  return indexes.map((index) => {
    const entry = entries[index] ?? '';
    let text = displayEntry(entry, target);
    if (options.preview !== undefined && charCount(text) > options.preview) {
      text = `${[...text].slice(0, options.preview).join('')}…`;
    }
    return { index: index + 1, length: charCount(entry), text };
  });
}

/** A refusal with the current usage. */
export function refused(
  target: NotesTarget,
  entries: readonly string[],
  limit: number,
  error: NotesRefusalCode,
  message: string,
  extra: Pick<NotesRefused, 'entries' | 'threat'> = {},
): NotesRefused {
  return { ok: false, error, target, usage: usageOf(entries, limit), message, ...extra };
}
