import { z } from 'zod';
import type { SessionMessagePart } from './session-record.js';

/**
 * Most characters one tool result (or one call's arguments) keeps, as text or as its JSON: 64 Ki.
 * Longer ones are cut, and end in a marker saying so and how long they were, both for the model
 * and in the transcript.
 */
export const maxToolPartCharacters = 65_536;

/** Most parts one message holds (the calls of one model step, or their results). */
export const maxPartsPerMessage = 128;

const identifier = z.string().min(1).max(256);

/** A tool call or result as a session message part. */
export const messagePartSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('tool-call'),
      toolCallId: identifier,
      toolName: identifier,
      input: z.unknown(),
      truncatedFrom: z.number().int().positive().optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal('tool-result'),
      toolCallId: identifier,
      toolName: identifier,
      output: z.unknown(),
      isError: z.boolean(),
      truncatedFrom: z.number().int().positive().optional(),
    })
    .strict(),
]);

/** What {@link capToolValue} kept. */
export interface CappedValue {
  /** The value, or, when it was over the cap, its start as text ending in the marker. */
  value: unknown;
  /** Characters of the whole value when it was cut. */
  truncatedFrom?: number;
}

/** A tool value as text: strings as they are, anything else as JSON. */
export function toolValueText(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value ?? null) ?? 'null');
}

/**
 * Cuts a tool result or arguments longer than `limit` characters (as text, or as JSON) to its start
 * plus a visible marker, so whoever reads it knows it was cut and how long it was.
 */
export function capToolValue(value: unknown, limit = maxToolPartCharacters): CappedValue {
  const text = toolValueText(value);
  if (text.length <= limit) return { value };
  const marker = (kept: number) =>
    `\n[truncated by Mnemos: ${text.length} characters, the first ${kept} kept]`;
  let kept = Math.max(0, limit - marker(limit).length);
  // Never split a surrogate pair: half of one is not text.
  if (kept > 0 && /[\uD800-\uDBFF]/.test(text.charAt(kept - 1))) kept -= 1;
  return { value: `${text.slice(0, kept)}${marker(kept)}`, truncatedFrom: text.length };
}

/** How long a value cut by {@link capToolValue} was, read from its marker; undefined when not cut. */
export function truncatedLength(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /\n\[truncated by Mnemos: (\d+) characters, the first \d+ kept\]$/.exec(value);
  return match ? Number(match[1]) : undefined;
}

/** A part within the cap: an over-long output or input is cut with its marker (already cut ones fit). */
export function capPart(part: SessionMessagePart): SessionMessagePart {
  const capped = capToolValue(part.type === 'tool-call' ? part.input : part.output);
  if (capped.truncatedFrom === undefined) return part;
  const truncatedFrom = Math.max(part.truncatedFrom ?? 0, capped.truncatedFrom);
  return part.type === 'tool-call'
    ? { ...part, input: capped.value, truncatedFrom }
    : { ...part, output: capped.value, truncatedFrom };
}

/** Stored parts back from their JSON column; a malformed value reads as no parts. */
export function partsFromJson(json: string | null | undefined): SessionMessagePart[] {
  if (!json) return [];
  try {
    const value = JSON.parse(json) as unknown;
    return Array.isArray(value) ? (value as SessionMessagePart[]) : [];
  } catch {
    return [];
  }
}
