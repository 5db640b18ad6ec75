import { ImapFlow } from 'imapflow';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  dovecotAvailable,
  type PrivateDovecot,
  startDovecot,
} from '../../../test/support/dovecot.js';
import { type FakeSmtp, startFakeSmtp } from '../../../test/support/fake-smtp.js';
import { gatewayConfigSchema } from '../../config/gateway-config.js';
import { MnemosError } from '../../core/errors.js';
import type { GatewayAdapter, InboundMessage } from '../platform/gateway-adapter.js';
import { createEmailAdapter, type EmailTuning } from './email-adapter.js';

const agent = { user: 'agent@example.test', password: 'agent-secret' };
const hasDovecot = dovecotAvailable();

/** A raw RFC 5322 message; an attachment makes it multipart/mixed. */
function rawMail(mail: {
  from: string;
  subject: string;
  messageId: string;
  body: string;
  references?: string;
  headers?: Record<string, string>;
  attachment?: { name: string; content: string };
}): string {
  const head = [
    `From: ${mail.from}`,
    `To: ${agent.user}`,
    `Subject: ${mail.subject}`,
    `Message-ID: ${mail.messageId}`,
    'Date: Wed, 02 Dec 2026 12:00:00 +0000',
    'MIME-Version: 1.0',
    ...(mail.references
      ? [`References: ${mail.references}`, `In-Reply-To: ${mail.references.split(' ').at(-1)}`]
      : []),
    ...Object.entries(mail.headers ?? {}).map(([name, value]) => `${name}: ${value}`),
  ];
  if (!mail.attachment) {
    return [...head, 'Content-Type: text/plain; charset=utf-8', '', mail.body, ''].join('\r\n');
  }
  return [
    ...head,
    'Content-Type: multipart/mixed; boundary="b1"',
    '',
    '--b1',
    'Content-Type: text/plain; charset=utf-8',
    '',
    mail.body,
    '--b1',
    `Content-Type: text/plain; name="${mail.attachment.name}"`,
    `Content-Disposition: attachment; filename="${mail.attachment.name}"`,
    'Content-Transfer-Encoding: base64',
    '',
    Buffer.from(mail.attachment.content).toString('base64'),
    '--b1--',
    '',
  ].join('\r\n');
}

describe.skipIf(!hasDovecot)('email adapter against Dovecot and a fake SMTP server', () => {
  let dovecot: PrivateDovecot;
  let smtp: FakeSmtp;
  let mailbox: ImapFlow;
  const adapters: GatewayAdapter[] = [];
  const logs: string[] = [];

  /** A second client plays the mail server delivering into the agent's INBOX. */
  async function openMailbox(): Promise<void> {
    mailbox = new ImapFlow({
      host: dovecot.host,
      port: dovecot.port,
      secure: false,
      auth: { user: agent.user, pass: agent.password },
      logger: false,
      disableAutoIdle: true,
    });
    mailbox.on('error', () => {});
    await mailbox.connect();
  }

  beforeAll(async () => {
    dovecot = await startDovecot([agent]);
    smtp = await startFakeSmtp(agent);
    await openMailbox();
  });

  afterAll(async () => {
    await mailbox?.logout();
    await smtp?.close();
    await dovecot?.stop();
  });

  beforeEach(async () => {
    logs.length = 0;
    smtp.received.length = 0;
    const box = await mailbox.mailboxOpen('INBOX');
    if (box.exists > 0) await mailbox.messageDelete('1:*');
    await mailbox.mailboxClose();
  });

  afterEach(async () => {
    await Promise.all(adapters.splice(0).map((adapter) => adapter.stop()));
  });

  async function adapter(
    options: {
      password?: string | undefined;
      smtpPort?: number;
      tuning?: Partial<EmailTuning>;
    } = {},
  ): Promise<GatewayAdapter> {
    const config = gatewayConfigSchema.parse({
      platforms: {
        email: {
          enabled: true,
          address: 'Agent@Example.test',
          imap: { host: dovecot.host, port: dovecot.port, secure: false },
          smtp: { host: '127.0.0.1', port: options.smtpPort ?? smtp.port, secure: false },
        },
      },
    }).platforms.email;
    const password = 'password' in options ? options.password : agent.password;
    const created = await createEmailAdapter(
      config,
      {
        secret: (name) => (name === 'EMAIL_PASSWORD' ? password : undefined),
        log: (level, message) => logs.push(`${level}: ${message}`),
      },
      { autoIdleDelayMs: 100, smtpRetryDelayMs: 10, ...options.tuning },
    );
    adapters.push(created);
    return created;
  }

  /** Starts an adapter whose handler collects messages; `next(n)` waits for the n-th. */
  async function listening(tuning?: Partial<EmailTuning>) {
    const messages: InboundMessage[] = [];
    const started = await adapter({ tuning });
    await started.start(async (message) => {
      messages.push(message);
    });
    const next = async (count: number) => {
      await expect
        .poll(() => messages.length, { timeout: 10_000, interval: 50 })
        .toBeGreaterThanOrEqual(count);
      return messages;
    };
    return { adapter: started, messages, next };
  }

  async function deliver(raw: string): Promise<void> {
    await mailbox.append('INBOX', raw);
  }

  async function seenFlags(): Promise<boolean[]> {
    await mailbox.mailboxOpen('INBOX');
    const flags: boolean[] = [];
    for await (const message of mailbox.fetch('1:*', { flags: true }))
      flags.push(message.flags?.has('\\Seen') ?? false);
    await mailbox.mailboxClose();
    return flags;
  }

  it('delivers an appended mail with sender, thread, stripped quote, context and attachment, then flags it seen', async () => {
    const { next } = await listening();
    await deliver(
      rawMail({
        from: 'Ada Lovelace <Ada@Example.org>',
        subject: 'Re: the engine',
        messageId: '<m2@example.org>',
        references: '<root@example.test> <m1@example.test>',
        body: 'Yes, go ahead.\r\n\r\nOn Tue, 1 Dec 2026, Agent wrote:\r\n> shall I?\r\n> really?',
        attachment: { name: 'notes.txt', content: 'the notes' },
      }),
    );
    const [message] = await next(1);
    expect(message).toMatchObject({
      platform: 'email',
      userId: 'ada@example.org',
      userName: 'Ada Lovelace',
      chatId: 'ada@example.org',
      chatType: 'dm',
      threadId: '<root@example.test>',
      messageId: '<m2@example.org>',
      text: 'Yes, go ahead.',
      context: {
        subject: 'Re: the engine',
        messageId: '<m2@example.org>',
        references: '<root@example.test> <m1@example.test>',
      },
    });
    const [file] = message?.attachments ?? [];
    expect(file).toMatchObject({ name: 'notes.txt', mimeType: 'text/plain', size: 9 });
    expect(Buffer.from((await file?.fetch(100)) ?? []).toString()).toBe('the notes');
    await expect(file?.fetch(4)).rejects.toMatchObject({ code: 'payload_too_large' });
    await expect.poll(seenFlags, { timeout: 5_000 }).toEqual([true]);
    expect(logs).toContain(`info: email: reading INBOX on 127.0.0.1:${dovecot.port} (IDLE)`);
  });

  it('a new thread is its own root', async () => {
    const { next } = await listening();
    await deliver(
      rawMail({
        from: 'bob@example.org',
        subject: 'hello',
        messageId: '<new@example.org>',
        body: 'Hi there',
      }),
    );
    const [message] = await next(1);
    expect(message).toMatchObject({
      threadId: '<new@example.org>',
      text: 'Hi there',
      context: { references: '' },
    });
  });

  it('sends a threaded reply with plain and HTML parts, and a notification with a subject from its first line', async () => {
    const { adapter: started, next } = await listening();
    await deliver(
      rawMail({
        from: 'ada@example.org',
        subject: 'plans',
        messageId: '<q1@example.org>',
        references: '<root@example.org>',
        body: 'What next?',
      }),
    );
    const [question] = await next(1);
    if (!question) throw new Error('no message');
    const ids = await started.send({
      chatId: question.chatId,
      text: 'Do **this** first, then <script>x</script> `code`.\n\n- one\n- [two](https://example.org/?a=1&b=2)',
      replyTo: question,
    });
    await started.send({ chatId: 'ada@example.org', text: '# Daily digest\n\nAll quiet.' });
    const [reply, notice] = await smtp.waitFor(2);
    expect(ids).toEqual([reply?.parsed.messageId]);
    expect(reply?.user).toBe(agent.user);
    expect(reply?.envelope).toEqual({ from: 'agent@example.test', to: ['ada@example.org'] });
    expect(reply?.parsed.subject).toBe('Re: plans');
    expect(reply?.parsed.inReplyTo).toBe('<q1@example.org>');
    expect(reply?.parsed.references).toEqual(['<root@example.org>', '<q1@example.org>']);
    expect(reply?.parsed.headers.get('auto-submitted')).toBe('auto-replied');
    expect(reply?.parsed.text).toContain('Do **this** first, then <script>x</script> `code`.');
    expect(reply?.parsed.html).toContain('<strong>this</strong>');
    expect(reply?.parsed.html).toContain('&lt;script&gt;x&lt;/script&gt; <code>code</code>');
    expect(reply?.parsed.html).toContain(
      '<li><a href="https://example.org/?a=1&amp;b=2">two</a></li>',
    );
    expect(reply?.parsed.html).not.toContain('<script>');
    expect(notice?.parsed.subject).toBe('Daily digest');
    expect(notice?.parsed.inReplyTo).toBeUndefined();
    expect(notice?.parsed.html).toContain('<h1>Daily digest</h1>');
  });

  it('ignores its own mail, auto-replies, bulk mail and bounces (flagging them seen)', async () => {
    const { messages, next } = await listening();
    const ignored: { from: string; headers: Record<string, string> }[] = [
      { from: 'agent@example.test', headers: {} },
      { from: 'ada@example.org', headers: { 'Auto-Submitted': 'auto-replied' } },
      { from: 'list@example.org', headers: { Precedence: 'bulk' } },
      { from: 'MAILER-DAEMON@example.org', headers: {} },
    ];
    for (const [index, mail] of ignored.entries()) {
      await deliver(
        rawMail({
          ...mail,
          subject: 'x',
          messageId: `<ignored${index}@example.org>`,
          body: 'loop',
        }),
      );
    }
    await deliver(
      rawMail({
        from: 'ada@example.org',
        subject: 'real',
        messageId: '<real@example.org>',
        body: 'for you',
        headers: { 'Auto-Submitted': 'no' },
      }),
    );
    await next(1);
    await expect.poll(seenFlags, { timeout: 5_000 }).toEqual([true, true, true, true, true]);
    expect(messages.map((message) => message.messageId)).toEqual(['<real@example.org>']);
  });

  it('does not deliver seen mail again after a restart', async () => {
    const first = await listening();
    await deliver(
      rawMail({
        from: 'ada@example.org',
        subject: 'one',
        messageId: '<one@example.org>',
        body: 'one',
      }),
    );
    await first.next(1);
    await expect.poll(seenFlags, { timeout: 5_000 }).toEqual([true]);
    await first.adapter.stop();
    await deliver(
      rawMail({
        from: 'ada@example.org',
        subject: 'two',
        messageId: '<two@example.org>',
        body: 'two',
      }),
    );
    const second = await listening();
    await second.next(1);
    await expect.poll(seenFlags, { timeout: 5_000 }).toEqual([true, true]);
    expect(second.messages.map((message) => message.messageId)).toEqual(['<two@example.org>']);
  });

  it('reconnects after the server drops the connection', async () => {
    const { messages, next } = await listening();
    await deliver(
      rawMail({
        from: 'ada@example.org',
        subject: 'a',
        messageId: '<before@example.org>',
        body: 'a',
      }),
    );
    await next(1);
    dovecot.kick(agent.user);
    await expect
      .poll(() => logs.some((line) => line.includes('IMAP connection closed, reconnecting')), {
        timeout: 5_000,
      })
      .toBe(true);
    await openMailbox();
    await deliver(
      rawMail({
        from: 'ada@example.org',
        subject: 'b',
        messageId: '<after@example.org>',
        body: 'b',
      }),
    );
    await next(2);
    expect(messages.map((message) => message.messageId)).toEqual([
      '<before@example.org>',
      '<after@example.org>',
    ]);
  });

  it('polls when IDLE is not used, and survives a handler that throws', async () => {
    const received: string[] = [];
    const started = await adapter({ tuning: { useIdle: false, pollIntervalMs: 100 } });
    await started.start(async (message) => {
      received.push(message.messageId);
      throw new Error('pipeline broke');
    });
    await deliver(
      rawMail({ from: 'ada@example.org', subject: 'a', messageId: '<a@example.org>', body: 'a' }),
    );
    await expect.poll(() => received, { timeout: 5_000 }).toEqual(['<a@example.org>']);
    await deliver(
      rawMail({ from: 'ada@example.org', subject: 'b', messageId: '<b@example.org>', body: 'b' }),
    );
    await expect
      .poll(() => received, { timeout: 5_000 })
      .toEqual(['<a@example.org>', '<b@example.org>']);
    expect(logs.some((line) => line.startsWith('warn:') && line.includes('pipeline broke'))).toBe(
      true,
    );
    expect(logs).toContain(`info: email: reading INBOX on 127.0.0.1:${dovecot.port} (polling)`);
  });

  it('hostile ids and subjects in a reply cannot add headers or recipients', async () => {
    const started = await adapter();
    await started.start(async () => {});
    const hostile: InboundMessage = {
      platform: 'email',
      userId: 'ada@example.org',
      userName: null,
      chatId: 'ada@example.org',
      threadId: '<root@example.org>',
      chatType: 'dm',
      text: 'hi',
      messageId: '<m@example.org>\r\nBcc: evil@example.net',
      mentioned: true,
      attachments: [],
      context: {
        subject: 'x\r\nBcc: evil@example.net',
        references: '<r@example.org>\nCc: evil@example.net',
      },
    };
    await started.send({ chatId: 'ada@example.org', text: 'answer', replyTo: hostile });
    await expect(
      started.send({ chatId: 'ada@example.org\r\nBcc: evil@example.net', text: 'x' }),
    ).rejects.toMatchObject({
      code: 'invalid_input',
    });
    const [mail] = await smtp.waitFor(1);
    expect(mail?.envelope.to).toEqual(['ada@example.org']);
    expect(mail?.raw).not.toMatch(/^(Bcc|Cc):/im);
  });

  it('retries temporary SMTP failures and reports permanent ones', async () => {
    const started = await adapter();
    await started.start(async () => {});
    smtp.failNext(451, 2);
    await started.send({ chatId: 'ada@example.org', text: 'after retries', subject: 'Retry' });
    expect(smtp.received.map((mail) => mail.parsed.subject)).toEqual(['Retry']);
    expect(logs.filter((line) => line.includes('temporary failure'))).toHaveLength(2);
    smtp.failNext(550);
    await expect(started.send({ chatId: 'ada@example.org', text: 'never' })).rejects.toMatchObject({
      code: 'upstream_error',
    });
    smtp.failNext(451, 4);
    await expect(started.send({ chatId: 'ada@example.org', text: 'gives up' })).rejects.toThrow(
      /Try again later/,
    );
    await expect(started.send({ chatId: 'not an address', text: 'x' })).rejects.toMatchObject({
      code: 'invalid_input',
    });
  });

  it('fails start clearly on a wrong password, at SMTP and at IMAP', async () => {
    const wrong = await adapter({ password: 'wrong' });
    await expect(wrong.start(async () => {})).rejects.toThrow(
      /email: SMTP login as agent@example.test at 127.0.0.1:\d+ failed; check username and EMAIL_PASSWORD/,
    );
    const lenientSmtp = await startFakeSmtp({ user: agent.user, password: 'wrong' });
    try {
      const imapWrong = await adapter({ password: 'wrong', smtpPort: lenientSmtp.port });
      const failure = await imapWrong.start(async () => {}).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(MnemosError);
      expect(failure).toMatchObject({ code: 'unauthorized' });
      expect(String((failure as Error).message)).toMatch(
        /^email: IMAP login as agent@example.test at 127.0.0.1:\d+ failed \(.*\); check username and EMAIL_PASSWORD$/,
      );
      expect(String((failure as Error).message)).not.toContain('wrong');
    } finally {
      await lenientSmtp.close();
    }
  });

  it('starts with a warning while SMTP is down, and a send then fails after its retries', async () => {
    const closed = await startFakeSmtp(agent);
    const deadPort = closed.port;
    await closed.close();
    const started = await adapter({ smtpPort: deadPort });
    await started.start(async () => {});
    expect(
      logs.some(
        (line) =>
          line.startsWith('warn: email: SMTP 127.0.0.1:') && line.includes('not reachable yet'),
      ),
    ).toBe(true);
    await expect(started.send({ chatId: 'ada@example.org', text: 'x' })).rejects.toMatchObject({
      code: 'upstream_error',
    });
    expect(logs.filter((line) => line.includes('temporary failure'))).toHaveLength(3);
  });

  it('refuses to start without the password or the address', async () => {
    await expect(adapter({ password: undefined })).rejects.toThrow(
      'email: set EMAIL_PASSWORD in the environment or .env',
    );
    const config = gatewayConfigSchema.parse({}).platforms.email;
    await expect(
      createEmailAdapter(config, { secret: () => 'x', log: () => {} }),
    ).rejects.toMatchObject({
      code: 'config_error',
    });
  });

  it('stop closes its sockets and timers', async () => {
    const count = (kind: string) =>
      process.getActiveResourcesInfo().filter((name) => name === kind).length;
    const before = { sockets: count('TCPSocketWrap'), timers: count('Timeout') };
    const { adapter: started } = await listening({ useIdle: false, pollIntervalMs: 100 });
    expect(count('TCPSocketWrap')).toBeGreaterThan(before.sockets);
    await started.stop();
    await expect
      .poll(() => count('TCPSocketWrap'), { timeout: 5_000 })
      .toBeLessThanOrEqual(before.sockets);
    await expect
      .poll(() => count('Timeout'), { timeout: 5_000 })
      .toBeLessThanOrEqual(before.timers);
  });
});
