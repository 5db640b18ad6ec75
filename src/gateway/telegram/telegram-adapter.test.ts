import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeTelegram, startFakeTelegram } from '../../../test/support/fake-telegram.js';
import { gatewayConfigSchema } from '../../config/gateway-config.js';
import { MnemosError } from '../../core/errors.js';
import type { GatewayAdapter, InboundMessage } from '../platform/gateway-adapter.js';
import { createTelegramAdapter, type TelegramConfig } from './telegram-adapter.js';

const alice = { id: 42, is_bot: false, first_name: 'Alice', username: 'alice' };
const dmChat = { id: 42, type: 'private', first_name: 'Alice' };
const group = { id: -100777, type: 'supergroup', title: 'Team' };

let fake: FakeTelegram;
let adapter: GatewayAdapter | null;
let logs: string[];

function config(overrides: Partial<TelegramConfig> = {}): TelegramConfig {
  const parsed = gatewayConfigSchema.parse({
    platforms: { telegram: { enabled: true, api_root: fake.apiRoot } },
  });
  return { ...parsed.platforms.telegram, ...overrides };
}

async function connect(
  received: InboundMessage[] = [],
  options: { token?: string; overrides?: Partial<TelegramConfig> } = {},
): Promise<GatewayAdapter> {
  const created = await createTelegramAdapter(config(options.overrides), {
    secret: (name) => (name === 'TELEGRAM_BOT_TOKEN' ? (options.token ?? fake.token) : undefined),
    log: (level, message) => logs.push(`${level}: ${message}`),
  });
  adapter = created;
  await created.start(async (message) => {
    received.push(message);
  });
  return created;
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 10));
}

beforeEach(async () => {
  fake = await startFakeTelegram();
  adapter = null;
  logs = [];
});

afterEach(async () => {
  await adapter?.stop();
  await fake.close();
});

describe('Telegram adapter against a fake Bot API', () => {
  it('fails without a token, naming the variable', async () => {
    const attempt = createTelegramAdapter(config(), { secret: () => undefined, log: () => {} });
    await expect(attempt).rejects.toMatchObject({
      code: 'config_error',
      message: 'telegram: set TELEGRAM_BOT_TOKEN in the environment or .env',
    });
  });

  it('fails start clearly when the Bot API rejects the token', async () => {
    const attempt = connect([], { token: '999:wrong' });
    await expect(attempt).rejects.toBeInstanceOf(MnemosError);
    await expect(attempt).rejects.toMatchObject({ code: 'unauthorized' });
    await expect(attempt).rejects.toThrow(
      /rejected the token in TELEGRAM_BOT_TOKEN \(401 Unauthorized\)/u,
    );
    expect(logs.join('\n')).not.toContain('999:wrong');
    expect(fake.heldPolls()).toBe(0);
  });

  it('fails start clearly when the Bot API cannot be reached', async () => {
    const closed = await startFakeTelegram();
    const apiRoot = closed.apiRoot;
    await closed.close();
    const attempt = connect([], { overrides: { api_root: apiRoot } });
    await expect(attempt).rejects.toMatchObject({ code: 'upstream_error' });
    await expect(attempt).rejects.toThrow(`telegram: cannot reach the Bot API at ${apiRoot}`);
  });

  it('delivers a DM with its fields, after getMe and deleteWebhook', async () => {
    const received: InboundMessage[] = [];
    await connect(received);
    expect(fake.callsOf('getMe')).toHaveLength(1);
    expect(fake.callsOf('deleteWebhook')).toHaveLength(1);
    fake.injectMessage({ message_id: 7, from: alice, chat: dmChat, text: 'hello there' });
    await until(() => received.length === 1);
    expect(received[0]).toEqual({
      platform: 'telegram',
      userId: '42',
      userName: 'alice',
      chatId: '42',
      threadId: null,
      chatType: 'dm',
      text: 'hello there',
      messageId: '7',
      mentioned: false,
      attachments: [],
      context: { username: 'alice' },
    });
  });

  it('marks group mentions and replies to the bot, strips the mention, keeps topics', async () => {
    const received: InboundMessage[] = [];
    await connect(received);
    const handle = `@${fake.bot.username}`;
    fake.injectMessage({
      from: alice,
      chat: group,
      text: `${handle} what is up?`,
      entities: [{ type: 'mention', offset: 0, length: handle.length }],
    });
    fake.injectMessage({ from: alice, chat: group, text: 'just chatting' });
    fake.injectMessage({
      from: alice,
      chat: group,
      text: `/new${handle} please`,
      entities: [{ type: 'bot_command', offset: 0, length: 4 + handle.length }],
    });
    fake.injectMessage({
      from: alice,
      chat: group,
      text: 'and you?',
      reply_to_message: { message_id: 3, date: 0, chat: group, from: fake.bot, text: 'earlier' },
    });
    fake.injectMessage({
      from: alice,
      chat: { ...group, is_forum: true },
      text: `in a topic ${handle}`,
      message_thread_id: 55,
      is_topic_message: true,
      reply_to_message: {
        message_id: 55,
        date: 0,
        chat: group,
        from: fake.bot,
        forum_topic_created: {},
      },
    });
    await until(() => received.length === 5);
    expect(received.map((m) => [m.chatType, m.mentioned, m.text, m.threadId])).toEqual([
      ['group', true, 'what is up?', null],
      ['group', false, 'just chatting', null],
      ['group', true, '/new please', null],
      ['group', true, 'and you?', null],
      ['group', true, 'in a topic', '55'],
    ]);
    expect(received[0]?.context).toEqual({ username: 'alice', chatTitle: 'Team' });
  });

  it("ignores the bot's own messages and other bots", async () => {
    const received: InboundMessage[] = [];
    await connect(received);
    fake.injectMessage({ from: fake.bot, chat: dmChat, text: 'my own echo' });
    fake.injectMessage({
      from: { id: 5, is_bot: true, first_name: 'Other' },
      chat: group,
      text: 'bot talk',
    });
    fake.injectMessage({ from: alice, chat: dmChat, text: 'real one' });
    await until(() => received.length === 1);
    await adapter?.stop();
    expect(received.map((m) => m.text)).toEqual(['real one']);
  });

  it('keeps polling when the handler throws, logging a warning', async () => {
    const received: string[] = [];
    const created = await createTelegramAdapter(config(), {
      secret: () => fake.token,
      log: (level, message) => logs.push(`${level}: ${message}`),
    });
    adapter = created;
    await created.start(async (message) => {
      received.push(message.text);
      if (message.text === 'boom') throw new Error('handler exploded');
    });
    fake.injectMessage({ from: alice, chat: dmChat, text: 'boom' });
    await until(() => logs.some((line) => line.includes('handler exploded')));
    fake.injectMessage({ from: alice, chat: dmChat, text: 'after' });
    await until(() => received.length === 2);
    expect(received).toEqual(['boom', 'after']);
    expect(logs.find((line) => line.includes('handler exploded'))).toMatch(/^warn: /u);
  });

  it('answers empty long polls when their timeout passes, then still delivers', async () => {
    const received: InboundMessage[] = [];
    await connect(received, { overrides: { poll_timeout_s: 1 } });
    await fake.waitFor('getUpdates', 2);
    fake.injectMessage({ from: alice, chat: dmChat, text: 'late' });
    await until(() => received.length === 1);
    expect(fake.callsOf('getUpdates')[0]?.payload).toMatchObject({
      timeout: 1,
      allowed_updates: ['message'],
    });
  });

  it('sends formatted MarkdownV2, split in order within 4096 after escaping, with thread and reply', async () => {
    const received: InboundMessage[] = [];
    await connect(received);
    fake.injectMessage({
      message_id: 9,
      from: alice,
      chat: group,
      text: `@${fake.bot.username} go`,
    });
    await until(() => received.length === 1);
    const long = Array.from({ length: 700 }, (_, i) => `Step ${i}: done (ok).`).join(' ');
    const ids = await adapter?.send({
      chatId: '-100777',
      threadId: '55',
      text: `**Result** for *you*:\n\n${long}`,
      replyTo: received[0],
    });
    const sent = fake.callsOf('sendMessage');
    expect(sent.length).toBeGreaterThan(1);
    expect(ids).toEqual(sent.map((call) => String(call.messageId)));
    for (const call of sent) {
      expect(String(call.payload.text).length).toBeLessThanOrEqual(4096);
      expect(call.payload).toMatchObject({
        chat_id: '-100777',
        parse_mode: 'MarkdownV2',
        message_thread_id: 55,
      });
    }
    expect(sent[0]?.payload.reply_parameters).toMatchObject({ message_id: 9 });
    expect(sent[1]?.payload.reply_parameters).toBeUndefined();
    expect(sent[0]?.text?.startsWith('Result for you:')).toBe(true);
    expect(sent[0]?.entities?.slice(0, 2).map((e) => e.type)).toEqual(['bold', 'italic']);
    const words = sent
      .map((call) => call.text)
      .join(' ')
      .split(/\s+/u);
    expect(words).toEqual(`Result for you: ${long}`.split(/\s+/u));
  });

  it('resends a piece as plain text when Telegram cannot parse its entities', async () => {
    await connect();
    fake.fail('sendMessage', {
      code: 400,
      description: "Bad Request: can't parse entities: Character '.' is reserved",
    });
    const ids = await adapter?.send({
      chatId: '42',
      text: 'Hi **there**. See [docs](https://e.com).',
    });
    const sent = fake.callsOf('sendMessage');
    expect(fake.attempts('sendMessage')).toBe(2);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.payload.parse_mode).toBeUndefined();
    expect(sent[0]?.text).toBe('Hi there. See docs (https://e.com).');
    expect(ids).toEqual([String(sent[0]?.messageId)]);
  });

  it('retries a 429 after retry_after and fails clearly on a 500', async () => {
    await connect();
    fake.fail('sendMessage', { code: 429, retryAfter: 1 });
    const ids = await adapter?.send({ chatId: '42', text: 'after the wait' });
    expect(fake.attempts('sendMessage')).toBe(2);
    expect(ids).toHaveLength(1);
    expect(logs.some((line) => /sendMessage rate-limited, retrying in 1s/u.test(line))).toBe(true);
    // Bounded: the first 429 and three retries, then the send fails.
    fake.fail('sendMessage', { code: 429, retryAfter: 0, times: 4 });
    await expect(adapter?.send({ chatId: '42', text: 'never' })).rejects.toMatchObject({
      code: 'rate_limited',
    });
    expect(fake.attempts('sendMessage')).toBe(6);
    fake.fail('sendMessage', { code: 500 });
    await expect(adapter?.send({ chatId: '42', text: 'x' })).rejects.toMatchObject({
      code: 'upstream_error',
      message: 'telegram: sending to 42 failed: 500 Internal Server Error',
      details: { sent: [] },
    });
  });

  it('shows typing with sendChatAction in the topic', async () => {
    await connect();
    await adapter?.typing('-100777', '55');
    await adapter?.typing('42');
    expect(fake.callsOf('sendChatAction').map((call) => call.payload)).toEqual([
      { chat_id: '-100777', action: 'typing', message_thread_id: 55 },
      { chat_id: '42', action: 'typing' },
    ]);
  });

  it('fetches documents and the largest photo lazily, refusing files over the limit', async () => {
    const received: InboundMessage[] = [];
    await connect(received);
    const bytes = new TextEncoder().encode('report body '.repeat(50));
    const doc = fake.addFile(bytes);
    const small = fake.addFile(new Uint8Array([1, 2, 3]));
    const big = fake.addFile(new Uint8Array(2000).fill(7));
    fake.injectMessage({
      from: alice,
      chat: dmChat,
      caption: 'see file',
      document: { ...doc, file_name: 'report.txt', mime_type: 'text/plain' },
    });
    fake.injectMessage({
      from: alice,
      chat: dmChat,
      photo: [
        { ...small, width: 90, height: 90 },
        { ...big, width: 1280, height: 960 },
      ],
    });
    await until(() => received.length === 2);
    expect(fake.callsOf('getFile')).toHaveLength(0);
    const [document] = received[0]?.attachments ?? [];
    expect(received[0]?.text).toBe('see file');
    expect(document).toMatchObject({
      name: 'report.txt',
      mimeType: 'text/plain',
      size: bytes.length,
    });
    expect(await document?.fetch(10_000)).toEqual(bytes);
    await expect(document?.fetch(100)).rejects.toMatchObject({ code: 'payload_too_large' });
    const [photo] = received[1]?.attachments ?? [];
    expect(photo).toMatchObject({ mimeType: 'image/jpeg', size: 2000 });
    expect((await photo?.fetch(5_000))?.length).toBe(2000);
    // Size unknown up front: the download itself is cut off.
    const unsized = { ...big, file_size: undefined };
    fake.injectMessage({
      from: alice,
      chat: dmChat,
      document: { ...unsized, file_name: 'blob.bin' },
    });
    await until(() => received.length === 3);
    await expect(received[2]?.attachments[0]?.fetch(500)).rejects.toMatchObject({
      code: 'payload_too_large',
    });
  });

  it('logs a warning when another poller of the same bot takes over (409)', async () => {
    await connect();
    await until(() => fake.heldPolls() === 1);
    const other = await createTelegramAdapter(config(), {
      secret: () => fake.token,
      log: () => {},
    });
    await other.start(async () => {});
    await until(() => logs.some((line) => line.includes('polling stopped')));
    await other.stop();
    expect(logs.find((line) => line.includes('polling stopped'))).toMatch(
      /^warn: telegram: polling stopped: 409 Conflict: terminated by other getUpdates request/u,
    );
  });

  it('refuses a second start, and starts again after stop', async () => {
    const received: InboundMessage[] = [];
    const created = await connect(received);
    await expect(created.start(async () => {})).rejects.toMatchObject({ code: 'conflict' });
    await created.stop();
    await created.start(async (message) => {
      received.push(message);
    });
    fake.injectMessage({ from: alice, chat: dmChat, text: 'again' });
    await until(() => received.length === 1);
    expect(received[0]?.text).toBe('again');
  });

  it('stops promptly during a long poll and delivers nothing afterwards', async () => {
    const received: InboundMessage[] = [];
    const created = await connect(received, { overrides: { poll_timeout_s: 50 } });
    await until(() => fake.heldPolls() === 1);
    await created.stop();
    adapter = null;
    expect(fake.heldPolls()).toBe(0);
    const polls = fake.attempts('getUpdates');
    fake.injectMessage({ from: alice, chat: dmChat, text: 'too late' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(fake.attempts('getUpdates')).toBe(polls);
    expect(received).toEqual([]);
  });
});
