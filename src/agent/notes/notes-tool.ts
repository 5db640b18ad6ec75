import { z } from 'zod';
import type { AgentTool } from '../tools/tool.js';
import type { CuratedNotes } from './curated-notes.js';
import { formatCount, type NotesResult } from './notes-results.js';

/** Arguments of the `memory` tool. */
export const memoryToolSchema = z
  .object({
    action: z
      .enum(['add', 'replace', 'remove'])
      .describe('add a new entry, replace an existing one, or remove one'),
    target: z
      .enum(['memory', 'user'])
      .describe("'memory' for your own notes, 'user' for what you know about the user"),
    content: z.string().optional().describe('the entry text; required for add and replace'),
    old_text: z
      .string()
      .optional()
      .describe('a short substring found in exactly one entry; required for replace and remove'),
  })
  .superRefine((args, context) => {
    if (args.action !== 'remove' && (args.content ?? '').trim() === '') {
      context.addIssue({
        code: 'custom',
        path: ['content'],
        message: `content is required for ${args.action}`,
      });
    }
    if (args.action !== 'add' && (args.old_text ?? '').trim() === '') {
      context.addIssue({
        code: 'custom',
        path: ['old_text'],
        message: `old_text is required for ${args.action}`,
      });
    }
  });

export type MemoryToolArgs = z.infer<typeof memoryToolSchema>;

/** Runs a validated `memory` call against the notes; the provider wraps it with its own checks. */
export function applyMemoryAction(notes: CuratedNotes, args: MemoryToolArgs): Promise<NotesResult> {
  switch (args.action) {
    case 'add':
      return notes.add(args.target, args.content ?? '');
    case 'replace':
      return notes.replace(args.target, args.old_text ?? '', args.content ?? '');
    case 'remove':
      return notes.remove(args.target, args.old_text ?? '');
  }
}

/** What the model reads to decide when and how to use the tool. */
export function memoryToolDescription(limits: { memory: number; user: number }): string {
  return [
    'Curated notes that are put into your system prompt at the start of every future session.',
    "target 'memory': your own notes: environment facts, project conventions, tool quirks, lessons learned.",
    "target 'user': what you know about the user: name, role, preferences, communication style, habits.",
    'Save only what will still matter in later sessions, never task progress, never secrets, one fact per entry.',
    `Space is limited: memory ${formatCount(limits.memory)} and user ${formatCount(limits.user)} characters in total.`,
    'add: a new entry (content). replace: rewrite the entry containing old_text (a short unique substring) as content; use it to merge related entries. remove: delete the entry containing old_text.',
    'If the answer says full, consolidate (replace several related entries with one shorter one, or remove stale ones) and retry once; if it says to stop, tell the user instead.',
    'Writes are saved at once, but the notes in your system prompt stay as they were when this session started.',
  ].join('\n');
}

/** The `memory` tool, running each call through `run`. */
export function createMemoryTool(
  limits: { memory: number; user: number },
  run: (args: MemoryToolArgs) => Promise<NotesResult>,
): AgentTool<MemoryToolArgs> {
  return {
    name: 'memory',
    description: memoryToolDescription(limits),
    toolset: 'memory',
    schema: memoryToolSchema,
    execute: (args) => run(args),
  };
}
