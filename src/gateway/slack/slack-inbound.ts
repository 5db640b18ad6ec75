import { MnemosError } from '../../core/errors.js';
import type { InboundAttachment, InboundMessage } from '../platform/gateway-adapter.js';
import { mentionsUser, slackTextToPlain } from './slack-format.js';

/** Message subtypes that carry a person's words; edits, joins, bot posts and the rest are skipped. */
const userSubtypes = new Set(['file_share', 'thread_broadcast']);

/** What turning a Slack event into a message needs besides the event. */
export interface InboundContext {
  botUserId: string;
  /** The sender's display name, when it can be found. */
  userName(userId: string): Promise<string | null>;
  /** Downloads a private file with the bot token (at most `maxBytes`). */
  download(url: string, name: string, maxBytes: number): Promise<Uint8Array>;
}

/**
 * A `message` or `app_mention` event → the gateway's message, or null for events that are not a
 * person writing (the bot itself, other bots, edits, deletions, joins, malformed payloads).
 */
export async function slackEventToInbound(
  event: unknown,
  context: InboundContext,
): Promise<InboundMessage | null> {
  if (typeof event !== 'object' || event === null) return null;
  const e = event as Record<string, unknown>;
  const user = str(e.user);
  const channel = str(e.channel);
  const ts = str(e.ts);
  if (
    (e.type !== 'message' && e.type !== 'app_mention') ||
    user === null ||
    channel === null ||
    ts === null
  )
    return null;
  if (e.subtype !== undefined && !userSubtypes.has(String(e.subtype))) return null;
  if (e.bot_id !== undefined || user === context.botUserId) return null;
  const raw = str(e.text) ?? '';
  // app_mention events carry no channel_type; DM channel ids start with D.
  const channelType = str(e.channel_type) ?? (channel.startsWith('D') ? 'im' : 'channel');
  const dm = channelType === 'im';
  const threadTs = str(e.thread_ts);
  const mentioned =
    dm ||
    e.type === 'app_mention' ||
    mentionsUser(raw, context.botUserId) ||
    e.parent_user_id === context.botUserId;
  return {
    platform: 'slack',
    userId: user,
    userName: await context.userName(user),
    chatId: channel,
    // In channels a reply goes into the message's thread, started on the message itself if need be.
    threadId: threadTs ?? (dm ? null : ts),
    chatType: dm ? 'dm' : 'group',
    text: slackTextToPlain(raw, context.botUserId),
    messageId: ts,
    mentioned,
    attachments: Array.isArray(e.files) ? e.files.flatMap((file) => attachment(file, context)) : [],
    context: { ts, channel_type: channelType, ...(threadTs ? { thread_ts: threadTs } : {}) },
  };
}

/** One entry of `files[]` as a lazy attachment; entries without a download URL are skipped. */
function attachment(file: unknown, context: InboundContext): InboundAttachment[] {
  if (typeof file !== 'object' || file === null) return [];
  const f = file as Record<string, unknown>;
  const url = str(f.url_private_download) ?? str(f.url_private);
  if (url === null) return [];
  const name = str(f.name) ?? str(f.title) ?? 'file';
  const size =
    typeof f.size === 'number' && Number.isSafeInteger(f.size) && f.size >= 0 ? f.size : null;
  return [
    {
      name,
      mimeType: str(f.mimetype) ?? 'application/octet-stream',
      size,
      fetch: async (maxBytes) => {
        if (size !== null && size > maxBytes) throw tooLarge(name, maxBytes);
        return context.download(url, name, maxBytes);
      },
    },
  ];
}

/** The error of a file over the gateway's size limit. */
export function tooLarge(name: string, maxBytes: number): MnemosError {
  return new MnemosError(
    'payload_too_large',
    `slack: file ${name} is larger than ${maxBytes} bytes`,
    {
      details: { name, maxBytes },
    },
  );
}

function str(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}
