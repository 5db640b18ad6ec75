import { ImapFlow } from 'imapflow';
import { simpleParser } from 'mailparser';
import { MnemosError } from '../../core/errors.js';
import type { AdapterOptions, InboundHandler } from '../platform/gateway-adapter.js';
import { ignoreReason, toInboundMessage } from './email-inbound.js';

/** Where and how the watcher reads mail. */
export interface ImapWatcherOptions {
  host: string;
  port: number;
  secure: boolean;
  rejectUnauthorized: boolean;
  user: string;
  pass: string;
  /** Environment variable the password came from (named in login errors). */
  passwordVar: string;
  mailbox: string;
  /** The agent's own address: its mail is never delivered. */
  ownAddress: string;
  /** Between checks when the server offers no IDLE (or `useIdle` is off). */
  pollIntervalMs: number;
  /** Quiet time before imapflow enters IDLE. */
  autoIdleDelayMs: number;
  useIdle: boolean;
  /** Mails larger than this are marked seen and skipped with a warning. */
  maxMessageBytes: number;
  log: AdapterOptions['log'];
}

/** Longest wait between reconnection attempts after the server dropped the connection. */
const maxReconnectDelayMs = 60_000;

/**
 * Watches one IMAP mailbox: on connect and on every new message (IDLE `EXISTS`, or a poll), hands
 * each UNSEEN mail to the handler, then flags it `\Seen` so it is never delivered twice.
 */
export class ImapWatcher {
  private client: ImapFlow | null = null;
  private handler: InboundHandler | null = null;
  private stopping = false;
  private running: Promise<void> | null = null;
  private again = false;
  private pollTimer: NodeJS.Timeout | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private reconnectDelayMs = 1_000;

  constructor(private readonly options: ImapWatcherOptions) {}

  /** Logs in and opens the mailbox (errors say why), then starts delivering in the background. */
  async start(handler: InboundHandler): Promise<void> {
    this.handler = handler;
    this.stopping = false;
    await this.connect();
  }

  /** Finishes the mail being handled, then logs out; no timer or socket is left. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.clearTimers();
    await this.running;
    const client = this.client;
    this.client = null;
    if (client?.usable) await client.logout().catch(() => client.close());
    else client?.close();
  }

  private async connect(): Promise<void> {
    const { options } = this;
    const client = new ImapFlow({
      host: options.host,
      port: options.port,
      secure: options.secure,
      auth: { user: options.user, pass: options.pass },
      tls: { rejectUnauthorized: options.rejectUnauthorized },
      logger: false,
      disableAutoIdle: !options.useIdle,
      autoIdleDelay: options.autoIdleDelayMs,
    });
    client.on('error', (error: Error) =>
      options.log('warn', `email: IMAP error: ${error.message}`),
    );
    try {
      await client.connect();
    } catch (error) {
      client.close();
      throw loginError(error, options);
    }
    try {
      await client.mailboxOpen(options.mailbox);
    } catch (error) {
      await client.logout().catch(() => client.close());
      throw new MnemosError(
        'config_error',
        `email: imap.mailbox ${options.mailbox} cannot be opened: ${reason(error)}`,
      );
    }
    if (this.stopping) {
      // stop() came while this (re)connection was under way.
      await client.logout().catch(() => client.close());
      return;
    }
    this.client = client;
    this.reconnectDelayMs = 1_000;
    client.on('exists', () => this.schedule());
    client.on('close', () => {
      if (this.client === client && !this.stopping) this.reconnectLater();
    });
    const idle = options.useIdle && client.capabilities.has('IDLE');
    if (!idle) this.pollTimer = setInterval(() => this.schedule(), options.pollIntervalMs);
    options.log(
      'info',
      `email: reading ${options.mailbox} on ${options.host}:${options.port} (${idle ? 'IDLE' : 'polling'})`,
    );
    this.schedule();
  }

  private reconnectLater(): void {
    this.clearTimers();
    this.client = null;
    const delay = this.reconnectDelayMs;
    this.reconnectDelayMs = Math.min(delay * 2, maxReconnectDelayMs);
    this.options.log('warn', `email: IMAP connection closed, reconnecting in ${delay} ms`);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connect().catch((error: unknown) => {
        this.options.log('warn', `email: IMAP reconnect failed: ${reason(error)}`);
        if (!this.stopping) this.reconnectLater();
      });
    }, delay);
  }

  private clearTimers(): void {
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.pollTimer = null;
    this.reconnectTimer = null;
  }

  /** Runs a check now, or once more after the one running (checks never overlap). */
  private schedule(): void {
    if (this.stopping) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.check().catch((error: unknown) =>
          this.options.log(
            'warn',
            `email: checking ${this.options.mailbox} failed: ${reason(error)}`,
          ),
        );
      } while (this.again && !this.stopping);
      this.running = null;
    })();
  }

  /** Delivers every UNSEEN mail of the mailbox, oldest first. */
  private async check(): Promise<void> {
    const client = this.client;
    if (!client?.usable) return;
    const uids = (await client.search({ seen: false }, { uid: true })) || [];
    for (const uid of uids.sort((a, b) => a - b)) {
      if (this.stopping || this.client !== client) return;
      await this.deliver(client, uid);
      await client.messageFlagsAdd(String(uid), ['\\Seen'], { uid: true });
    }
  }

  private async deliver(client: ImapFlow, uid: number): Promise<void> {
    const { options } = this;
    const head = await client.fetchOne(String(uid), { size: true }, { uid: true });
    if (!head) return;
    if ((head.size ?? 0) > options.maxMessageBytes) {
      options.log(
        'warn',
        `email: skipped message uid ${uid} of ${head.size} bytes (limit ${options.maxMessageBytes})`,
      );
      return;
    }
    const fetched = await client.fetchOne(String(uid), { source: true }, { uid: true });
    const source = fetched ? fetched.source : undefined;
    if (!source) return;
    const mail = await simpleParser(source);
    const ignored = ignoreReason(mail, options.ownAddress);
    if (ignored) {
      options.log('debug', `email: ignored message uid ${uid} (${ignored})`);
      return;
    }
    const message = toInboundMessage(
      mail,
      `<uid-${client.mailbox ? client.mailbox.uidValidity : 0}-${uid}@imap.invalid>`,
    );
    try {
      await this.handler?.(message);
    } catch (error) {
      options.log('warn', `email: handling message ${message.messageId} failed: ${reason(error)}`);
    }
  }
}

/** A connection or login failure as a clear error naming what to fix. */
function loginError(error: unknown, options: ImapWatcherOptions): MnemosError {
  const where = `${options.host}:${options.port}`;
  const failed = error as { authenticationFailed?: boolean; responseText?: string };
  if (failed?.authenticationFailed) {
    return new MnemosError(
      'unauthorized',
      `email: IMAP login as ${options.user} at ${where} failed (${failed.responseText ?? 'authentication failed'}); check username and ${options.passwordVar}`,
      { cause: error },
    );
  }
  return new MnemosError(
    'upstream_error',
    `email: cannot connect to IMAP ${where}: ${reason(error)}`,
    {
      category: 'upstream',
      cause: error,
    },
  );
}

/** An error's message, whatever was thrown. */
function reason(error: unknown): string {
  const { message, responseText } = error as { message?: string; responseText?: string };
  return responseText ? `${message}: ${responseText}` : (message ?? String(error));
}
