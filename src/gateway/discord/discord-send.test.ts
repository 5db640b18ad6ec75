import { describe, expect, it } from 'vitest';
import { until, useFakeDiscord } from '../../../test/support/discord-harness.js';

describe('Discord adapter: messages out', () => {
  const h = useFakeDiscord();

  it('sends formatted, split messages in order without mass mentions', async () => {
    await h.started();
    const paragraphs = Array.from(
      { length: 60 },
      (_, i) => `Paragraph ${i}: **bold** and _italic_ words.`,
    );
    const text = `@everyone look\n\n${paragraphs.join('\n\n')}`;
    const ids = await h.adapter!.send({ chatId: h.discord.ids.channel, text });
    expect(ids.length).toBeGreaterThan(1);
    expect(h.discord.sent.map((m) => m.id)).toEqual(ids);
    const contents = h.discord.sent.map((m) => m.body.content ?? '');
    for (const content of contents) expect(content.length).toBeLessThanOrEqual(2000);
    expect(contents[0]?.startsWith('@\u200beveryone look')).toBe(true);
    expect(contents.join('\n\n').replaceAll('@\u200b', '@')).toBe(text);
    for (const message of h.discord.sent)
      expect(message.body.allowed_mentions).toEqual({ parse: [], replied_user: false });
  });

  it('replies in a thread and references the message answered', async () => {
    const received = await h.started();
    h.discord.inject({
      channelId: h.discord.ids.thread,
      authorId: h.discord.ids.user,
      content: `<@${h.discord.ids.bot}> hi`,
    });
    await until(() => received.length === 1, 'the thread message');
    const inbound = received[0]!;
    await h.adapter!.send({
      chatId: inbound.chatId,
      threadId: inbound.threadId,
      text: 'hello',
      replyTo: inbound,
    });
    expect(h.discord.sent[0]).toMatchObject({
      channelId: h.discord.ids.thread,
      body: { content: 'hello', message_reference: { message_id: inbound.messageId } },
    });
  });

  it('sends to a user id through their DM channel, and names an unknown channel', async () => {
    await h.started();
    await h.adapter!.send({ chatId: h.discord.ids.user, text: 'a notification' });
    await h.adapter!.send({ chatId: h.discord.ids.user, text: 'another' });
    expect(h.discord.sent.map((m) => [m.channelId, m.body.content])).toEqual([
      [h.discord.ids.dm, 'a notification'],
      [h.discord.ids.dm, 'another'],
    ]);
    const opened = h.discord.requests.filter((r) => r.path === '/users/@me/channels');
    expect(opened).toHaveLength(1);
    await expect(
      h.adapter!.send({ chatId: '1100000000000000999', text: 'x' }),
    ).rejects.toMatchObject({
      code: 'upstream_error',
      message: expect.stringContaining('Unknown Channel'),
    });
  });

  it('refuses a channel id that is not a snowflake before any request', async () => {
    await h.started();
    const before = h.discord.requests.length;
    await expect(h.adapter!.send({ chatId: '../../users/@me', text: 'x' })).rejects.toMatchObject({
      code: 'invalid_input',
    });
    await expect(h.adapter!.typing('general')).rejects.toMatchObject({ code: 'invalid_input' });
    expect(h.discord.requests.length).toBe(before);
  });

  it('shows typing in the channel or thread', async () => {
    await h.started();
    await h.adapter!.typing(h.discord.ids.channel);
    await h.adapter!.typing(h.discord.ids.channel, h.discord.ids.thread);
    expect(h.discord.typing).toEqual([h.discord.ids.channel, h.discord.ids.thread]);
  });

  it('retries a 429 after its Retry-After, and gives up after three', async () => {
    await h.started();
    h.discord.failNext(/\/messages$/u, { status: 429, retryAfterS: 0.05 });
    await h.adapter!.send({ chatId: h.discord.ids.channel, text: 'after the wait' });
    expect(h.discord.sent.map((m) => m.body.content)).toEqual(['after the wait']);
    const posts = h.discord.requests.filter(
      (r) => r.method === 'POST' && r.path.endsWith('/messages'),
    );
    expect(posts).toHaveLength(2);

    h.discord.failNext(/\/messages$/u, { status: 429, retryAfterS: 0.02 }, 10);
    await expect(
      h.adapter!.send({ chatId: h.discord.ids.channel, text: 'never' }),
    ).rejects.toMatchObject({
      code: 'rate_limited',
    });
    const later = h.discord.requests.filter(
      (r) => r.method === 'POST' && r.path.endsWith('/messages'),
    );
    expect(later).toHaveLength(2 + 4);
  });

  it('fails a send with the channel named when Discord answers 500 every time', async () => {
    await h.started();
    h.discord.failNext(/\/messages$/u, { status: 500 }, 10);
    await expect(
      h.adapter!.send({ chatId: h.discord.ids.channel, text: 'x' }),
    ).rejects.toMatchObject({
      code: 'upstream_error',
      message: expect.stringContaining(h.discord.ids.channel),
    });
    // h.discord.js retries a 5xx three times before giving up.
    expect(h.discord.requests.filter((r) => r.path.endsWith('/messages'))).toHaveLength(4);
  });
});
