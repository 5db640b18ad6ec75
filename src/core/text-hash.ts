import { createHash } from 'node:crypto';

/** Content hash used for exact-duplicate detection: NFKC, lowercased, whitespace collapsed. */
export function textHash(text: string): string {
  const normalised = text.normalize('NFKC').toLowerCase().replace(/\s+/gu, ' ').trim();
  return createHash('sha256').update(normalised).digest('hex');
}
