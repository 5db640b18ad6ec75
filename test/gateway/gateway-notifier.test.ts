import { describe, expect, it } from 'vitest';
import { GatewayNotifier } from '../../src/gateway/gateway-notifier.js';
import type { GatewayPlatform } from '../../src/gateway/platform/gateway-adapter.js';
import { LoopbackAdapter } from '../support/loopback-adapter.js';
import { gatewayConfig } from './gateway-support.js';

const config = gatewayConfig({
  routes: [
    { when: { urgent: true }, to: 'all' },
    { when: { matches: 'invoice|账单' }, to: 'email' },
    { when: { matches: '(' }, to: 'discord' },
    { to: 'slack:C-general, telegram' },
  ],
  platforms: {
    telegram: { enabled: true, home_chat: 100 },
    slack: { enabled: true, home_chat: 'C-home' },
    email: { enabled: true, home_chat: 'owner@example.com' },
    discord: { enabled: true },
  },
});

/** A notifier whose running adapters are loopbacks of these platforms. */
function running(platforms: GatewayPlatform[]): {
  notifier: GatewayNotifier;
  adapters: Map<GatewayPlatform, LoopbackAdapter>;
} {
  const adapters = new Map(platforms.map((p) => [p, new LoopbackAdapter(p)] as const));
  return { notifier: new GatewayNotifier(config, (p) => adapters.get(p)), adapters };
}

describe('gateway notifier', () => {
  it('sends to a chat, a bare platform (its home chat) and comma lists, title in bold or as subject', async () => {
    const { notifier, adapters } = running(['telegram', 'email']);
    const outcomes = await notifier.deliver('telegram:55, telegram, email', {
      title: 'Daily digest',
      text: 'All **green**.',
    });
    expect(outcomes).toEqual([
      { target: 'telegram:55', ok: true },
      { target: 'telegram:100', ok: true },
      { target: 'email:owner@example.com', ok: true },
    ]);
    expect(adapters.get('telegram')!.sent[0]).toEqual({
      chatId: '55',
      text: '**Daily digest**\n\nAll **green**.',
    });
    expect(adapters.get('email')!.sent[0]).toEqual({
      chatId: 'owner@example.com',
      text: 'All **green**.',
      subject: 'Daily digest',
    });
  });

  it('`all` reaches every running platform with a home chat once; a stopped or unknown platform fails its target only', async () => {
    const { notifier, adapters } = running(['telegram', 'slack']);
    const outcomes = await notifier.deliver('all, telegram, email, fax:1, discord', {
      title: 't',
      text: 'x',
    });
    expect(outcomes).toEqual([
      { target: 'telegram:100', ok: true },
      { target: 'slack:C-home', ok: true },
      { target: 'email:owner@example.com', ok: false, error: 'email is not running' },
      { target: 'fax:1', ok: false, error: 'unknown platform fax' },
      {
        target: 'discord',
        ok: false,
        error: 'gateway.platforms.discord.home_chat is not set',
      },
    ]);
    expect(adapters.get('telegram')!.sent).toHaveLength(1);
  });

  it('`route` takes the first matching rule: urgent, then a pattern over title and text, then the catch-all', async () => {
    const { notifier, adapters } = running(['telegram', 'slack', 'email']);
    const urgent = await notifier.deliver('route', { title: 'disk', text: 'full', urgent: true });
    expect(urgent.map((o) => o.target)).toEqual([
      'telegram:100',
      'slack:C-home',
      'email:owner@example.com',
    ]);
    const billing = await notifier.deliver('route', { title: '本月账单', text: 'ready' });
    expect(billing.map((o) => o.target)).toEqual(['email:owner@example.com']);
    const other = await notifier.deliver('route', { title: 'news', text: 'hello' });
    expect(other).toEqual([
      { target: 'slack:C-general', ok: true },
      { target: 'telegram:100', ok: true },
    ]);
    expect(adapters.get('slack')!.sent.map((m) => m.chatId)).toEqual(['C-home', 'C-general']);
  });

  it('accepts only targets it could reach', () => {
    const { notifier } = running([]);
    for (const target of ['telegram:1', 'slack', 'all', 'route', 'email, telegram:9'])
      expect(notifier.accepts(target), target).toBe(true);
    for (const target of ['discord', 'fax:1', '', 'telegram:', 'telegram:1, sms'])
      expect(notifier.accepts(target), target).toBe(false);
    const none = new GatewayNotifier(gatewayConfig(), () => undefined);
    expect(none.accepts('telegram:1')).toBe(false);
  });
});
