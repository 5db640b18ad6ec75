import nodemailer, { type Transporter } from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer/index.js';
import { MnemosError } from '../../core/errors.js';
import type { AdapterOptions } from '../platform/gateway-adapter.js';

/** Where and how mail is sent. */
export interface SmtpSenderOptions {
  host: string;
  port: number;
  secure: boolean;
  rejectUnauthorized: boolean;
  user: string;
  pass: string;
  passwordVar: string;
  /** Attempts after the first one for temporary failures (4xx replies, dropped connections). */
  retries: number;
  /** Wait before the first retry; doubled after each. */
  retryDelayMs: number;
  log: AdapterOptions['log'];
}

/** nodemailer's error fields that tell a temporary failure from a permanent one. */
interface SmtpError {
  code?: string;
  responseCode?: number;
  response?: string;
  message?: string;
}

/** Connection-level failures worth another attempt. */
const transientCodes = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS']);

/** Whether a send failed for a reason that may pass (SMTP 4xx, a dropped connection). */
export function isTransient(error: unknown): boolean {
  const { code, responseCode } = (error ?? {}) as SmtpError;
  if (typeof responseCode === 'number') return responseCode >= 400 && responseCode < 500;
  return code !== undefined && transientCodes.has(code);
}

/** Sends mail through one SMTP server with nodemailer, retrying temporary failures a few times. */
export class SmtpSender {
  private readonly transport: Transporter;
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly options: SmtpSenderOptions) {
    this.transport = nodemailer.createTransport({
      host: options.host,
      port: options.port,
      secure: options.secure,
      auth: { user: options.user, pass: options.pass },
      tls: { rejectUnauthorized: options.rejectUnauthorized },
    });
  }

  /** Checks that the server answers and accepts the login; a wrong password fails clearly. */
  async verify(): Promise<void> {
    try {
      await this.transport.verify();
    } catch (error) {
      const { code, responseCode } = error as SmtpError;
      if (code === 'EAUTH' || responseCode === 535) {
        throw new MnemosError(
          'unauthorized',
          `email: SMTP login as ${this.options.user} at ${this.options.host}:${this.options.port} failed; check username and ${this.options.passwordVar}`,
          { cause: error },
        );
      }
      // The server may just be down for now: sending retries later.
      this.options.log(
        'warn',
        `email: SMTP ${this.options.host}:${this.options.port} not reachable yet: ${describe(error)}`,
      );
    }
  }

  /** Sends one mail; returns its Message-ID. */
  async send(mail: Mail.Options): Promise<string> {
    const sending = this.sendWithRetries(mail);
    this.pending.add(sending);
    try {
      return await sending;
    } finally {
      this.pending.delete(sending);
    }
  }

  /** Waits for sends in progress, then closes pooled connections. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.pending]);
    this.transport.close();
  }

  private async sendWithRetries(mail: Mail.Options): Promise<string> {
    let delay = this.options.retryDelayMs;
    for (let attempt = 0; ; attempt++) {
      try {
        const info = (await this.transport.sendMail(mail)) as { messageId: string };
        return info.messageId;
      } catch (error) {
        if (!isTransient(error) || attempt >= this.options.retries) {
          throw new MnemosError(
            'upstream_error',
            `email: sending to ${String(mail.to)} failed: ${describe(error)}`,
            {
              category: 'upstream',
              cause: error,
            },
          );
        }
        this.options.log(
          'warn',
          `email: SMTP temporary failure (${describe(error)}), retrying in ${delay} ms`,
        );
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay *= 2;
      }
    }
  }
}

/** A short description of an SMTP error. */
function describe(error: unknown): string {
  const { response, message } = (error ?? {}) as SmtpError;
  return response ?? message ?? String(error);
}
