import { setTimeout as sleep } from 'node:timers/promises';
import {
  Client,
  DiscordAPIError,
  DiscordjsErrorCodes,
  Events,
  GatewayIntentBits,
  type Message,
  Partials,
  RateLimitError,
  Routes,
} from 'discord.js';
import type { GatewayConfig } from '../../config/gateway-config.js';
import { MnemosError } from '../../core/errors.js';
import type {
  AdapterOptions,
  GatewayAdapter,
  InboundHandler,
  OutboundMessage,
} from '../platform/gateway-adapter.js';
import { requireSecret } from '../platform/require-secret.js';
import { discordMessagePieces } from './discord-format.js';
import { toInboundMessage } from './discord-inbound.js';

/** The `discord` block of the gateway configuration. */
export type DiscordConfig = GatewayConfig['platforms']['discord'];

/** How many times one REST call is retried after a 429 before the send fails. */
const rateLimitRetries = 3;
/** A 429 asking to wait longer than this fails the send instead of stalling the chat. */
const maxRateLimitWaitMs = 60_000;
/** How long `start` waits for the gateway to become ready. */
const readyTimeoutMs = 60_000;

/**
 * The Discord adapter (discord.js 14): logs in over the gateway with the Guilds, GuildMessages,
 * DirectMessages and MessageContent intents, hands user messages to the gateway, and sends replies
 * and typing over REST. A 429 is retried after its `Retry-After`, at most three times.
 */
export async function createDiscordAdapter(
  config: DiscordConfig,
  options: AdapterOptions,
): Promise<GatewayAdapter> {
  const token = requireSecret(options, 'discord', config.token_env);
  const client = new Client({
    intents: [
      GatewayIntentBits.Guilds,
      GatewayIntentBits.GuildMessages,
      GatewayIntentBits.DirectMessages,
      GatewayIntentBits.MessageContent,
    ],
    // DM channels are not cached before their first message; without this those messages are dropped.
    partials: [Partials.Channel],
    // Every rate limit comes back as a RateLimitError so that retries stay bounded (`rest` below).
    rest: { api: config.api_url, version: '10', rejectOnRateLimit: () => true },
  });
  const scope = { allowedGuilds: config.allowed_guilds, allowedChannels: config.allowed_channels };
  const pending = new Set<Promise<unknown>>();
  let started = false;

  /** Runs one REST call, waiting out 429s a bounded number of times. */
  async function rest<T>(what: string, call: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        if (!(error instanceof RateLimitError)) throw upstream(what, error);
        const wait = Math.max(error.retryAfter, error.sublimitTimeout, 0);
        if (attempt >= rateLimitRetries || wait > maxRateLimitWaitMs)
          throw new MnemosError(
            'rate_limited',
            `discord: ${what}: still rate limited after ${attempt + 1} tries (retry after ${wait} ms)`,
            { category: 'upstream', details: { retryAfterMs: wait } },
          );
        options.log('debug', `discord: ${what}: rate limited, retrying in ${wait} ms`);
        await sleep(wait);
      }
    }
  }

  /** DM channels opened for user ids given as a chat id (a `home_chat` naming a person). */
  const dmChannels = new Map<string, string>();

  /** Posts one message; a user id in place of a channel id is sent to that user's DM channel. */
  async function post(channelId: string, body: object): Promise<{ id: string }> {
    const where = dmChannels.get(channelId) ?? channelId;
    const send = () =>
      rest(`sending to channel ${where}`, () =>
        client.rest.post(Routes.channelMessages(where), { body }),
      ) as Promise<{ id: string }>;
    try {
      return await send();
    } catch (error) {
      if (where !== channelId || !isUnknownChannel(error)) throw error;
      const dm = (await rest(`opening a DM with ${channelId}`, () =>
        client.rest.post(Routes.userChannels(), { body: { recipient_id: channelId } }),
      ).catch(() => {
        throw error;
      })) as { id: string };
      dmChannels.set(channelId, dm.id);
      return post(channelId, body);
    }
  }

  function track<T>(work: Promise<T>): Promise<T> {
    pending.add(work);
    void work.catch(() => {}).finally(() => pending.delete(work));
    return work;
  }

  return {
    platform: 'discord',

    async start(handler: InboundHandler) {
      if (started) throw new MnemosError('conflict', 'discord: the adapter is already started');
      started = true;
      client.on(Events.MessageCreate, (message: Message) => {
        const botId = client.user?.id;
        if (botId === undefined) return;
        let inbound: ReturnType<typeof toInboundMessage>;
        try {
          inbound = toInboundMessage(message, botId, scope);
        } catch (error) {
          // A message of an unexpected shape must not throw inside discord.js's event loop.
          options.log('warn', `discord: could not read message ${message.id}: ${String(error)}`);
          return;
        }
        if (inbound === null) return;
        void handler(inbound).catch((error: unknown) => {
          options.log(
            'warn',
            `discord: handling message ${inbound.messageId} failed: ${String(error)}`,
          );
        });
      });
      client.on(Events.Error, (error) => options.log('warn', `discord: ${error.message}`));
      client.on(Events.ShardError, (error) =>
        options.log('warn', `discord: gateway: ${error.message}`),
      );
      client.on(Events.ShardDisconnect, (event) =>
        options.log(
          'warn',
          `discord: the gateway closed the connection for good (code ${event.code}); no more messages arrive until the gateway restarts`,
        ),
      );
      const ready = new Promise<void>((resolve) =>
        client.once(Events.ClientReady, () => resolve()),
      );
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new MnemosError('upstream_error', 'discord: the gateway did not become ready', {
                category: 'upstream',
              }),
            ),
          readyTimeoutMs,
        );
      });
      const login = client.login(token).then(() => ready);
      // After a timeout the login may still fail; that rejection is already answered.
      login.catch(() => {});
      try {
        await Promise.race([login, timeout]);
      } catch (error) {
        await client.destroy();
        throw loginError(error, config.token_env);
      } finally {
        clearTimeout(timer);
      }
      options.log('info', `discord: connected as ${client.user?.tag ?? 'unknown'}`);
    },

    async send(message: OutboundMessage) {
      const channelId = channelOf(message.chatId, message.threadId);
      const pieces = discordMessagePieces(message.text);
      const answered =
        message.replyTo?.platform === 'discord' ? message.replyTo.messageId : undefined;
      return track(
        (async () => {
          const ids: string[] = [];
          for (const [index, content] of pieces.entries()) {
            const replyTo = index === 0 ? answered : undefined;
            const body = {
              content,
              allowed_mentions: { parse: [], replied_user: false },
              ...(replyTo !== undefined
                ? { message_reference: { message_id: replyTo, fail_if_not_exists: false } }
                : {}),
            };
            ids.push((await post(channelId, body)).id);
          }
          return ids;
        })(),
      );
    },

    async typing(chatId: string, threadId?: string | null) {
      const channelId = channelOf(chatId, threadId);
      await rest(`typing in channel ${channelId}`, () =>
        client.rest.post(Routes.channelTyping(channelId)),
      );
    },

    async stop() {
      await Promise.allSettled([...pending]);
      await client.destroy();
    },
  };
}

/** The channel a message goes to (the thread when there is one), checked to be a snowflake. */
function channelOf(chatId: string, threadId: string | null | undefined): string {
  const channelId = threadId ?? chatId;
  if (!/^\d{17,20}$/u.test(channelId))
    throw new MnemosError(
      'invalid_input',
      `discord: channel id must be a snowflake, got ${JSON.stringify(channelId.slice(0, 40))}`,
      {
        details: { chatId, threadId: threadId ?? null },
      },
    );
  return channelId;
}

/** Whether a failed call was Discord's 404 Unknown Channel (code 10003). */
function isUnknownChannel(error: unknown): boolean {
  const cause = MnemosError.isInstance(error) ? error.cause : error;
  return cause instanceof DiscordAPIError && cause.code === 10003;
}

/** A REST failure as a MnemosError naming what was being done. */
function upstream(what: string, error: unknown): MnemosError {
  if (MnemosError.isInstance(error)) return error;
  const status =
    error instanceof DiscordAPIError ? ` (HTTP ${error.status}, code ${error.code})` : '';
  const text = error instanceof Error ? error.message : String(error);
  return new MnemosError('upstream_error', `discord: ${what}: ${text}${status}`, {
    category: 'upstream',
    cause: error,
  });
}

/** Login failures in words a person can act on. */
function loginError(error: unknown, tokenEnv: string): MnemosError {
  if (MnemosError.isInstance(error)) return error;
  const text = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown })?.code;
  if (code === DiscordjsErrorCodes.TokenInvalid || text === 'Authentication failed')
    return new MnemosError(
      'unauthorized',
      `discord: the bot token was refused; check ${tokenEnv}`,
      {
        cause: error,
      },
    );
  if (text === 'Used disallowed intents')
    return new MnemosError(
      'config_error',
      'discord: the Message Content intent is not enabled; turn it on under Bot → Privileged Gateway Intents in the Developer Portal',
      { cause: error },
    );
  return new MnemosError('upstream_error', `discord: could not connect: ${text}`, {
    category: 'upstream',
    cause: error,
  });
}
