import { createHash, randomInt } from 'node:crypto';

/** Letters and digits of pairing codes: no 0/O or 1/I, which read alike. */
const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** Length of a pairing code. */
export const pairingCodeLength = 8;

/** A fresh pairing code from the crypto random source. */
export function newPairingCode(): string {
  let code = '';
  for (let i = 0; i < pairingCodeLength; i++) code += alphabet[randomInt(alphabet.length)];
  return code;
}

/** What is stored of a code: the SHA-256 (hex) of its upper-cased, trimmed form. */
export function pairingCodeHash(code: string): string {
  return createHash('sha256').update(code.trim().toUpperCase()).digest('hex');
}
