import { ENTRY_JOINER } from './notes-file.js';
import { displayEntry, type NotesTarget, usageHeader, usageOf } from './notes-results.js';

/** One target's block: the usage header, then its entries joined by `§` lines. */
export function renderNotesBlock(
  target: NotesTarget,
  entries: readonly string[],
  limit: number,
): string {
  const header = usageHeader(target, usageOf(entries, limit));
  if (entries.length === 0) return `${header}\n(empty)`;
  const body = entries.map((entry) => displayEntry(entry, target)).join(ENTRY_JOINER);
  return `${header}\n${body}`;
}

/** Both blocks, memory first, separated by a blank line: the snapshot text of the system prompt. */
export function renderSnapshot(
  memory: { entries: readonly string[]; limit: number },
  user: { entries: readonly string[]; limit: number },
): string {
  return `${renderNotesBlock('memory', memory.entries, memory.limit)}\n\n${renderNotesBlock('user', user.entries, user.limit)}`;
}
