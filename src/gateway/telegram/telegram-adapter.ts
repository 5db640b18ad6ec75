import { Bot, GrammyError, HttpError } from 'grammy';
import type { UserFromGetMe } from 'grammy/types';
import type { GatewayConfig } from '../../config/gateway-config.js';
import { MnemosError } from '../../core/errors.js';
import type {
  AdapterOptions,
  GatewayAdapter,
  InboundHandler,
  InboundMessage,
  OutboundMessage,
} from '../platform/gateway-adapter.js';
import { requireSecret } from '../platform/require-secret.js';
import { splitMessage } from '../platform/split-message.js';
import { telegramPieces, telegramTextLimit } from './telegram-format.js';
import { toInboundMessage } from './telegram-inbound.js';
import { retryAfterTransformer } from './telegram-retry.js';

/** The `gateway.platforms.telegram` block. */
export type TelegramConfig = GatewayConfig['platforms']['telegram'];

/** Retries of one rate-limited Bot API call, and the longest `retry_after` waited. */
const rateLimitRetries = 3;
const rateLimitMaxWaitSeconds = 60;

/** Creates the Telegram adapter (grammY, long polling); fails when the bot token is not set. */
export async function createTelegramAdapter(
  config: TelegramConfig,
  options: AdapterOptions,
): Promise<GatewayAdapter> {
  const token = requireSecret(options, 'telegram', config.token_env);
  return new TelegramAdapter(config, token.trim(), options);
}

class TelegramAdapter implements GatewayAdapter {
  readonly platform = 'telegram' as const;
  private readonly apiRoot: string;
  private readonly bot: Bot;
  private me: UserFromGetMe | null = null;
  private handler: InboundHandler | null = null;
  /** From `start` until `stop` (or a failed start). */
  private active = false;
  private polling: Promise<void> | null = null;
  private readonly pendingSends = new Set<Promise<unknown>>();

  constructor(
    private readonly config: TelegramConfig,
    private readonly token: string,
    private readonly options: AdapterOptions,
  ) {
    this.apiRoot = config.api_root.replace(/\/+$/u, '');
    this.bot = new Bot(token, { client: { apiRoot: this.apiRoot } });
    this.bot.api.config.use(
      retryAfterTransformer({
        maxRetries: rateLimitRetries,
        maxWaitSeconds: rateLimitMaxWaitSeconds,
        log: (message) => options.log('warn', message),
      }),
    );
    this.bot.on('message', (ctx) => this.dispatch(ctx.message));
    this.bot.catch((error) =>
      options.log('warn', `telegram: update failed: ${this.why(error.error)}`),
    );
  }

  async start(handler: InboundHandler): Promise<void> {
    if (this.active) throw new MnemosError('conflict', 'telegram: the adapter is already started');
    this.active = true;
    this.handler = handler;
    let me: UserFromGetMe;
    try {
      me = await this.bot.api.getMe();
    } catch (error) {
      this.active = false;
      throw this.connectError(error);
    }
    this.me = me;
    this.bot.botInfo = me;
    await new Promise<void>((resolve, reject) => {
      let started = false;
      this.polling = this.bot
        .start({
          timeout: this.config.poll_timeout_s,
          allowed_updates: ['message'],
          onStart: () => {
            started = true;
            resolve();
          },
        })
        .catch((error: unknown) => {
          if (!started) return reject(this.connectError(error));
          this.options.log('warn', `telegram: polling stopped: ${this.why(error)}`);
        });
    }).catch((error: unknown) => {
      this.polling = null;
      this.active = false;
      throw error;
    });
    this.options.log('info', `telegram: connected as @${me.username}`);
  }

  async send(message: OutboundMessage): Promise<string[]> {
    const sending = this.sendPieces(message);
    this.pendingSends.add(sending);
    try {
      return await sending;
    } finally {
      this.pendingSends.delete(sending);
    }
  }

  async typing(chatId: string, threadId?: string | null): Promise<void> {
    try {
      await this.bot.api.sendChatAction(chatId, 'typing', threadOption(threadId));
    } catch (error) {
      this.options.log('warn', `telegram: typing in ${chatId} failed: ${this.why(error)}`);
    }
  }

  async stop(): Promise<void> {
    if (this.bot.isRunning()) {
      // Aborts the held long poll, then confirms the offset of what was handled.
      await this.bot.stop().catch((error: unknown) => {
        this.options.log(
          'debug',
          `telegram: confirming updates on stop failed: ${this.why(error)}`,
        );
      });
    }
    await this.polling;
    this.polling = null;
    this.active = false;
    await Promise.allSettled([...this.pendingSends]);
  }

  private async sendPieces(message: OutboundMessage): Promise<string[]> {
    const ids: string[] = [];
    const pieces = telegramPieces(message.text, telegramTextLimit);
    for (const [index, piece] of pieces.entries()) {
      const base = {
        ...threadOption(message.threadId),
        ...replyOption(index === 0 ? message.replyTo : undefined),
      };
      try {
        const sent = await this.bot.api.sendMessage(message.chatId, piece.markdown, {
          ...base,
          parse_mode: 'MarkdownV2',
        });
        ids.push(String(sent.message_id));
      } catch (error) {
        if (
          !(
            error instanceof GrammyError &&
            error.error_code === 400 &&
            /can't parse entities/iu.test(error.description)
          )
        )
          throw this.sendError(error, message.chatId, ids);
        this.options.log(
          'warn',
          `telegram: MarkdownV2 rejected (${error.description}); sending plain text`,
        );
        for (const plain of splitMessage(piece.plain, telegramTextLimit)) {
          try {
            const sent = await this.bot.api.sendMessage(message.chatId, plain, base);
            ids.push(String(sent.message_id));
          } catch (plainError) {
            throw this.sendError(plainError, message.chatId, ids);
          }
        }
      }
    }
    return ids;
  }

  private dispatch(message: Parameters<typeof toInboundMessage>[0]): void {
    const me = this.me;
    const handler = this.handler;
    if (me === null || handler === null) return;
    const inbound = toInboundMessage(message, {
      me,
      api: this.bot.api,
      apiRoot: this.apiRoot,
      token: this.token,
    });
    if (inbound === null) return;
    // Not awaited: a long agent turn in one chat must not hold up the polling of every other chat.
    void handler(inbound).catch((error: unknown) => {
      this.options.log(
        'warn',
        `telegram: handling message ${inbound.messageId} in ${inbound.chatId} failed: ${this.why(error)}`,
      );
    });
  }

  /** Why a call failed, with the token blanked out. */
  private why(error: unknown): string {
    return describe(error).replaceAll(this.token, '<token>');
  }

  private connectError(error: unknown): MnemosError {
    if (error instanceof GrammyError && (error.error_code === 401 || error.error_code === 404))
      return new MnemosError(
        'unauthorized',
        `telegram: the Bot API rejected the token in ${this.config.token_env} (${error.error_code} ${error.description})`,
        { details: { errorCode: error.error_code } },
      );
    return new MnemosError(
      'upstream_error',
      `telegram: cannot reach the Bot API at ${this.apiRoot}: ${this.why(error)}`,
      {
        category: 'upstream',
        cause: error,
      },
    );
  }

  /** A failed send as an error; `sent` holds the ids of the pieces that went out before it. */
  private sendError(error: unknown, chatId: string, sent: string[]): MnemosError {
    if (error instanceof GrammyError && error.error_code === 429)
      return new MnemosError(
        'rate_limited',
        `telegram: sending to ${chatId} is rate-limited: ${error.description}`,
        {
          category: 'upstream',
          details: { retryAfter: error.parameters.retry_after ?? null, sent },
        },
      );
    return new MnemosError(
      'upstream_error',
      `telegram: sending to ${chatId} failed: ${this.why(error)}`,
      {
        category: 'upstream',
        details: { sent },
        cause: error,
      },
    );
  }
}

function threadOption(threadId: string | null | undefined): { message_thread_id?: number } {
  return threadId === null || threadId === undefined || threadId === ''
    ? {}
    : { message_thread_id: Number(threadId) };
}

/** Group replies quote the message they answer; in a DM the reply follows anyway. */
function replyOption(replyTo: InboundMessage | undefined): {
  reply_parameters?: { message_id: number; allow_sending_without_reply: boolean };
} {
  if (replyTo === undefined || replyTo.chatType !== 'group') return {};
  return {
    reply_parameters: { message_id: Number(replyTo.messageId), allow_sending_without_reply: true },
  };
}

/** An error's message without the token (grammY's HttpError can carry the request URL). */
function describe(error: unknown): string {
  if (error instanceof GrammyError) return `${error.error_code} ${error.description}`;
  if (error instanceof HttpError) return `network error: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
