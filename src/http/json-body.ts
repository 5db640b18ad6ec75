import type { Context } from 'hono';
import { MnemosError } from '../core/errors.js';
import { rejectUnstorable } from '../core/schemas.js';

const jsonType = /^application\/([\w.-]+\+)?json$/i;

/**
 * Checks a JSON request body before any route reads it: its raw bytes must be UTF-8 (a decoder
 * that is not fatal would store invalid bytes as U+FFFD), and the parsed value may hold no NUL,
 * lone surrogate or reserved key (`__proto__`, …) anywhere. Malformed JSON is left to the route's
 * validator, which answers it. The body stays readable: Hono caches what was read.
 */
export async function checkJsonBody(c: Context): Promise<void> {
  if (c.req.method === 'GET' || c.req.method === 'HEAD') return;
  const mediaType = (c.req.header('content-type') ?? '').split(';')[0]!.trim();
  if (!jsonType.test(mediaType)) return;
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const offset = firstInvalidByte(bytes);
    throw new MnemosError(
      'invalid_input',
      `request body is not valid UTF-8 (first invalid byte at offset ${offset}): send JSON encoded as UTF-8`,
      { details: { offset } },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return;
  }
  rejectUnstorable(parsed, 'request body');
}

/** Offset of the first byte that starts no valid UTF-8 sequence (found by halving). */
function firstInvalidByte(bytes: Uint8Array): number {
  const valid = (end: number): boolean => {
    try {
      // A sequence cut at `end` is incomplete, not invalid: `stream` accepts it.
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, end), { stream: true });
      return true;
    } catch {
      return false;
    }
  };
  let low = 0;
  let high = bytes.length;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (valid(middle)) low = middle;
    else high = middle - 1;
  }
  return low;
}
