import type { PairingOutcome } from '../messaging/messaging-service.js';

/** The reply to any failure: short, no details (those go to the log). */
export const apologyText = 'Sorry, something went wrong while answering. Please try again later.';

/** The reply to a message longer than one turn may be. */
export function tooLongText(length: number, limit: number): string {
  return `That message is too long for me (${length} characters; at most ${limit}). Please send a shorter one, or attach it as a file.`;
}

/** The reply to a user over the rate limit, once per minute. */
export const slowDownText = 'Please slow down: too many messages in a minute. Try again shortly.';

/** What an unknown person is told about pairing. */
export function pairingText(outcome: PairingOutcome, ttlMinutes: number): string {
  switch (outcome.status) {
    case 'new':
      return `Hi! I don't know you yet. Your pairing code is ${outcome.code} (valid for ${ttlMinutes} minutes): ask the owner to run \`mnemos gateway pair ${outcome.code}\`.`;
    case 'already_sent':
      return 'A pairing code was already sent to you: ask the owner to run `mnemos gateway pair CODE` with it.';
    case 'busy':
      return 'Too many pairing requests are waiting for the owner; please try again later.';
  }
}
