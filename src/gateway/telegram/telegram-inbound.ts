import type { Api } from 'grammy';
import type { Message, MessageEntity, UserFromGetMe } from 'grammy/types';
import { MnemosError } from '../../core/errors.js';
import type { InboundAttachment, InboundMessage } from '../platform/gateway-adapter.js';
import { readCapped } from '../platform/read-capped.js';

/** What turning an update into an inbound message needs besides the message. */
export interface InboundContext {
  me: UserFromGetMe;
  api: Api;
  /** Bot API root, for file downloads. */
  apiRoot: string;
  token: string;
}

/**
 * The inbound message for a Telegram message, or null when it is not for the agent: sent by a bot
 * (this one included), in a channel, or with neither text nor a file.
 */
export function toInboundMessage(message: Message, context: InboundContext): InboundMessage | null {
  const from = message.from;
  if (from === undefined || from.is_bot || from.id === context.me.id) return null;
  const type = message.chat.type;
  if (type !== 'private' && type !== 'group' && type !== 'supergroup') return null;
  const raw = message.text ?? message.caption ?? '';
  const entities = message.entities ?? message.caption_entities ?? [];
  const attachments = attachmentsOf(message, context);
  if (raw.trim() === '' && attachments.length === 0) return null;
  const { text, mentioned } = stripMention(raw, entities, context.me);
  const reply = message.reply_to_message;
  // In a forum topic every message "replies" to the topic's first message; that is no reply.
  const realReply =
    reply !== undefined &&
    !(message.is_topic_message && reply.message_id === message.message_thread_id);
  const repliedToBot = realReply && reply?.from?.id === context.me.id;
  const name = [from.first_name, from.last_name].filter(Boolean).join(' ');
  const contextFields: Record<string, string> = {};
  if (from.username !== undefined) contextFields.username = from.username;
  if ('title' in message.chat && message.chat.title !== undefined)
    contextFields.chatTitle = message.chat.title;
  return {
    platform: 'telegram',
    userId: String(from.id),
    userName: from.username ?? (name === '' ? null : name),
    chatId: String(message.chat.id),
    threadId:
      message.is_topic_message && message.message_thread_id !== undefined
        ? String(message.message_thread_id)
        : null,
    chatType: type === 'private' ? 'dm' : 'group',
    text,
    messageId: String(message.message_id),
    mentioned: mentioned || repliedToBot,
    attachments,
    context: contextFields,
  };
}

/** Removes `@botname` mentions (and `/command@botname` suffixes) and says whether there was one. */
export function stripMention(
  text: string,
  entities: MessageEntity[],
  me: UserFromGetMe,
): { text: string; mentioned: boolean } {
  const handle = `@${me.username}`.toLowerCase();
  const cuts: Array<{ offset: number; length: number }> = [];
  let mentioned = false;
  for (const entity of entities) {
    const part = text.slice(entity.offset, entity.offset + entity.length);
    if (entity.type === 'mention' && part.toLowerCase() === handle) {
      mentioned = true;
      cuts.push(entity);
    } else if (entity.type === 'text_mention' && entity.user.id === me.id) {
      mentioned = true;
    } else if (entity.type === 'bot_command' && part.toLowerCase().endsWith(handle)) {
      mentioned = true;
      cuts.push({ offset: entity.offset + entity.length - handle.length, length: handle.length });
    }
  }
  let out = text;
  for (const cut of [...cuts].sort((a, b) => b.offset - a.offset))
    out = out.slice(0, cut.offset) + out.slice(cut.offset + cut.length);
  // Clients that send no entities: match the handle as a word.
  const bare = new RegExp(`(^|[^\\w@])@${escapeRegExp(me.username)}(?![\\w])`, 'giu');
  if (bare.test(out)) {
    mentioned = true;
    out = out.replace(bare, '$1');
  }
  return { text: out.replace(/[ \t]{2,}/gu, ' ').trim(), mentioned };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&');
}

function attachmentsOf(message: Message, context: InboundContext): InboundAttachment[] {
  const out: InboundAttachment[] = [];
  const document = message.document;
  if (document !== undefined)
    out.push(
      attachment(context, document.file_id, {
        name: document.file_name ?? `document-${document.file_unique_id}`,
        mimeType: document.mime_type ?? 'application/octet-stream',
        size: document.file_size ?? null,
      }),
    );
  const photos = message.photo ?? [];
  const largest = photos.reduce<(typeof photos)[number] | undefined>(
    (best, photo) =>
      best === undefined || photo.width * photo.height > best.width * best.height ? photo : best,
    undefined,
  );
  if (largest !== undefined)
    out.push(
      attachment(context, largest.file_id, {
        name: `photo-${largest.file_unique_id}.jpg`,
        mimeType: 'image/jpeg',
        size: largest.file_size ?? null,
      }),
    );
  return out;
}

function attachment(
  context: InboundContext,
  fileId: string,
  meta: { name: string; mimeType: string; size: number | null },
): InboundAttachment {
  const tooBig = (size: number, maxBytes: number) =>
    new MnemosError(
      'payload_too_large',
      `telegram: ${meta.name} is ${size} bytes, more than ${maxBytes}`,
      {
        details: { size, maxBytes },
      },
    );
  return {
    ...meta,
    async fetch(maxBytes) {
      if (meta.size !== null && meta.size > maxBytes) throw tooBig(meta.size, maxBytes);
      const file = await context.api.getFile(fileId);
      if (file.file_size !== undefined && file.file_size > maxBytes)
        throw tooBig(file.file_size, maxBytes);
      if (file.file_path === undefined)
        throw new MnemosError('upstream_error', `telegram: no download path for ${meta.name}`, {
          category: 'upstream',
        });
      return download(
        `${context.apiRoot}/file/bot${context.token}/${file.file_path}`,
        maxBytes,
        meta.name,
        tooBig,
      );
    },
  };
}

async function download(
  url: string,
  maxBytes: number,
  name: string,
  tooBig: (size: number, maxBytes: number) => MnemosError,
): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok || response.body === null) {
    await response.body?.cancel();
    // The URL holds the token: never put it in the message.
    throw new MnemosError(
      'upstream_error',
      `telegram: downloading ${name} failed with HTTP ${response.status}`,
      {
        category: 'upstream',
      },
    );
  }
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    await response.body.cancel();
    throw tooBig(declared, maxBytes);
  }
  return readCapped(response.body, maxBytes, (bytes) => tooBig(bytes, maxBytes));
}
