import { redactSecrets } from '../../redaction/redactor.js';
import { scanForThreats, type ThreatFinding, threatRefusal } from '../../text/injection-scan.js';
import { charCount, hasSeparatorLine } from './notes-file.js';
import {
  CONSOLIDATE_ADVICE,
  entryInfos,
  formatCount,
  type NotesAction,
  type NotesFull,
  type NotesRefused,
  type NotesTarget,
  refused,
  STOP_ADVICE,
  TARGET_TITLES,
  usageOf,
} from './notes-results.js';

/** A refusal decided from the arguments alone, before the file is read. */
export interface EarlyRefusal {
  error: 'invalid' | 'too_long' | 'unsafe';
  message: string;
  threat?: ThreatFinding;
}

/**
 * Trimmed content with Windows line ends folded and secrets replaced by `[REDACTED:<kind>]`, as it
 * is stored and compared: notes are memory too, and a secret never reaches a notes file.
 */
export function normalizeContent(content: string): string {
  return redactSecrets(content.replace(/\r\n?/g, '\n').trim());
}

/** Why a new entry cannot be saved whatever the file holds: empty, separator, too long, unsafe. */
export function checkContent(
  target: NotesTarget,
  text: string,
  limit: number,
): EarlyRefusal | null {
  if (text === '') return { error: 'invalid', message: 'Content is empty; nothing was saved.' };
  if (hasSeparatorLine(text)) {
    return {
      error: 'invalid',
      message:
        'Content may not contain a line holding only "§": that line separates entries. Save one entry per call.',
    };
  }
  const length = charCount(text);
  if (length > limit) {
    return {
      error: 'too_long',
      message: `This entry alone is ${formatCount(length)} chars, more than the whole ${TARGET_TITLES[target]} limit of ${formatCount(limit)}; write a much shorter entry.`,
    };
  }
  const threat = scanForThreats(text);
  return threat ? { error: 'unsafe', message: threatRefusal(threat), threat } : null;
}

/** Why an `old_text` cannot select an entry whatever the file holds. */
export function checkNeedle(needle: string): EarlyRefusal | null {
  return needle === ''
    ? { error: 'invalid', message: 'old_text is empty; give a short substring of the entry.' }
    : null;
}

/** Index of the one entry containing `needle`, or the no-match / ambiguous refusal. */
export function findUniqueEntry(
  target: NotesTarget,
  entries: readonly string[],
  needle: string,
  limit: number,
): number | NotesRefused {
  const matches = entries.flatMap((entry, index) => (entry.includes(needle) ? [index] : []));
  const first = matches[0];
  if (first === undefined) {
    const message =
      entries.length === 0
        ? `No entry matched "${needle}": ${TARGET_TITLES[target]} has no entries.`
        : `No entry matched "${needle}". Use a substring of one of the entries listed.`;
    return refused(target, entries, limit, 'no_match', message, {
      entries: entryInfos(entries, target, { preview: 80 }),
    });
  }
  // Identical entries (a hand-edited file) count as one for matching: the first is taken.
  if (matches.every((index) => entries[index] === entries[first])) return first;
  return refused(
    target,
    entries,
    limit,
    'ambiguous',
    `"${needle}" matches ${matches.length} entries; give a longer substring that only one of them contains.`,
    { entries: entryInfos(entries, target, { only: matches }) },
  );
}

/** The answer to a write that would overflow the file; `repeated` is the loop guard's verdict. */
export function fullAnswer(
  target: NotesTarget,
  action: NotesAction,
  entries: readonly string[],
  limit: number,
  wouldUse: number,
  repeated: boolean,
): NotesFull {
  const usage = usageOf(entries, limit);
  const title = TARGET_TITLES[target];
  const counts = `${formatCount(usage.used)}/${formatCount(limit)} chars used; this write would make it ${formatCount(wouldUse)}, so ${formatCount(wouldUse - limit)} must be freed first`;
  const message = repeated
    ? `${title} is still full (${counts}). This same content was already refused and nothing has been consolidated since: stop retrying and tell the user that ${title} is full.`
    : `${title} is full (${counts}). Nothing was saved.`;
  return {
    ok: false,
    error: 'full',
    action,
    target,
    usage,
    wouldUse,
    entries: entryInfos(entries, target),
    advice: repeated ? STOP_ADVICE : CONSOLIDATE_ADVICE,
    repeated,
    message,
  };
}
