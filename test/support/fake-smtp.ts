import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** One mail the fake accepted. */
export interface ReceivedMail {
  /** Who logged in to send it (null: no AUTH). */
  user: string | null;
  envelope: { from: string | null; to: string[] };
  /** The message as sent (headers and body). */
  raw: string;
  parsed: ParsedMail;
}

/** A local SMTP server (npm `smtp-server`) that records mail and can fail on purpose. */
export interface FakeSmtp {
  port: number;
  received: ReceivedMail[];
  /** The next `times` transactions are refused at MAIL FROM with `code` (451: temporary, 550: permanent). */
  failNext(code: number, times?: number): void;
  /** Resolves once `count` mails have arrived (fails after a while with what did arrive). */
  waitFor(count: number): Promise<ReceivedMail[]>;
  close(): Promise<void>;
}

/** An Error carrying the SMTP reply code smtp-server answers with. */
function smtpError(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

/** Starts the fake on 127.0.0.1 and a free port; AUTH PLAIN/LOGIN accepts only `user`/`password`. */
export async function startFakeSmtp(account: {
  user: string;
  password: string;
}): Promise<FakeSmtp> {
  const received: ReceivedMail[] = [];
  const failures: number[] = [];
  const waiters = new Set<() => void>();
  const server = new SMTPServer({
    secure: false,
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === account.user && auth.password === account.password) {
        callback(null, { user: auth.username });
      } else {
        callback(smtpError(535, 'Authentication credentials invalid'));
      }
    },
    onMailFrom(_address, _session, callback) {
      const code = failures.shift();
      callback(
        code === undefined ? null : smtpError(code, code < 500 ? 'Try again later' : 'Rejected'),
      );
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        simpleParser(raw)
          .then((parsed) => {
            const from = session.envelope.mailFrom;
            received.push({
              user: typeof session.user === 'string' ? session.user : null,
              envelope: {
                from: from ? from.address : null,
                to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
              },
              raw,
              parsed,
            });
            for (const wake of waiters) wake();
            callback();
          })
          .catch((error: Error) => callback(error));
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as { port: number };
  return {
    port,
    received,
    failNext(code, times = 1) {
      for (let index = 0; index < times; index++) failures.push(code);
    },
    waitFor(count) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (received.length < count) return;
          cleanup();
          resolve(received.slice(0, count));
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`fake SMTP: expected ${count} mails, got ${received.length}`));
        }, 10_000);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
