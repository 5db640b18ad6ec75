import { App, HTTPReceiver, SocketModeReceiver, webApi } from '@slack/bolt';
import type { GatewayConfig } from '../../config/gateway-config.js';
import { MnemosError } from '../../core/errors.js';
import type {
  AdapterOptions,
  GatewayAdapter,
  InboundHandler,
  OutboundMessage,
} from '../platform/gateway-adapter.js';
import { requireSecret } from '../platform/require-secret.js';
import { downloadSlackFile } from './slack-files.js';
import { markdownToMrkdwn, splitMrkdwn } from './slack-format.js';
import { slackEventToInbound } from './slack-inbound.js';
import { sendError, slackLogger, startError } from './slack-sdk.js';

type SlackConfig = GatewayConfig['platforms']['slack'];

/** How many handed-on message keys and user names are remembered. */
const cacheLimit = 1_000;

/** The secret that opens the event stream: the app-level token, or the HTTP signing secret. */
type StreamSecret = { mode: 'socket'; appToken: string } | { mode: 'http'; signingSecret: string };

/**
 * Builds the Slack adapter: Bolt over Socket Mode (an outbound WebSocket, so no public URL is
 * needed) or over signed HTTP events on `port`; replies with `chat.postMessage` in mrkdwn, threaded
 * in channels.
 */
export async function createSlackAdapter(
  config: SlackConfig,
  options: AdapterOptions,
): Promise<GatewayAdapter> {
  const botToken = required(options, config.bot_token_env);
  if (config.mode === 'http') {
    return new SlackAdapter(config, options, botToken, {
      mode: 'http',
      signingSecret: required(options, config.signing_secret_env),
    });
  }
  const appToken = required(options, config.app_token_env);
  if (!appToken.startsWith('xapp-')) {
    // Another token here makes apps.connections.open fail in a way the SDK retries forever.
    throw new MnemosError(
      'config_error',
      `slack: ${config.app_token_env} must be an app-level token (xapp-…) with connections:write`,
    );
  }
  return new SlackAdapter(config, options, botToken, { mode: 'socket', appToken });
}

function required(options: AdapterOptions, name: string): string {
  return requireSecret(options, 'slack', name).trim();
}

class SlackAdapter implements GatewayAdapter {
  readonly platform = 'slack' as const;
  private app: App | null = null;
  /** Set before the stream opens: events can arrive before `start` resolves. */
  private client: webApi.WebClient | null = null;
  private receiver: SocketModeReceiver | HTTPReceiver | null = null;
  private botUserId = '';
  /** Messages handed on, by `channel:ts`: a mention arrives both as `message` and `app_mention`. */
  private readonly seen = new Set<string>();
  private readonly names = new Map<string, string | null>();
  private readonly sending = new Set<Promise<unknown>>();

  constructor(
    private readonly config: SlackConfig,
    private readonly options: AdapterOptions,
    private readonly botToken: string,
    private readonly stream: StreamSecret,
  ) {}

  async start(handler: InboundHandler): Promise<void> {
    if (this.app !== null)
      throw new MnemosError('conflict', 'slack: the adapter is already started');
    const logger = slackLogger(this.options.log);
    const clientOptions = (): webApi.WebClientOptions => ({
      slackApiUrl: this.config.api_url,
      logger,
      retryConfig: {
        retries: this.config.max_retries,
        factor: 2,
        minTimeout: this.config.retry_delay_ms,
        maxTimeout: this.config.retry_delay_ms * 8,
      },
    });
    const auth = await new webApi.WebClient(this.botToken, clientOptions()).auth
      .test()
      .catch((error: unknown) => {
        throw startError(error, this.config.bot_token_env);
      });
    if (typeof auth.user_id !== 'string' || typeof auth.bot_id !== 'string') {
      throw new MnemosError(
        'config_error',
        `slack: ${this.config.bot_token_env} is not a bot token (xoxb-…)`,
      );
    }
    this.botUserId = auth.user_id;
    const receiver =
      this.stream.mode === 'socket'
        ? new SocketModeReceiver({
            appToken: this.stream.appToken,
            logger,
            installerOptions: { clientOptions: clientOptions() },
          })
        : new HTTPReceiver({
            signingSecret: this.stream.signingSecret,
            endpoints: ['/slack/events'],
            port: this.config.port,
            logger,
          });
    const app = new App({
      token: this.botToken,
      botId: auth.bot_id,
      botUserId: auth.user_id,
      receiver,
      logger,
      clientOptions: clientOptions(),
    });
    this.client = app.client;
    app.error(async (error) => this.options.log('warn', `slack: ${error.message}`));
    const listener = async ({ event }: { event: unknown }): Promise<void> =>
      this.receive(event, handler);
    app.event('message', listener);
    app.event('app_mention', listener);
    try {
      await app.start();
    } catch (error) {
      if (receiver instanceof SocketModeReceiver) {
        await receiver.client.disconnect().catch(() => undefined);
        throw startError(error, this.config.app_token_env);
      }
      const reason = error instanceof Error ? error.message : String(error);
      throw new MnemosError('config_error', `slack: port ${this.config.port}: ${reason}`, {
        cause: error,
      });
    }
    this.app = app;
    this.receiver = receiver;
    const how =
      receiver instanceof SocketModeReceiver
        ? 'over Socket Mode'
        : `for HTTP events on port ${this.config.port}`;
    this.options.log('info', `slack: connected ${how} as ${auth.user ?? auth.user_id}`);
  }

  private async receive(event: unknown, handler: InboundHandler): Promise<void> {
    try {
      const message = await slackEventToInbound(event, {
        botUserId: this.botUserId,
        userName: (id) => this.userName(id),
        download: (url, name, maxBytes) =>
          downloadSlackFile(url, name, maxBytes, {
            botToken: this.botToken,
            apiUrl: this.config.api_url,
          }),
      });
      if (message === null || this.alreadySeen(`${message.chatId}:${message.messageId}`)) return;
      await handler(message);
    } catch (error) {
      this.options.log(
        'warn',
        `slack: handling a message failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  private alreadySeen(key: string): boolean {
    if (this.seen.has(key)) return true;
    this.seen.add(key);
    if (this.seen.size > cacheLimit) this.seen.delete(this.seen.values().next().value as string);
    return false;
  }

  /** The sender's display name (users.info, cached); null when the app may not read users. */
  private async userName(userId: string): Promise<string | null> {
    if (this.names.has(userId)) return this.names.get(userId) ?? null;
    if (this.client === null) return null;
    try {
      const { user } = await this.client.users.info({ user: userId });
      const name = user?.profile?.display_name || user?.real_name || user?.name || null;
      this.remember(userId, name);
      return name;
    } catch (error) {
      // Slack's own answer (user_not_found, missing_scope) holds; a network failure may not.
      if (error instanceof webApi.WebAPIPlatformError) this.remember(userId, null);
      return null;
    }
  }

  private remember(userId: string, name: string | null): void {
    this.names.set(userId, name);
    if (this.names.size > cacheLimit) this.names.delete(this.names.keys().next().value as string);
  }

  async send(message: OutboundMessage): Promise<string[]> {
    const app = this.app;
    if (app === null) throw new MnemosError('closed', 'slack: the adapter is not started');
    const pieces = splitMrkdwn(markdownToMrkdwn(message.text));
    const threadTs = message.threadId ?? message.replyTo?.threadId ?? undefined;
    const run = (async () => {
      const ids: string[] = [];
      for (const text of pieces) {
        const sent = await app.client.chat
          .postMessage({
            channel: message.chatId,
            text,
            mrkdwn: true,
            ...(threadTs ? { thread_ts: threadTs } : {}),
          })
          .catch((error: unknown) => {
            throw sendError(error, ids.length, pieces.length);
          });
        ids.push(sent.ts ?? '');
      }
      return ids;
    })();
    this.sending.add(run);
    try {
      return await run;
    } finally {
      this.sending.delete(run);
    }
  }

  /** Slack has no typing indicator for bots over the Web API; replies simply arrive. */
  async typing(_chatId: string, _threadId?: string | null): Promise<void> {}

  async stop(): Promise<void> {
    const receiver = this.receiver;
    this.app = null;
    this.client = null;
    this.receiver = null;
    await Promise.allSettled([...this.sending]);
    if (receiver instanceof SocketModeReceiver) await receiver.client.disconnect();
    else if (receiver !== null) await receiver.stop();
  }
}
