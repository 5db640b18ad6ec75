import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type FakeSlack, startFakeSlack } from './fake-slack.js';

let slack: FakeSlack | undefined;

afterEach(async () => {
  await slack?.close();
  slack = undefined;
});

async function call(method: string, token: string | null, body: Record<string, string> = {}) {
  const response = await fetch(`${slack?.apiUrl}${method}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
    },
    body: new URLSearchParams(body).toString(),
  });
  return (await response.json()) as Record<string, unknown>;
}

describe('fake Slack', () => {
  it('checks tokens and their types like Slack', async () => {
    slack = await startFakeSlack({ botToken: 'xoxb-1', appToken: 'xapp-1' });
    expect(await call('auth.test', null)).toEqual({ ok: false, error: 'not_authed' });
    expect(await call('auth.test', 'xoxb-2')).toEqual({ ok: false, error: 'invalid_auth' });
    expect(await call('auth.test', 'xapp-1')).toEqual({
      ok: false,
      error: 'not_allowed_token_type',
    });
    expect(await call('apps.connections.open', 'xoxb-1')).toEqual({
      ok: false,
      error: 'not_allowed_token_type',
    });
    expect(await call('auth.test', 'xoxb-1')).toMatchObject({
      ok: true,
      user_id: 'U0BOT',
      bot_id: 'B0BOT',
    });
    expect(await call('chat.postMessage', 'xoxb-1', { channel: 'C1' })).toEqual({
      ok: false,
      error: 'no_text',
    });
  });

  it('says hello, redelivers an envelope nobody acks, and stops after an ack', async () => {
    slack = await startFakeSlack({
      botToken: 'xoxb-1',
      appToken: 'xapp-1',
      ackTimeoutMs: 50,
      maxRedeliveries: 2,
    });
    const { url } = (await call('apps.connections.open', 'xapp-1')) as { url: string };
    const socket = new WebSocket(url);
    const frames: Record<string, unknown>[] = [];
    socket.on('message', (data) =>
      frames.push(JSON.parse(String(data)) as Record<string, unknown>),
    );
    await new Promise<void>((resolve) => socket.once('open', () => resolve()));
    await expect.poll(() => frames.length).toBe(1);
    expect(frames[0]).toMatchObject({ type: 'hello', connection_info: { app_id: 'A0FAKE' } });

    const unacked = slack.sendMessage({ channel: 'D1', channelType: 'im', user: 'U1', text: 'hi' });
    await expect(unacked).rejects.toThrow(/never acked/u);
    expect(frames.slice(1).map((f) => f.retry_attempt)).toEqual([0, 1, 2]);

    frames.length = 0;
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { envelope_id?: string };
      if (frame.envelope_id)
        socket.send(JSON.stringify({ envelope_id: frame.envelope_id, payload: {} }));
    });
    const { envelopeId } = await slack.sendMessage({
      channel: 'D1',
      channelType: 'im',
      user: 'U1',
      text: 'hi',
    });
    expect(slack.acks).toEqual([envelopeId]);
    expect(frames).toHaveLength(1);
    expect(frames[0]).toMatchObject({
      type: 'events_api',
      payload: { event: { type: 'message', text: 'hi' } },
    });

    // A ticket is good for one connection only.
    const reused = new WebSocket(url);
    await expect(new Promise((_resolve, reject) => reused.once('error', reject))).rejects.toThrow(
      /401/u,
    );
    socket.close();
  });
});
