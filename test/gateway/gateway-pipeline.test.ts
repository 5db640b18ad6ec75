import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { tenantWorkspacePath } from '../../src/agent/tools/tenant-workspace.js';
import { apologyText, slowDownText } from '../../src/gateway/gateway-replies.js';
import type { Mnemos } from '../../src/mnemos.js';
import { memoryAttachment } from '../support/loopback-adapter.js';
import { type ModelServer, startModelServer } from '../support/model-server.js';
import { tempHome } from '../support/temp-home.js';
import { gatewayConfig, lastUserText, openEngine, startGateway } from './gateway-support.js';

let server: ModelServer;
beforeAll(async () => {
  server = await startModelServer({
    defaultReply: (request) => ({
      text: `echo: ${lastUserText(request).split('\n')[0]}`,
    }),
  });
});
afterAll(async () => {
  await server.close();
});

let home: ReturnType<typeof tempHome>;
let mnemos: Mnemos;
beforeEach(async () => {
  home = tempHome('mnemos-gateway-');
  server.reset();
  mnemos = await openEngine(home.home, server);
});
afterEach(async () => {
  await mnemos.close();
  home.remove();
});

const allowed = gatewayConfig({
  platforms: { telegram: { enabled: true, allowed_users: ['42'] } },
});
const tenant = { appId: 'mnemos', tenantId: 'telegram-42' };

describe('gateway pipeline', () => {
  it('answers an allowed user with an agent turn and keeps the chat in one stored session', async () => {
    const { gateway, adapters } = await startGateway(mnemos, allowed);
    const [telegram] = adapters;
    await telegram!.push({ userId: '42', text: 'hello there' });
    await telegram!.push({ userId: '42', text: 'second message' });
    expect(telegram!.texts).toEqual(['echo: hello there', 'echo: second message']);
    expect(telegram!.sent[0]!.chatId).toBe('dm-42');
    expect(telegram!.sent[0]!.replyTo?.text).toBe('hello there');
    expect(telegram!.typed).toContain('dm-42');
    const app = mnemos.config.gateway.app_id ?? mnemos.config.app_id;
    const sessions = await mnemos.sessions.list({ appId: app, tenantId: 'telegram-42' });
    expect(sessions).toHaveLength(1);
    expect(sessions[0]!.metadata).toMatchObject({
      platform: 'telegram',
      chat: 'telegram:dm:dm-42',
    });
    const messages = await mnemos.sessions.messages(
      { appId: app, tenantId: 'telegram-42' },
      sessions[0]!.id,
    );
    expect(messages.map((m) => m.content)).toEqual([
      'hello there',
      'echo: hello there',
      'second message',
      'echo: second message',
    ]);
    await gateway.stop();
    expect(telegram!.stopped).toBe(true);
  });

  it("starts a new session when the chat's one was deleted (or expired)", async () => {
    const { adapters } = await startGateway(mnemos, allowed);
    const [telegram] = adapters;
    await telegram!.push({ userId: '42', text: 'first' });
    const [first] = await mnemos.sessions.list(tenant);
    await mnemos.sessions.delete(tenant, first!.id);
    await telegram!.push({ userId: '42', text: 'again' });
    expect(telegram!.texts).toEqual(['echo: first', 'echo: again']);
    const [second] = await mnemos.sessions.list(tenant);
    expect(second!.id).not.toBe(first!.id);
  });

  it('turns of one chat run one at a time, in order', async () => {
    const { adapters } = await startGateway(mnemos, allowed);
    const [telegram] = adapters;
    server.delayNext(1, 300, { path: '/v1/chat/completions' });
    await Promise.all([
      telegram!.push({ userId: '42', text: 'first' }),
      telegram!.push({ userId: '42', text: 'second' }),
    ]);
    expect(telegram!.texts).toEqual(['echo: first', 'echo: second']);
  });

  it('apologises without details when the model fails', async () => {
    const { adapters } = await startGateway(mnemos, allowed);
    const [telegram] = adapters;
    server.failNext(5, 500, { error: 'secret-internal-detail' });
    await telegram!.push({ userId: '42', text: 'hi' });
    expect(telegram!.texts).toEqual([apologyText]);
  });

  it('refuses a message longer than an HTTP turn may be, without calling the model', async () => {
    const { adapters } = await startGateway(mnemos, allowed);
    const [telegram] = adapters;
    await telegram!.push({ userId: '42', text: 'x'.repeat(32_001) });
    expect(telegram!.texts).toHaveLength(1);
    expect(telegram!.texts[0]).toContain('too long');
    expect(server.requestsTo('/v1/chat/completions')).toHaveLength(0);
  });

  it('ignores groups without a mention, answers a mention', async () => {
    const { adapters } = await startGateway(mnemos, allowed);
    const [telegram] = adapters;
    await telegram!.push({ userId: '42', text: 'chatter', chatType: 'group', chatId: 'g1' });
    expect(telegram!.sent).toEqual([]);
    await telegram!.push({
      userId: '42',
      text: 'bot, hi',
      chatType: 'group',
      chatId: 'g1',
      mentioned: true,
    });
    expect(telegram!.texts).toEqual(['echo: bot, hi']);
  });

  it('with allowed_chats set, answers groups only there', async () => {
    const config = gatewayConfig({
      platforms: {
        telegram: {
          enabled: true,
          allowed_users: ['42'],
          allowed_chats: ['g-ok'],
          require_mention: false,
        },
      },
    });
    const { adapters } = await startGateway(mnemos, config);
    const [telegram] = adapters;
    await telegram!.push({ userId: '42', text: 'elsewhere', chatType: 'group', chatId: 'g-other' });
    await telegram!.push({ userId: '42', text: 'here', chatType: 'group', chatId: 'g-ok' });
    await telegram!.push({ userId: '42', text: 'dm' });
    expect(telegram!.texts).toEqual(['echo: here', 'echo: dm']);
  });

  it('ignores unknown users in groups and answers no one when pairing is off', async () => {
    const closed = gatewayConfig({ pairing: { enabled: false } });
    const { adapters } = await startGateway(mnemos, closed);
    const [telegram] = adapters;
    await telegram!.push({ userId: '7', text: 'hi', chatType: 'group', mentioned: true });
    await telegram!.push({ userId: '7', text: 'hi' });
    expect(telegram!.sent).toEqual([]);
    expect(await mnemos.messaging.pending()).toEqual([]);
  });

  it('tells a user over the rate limit to slow down, once', async () => {
    const config = gatewayConfig({
      allowed_users: ['telegram:42'],
      rate_limit: { per_user_per_minute: 2 },
    });
    const { adapters } = await startGateway(mnemos, config);
    const [telegram] = adapters;
    for (const text of ['one', 'two', 'three', 'four'])
      await telegram!.push({ userId: '42', text });
    expect(telegram!.texts).toEqual(['echo: one', 'echo: two', slowDownText]);
  });

  it('/new starts a fresh session for the chat; /whoami, /help and unknown commands answer without a turn', async () => {
    const { adapters } = await startGateway(mnemos, allowed);
    const [telegram] = adapters;
    await telegram!.push({ userId: '42', text: 'hello' });
    const first = await mnemos.messaging.boundSession(tenant, 'telegram:dm:dm-42');
    const before = server.requestsTo('/v1/chat/completions').length;
    await telegram!.push({ userId: '42', text: '/new' });
    await telegram!.push({ userId: '42', text: '/whoami' });
    await telegram!.push({ userId: '42', text: '/help' });
    await telegram!.push({ userId: '42', text: '/frobnicate' });
    expect(server.requestsTo('/v1/chat/completions').length).toBe(before);
    const second = await mnemos.messaging.boundSession(tenant, 'telegram:dm:dm-42');
    expect(second).not.toBe(first);
    expect(telegram!.texts.slice(1)).toEqual([
      'Started a new conversation.',
      'You are telegram:42, tenant telegram-42 (app mnemos).',
      expect.stringContaining('/memories'),
      'Unknown command /frobnicate. Send /help for the commands.',
    ]);
    await telegram!.push({ userId: '42', text: 'again' });
    const messages = await mnemos.sessions.messages(tenant, second!);
    expect(messages.map((m) => m.content)).toEqual(['again', 'echo: again']);
  });

  it("/memories lists only the tenant's memories, recent or searched", async () => {
    await mnemos.memories.add({
      scope: { ...tenant, agentId: 'default', runId: 'r' },
      text: 'Ana drinks oolong tea every morning',
      sync: true,
    });
    await mnemos.memories.add({
      scope: { appId: 'mnemos', tenantId: 'telegram-99', agentId: 'default', runId: 'r' },
      text: 'Bob secretly prefers coffee',
      sync: true,
    });
    const { adapters } = await startGateway(mnemos, allowed);
    const [telegram] = adapters;
    await telegram!.push({ userId: '42', text: '/memories' });
    await telegram!.push({ userId: '42', text: '/memories coffee tea' });
    expect(telegram!.texts[0]).toBe('- Ana drinks oolong tea every morning');
    expect(telegram!.texts[1]).toContain('oolong');
    expect(telegram!.texts.join('\n')).not.toContain('Bob');
  });

  it('two accounts listed under one identity share a tenant and its memories', async () => {
    const config = gatewayConfig({
      identities: { ana: ['telegram:42', 'slack:U42'] },
      platforms: { telegram: { enabled: true }, slack: { enabled: true } },
    });
    await mnemos.memories.add({
      scope: { appId: 'mnemos', tenantId: 'ana', agentId: 'default', runId: 'r' },
      text: 'Ana lives in Kyoto',
      sync: true,
    });
    const { adapters } = await startGateway(mnemos, config, ['telegram', 'slack']);
    const [telegram, slack] = adapters;
    await telegram!.push({ userId: '42', text: '/whoami' });
    await slack!.push({ userId: 'U42', text: '/memories' });
    expect(telegram!.texts).toEqual(['You are telegram:42, tenant ana (app mnemos).']);
    expect(slack!.texts).toEqual(['- Ana lives in Kyoto']);
    const accounts = await mnemos.messaging.listAccounts();
    expect(accounts.map((a) => [a.platform, a.userId, a.tenantId, a.approvedBy])).toEqual([
      ['slack', 'U42', 'ana', 'identity'],
      ['telegram', '42', 'ana', 'identity'],
    ]);
  });

  it('saves attachments inside the workspace under a safe name and tells the agent', async () => {
    const { adapters } = await startGateway(mnemos, allowed, ['telegram'], {
      maxAttachmentBytes: 32,
    });
    const [telegram] = adapters;
    const bytes = new TextEncoder().encode('hostile content');
    await telegram!.push({
      userId: '42',
      text: 'see attached',
      attachments: [
        memoryAttachment('../../x', bytes),
        memoryAttachment('../../x', bytes),
        memoryAttachment('big.bin', new Uint8Array(64)),
      ],
    });
    const workspace = tenantWorkspacePath(home.home, tenant.appId, tenant.tenantId);
    const saved = readdirSync(join(workspace, 'attachments')).sort();
    expect(saved).toEqual(['x', 'x-2']);
    expect(readFileSync(join(workspace, 'attachments', 'x'), 'utf8')).toBe('hostile content');
    expect(existsSync(join(home.home, 'x'))).toBe(false);
    const sentToModel = lastUserText(server.requestsTo('/v1/chat/completions').at(-1)!.body);
    expect(sentToModel).toContain('[attachment saved: attachments/x (text/plain, 15 bytes)]');
    expect(sentToModel).toContain('[attachment saved: attachments/x-2 (text/plain, 15 bytes)]');
    expect(sentToModel).toContain('[attachment not saved: big.bin is larger than 32 bytes]');
  });
});
