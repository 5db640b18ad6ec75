import type { AddressObject, ParsedMail } from 'mailparser';
import { MnemosError } from '../../core/errors.js';
import type { InboundAttachment, InboundMessage } from '../platform/gateway-adapter.js';
import { stripQuotedReply } from './email-format.js';

/** Why a mail is not handed to the gateway, or null when it is. */
export type IgnoreReason = 'own address' | 'auto-reply' | 'mailer daemon' | 'no sender';

/** Senders that are systems, never people: bounces and delivery reports (loop protection). */
const daemonSender = /^(mailer-daemon|postmaster|mail-daemon|mailer|bounces?)([+-].*)?$/i;

/** The first address of an address header, lower-cased, with its display name. */
function firstAddress(
  value: AddressObject | AddressObject[] | undefined,
): { address: string; name: string | null } | null {
  const objects = Array.isArray(value) ? value : value ? [value] : [];
  for (const object of objects) {
    for (const entry of object.value) {
      if (entry.address) return { address: entry.address.toLowerCase(), name: entry.name || null };
    }
  }
  return null;
}

/** A header's value as one lower-cased string ('' when missing). */
function header(mail: ParsedMail, name: string): string {
  const value = mail.headers.get(name);
  return typeof value === 'string' ? value.trim().toLowerCase() : '';
}

/** Why this mail must not reach the agent (its own, an auto-reply, a bounce), or null. */
export function ignoreReason(mail: ParsedMail, ownAddress: string): IgnoreReason | null {
  const from = firstAddress(mail.from);
  if (!from) return 'no sender';
  if (from.address === ownAddress.toLowerCase()) return 'own address';
  const autoSubmitted = header(mail, 'auto-submitted');
  if (autoSubmitted !== '' && autoSubmitted !== 'no') return 'auto-reply';
  if (['bulk', 'list', 'junk'].includes(header(mail, 'precedence'))) return 'auto-reply';
  if (mail.headers.has('x-autoreply') || mail.headers.has('x-autorespond')) return 'auto-reply';
  if (daemonSender.test(from.address.split('@')[0] ?? '')) return 'mailer daemon';
  const type = mail.headers.get('content-type');
  if (
    typeof type === 'object' &&
    type !== null &&
    'value' in type &&
    type.value === 'multipart/report'
  ) {
    return 'mailer daemon';
  }
  return null;
}

/** The message ids of a `References` header, oldest first. */
export function referenceIds(mail: ParsedMail): string[] {
  const refs = mail.references;
  return (Array.isArray(refs) ? refs : refs ? [refs] : []).filter((id) => id.trim() !== '');
}

/** A parsed mail as the gateway's inbound message; `fallbackId` stands in for a missing Message-ID. */
export function toInboundMessage(mail: ParsedMail, fallbackId: string): InboundMessage {
  const from = firstAddress(mail.from);
  if (!from) throw new MnemosError('invalid_input', 'email: message has no From address');
  const messageId = mail.messageId?.trim() || fallbackId;
  const references = referenceIds(mail);
  // The thread root: the first reference, else what it answers, else the mail itself.
  const threadId = references[0] ?? mail.inReplyTo?.trim() ?? messageId;
  const context: Record<string, string> = {
    subject: mail.subject ?? '',
    messageId,
    references: references.join(' '),
  };
  if (mail.inReplyTo) context.inReplyTo = mail.inReplyTo.trim();
  return {
    platform: 'email',
    userId: from.address,
    userName: from.name,
    chatId: from.address,
    threadId,
    chatType: 'dm',
    text: stripQuotedReply(mail.text ?? ''),
    messageId,
    mentioned: true,
    // Related parts are images embedded in the HTML body, not files the sender attached.
    attachments: mail.attachments.filter((attachment) => !attachment.related).map(toAttachment),
    context,
  };
}

/** One attachment, its bytes already in memory (mailparser buffers them), size-checked on fetch. */
function toAttachment(attachment: ParsedMail['attachments'][number]): InboundAttachment {
  const bytes = new Uint8Array(attachment.content);
  const name = attachment.filename ?? 'attachment';
  return {
    name,
    mimeType: attachment.contentType || 'application/octet-stream',
    size: bytes.byteLength,
    async fetch(maxBytes: number) {
      if (bytes.byteLength > maxBytes) {
        throw new MnemosError(
          'payload_too_large',
          `email: attachment ${name} has ${bytes.byteLength} bytes, more than the ${maxBytes} allowed`,
        );
      }
      return bytes;
    },
  };
}
