import { afterEach, describe, expect, it } from 'vitest';
import { type FakeSlack, startFakeSlack } from '../../../test/support/fake-slack.js';
import { gatewayConfigSchema } from '../../config/gateway-config.js';
import { MnemosError } from '../../core/errors.js';
import type {
  AdapterOptions,
  GatewayAdapter,
  InboundMessage,
} from '../platform/gateway-adapter.js';
import { createSlackAdapter } from './slack-adapter.js';

const botToken = 'xoxb-1-test-bot';
const appToken = 'xapp-1-test-app';

let fake: FakeSlack | null = null;
let adapter: GatewayAdapter | null = null;
const logs: string[] = [];

afterEach(async () => {
  await adapter?.stop();
  await fake?.close();
  adapter = null;
  fake = null;
  logs.length = 0;
});

function options(secrets: Record<string, string> = {}): AdapterOptions {
  const all: Record<string, string> = {
    SLACK_BOT_TOKEN: botToken,
    SLACK_APP_TOKEN: appToken,
    ...secrets,
  };
  return {
    secret: (name) => all[name],
    log: (level, message) => logs.push(`${level} ${message}`),
  };
}

function slackConfig(apiUrl: string) {
  return gatewayConfigSchema.parse({
    platforms: { slack: { enabled: true, api_url: apiUrl, retry_delay_ms: 5, max_retries: 2 } },
  }).platforms.slack;
}

/** Messages the handler received, and a way to wait for the next ones. */
function inbox() {
  const received: InboundMessage[] = [];
  const waiters: { count: number; resolve(): void }[] = [];
  return {
    received,
    handler: async (message: InboundMessage) => {
      received.push(message);
      for (const waiter of waiters.filter((w) => received.length >= w.count)) waiter.resolve();
    },
    until: (count: number) =>
      received.length >= count
        ? Promise.resolve()
        : new Promise<void>((resolve) => waiters.push({ count, resolve })),
  };
}

async function started(fakeOptions: Partial<Parameters<typeof startFakeSlack>[0]> = {}) {
  fake = await startFakeSlack({ botToken, appToken, ...fakeOptions });
  fake.addUser('U1', 'ada');
  const box = inbox();
  adapter = await createSlackAdapter(slackConfig(fake.apiUrl), options());
  await adapter.start(box.handler);
  return { slack: fake, adapter, box };
}

describe('Slack adapter over Socket Mode', () => {
  it('delivers a DM with its fields and acks the envelope', async () => {
    const { slack, box } = await started();
    expect(slack.openSockets()).toBe(1);
    const { envelopeId, ts } = await slack.sendMessage({
      channel: 'D1',
      channelType: 'im',
      user: 'U1',
      text: 'hello &lt;3',
    });
    await box.until(1);
    expect(box.received[0]).toMatchObject({
      platform: 'slack',
      userId: 'U1',
      userName: 'ada',
      chatId: 'D1',
      threadId: null,
      chatType: 'dm',
      text: 'hello <3',
      messageId: ts,
      mentioned: true,
      attachments: [],
    });
    expect(slack.acks).toContain(envelopeId);
    // Acked in time: the fake never had to redeliver it.
    expect(slack.deliveries.filter((d) => d.envelopeId === envelopeId)).toEqual([
      { envelopeId, attempt: 0, type: 'events_api' },
    ]);
  });

  it('marks channel mentions, strips them, threads on the message, and counts one mention once', async () => {
    const { slack, box } = await started();
    const mention = await slack.sendMessage({
      channel: 'C1',
      channelType: 'channel',
      user: 'U1',
      text: '<@U0BOT> summarise',
    });
    // Slack sends the same mention again as app_mention; it must not reach the handler twice.
    await slack.sendMessage({
      channel: 'C1',
      channelType: 'channel',
      user: 'U1',
      text: '<@U0BOT> summarise',
      asMention: true,
      ts: mention.ts,
    });
    await slack.sendMessage({
      channel: 'C1',
      channelType: 'channel',
      user: 'U2',
      text: 'just chatting',
      threadTs: '1.000001',
    });
    await slack.sendMessage({
      channel: 'C1',
      channelType: 'channel',
      user: 'U2',
      text: 'and you?',
      threadTs: '1.000002',
      parentUserId: 'U0BOT',
    });
    await box.until(3);
    expect(box.received.map((m) => [m.chatType, m.text, m.mentioned, m.threadId])).toEqual([
      ['group', 'summarise', true, mention.ts],
      ['group', 'just chatting', false, '1.000001'],
      ['group', 'and you?', true, '1.000002'],
    ]);
    expect(box.received[1]?.userName).toBeNull();
  });

  it('ignores its own posts, other bots and edits', async () => {
    const { slack, adapter, box } = await started({ echoOwnMessages: true });
    await adapter.send({ chatId: 'C1', text: 'I am the bot' });
    await slack.sendMessage({
      channel: 'C1',
      channelType: 'channel',
      user: 'U9',
      text: 'other bot',
      botId: 'B9',
    });
    await slack.sendMessage({
      channel: 'C1',
      channelType: 'channel',
      user: 'U1',
      text: 'edited',
      subtype: 'message_changed',
    });
    await slack.sendMessage({
      channel: 'C1',
      channelType: 'channel',
      user: 'U1',
      text: 'a person',
    });
    await box.until(1);
    // The echo of the bot's own post was delivered and acked too.
    expect(slack.deliveries.length).toBe(4);
    expect(slack.acks.length).toBe(4);
    expect(box.received.map((m) => m.text)).toEqual(['a person']);
  });

  it('sends formatted, escaped replies split in order within 3,900 characters, in the thread', async () => {
    const { slack, adapter } = await started();
    const paragraph = (n: number) =>
      `**Part ${n}** of _the_ answer: a < b & [link](https://x.test/?a=1&b=2). ${'word '.repeat(300)}`;
    const text = [1, 2, 3, 4].map(paragraph).join('\n\n');
    const ids = await adapter.send({ chatId: 'C1', threadId: '1.000001', text });
    expect(slack.posted.length).toBeGreaterThan(1);
    expect(ids).toEqual(slack.posted.map((p) => p.ts));
    for (const post of slack.posted) {
      expect(post.text.length).toBeLessThanOrEqual(3_900);
      expect(post).toMatchObject({ channel: 'C1', threadTs: '1.000001', mrkdwn: true });
    }
    const all = slack.posted.map((p) => p.text).join('\n\n');
    expect(all.indexOf('*Part 1*')).toBeLessThan(all.indexOf('*Part 4*'));
    expect(all).toContain(
      '*Part 3* of _the_ answer: a &lt; b &amp; <https://x.test/?a=1&amp;b=2|link>.',
    );
    expect(all).not.toMatch(/&(?!amp;|lt;|gt;)/u);
  });

  it('replies into the thread of the message it answers', async () => {
    const { slack, adapter, box } = await started();
    await slack.sendMessage({
      channel: 'C1',
      channelType: 'channel',
      user: 'U1',
      text: '<@U0BOT> hi',
    });
    await box.until(1);
    const question = box.received[0] as InboundMessage;
    await adapter.send({ chatId: question.chatId, text: 'hello', replyTo: question });
    expect(slack.posted).toEqual([
      expect.objectContaining({ channel: 'C1', text: 'hello', threadTs: question.messageId }),
    ]);
  });

  it('retries a 429 after Retry-After and a 500, a bounded number of times', async () => {
    const { slack, adapter } = await started();
    slack.failNext('chat.postMessage', { status: 429, retryAfter: 0 });
    slack.failNext('chat.postMessage', { status: 500 });
    expect(await adapter.send({ chatId: 'D1', text: 'after the storm' })).toHaveLength(1);
    expect(slack.calls.filter((c) => c.method === 'chat.postMessage')).toHaveLength(3);
    expect(slack.posted.map((p) => p.text)).toEqual(['after the storm']);

    for (let i = 0; i < 3; i += 1)
      slack.failNext('chat.postMessage', { status: 429, retryAfter: 0 });
    const error = await adapter.send({ chatId: 'D1', text: 'never' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MnemosError);
    expect((error as MnemosError).code).toBe('rate_limited');
    // max_retries: 2 → three attempts, then the error.
    expect(slack.calls.filter((c) => c.method === 'chat.postMessage')).toHaveLength(6);
  });

  it('typing is a no-op that calls nothing', async () => {
    const { slack, adapter } = await started();
    const before = slack.calls.length;
    await adapter.typing('C1', '1.000001');
    expect(slack.calls.length).toBe(before);
  });

  it('fetches attachments lazily with the bot token and refuses larger ones', async () => {
    const { slack, box } = await started();
    const bytes = new TextEncoder().encode('report contents');
    const file = slack.addFile('report.txt', 'text/plain', bytes);
    await slack.sendMessage({
      channel: 'D1',
      channelType: 'im',
      user: 'U1',
      text: 'see file',
      files: [file],
    });
    await box.until(1);
    const [attachment] = box.received[0]?.attachments ?? [];
    expect(attachment).toMatchObject({
      name: 'report.txt',
      mimeType: 'text/plain',
      size: bytes.byteLength,
    });
    expect(new TextDecoder().decode(await attachment?.fetch(1_000))).toBe('report contents');
    await expect(attachment?.fetch(4)).rejects.toMatchObject({ code: 'payload_too_large' });
  });

  it('never sends the bot token to a host that is not Slack', async () => {
    const { slack, box } = await started();
    let leaked = false;
    const { createServer } = await import('node:http');
    const other = createServer((req, res) => {
      leaked = leaked || req.headers.authorization !== undefined;
      res.end('x');
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const port = (other.address() as { port: number }).port;
    const evil = { ...slack.addFile('x.txt', 'text/plain', new Uint8Array(1)) };
    evil.url_private_download = `http://127.0.0.1:${port}/steal`;
    await slack.sendMessage({
      channel: 'D1',
      channelType: 'im',
      user: 'U1',
      text: 'file',
      files: [evil],
    });
    await box.until(1);
    await expect(box.received[0]?.attachments[0]?.fetch(100)).rejects.toMatchObject({
      code: 'forbidden',
    });
    expect(leaked).toBe(false);
    await new Promise<void>((resolve) => other.close(() => resolve()));
  });

  it('keeps running when the handler throws', async () => {
    fake = await startFakeSlack({ botToken, appToken });
    const seen: string[] = [];
    adapter = await createSlackAdapter(slackConfig(fake.apiUrl), options());
    let done: () => void = () => {};
    const second = new Promise<void>((resolve) => {
      done = resolve;
    });
    await adapter.start(async (message) => {
      seen.push(message.text);
      if (seen.length === 1) throw new Error('pipeline broke');
      done();
    });
    await fake.sendMessage({ channel: 'D1', channelType: 'im', user: 'U1', text: 'one' });
    await fake.sendMessage({ channel: 'D1', channelType: 'im', user: 'U1', text: 'two' });
    await second;
    expect(seen).toEqual(['one', 'two']);
    expect(logs.some((line) => line.startsWith('warn') && line.includes('pipeline broke'))).toBe(
      true,
    );
  });
});

describe('Slack adapter start and stop', () => {
  it('reconnects when Slack refreshes the socket, and keeps delivering', {
    timeout: 20_000,
  }, async () => {
    const { slack, box } = await started();
    slack.refreshSockets();
    const opens = () => slack.calls.filter((c) => c.method === 'apps.connections.open').length;
    // The SDK waits a few seconds before it opens a new connection.
    await expect
      .poll(() => opens() === 2 && slack.openSockets() === 1, { timeout: 15_000 })
      .toBe(true);
    await expect
      .poll(
        async () => {
          // The hello may still be on its way: a message sent before it fails, so try until one lands.
          const sent = await slack
            .sendMessage({ channel: 'D1', channelType: 'im', user: 'U1', text: 'after refresh' })
            .then(
              () => true,
              () => false,
            );
          return sent;
        },
        { timeout: 5_000 },
      )
      .toBe(true);
    await box.until(1);
    expect(box.received[0]?.text).toBe('after refresh');
  });

  it('fails start clearly on a wrong bot token, and on a wrong app token', async () => {
    fake = await startFakeSlack({ botToken, appToken });
    const wrongBot = await createSlackAdapter(
      slackConfig(fake.apiUrl),
      options({ SLACK_BOT_TOKEN: 'xoxb-wrong' }),
    );
    await expect(wrongBot.start(async () => {})).rejects.toMatchObject({
      code: 'unauthorized',
      message: 'slack: Slack refused SLACK_BOT_TOKEN (invalid_auth)',
    });
    const wrongApp = await createSlackAdapter(
      slackConfig(fake.apiUrl),
      options({ SLACK_APP_TOKEN: 'xapp-wrong' }),
    );
    await expect(wrongApp.start(async () => {})).rejects.toMatchObject({
      code: 'unauthorized',
      message: 'slack: Slack refused SLACK_APP_TOKEN (invalid_auth)',
    });
    expect(fake.openSockets()).toBe(0);
  });

  it('fails start with upstream_error when Slack cannot be reached', async () => {
    fake = await startFakeSlack({ botToken, appToken });
    const apiUrl = fake.apiUrl;
    await fake.close();
    fake = null;
    const unreachable = await createSlackAdapter(slackConfig(apiUrl), options());
    await expect(unreachable.start(async () => {})).rejects.toMatchObject({
      code: 'upstream_error',
    });
  });

  it('names a missing secret, and a bot token given as the app token', async () => {
    await expect(
      createSlackAdapter(slackConfig('https://slack.com/api/'), options({ SLACK_APP_TOKEN: '' })),
    ).rejects.toMatchObject({
      code: 'config_error',
      message: 'slack: set SLACK_APP_TOKEN in the environment or .env',
    });
    await expect(
      createSlackAdapter(slackConfig('https://slack.com/api/'), {
        secret: () => undefined,
        log: () => {},
      }),
    ).rejects.toThrow('slack: set SLACK_BOT_TOKEN in the environment or .env');
    await expect(
      createSlackAdapter(
        slackConfig('https://slack.com/api/'),
        options({ SLACK_APP_TOKEN: botToken }),
      ),
    ).rejects.toThrow(/SLACK_APP_TOKEN must be an app-level token/u);
  });

  it('stop closes the socket and leaves no timers behind', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const { slack, adapter: running } = await started();
    await running.send({ chatId: 'D1', text: 'bye' });
    await running.stop();
    adapter = null;
    // The server sees the close a moment after the client finished its close handshake.
    await expect.poll(() => slack.openSockets()).toBe(0);
    expect(timers()).toBeLessThanOrEqual(before);
    await expect(running.send({ chatId: 'D1', text: 'late' })).rejects.toMatchObject({
      code: 'closed',
    });
  });
});

describe('Slack adapter over HTTP events', () => {
  const signingSecret = 'test-signing-secret';

  async function freePort(): Promise<number> {
    const { createServer } = await import('node:net');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
  }

  async function startedHttp() {
    fake = await startFakeSlack({ botToken, appToken: 'xapp-unused', ackTimeoutMs: 1_000 });
    fake.addUser('U1', 'ada');
    const port = await freePort();
    const config = gatewayConfigSchema.parse({
      platforms: { slack: { mode: 'http', port, api_url: fake.apiUrl, retry_delay_ms: 5 } },
    }).platforms.slack;
    const box = inbox();
    adapter = await createSlackAdapter(config, options({ SLACK_SIGNING_SECRET: signingSecret }));
    await adapter.start(box.handler);
    fake.deliverTo(`http://127.0.0.1:${port}/slack/events`, signingSecret);
    return { slack: fake, adapter, box, port };
  }

  it('answers url_verification, takes signed events and refuses unsigned ones', async () => {
    const { slack, box } = await startedHttp();
    const challenge = await slack.postToApp(
      JSON.stringify({ token: 't', challenge: 'c-123', type: 'url_verification' }),
    );
    expect(challenge.status).toBe(200);
    expect(challenge.text).toContain('c-123');

    const forged = JSON.stringify({
      type: 'event_callback',
      event: {
        type: 'message',
        channel: 'D1',
        user: 'U1',
        text: 'forged',
        ts: '1.1',
        channel_type: 'im',
      },
    });
    expect((await slack.postToApp(forged, 'wrong-secret')).status).toBe(401);

    await slack.sendMessage({ channel: 'D1', channelType: 'im', user: 'U1', text: 'over http' });
    await slack.sendMessage({
      channel: 'C1',
      channelType: 'channel',
      user: 'U1',
      text: '<@U0BOT> there',
    });
    await box.until(2);
    expect(box.received.map((m) => [m.chatType, m.text, m.userName, m.mentioned])).toEqual([
      ['dm', 'over http', 'ada', true],
      ['group', 'there', 'ada', true],
    ]);
    expect(slack.deliveries.every((d) => d.attempt === 0)).toBe(true);
  });

  it('needs the signing secret, and stop frees the port', async () => {
    const config = gatewayConfigSchema.parse({ platforms: { slack: { mode: 'http' } } }).platforms
      .slack;
    await expect(createSlackAdapter(config, options())).rejects.toThrow(
      'slack: set SLACK_SIGNING_SECRET in the environment or .env',
    );
    const { adapter: running, port } = await startedHttp();
    await running.stop();
    adapter = null;
    await expect(
      fetch(`http://127.0.0.1:${port}/slack/events`, { method: 'POST' }),
    ).rejects.toThrow();
  });
});
