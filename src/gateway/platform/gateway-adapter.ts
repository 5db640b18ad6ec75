import type { GatewayPlatform } from '../../core/gateway-record.js';

export { type GatewayPlatform, gatewayPlatforms } from '../../core/gateway-record.js';

/** A file that came with a message; fetched only when the gateway saves it. */
export interface InboundAttachment {
  /** File name as sent (sanitised by the gateway before it is written). */
  name: string;
  /** MIME type, `application/octet-stream` when unknown. */
  mimeType: string;
  /** Size in bytes when the platform says, else null. */
  size: number | null;
  /** Downloads the bytes (at most `maxBytes`; larger files fail). */
  fetch(maxBytes: number): Promise<Uint8Array>;
}

/** A message someone sent the bot, in the platform's own ids. */
export interface InboundMessage {
  platform: GatewayPlatform;
  /** The sender's platform id: Telegram user id, Slack `U…`, Discord snowflake, lower-cased email address. */
  userId: string;
  /** Display name, when the platform gives one. */
  userName: string | null;
  /** Chat, channel or DM id where the reply goes; email: the sender's address. */
  chatId: string;
  /** Thread (Slack `thread_ts`, Telegram topic, Discord thread, email thread root), or null. */
  threadId: string | null;
  /** `dm` for one-to-one chats (email is always `dm`). */
  chatType: 'dm' | 'group';
  /** Plain text of the message, with the bot's own mention removed. */
  text: string;
  /** The platform's id of this message (email: Message-ID). */
  messageId: string;
  /** In a group: whether the bot was mentioned or replied to. */
  mentioned: boolean;
  attachments: InboundAttachment[];
  /** Email: `subject`, `references`; others as needed to thread a reply. */
  context: Record<string, string>;
}

/** A reply or notification to send; `text` is Markdown as the agent writes it. */
export interface OutboundMessage {
  chatId: string;
  threadId?: string | null;
  text: string;
  /** The message this answers (threading, email `In-Reply-To`). */
  replyTo?: InboundMessage;
  /** Email subject (notifications); replies derive it from `replyTo`. */
  subject?: string;
}

/** Called by an adapter for every message it receives; the gateway's pipeline. */
export type InboundHandler = (message: InboundMessage) => Promise<void>;

/**
 * One platform connection. The adapter owns the wire protocol (library, polling or sockets) and
 * the platform's formatting: `send` turns the agent's Markdown into the platform's markup and
 * splits it within the platform's length limit.
 */
export interface GatewayAdapter {
  readonly platform: GatewayPlatform;
  /** Connects and starts delivering messages to `handler`; resolves once connected. */
  start(handler: InboundHandler): Promise<void>;
  /** Sends a message (split as needed); returns the platform ids of what was sent. */
  send(message: OutboundMessage): Promise<string[]>;
  /** Shows "typing…" in a chat where the platform has it; a no-op elsewhere. */
  typing(chatId: string, threadId?: string | null): Promise<void>;
  /** Disconnects; pending sends finish first. */
  stop(): Promise<void>;
}

/** What the gateway gives an adapter factory besides the platform's config block. */
export interface AdapterOptions {
  /**
   * Reads a secret the config names (`token_env`, …) from the environment or `.env`; undefined when
   * unset. A factory missing a required secret throws `config_error` naming the variable.
   */
  secret(name: string): string | undefined;
  log(level: 'info' | 'warn' | 'debug', message: string): void;
}
