import type { GatewayConfig } from '../../config/gateway-config.js';
import { MnemosError } from '../../core/errors.js';
import type {
  AdapterOptions,
  GatewayAdapter,
  InboundHandler,
  OutboundMessage,
} from '../platform/gateway-adapter.js';
import { requireSecret } from '../platform/require-secret.js';
import {
  capText,
  htmlDocument,
  markdownToHtml,
  notificationSubject,
  replySubject,
} from './email-format.js';
import { ImapWatcher } from './email-imap.js';
import { SmtpSender } from './email-smtp.js';

/** Timings and limits of the email adapter; tests shorten them. */
export interface EmailTuning {
  /** Poll interval without IDLE; default `poll_interval_s`. */
  pollIntervalMs: number;
  /** Quiet time before entering IMAP IDLE. */
  autoIdleDelayMs: number;
  /** Use IDLE when the server offers it (off: always poll). */
  useIdle: boolean;
  smtpRetries: number;
  smtpRetryDelayMs: number;
  /** Mails larger than this are skipped. */
  maxMessageBytes: number;
  /** Longest text of one outgoing mail, in characters. */
  maxOutgoingChars: number;
}

/** A plausible single mail address (no display name, no header-breaking characters). */
const addressPattern = /^[^\s@<>,;"]+@[^\s@<>,;"]+$/;

/** A Message-ID as it may appear in `In-Reply-To`/`References` (ids from hostile mail are checked). */
const messageIdPattern = /^<[^<>\s]+>$/;

/** Creates the email adapter: IMAP (imapflow) in, SMTP (nodemailer) out. */
export async function createEmailAdapter(
  config: GatewayConfig['platforms']['email'],
  options: AdapterOptions,
  tuning: Partial<EmailTuning> = {},
): Promise<GatewayAdapter> {
  const address = config.address?.toLowerCase();
  if (!address) throw new MnemosError('config_error', 'email: set gateway.platforms.email.address');
  const pass = requireSecret(options, 'email', config.password_env);
  const user = config.username ?? address;
  const limits: EmailTuning = {
    pollIntervalMs: config.poll_interval_s * 1_000,
    autoIdleDelayMs: 1_000,
    useIdle: true,
    smtpRetries: 3,
    smtpRetryDelayMs: 2_000,
    maxMessageBytes: 25 * 1024 * 1024,
    maxOutgoingChars: 200_000,
    ...tuning,
  };
  const watcher = new ImapWatcher({
    ...config.imap,
    rejectUnauthorized: config.tls_reject_unauthorized,
    user,
    pass,
    passwordVar: config.password_env,
    ownAddress: address,
    pollIntervalMs: limits.pollIntervalMs,
    autoIdleDelayMs: limits.autoIdleDelayMs,
    useIdle: limits.useIdle,
    maxMessageBytes: limits.maxMessageBytes,
    log: options.log,
  });
  const sender = new SmtpSender({
    ...config.smtp,
    rejectUnauthorized: config.tls_reject_unauthorized,
    user,
    pass,
    passwordVar: config.password_env,
    retries: limits.smtpRetries,
    retryDelayMs: limits.smtpRetryDelayMs,
    log: options.log,
  });
  let started = false;

  return {
    platform: 'email',
    async start(handler: InboundHandler) {
      await sender.verify();
      await watcher.start(handler);
      started = true;
    },
    async send(message: OutboundMessage) {
      const to = message.chatId.trim();
      if (!addressPattern.test(to)) {
        throw new MnemosError(
          'invalid_input',
          `email: chatId must be one mail address, got ${JSON.stringify(to)}`,
        );
      }
      const text = capText(message.text, limits.maxOutgoingChars);
      const threading = threadingHeaders(message);
      const id = await sender.send({
        from: address,
        to,
        subject: threading.subject ?? notificationSubject(text, message.subject),
        text,
        html: htmlDocument(markdownToHtml(text)),
        inReplyTo: threading.inReplyTo,
        references: threading.references,
        // RFC 3834: mark the agent's mail as automatic so other responders do not answer it.
        headers: { 'Auto-Submitted': message.replyTo ? 'auto-replied' : 'auto-generated' },
      });
      return [id];
    },
    async typing() {},
    async stop() {
      if (started) await watcher.stop();
      started = false;
      await sender.close();
    },
  };
}

/** Subject, `In-Reply-To` and `References` that keep a reply in its thread. */
function threadingHeaders(message: OutboundMessage): {
  subject?: string;
  inReplyTo?: string;
  references?: string[];
} {
  const original = message.replyTo;
  if (original) {
    const answered = messageIdPattern.test(original.messageId) ? [original.messageId] : [];
    const earlier = (original.context.references ?? '')
      .split(/\s+/)
      .filter((id) => messageIdPattern.test(id) && id !== original.messageId);
    return {
      subject: replySubject(original.context.subject ?? ''),
      inReplyTo: answered[0],
      references: [...earlier, ...answered],
    };
  }
  if (message.threadId && messageIdPattern.test(message.threadId)) {
    return { inReplyTo: message.threadId, references: [message.threadId] };
  }
  return {};
}
