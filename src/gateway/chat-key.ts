import type { InboundMessage } from './platform/gateway-adapter.js';

/** The session key of a chat: `<platform>:<dm|group>:<chatId>[:<threadId>]`, one per chat or thread. */
export function chatKey(message: InboundMessage): string {
  const base = `${message.platform}:${message.chatType}:${message.chatId}`;
  return message.threadId ? `${base}:${message.threadId}` : base;
}
