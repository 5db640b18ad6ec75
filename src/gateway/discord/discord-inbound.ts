import { cleanContent, type Message } from 'discord.js';
import { MnemosError } from '../../core/errors.js';
import type { InboundAttachment, InboundMessage } from '../platform/gateway-adapter.js';
import { readCapped } from '../platform/read-capped.js';

/** Which guilds and channels the bot listens in (empty lists allow all). */
export interface DiscordScope {
  allowedGuilds: string[];
  allowedChannels: string[];
}

/**
 * The gateway's view of a Discord message, or null when it is not for the gateway: the bot's own
 * or another bot's messages, system messages, and guilds or channels outside `scope`.
 */
export function toInboundMessage(
  message: Message,
  botId: string,
  scope: DiscordScope,
): InboundMessage | null {
  if (message.author.id === botId || message.author.bot || message.system) return null;
  const channel = message.channel;
  const thread = channel.isThread() ? channel : null;
  const chatId = thread?.parentId ?? message.channelId;
  const guildId = message.guildId;
  if (guildId !== null) {
    if (scope.allowedGuilds.length > 0 && !scope.allowedGuilds.includes(guildId)) return null;
    const channels = scope.allowedChannels;
    if (channels.length > 0 && !channels.includes(chatId) && !channels.includes(message.channelId))
      return null;
  }
  // Picking the bot in Discord's autocomplete often inserts its managed role instead of the user.
  const botRole = message.guild?.members.me?.roles.botRole?.id;
  const mentioned =
    guildId === null ||
    message.mentions.users.has(botId) ||
    (botRole !== undefined && message.mentions.roles.has(botRole)) ||
    message.mentions.repliedUser?.id === botId;
  const own = botRole !== undefined ? `<@!?${botId}>|<@&${botRole}>` : `<@!?${botId}>`;
  // Only the gap the mention leaves is closed: the rest (indented code, say) stays as typed.
  const withoutBot = message.content.replace(new RegExp(`[ \\t]*(?:${own})[ \\t]*`, 'gu'), ' ');
  const text = cleanContent(withoutBot, channel).trim();
  const context: Record<string, string> = {};
  if (guildId !== null) context.guildId = guildId;
  if (message.reference?.messageId) context.replyToMessageId = message.reference.messageId;
  return {
    platform: 'discord',
    userId: message.author.id,
    userName: message.member?.displayName ?? message.author.globalName ?? message.author.username,
    chatId,
    threadId: thread?.id ?? null,
    chatType: guildId === null ? 'dm' : 'group',
    text,
    messageId: message.id,
    mentioned,
    attachments: [...message.attachments.values()].map((attachment) =>
      discordAttachment(attachment.name, attachment.contentType, attachment.size, attachment.url),
    ),
    context,
  };
}

/** An attachment fetched lazily from Discord's CDN URL, refusing files over `maxBytes`. */
export function discordAttachment(
  name: string,
  contentType: string | null,
  size: number,
  url: string,
): InboundAttachment {
  return {
    name,
    mimeType: contentType ?? 'application/octet-stream',
    size,
    async fetch(maxBytes) {
      if (size > maxBytes) throw tooLarge(name, maxBytes);
      if (!/^https?:\/\//u.test(url))
        throw new MnemosError('invalid_input', `discord: attachment ${name}: not an http(s) URL`);
      const response = await fetch(url, { signal: AbortSignal.timeout(60_000) }).catch(
        (error: unknown) => {
          throw new MnemosError('upstream_error', `discord: attachment ${name}: ${String(error)}`, {
            category: 'upstream',
          });
        },
      );
      if (!response.ok || response.body === null) {
        await response.body?.cancel();
        throw new MnemosError(
          'upstream_error',
          `discord: attachment ${name}: HTTP ${response.status}`,
          { category: 'upstream' },
        );
      }
      return readCapped(response.body, maxBytes, () => tooLarge(name, maxBytes));
    },
  };
}

function tooLarge(name: string, maxBytes: number): MnemosError {
  return new MnemosError(
    'payload_too_large',
    `discord: attachment ${name} is larger than ${maxBytes} bytes`,
    { details: { name, maxBytes } },
  );
}
