import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayConfigSchema } from '../../src/config/gateway-config.js';
import { createDiscordAdapter } from '../../src/gateway/discord/discord-adapter.js';
import { createEmailAdapter } from '../../src/gateway/email/email-adapter.js';
import { Gateway } from '../../src/gateway/gateway.js';
import type { AdapterOptions, GatewayAdapter } from '../../src/gateway/platform/gateway-adapter.js';
import { createSlackAdapter } from '../../src/gateway/slack/slack-adapter.js';
import { createTelegramAdapter } from '../../src/gateway/telegram/telegram-adapter.js';
import type { Mnemos } from '../../src/mnemos.js';
import { dovecotAvailable, type PrivateDovecot, startDovecot } from '../support/dovecot.js';
import { type FakeDiscord, startFakeDiscord } from '../support/fake-discord.js';
import { type FakeSlack, startFakeSlack } from '../support/fake-slack.js';
import { type FakeSmtp, startFakeSmtp } from '../support/fake-smtp.js';
import { type FakeTelegram, startFakeTelegram } from '../support/fake-telegram.js';
import { until } from '../support/gateway-child.js';
import { type ModelServer, startModelServer } from '../support/model-server.js';
import { tempHome } from '../support/temp-home.js';
import { lastUserText, openEngine } from './gateway-support.js';

// One gateway over the four real adapters, each against its local stand-in: a message in on every
// platform becomes an agent turn with the scripted model, and the reply goes out in that
// platform's own markup.

const secrets: Record<string, string> = {
  TELEGRAM_BOT_TOKEN: '555:platform-turns_token',
  SLACK_BOT_TOKEN: 'xoxb-platform-turns',
  SLACK_APP_TOKEN: 'xapp-platform-turns',
  DISCORD_BOT_TOKEN: 'MTEwMDAwMDAwMDAwMDAwMDAxMA.fake.token',
  EMAIL_PASSWORD: 'mail-secret',
};
const mailAgent = { user: 'agent@example.org', password: secrets.EMAIL_PASSWORD! };
const haveDovecot = dovecotAvailable();
if (!haveDovecot) console.warn('[platform turns] SKIPPED: /usr/sbin/dovecot is missing');

describe.skipIf(!haveDovecot)('gateway turns on Telegram, Slack, Discord and email', () => {
  const home = tempHome('mnemos-platform-turns-');
  let model: ModelServer;
  let telegram: FakeTelegram;
  let slack: FakeSlack;
  let discord: FakeDiscord;
  let smtp: FakeSmtp;
  let dovecot: PrivateDovecot;
  let mnemos: Mnemos;
  let gateway: Gateway;

  beforeAll(async () => {
    model = await startModelServer({
      defaultReply: (request) => ({
        text: `**Hello** ${lastUserText(request).split('\n')[0]}: see \`a_b\` & <c> [docs](https://example.org/x_(y))`,
      }),
    });
    telegram = await startFakeTelegram({ token: secrets.TELEGRAM_BOT_TOKEN });
    slack = await startFakeSlack({
      botToken: secrets.SLACK_BOT_TOKEN!,
      appToken: secrets.SLACK_APP_TOKEN!,
    });
    discord = await startFakeDiscord({ token: secrets.DISCORD_BOT_TOKEN! });
    smtp = await startFakeSmtp(mailAgent);
    dovecot = await startDovecot([mailAgent]);
    mnemos = await openEngine(home.home, model);
    const config = gatewayConfigSchema.parse({
      platforms: {
        telegram: {
          enabled: true,
          api_root: telegram.apiRoot,
          poll_timeout_s: 1,
          allowed_users: [7],
        },
        slack: {
          enabled: true,
          api_url: slack.apiUrl,
          allowed_users: ['U0ADA'],
          retry_delay_ms: 10,
        },
        discord: { enabled: true, api_url: discord.apiUrl, allowed_users: [discord.ids.user] },
        email: {
          enabled: true,
          address: mailAgent.user,
          allowed_users: ['ada@example.org'],
          imap: { host: dovecot.host, port: dovecot.port, secure: false },
          smtp: { host: '127.0.0.1', port: smtp.port, secure: false },
          poll_interval_s: 1,
        },
      },
    });
    const options: AdapterOptions = { secret: (name) => secrets[name], log: () => {} };
    const adapters: GatewayAdapter[] = [
      await createTelegramAdapter(config.platforms.telegram, options),
      await createSlackAdapter(config.platforms.slack, options),
      await createDiscordAdapter(config.platforms.discord, options),
      await createEmailAdapter(config.platforms.email, options),
    ];
    gateway = new Gateway({ mnemos, config, adapters });
    await gateway.start();
    expect(gateway.platforms.sort()).toEqual(['discord', 'email', 'slack', 'telegram']);
  }, 60_000);

  afterAll(async () => {
    await gateway?.stop();
    await mnemos?.close();
    await Promise.all([
      model?.close(),
      telegram?.close(),
      slack?.close(),
      discord?.close(),
      smtp?.close(),
    ]);
    await dovecot?.stop();
    home.remove();
  });

  it('answers on Telegram in MarkdownV2: bold, code and the link as entities', async () => {
    telegram.injectMessage({
      from: { id: 7, is_bot: false, first_name: 'Ada' },
      chat: { id: 7, type: 'private' },
      text: 'tg',
    });
    const [reply] = await telegram.waitFor('sendMessage', 1);
    expect(reply!.payload.parse_mode).toBe('MarkdownV2');
    expect(reply!.text).toBe('Hello tg: see a_b & <c> docs');
    expect(reply!.entities?.map((entity) => entity.type).sort()).toEqual([
      'bold',
      'code',
      'text_link',
    ]);
  });

  it('answers on Slack in mrkdwn, escaped', async () => {
    await slack.sendMessage({ channel: 'D0ADA', channelType: 'im', user: 'U0ADA', text: 'sl' });
    const reply = await until('a Slack reply', () => slack.posted[0]);
    expect(reply.channel).toBe('D0ADA');
    expect(reply.text).toBe(
      '*Hello* sl: see `a_b` &amp; &lt;c&gt; <https://example.org/x_(y)|docs>',
    );
  });

  it('answers on Discord in Discord markdown, with no mention parsing', async () => {
    discord.inject({ channelId: discord.ids.dm, authorId: discord.ids.user, content: 'dc' });
    const reply = await until('a Discord reply', () => discord.sent[0]);
    expect(reply.channelId).toBe(discord.ids.dm);
    expect(reply.body.content).toContain('**Hello** dc: see `a_b`');
    expect(reply.body.allowed_mentions).toMatchObject({ parse: [] });
  });

  it('answers an email with a threaded reply in plain text and HTML', async () => {
    const mailbox = new ImapFlow({
      host: dovecot.host,
      port: dovecot.port,
      secure: false,
      auth: { user: mailAgent.user, pass: mailAgent.password },
      logger: false,
      disableAutoIdle: true,
    });
    mailbox.on('error', () => {});
    await mailbox.connect();
    await mailbox.append(
      'INBOX',
      [
        'From: Ada <ada@example.org>',
        `To: ${mailAgent.user}`,
        'Subject: Question',
        'Message-ID: <q1@example.org>',
        'Date: Wed, 02 Dec 2026 12:00:00 +0000',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'em',
        '',
      ].join('\r\n'),
    );
    await mailbox.logout();
    const [mail] = await smtp.waitFor(1);
    expect(mail!.envelope.to).toEqual(['ada@example.org']);
    expect(mail!.parsed.subject).toBe('Re: Question');
    expect(mail!.parsed.inReplyTo).toBe('<q1@example.org>');
    // The plain part is the Markdown as written (readable as it is); the HTML part renders it.
    expect(mail!.parsed.text).toContain('**Hello** em');
    expect(mail!.parsed.html).toContain('<strong>Hello</strong>');
    expect(mail!.parsed.html).toContain('&lt;c&gt;');
    expect(mail!.parsed.html).not.toContain('<c>');
  });
});
