import { describe, expect, it } from 'vitest';
import { discordTestConfig, until, useFakeDiscord } from '../../../test/support/discord-harness.js';
import { createDiscordAdapter } from './discord-adapter.js';
import { discordAttachment } from './discord-inbound.js';

describe('Discord adapter: messages in', () => {
  const h = useFakeDiscord();

  it('identifies with the intents and delivers a DM with its fields', async () => {
    const received = await h.started();
    const identify = h.discord.identifies[0] as { intents: number; shard: number[] };
    expect(identify.shard).toEqual([0, 1]);
    // Guilds | GuildMessages | DirectMessages | MessageContent
    expect(identify.intents).toBe(1 | (1 << 9) | (1 << 12) | (1 << 15));
    const id = h.discord.inject({
      channelId: h.discord.ids.dm,
      authorId: h.discord.ids.user,
      content: 'hello there',
    });
    await until(() => received.length === 1, 'the DM');
    expect(received[0]).toMatchObject({
      platform: 'discord',
      userId: h.discord.ids.user,
      userName: 'Ada Lovelace',
      chatId: h.discord.ids.dm,
      threadId: null,
      chatType: 'dm',
      text: 'hello there',
      messageId: id,
      mentioned: true,
      attachments: [],
    });
  });

  it('marks group messages mentioned or not, strips the mention, and maps threads', async () => {
    const received = await h.started();
    const { bot, channel, thread, user, guild } = h.discord.ids;
    h.discord.inject({ channelId: channel, authorId: user, content: 'just chatting' });
    h.discord.inject({ channelId: channel, authorId: user, content: `<@${bot}> what is   new?` });
    h.discord.inject({ channelId: thread, authorId: user, content: `hey <@!${bot}>` });
    await until(() => received.length === 3, 'three group messages');
    expect(received.map((m) => [m.chatType, m.mentioned, m.text, m.chatId, m.threadId])).toEqual([
      ['group', false, 'just chatting', channel, null],
      ['group', true, 'what is   new?', channel, null],
      ['group', true, 'hey', channel, thread],
    ]);
    expect(received[0]?.context.guildId).toBe(guild);
    h.discord.inject({
      channelId: channel,
      authorId: user,
      content: `<@${bot}> ask <@${user}> in <#${channel}>`,
    });
    await until(() => received.length === 4, 'the message with other mentions');
    expect(received[3]?.text).toBe('ask @Ada Lovelace in #general');
    h.discord.inject({
      channelId: channel,
      authorId: user,
      content: `<@&${h.discord.ids.botRole}> via the role`,
    });
    await until(() => received.length === 5, 'the role mention');
    expect(received[4]).toMatchObject({ mentioned: true, text: 'via the role' });
    const code = '```py\ndef f():\n    return 1\n```';
    h.discord.inject({
      channelId: channel,
      authorId: user,
      content: `<@${bot}>  fix  this:\n${code}`,
    });
    await until(() => received.length === 6, 'the message with code');
    expect(received[5]?.text).toBe(`fix  this:\n${code}`);
  });

  it('counts a reply to the bot as a mention', async () => {
    const received = await h.started();
    const [botMessageId] = await h.adapter!.send({
      chatId: h.discord.ids.channel,
      text: 'I am here',
    });
    h.discord.inject({
      channelId: h.discord.ids.channel,
      authorId: h.discord.ids.user,
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
    const received = await h.started();
    await h.adapter!.send({
      chatId: h.discord.ids.channel,
      text: 'an echo the bot must not answer',
    });
    h.discord.inject({
      channelId: h.discord.ids.channel,
      authorId: h.discord.ids.otherBot,
      content: `<@${h.discord.ids.bot}> hi`,
    });
    h.discord.inject({
      channelId: h.discord.ids.channel,
      authorId: h.discord.ids.user,
      content: 'last',
    });
    await until(() => received.length >= 1, 'the user message');
    expect(received.map((m) => m.text)).toEqual(['last']);
  });

  it('drops guilds and channels outside allowed_guilds / allowed_channels', async () => {
    const received = await h.started({ allowed_channels: ['1100000000000000099'] });
    h.discord.inject({
      channelId: h.discord.ids.channel,
      authorId: h.discord.ids.user,
      content: 'not here',
    });
    h.discord.inject({
      channelId: h.discord.ids.dm,
      authorId: h.discord.ids.user,
      content: 'DMs still come',
    });
    await until(() => received.length >= 1, 'the DM');
    expect(received.map((m) => m.text)).toEqual(['DMs still come']);
  });

  it('keeps running when the handler throws', async () => {
    let calls = 0;
    h.adapter = await createDiscordAdapter(discordTestConfig(h.discord), h.options());
    await h.adapter.start(async () => {
      calls += 1;
      throw new Error('pipeline exploded');
    });
    h.discord.inject({ channelId: h.discord.ids.dm, authorId: h.discord.ids.user, content: 'one' });
    h.discord.inject({ channelId: h.discord.ids.dm, authorId: h.discord.ids.user, content: 'two' });
    await until(() => calls === 2, 'both messages');
    expect(
      h.logs.some((line) => line.startsWith('warn:') && line.includes('pipeline exploded')),
    ).toBe(true);
  });

  it('fetches an attachment and refuses one over maxBytes', async () => {
    const received = await h.started();
    const data = new TextEncoder().encode('col1,col2\n1,2\n');
    h.discord.inject({
      channelId: h.discord.ids.dm,
      authorId: h.discord.ids.user,
      content: 'a file',
      attachments: [{ filename: 'data.csv', contentType: 'text/csv', data }],
    });
    await until(() => received.length === 1, 'the message with a file');
    const [attachment] = received[0]!.attachments;
    expect(attachment).toMatchObject({ name: 'data.csv', mimeType: 'text/csv', size: data.length });
    expect(new TextDecoder().decode(await attachment!.fetch(1_000))).toBe('col1,col2\n1,2\n');
    await expect(attachment!.fetch(5)).rejects.toMatchObject({ code: 'payload_too_large' });
    // A declared size that understates the file is caught while downloading.
    const url = (h.discord.lastInjected().attachments as { url: string }[])[0]!.url;
    const understated = discordAttachment('data.csv', 'text/csv', 3, url);
    await expect(understated.fetch(5)).rejects.toMatchObject({ code: 'payload_too_large' });
    const local = discordAttachment('passwd', null, 10, 'file:///etc/passwd');
    await expect(local.fetch(1_000)).rejects.toMatchObject({ code: 'invalid_input' });
  });
});
