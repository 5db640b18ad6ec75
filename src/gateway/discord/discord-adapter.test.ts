import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  discordTestConfig,
  fakeDiscordToken,
  until,
  useFakeDiscord,
} from '../../../test/support/discord-harness.js';
import { createDiscordAdapter } from './discord-adapter.js';

describe('Discord adapter: connecting and stopping', () => {
  const h = useFakeDiscord();

  it('fails start with a clear error on a wrong token', async () => {
    h.adapter = await createDiscordAdapter(discordTestConfig(h.discord), h.options('wrong-token'));
    await expect(h.adapter.start(async () => {})).rejects.toMatchObject({
      code: 'unauthorized',
      message: expect.stringContaining('DISCORD_BOT_TOKEN'),
    });
    expect(h.discord.openConnections()).toBe(0);
  });

  it('fails start when the gateway refuses the token in IDENTIFY (close 4004)', async () => {
    await h.restart({ gatewayToken: 'reset-since' });
    h.adapter = await createDiscordAdapter(discordTestConfig(h.discord), h.options());
    await expect(h.adapter.start(async () => {})).rejects.toMatchObject({ code: 'unauthorized' });
    expect(h.discord.identifies).toHaveLength(1);
    await until(() => h.discord.openConnections() === 0, 'the refused socket to close');
  });

  it('heartbeats and gets acknowledged at the interval HELLO gives', async () => {
    await h.restart({ heartbeatIntervalMs: 20 });
    const received = await h.started();
    await until(() => h.discord.heartbeats() >= 3, 'three heartbeats');
    h.discord.inject({
      channelId: h.discord.ids.dm,
      authorId: h.discord.ids.user,
      content: 'still alive',
    });
    await until(() => received.length === 1, 'a message after the heartbeats');
  });

  it('reconnects when Discord drops the gateway and keeps delivering', async () => {
    const received = await h.started();
    h.discord.disconnectAll(4000);
    await until(() => h.discord.resumes() === 1 && h.discord.openConnections() === 1, 'the resume');
    expect(h.discord.identifies).toHaveLength(1);
    h.discord.inject({
      channelId: h.discord.ids.dm,
      authorId: h.discord.ids.user,
      content: 'after the drop',
    });
    await until(() => received.length === 1, 'a message on the new session');
    expect(received[0]?.text).toBe('after the drop');
  });

  it('warns when Discord ends the session for good (token reset while running)', async () => {
    await h.started();
    h.discord.disconnectAll(4004);
    await until(() => h.logs.some((line) => line.includes('code 4004')), 'the warning');
    expect(h.logs.filter((line) => line.startsWith('warn:')).join('\n')).toContain('for good');
    expect(h.discord.openConnections()).toBe(0);
  });

  it('names the Message Content intent when Discord refuses it', async () => {
    await h.restart({ messageContentIntent: false });
    h.adapter = await createDiscordAdapter(discordTestConfig(h.discord), h.options());
    await expect(h.adapter.start(async () => {})).rejects.toMatchObject({
      code: 'config_error',
      message: expect.stringContaining('Message Content intent'),
    });
  });

  it('asks for the token variable when it is unset', async () => {
    await expect(
      createDiscordAdapter(discordTestConfig(h.discord), {
        secret: () => undefined,
        log: () => {},
      }),
    ).rejects.toMatchObject({
      code: 'config_error',
      message: 'discord: set DISCORD_BOT_TOKEN in the environment or .env',
    });
  });

  it('closes the gateway connection on stop', async () => {
    await h.started();
    expect(h.discord.openConnections()).toBe(1);
    await h.adapter!.stop();
    h.adapter = undefined;
    await until(() => h.discord.openConnections() === 0, 'the socket to close');
  });

  it('lets the process exit by itself after stop', async () => {
    await h.restart({ heartbeatIntervalMs: 50 });
    const here = import.meta.dirname;
    const script = `const { createDiscordAdapter } = await import(${JSON.stringify(resolve(here, 'discord-adapter.ts'))});
const { gatewayConfigSchema } = await import(${JSON.stringify(resolve(here, '../../config/gateway-config.ts'))});
const config = gatewayConfigSchema.parse({ platforms: { discord: { api_url: ${JSON.stringify(h.discord.apiUrl)} } } }).platforms.discord;
const adapter = await createDiscordAdapter(config, { secret: () => ${JSON.stringify(fakeDiscordToken)}, log: () => {} });
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
        h.discord.inject({
          channelId: h.discord.ids.dm,
          authorId: h.discord.ids.user,
          content: 'ping',
        });
    });
    // A child still running after 20 s has something left open; kill it and fail.
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const [code, signal] = await new Promise<[number | null, string | null]>((done) =>
      child.on('exit', (c, s) => done([c, s])),
    );
    clearTimeout(killer);
    expect({ code, signal, stderr }).toEqual({ code: 0, signal: null, stderr: '' });
    expect(stdout).toContain('stopped');
    expect(h.discord.sent.map((m) => m.body.content)).toEqual(['echo: ping']);
  });
});
