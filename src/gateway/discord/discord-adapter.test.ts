import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeDiscord, startFakeDiscord } from '../../../test/support/fake-discord.js';
import { gatewayConfigSchema } from '../../config/gateway-config.js';
import type { GatewayAdapter, InboundMessage } from '../gateway-adapter.js';
import { createDiscordAdapter, type DiscordConfig } from './discord-adapter.js';
import { discordAttachment } from './discord-inbound.js';

const token = 'MTEwMDAwMDAwMDAwMDAwMDAxMA.fake.token';

function discordConfig(discord: FakeDiscord, extra: Record<string, unknown> = {}): DiscordConfig {
  return gatewayConfigSchema.parse({
    platforms: { discord: { enabled: true, api_url: discord.apiUrl, ...extra } },
  }).platforms.discord;
}

/** Resolves once `predicate` holds, polling the fake's records. */
async function until(predicate: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (predicate()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('Discord adapter against the fake Discord', () => {
  let discord: FakeDiscord;
  let adapter: GatewayAdapter | undefined;
  const logs: string[] = [];
  const options = (secret = token) => ({
    secret: (name: string) => (name === 'DISCORD_BOT_TOKEN' ? secret : undefined),
    log: (level: string, message: string) => logs.push(`${level}: ${message}`),
  });

  beforeEach(async () => {
    discord = await startFakeDiscord({ token });
    logs.length = 0;
  });

  afterEach(async () => {
    await adapter?.stop();
    adapter = undefined;
    await discord.close();
  });

  async function started(extra: Record<string, unknown> = {}): Promise<InboundMessage[]> {
    const received: InboundMessage[] = [];
    adapter = await createDiscordAdapter(discordConfig(discord, extra), options());
    await adapter.start(async (message) => {
      received.push(message);
    });
    return received;
  }

  it('identifies with the intents and delivers a DM with its fields', async () => {
    const received = await started();
    const identify = discord.identifies[0] as { intents: number; shard: number[] };
    expect(identify.shard).toEqual([0, 1]);
    // Guilds | GuildMessages | DirectMessages | MessageContent
    expect(identify.intents).toBe(1 | (1 << 9) | (1 << 12) | (1 << 15));
    const id = discord.inject({
      channelId: discord.ids.dm,
      authorId: discord.ids.user,
      content: 'hello there',
    });
    await until(() => received.length === 1, 'the DM');
    expect(received[0]).toMatchObject({
      platform: 'discord',
      userId: discord.ids.user,
      userName: 'Ada Lovelace',
      chatId: discord.ids.dm,
      threadId: null,
      chatType: 'dm',
      text: 'hello there',
      messageId: id,
      mentioned: true,
      attachments: [],
    });
  });

  it('marks group messages mentioned or not, strips the mention, and maps threads', async () => {
    const received = await started();
    const { bot, channel, thread, user, guild } = discord.ids;
    discord.inject({ channelId: channel, authorId: user, content: 'just chatting' });
    discord.inject({ channelId: channel, authorId: user, content: `<@${bot}> what is   new?` });
    discord.inject({ channelId: thread, authorId: user, content: `hey <@!${bot}>` });
    await until(() => received.length === 3, 'three group messages');
    expect(received.map((m) => [m.chatType, m.mentioned, m.text, m.chatId, m.threadId])).toEqual([
      ['group', false, 'just chatting', channel, null],
      ['group', true, 'what is   new?', channel, null],
      ['group', true, 'hey', channel, thread],
    ]);
    expect(received[0]?.context.guildId).toBe(guild);
    discord.inject({
      channelId: channel,
      authorId: user,
      content: `<@${bot}> ask <@${user}> in <#${channel}>`,
    });
    await until(() => received.length === 4, 'the message with other mentions');
    expect(received[3]?.text).toBe('ask @Ada Lovelace in #general');
    discord.inject({
      channelId: channel,
      authorId: user,
      content: `<@&${discord.ids.botRole}> via the role`,
    });
    await until(() => received.length === 5, 'the role mention');
    expect(received[4]).toMatchObject({ mentioned: true, text: 'via the role' });
    const code = '```py\ndef f():\n    return 1\n```';
    discord.inject({
      channelId: channel,
      authorId: user,
      content: `<@${bot}>  fix  this:\n${code}`,
    });
    await until(() => received.length === 6, 'the message with code');
    expect(received[5]?.text).toBe(`fix  this:\n${code}`);
  });

  it('counts a reply to the bot as a mention', async () => {
    const received = await started();
    const [botMessageId] = await adapter!.send({ chatId: discord.ids.channel, text: 'I am here' });
    discord.inject({
      channelId: discord.ids.channel,
      authorId: discord.ids.user,
      content: 'thanks',
      replyTo: botMessageId,
    });
    await until(() => received.length === 1, 'the reply');
    expect(received[0]).toMatchObject({
      mentioned: true,
      text: 'thanks',
      context: { replyToMessageId: botMessageId },
    });
  });

  it('ignores its own messages and other bots', async () => {
    const received = await started();
    await adapter!.send({ chatId: discord.ids.channel, text: 'an echo the bot must not answer' });
    discord.inject({
      channelId: discord.ids.channel,
      authorId: discord.ids.otherBot,
      content: `<@${discord.ids.bot}> hi`,
    });
    discord.inject({ channelId: discord.ids.channel, authorId: discord.ids.user, content: 'last' });
    await until(() => received.length >= 1, 'the user message');
    expect(received.map((m) => m.text)).toEqual(['last']);
  });

  it('drops guilds and channels outside allowed_guilds / allowed_channels', async () => {
    const received = await started({ allowed_channels: ['1100000000000000099'] });
    discord.inject({
      channelId: discord.ids.channel,
      authorId: discord.ids.user,
      content: 'not here',
    });
    discord.inject({
      channelId: discord.ids.dm,
      authorId: discord.ids.user,
      content: 'DMs still come',
    });
    await until(() => received.length >= 1, 'the DM');
    expect(received.map((m) => m.text)).toEqual(['DMs still come']);
  });

  it('keeps running when the handler throws', async () => {
    let calls = 0;
    adapter = await createDiscordAdapter(discordConfig(discord), options());
    await adapter.start(async () => {
      calls += 1;
      throw new Error('pipeline exploded');
    });
    discord.inject({ channelId: discord.ids.dm, authorId: discord.ids.user, content: 'one' });
    discord.inject({ channelId: discord.ids.dm, authorId: discord.ids.user, content: 'two' });
    await until(() => calls === 2, 'both messages');
    expect(
      logs.some((line) => line.startsWith('warn:') && line.includes('pipeline exploded')),
    ).toBe(true);
  });

  it('sends formatted, split messages in order without mass mentions', async () => {
    await started();
    const paragraphs = Array.from(
      { length: 60 },
      (_, i) => `Paragraph ${i}: **bold** and _italic_ words.`,
    );
    const text = `@everyone look\n\n${paragraphs.join('\n\n')}`;
    const ids = await adapter!.send({ chatId: discord.ids.channel, text });
    expect(ids.length).toBeGreaterThan(1);
    expect(discord.sent.map((m) => m.id)).toEqual(ids);
    const contents = discord.sent.map((m) => m.body.content ?? '');
    for (const content of contents) expect(content.length).toBeLessThanOrEqual(2000);
    expect(contents[0]?.startsWith('@\u200beveryone look')).toBe(true);
    expect(contents.join('\n\n').replaceAll('@\u200b', '@')).toBe(text);
    for (const message of discord.sent)
      expect(message.body.allowed_mentions).toEqual({ parse: [], replied_user: false });
  });

  it('replies in a thread and references the message answered', async () => {
    const received = await started();
    discord.inject({
      channelId: discord.ids.thread,
      authorId: discord.ids.user,
      content: `<@${discord.ids.bot}> hi`,
    });
    await until(() => received.length === 1, 'the thread message');
    const inbound = received[0]!;
    await adapter!.send({
      chatId: inbound.chatId,
      threadId: inbound.threadId,
      text: 'hello',
      replyTo: inbound,
    });
    expect(discord.sent[0]).toMatchObject({
      channelId: discord.ids.thread,
      body: { content: 'hello', message_reference: { message_id: inbound.messageId } },
    });
  });

  it('sends to a user id through their DM channel, and names an unknown channel', async () => {
    await started();
    await adapter!.send({ chatId: discord.ids.user, text: 'a notification' });
    await adapter!.send({ chatId: discord.ids.user, text: 'another' });
    expect(discord.sent.map((m) => [m.channelId, m.body.content])).toEqual([
      [discord.ids.dm, 'a notification'],
      [discord.ids.dm, 'another'],
    ]);
    const opened = discord.requests.filter((r) => r.path === '/users/@me/channels');
    expect(opened).toHaveLength(1);
    await expect(adapter!.send({ chatId: '1100000000000000999', text: 'x' })).rejects.toMatchObject(
      {
        code: 'upstream_error',
        message: expect.stringContaining('Unknown Channel'),
      },
    );
  });

  it('refuses a channel id that is not a snowflake before any request', async () => {
    await started();
    const before = discord.requests.length;
    await expect(adapter!.send({ chatId: '../../users/@me', text: 'x' })).rejects.toMatchObject({
      code: 'invalid_input',
    });
    await expect(adapter!.typing('general')).rejects.toMatchObject({ code: 'invalid_input' });
    expect(discord.requests.length).toBe(before);
  });

  it('shows typing in the channel or thread', async () => {
    await started();
    await adapter!.typing(discord.ids.channel);
    await adapter!.typing(discord.ids.channel, discord.ids.thread);
    expect(discord.typing).toEqual([discord.ids.channel, discord.ids.thread]);
  });

  it('retries a 429 after its Retry-After, and gives up after three', async () => {
    await started();
    discord.failNext(/\/messages$/u, { status: 429, retryAfterS: 0.05 });
    await adapter!.send({ chatId: discord.ids.channel, text: 'after the wait' });
    expect(discord.sent.map((m) => m.body.content)).toEqual(['after the wait']);
    const posts = discord.requests.filter(
      (r) => r.method === 'POST' && r.path.endsWith('/messages'),
    );
    expect(posts).toHaveLength(2);

    discord.failNext(/\/messages$/u, { status: 429, retryAfterS: 0.02 }, 10);
    await expect(
      adapter!.send({ chatId: discord.ids.channel, text: 'never' }),
    ).rejects.toMatchObject({
      code: 'rate_limited',
    });
    const later = discord.requests.filter(
      (r) => r.method === 'POST' && r.path.endsWith('/messages'),
    );
    expect(later).toHaveLength(2 + 4);
  });

  it('fails a send with the channel named when Discord answers 500 every time', async () => {
    await started();
    discord.failNext(/\/messages$/u, { status: 500 }, 10);
    await expect(adapter!.send({ chatId: discord.ids.channel, text: 'x' })).rejects.toMatchObject({
      code: 'upstream_error',
      message: expect.stringContaining(discord.ids.channel),
    });
    // discord.js retries a 5xx three times before giving up.
    expect(discord.requests.filter((r) => r.path.endsWith('/messages'))).toHaveLength(4);
  });

  it('fetches an attachment and refuses one over maxBytes', async () => {
    const received = await started();
    const data = new TextEncoder().encode('col1,col2\n1,2\n');
    discord.inject({
      channelId: discord.ids.dm,
      authorId: discord.ids.user,
      content: 'a file',
      attachments: [{ filename: 'data.csv', contentType: 'text/csv', data }],
    });
    await until(() => received.length === 1, 'the message with a file');
    const [attachment] = received[0]!.attachments;
    expect(attachment).toMatchObject({ name: 'data.csv', mimeType: 'text/csv', size: data.length });
    expect(new TextDecoder().decode(await attachment!.fetch(1_000))).toBe('col1,col2\n1,2\n');
    await expect(attachment!.fetch(5)).rejects.toMatchObject({ code: 'payload_too_large' });
    // A declared size that understates the file is caught while downloading.
    const url = (discord.lastInjected().attachments as { url: string }[])[0]!.url;
    const understated = discordAttachment('data.csv', 'text/csv', 3, url);
    await expect(understated.fetch(5)).rejects.toMatchObject({ code: 'payload_too_large' });
    const local = discordAttachment('passwd', null, 10, 'file:///etc/passwd');
    await expect(local.fetch(1_000)).rejects.toMatchObject({ code: 'invalid_input' });
  });

  it('fails start with a clear error on a wrong token', async () => {
    adapter = await createDiscordAdapter(discordConfig(discord), options('wrong-token'));
    await expect(adapter.start(async () => {})).rejects.toMatchObject({
      code: 'unauthorized',
      message: expect.stringContaining('DISCORD_BOT_TOKEN'),
    });
    expect(discord.openConnections()).toBe(0);
  });

  it('fails start when the gateway refuses the token in IDENTIFY (close 4004)', async () => {
    await discord.close();
    discord = await startFakeDiscord({ token, gatewayToken: 'reset-since' });
    adapter = await createDiscordAdapter(discordConfig(discord), options());
    await expect(adapter.start(async () => {})).rejects.toMatchObject({ code: 'unauthorized' });
    expect(discord.identifies).toHaveLength(1);
    await until(() => discord.openConnections() === 0, 'the refused socket to close');
  });

  it('heartbeats and gets acknowledged at the interval HELLO gives', async () => {
    await discord.close();
    discord = await startFakeDiscord({ token, heartbeatIntervalMs: 20 });
    const received = await started();
    await until(() => discord.heartbeats() >= 3, 'three heartbeats');
    discord.inject({
      channelId: discord.ids.dm,
      authorId: discord.ids.user,
      content: 'still alive',
    });
    await until(() => received.length === 1, 'a message after the heartbeats');
  });

  it('reconnects when Discord drops the gateway and keeps delivering', async () => {
    const received = await started();
    discord.disconnectAll(4000);
    await until(() => discord.resumes() === 1 && discord.openConnections() === 1, 'the resume');
    expect(discord.identifies).toHaveLength(1);
    discord.inject({
      channelId: discord.ids.dm,
      authorId: discord.ids.user,
      content: 'after the drop',
    });
    await until(() => received.length === 1, 'a message on the new session');
    expect(received[0]?.text).toBe('after the drop');
  });

  it('warns when Discord ends the session for good (token reset while running)', async () => {
    await started();
    discord.disconnectAll(4004);
    await until(() => logs.some((line) => line.includes('code 4004')), 'the warning');
    expect(logs.filter((line) => line.startsWith('warn:')).join('\n')).toContain('for good');
    expect(discord.openConnections()).toBe(0);
  });

  it('names the Message Content intent when Discord refuses it', async () => {
    await discord.close();
    discord = await startFakeDiscord({ token, messageContentIntent: false });
    adapter = await createDiscordAdapter(discordConfig(discord), options());
    await expect(adapter.start(async () => {})).rejects.toMatchObject({
      code: 'config_error',
      message: expect.stringContaining('Message Content intent'),
    });
  });

  it('asks for the token variable when it is unset', async () => {
    await expect(
      createDiscordAdapter(discordConfig(discord), { secret: () => undefined, log: () => {} }),
    ).rejects.toMatchObject({
      code: 'config_error',
      message: 'discord: set DISCORD_BOT_TOKEN in the environment or .env',
    });
  });

  it('closes the gateway connection on stop', async () => {
    await started();
    expect(discord.openConnections()).toBe(1);
    await adapter!.stop();
    adapter = undefined;
    await until(() => discord.openConnections() === 0, 'the socket to close');
  });

  it('lets the process exit by itself after stop', async () => {
    await discord.close();
    discord = await startFakeDiscord({ token, heartbeatIntervalMs: 50 });
    const here = import.meta.dirname;
    const script = `const { createDiscordAdapter } = await import(${JSON.stringify(resolve(here, 'discord-adapter.ts'))});
const { gatewayConfigSchema } = await import(${JSON.stringify(resolve(here, '../../config/gateway-config.ts'))});
const config = gatewayConfigSchema.parse({ platforms: { discord: { api_url: ${JSON.stringify(discord.apiUrl)} } } }).platforms.discord;
const adapter = await createDiscordAdapter(config, { secret: () => ${JSON.stringify(token)}, log: () => {} });
await adapter.start(async (message) => {
  await adapter.send({ chatId: message.chatId, text: 'echo: ' + message.text, replyTo: message });
  await adapter.stop();
  console.log('stopped');
});
console.log('ready');`;
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], {
      cwd: resolve(here, '../../..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      if (String(chunk).includes('ready'))
        discord.inject({ channelId: discord.ids.dm, authorId: discord.ids.user, content: 'ping' });
    });
    // A child still running after 20 s has something left open; kill it and fail.
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const [code, signal] = await new Promise<[number | null, string | null]>((done) =>
      child.on('exit', (c, s) => done([c, s])),
    );
    clearTimeout(killer);
    expect({ code, signal, stderr }).toEqual({ code: 0, signal: null, stderr: '' });
    expect(stdout).toContain('stopped');
    expect(discord.sent.map((m) => m.body.content)).toEqual(['echo: ping']);
  });
});
