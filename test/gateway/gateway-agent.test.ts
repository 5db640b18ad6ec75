import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { quotaText } from '../../src/gateway/gateway-turn.js';
import type { Mnemos } from '../../src/mnemos.js';
import { type ChatRequest, type ModelServer, startModelServer } from '../support/model-server.js';
import { tempHome } from '../support/temp-home.js';
import { gatewayConfig, lastUserText, openEngine, startGateway } from './gateway-support.js';

let server: ModelServer;
beforeAll(async () => {
  server = await startModelServer({
    defaultReply: (request) => ({ text: `echo: ${lastUserText(request)}` }),
  });
});
afterAll(async () => {
  await server.close();
});

let home: ReturnType<typeof tempHome>;
let mnemos: Mnemos;
beforeEach(async () => {
  home = tempHome('mnemos-gateway-agent-');
  server.reset();
  mkdirSync(join(home.home, 'agents'));
  writeFileSync(
    join(home.home, 'agents', 'concierge.yaml'),
    'name: concierge\ndescription: Hotel concierge\nsystem_prompt: You are the CONCIERGE-PROMPT.\n',
  );
  mnemos = await openEngine(home.home, server);
});
afterEach(async () => {
  await mnemos.close();
  home.remove();
});

const skill = `---
name: checkin
description: Check a guest in. Use when asked to check in.
---

Follow the GUEST-CHECKIN-STEPS.
`;
const tenant = { appId: 'mnemos', tenantId: 'telegram-42' };

/** The system prompt of every chat request so far. */
function systemPrompts(): string[] {
  return server.requestsTo('/v1/chat/completions').map((request) => {
    const first = (request.body as ChatRequest).messages?.[0];
    return typeof first?.content === 'string' ? first.content : '';
  });
}

describe('gateway agent turns', () => {
  it('gateway.agent answers from the catalog; its sessions carry that agent', async () => {
    const config = gatewayConfig({ agent: 'concierge', allowed_users: ['telegram:42'] });
    const { adapters } = await startGateway(mnemos, config);
    await adapters[0]!.push({ userId: '42', text: 'a room please' });
    expect(adapters[0]!.texts).toEqual(['echo: a room please']);
    expect(systemPrompts()[0]).toContain('CONCIERGE-PROMPT');
    const [session] = await mnemos.sessions.list(tenant);
    expect(session!.agentId).toBe('concierge');
  });

  it('/skills lists the tenant skills; /<skill> text runs the turn with it preloaded', async () => {
    await mnemos.skills.forTenant(tenant).create({ 'SKILL.md': skill }, 'user', { actor: 'user' });
    const config = gatewayConfig({ allowed_users: ['telegram:42'] });
    const { adapters } = await startGateway(mnemos, config);
    const [telegram] = adapters;
    await telegram!.push({ userId: '42', text: '/skills' });
    expect(telegram!.texts[0]).toBe('- /checkin — Check a guest in. Use when asked to check in.');
    await telegram!.push({ userId: '42', text: 'plain question' });
    expect(systemPrompts().at(-1)).not.toContain('GUEST-CHECKIN-STEPS');
    await telegram!.push({ userId: '42', text: '/checkin Mr. Tanaka, room 12' });
    expect(telegram!.texts.at(-1)).toBe('echo: Mr. Tanaka, room 12');
    expect(systemPrompts().at(-1)).toContain('GUEST-CHECKIN-STEPS');
  });

  it('a spent token quota gets a plain reply, not an apology', async () => {
    await mnemos.close();
    mnemos = await openEngine(home.home, server, { agent: { quotas: { per_session_tokens: 10 } } });
    const { adapters } = await startGateway(
      mnemos,
      gatewayConfig({ allowed_users: ['telegram:42'] }),
    );
    await adapters[0]!.push({ userId: '42', text: 'first' });
    await adapters[0]!.push({ userId: '42', text: 'second' });
    expect(adapters[0]!.texts).toEqual(['echo: first', quotaText]);
  });

  it('shows typing again while a long turn runs', async () => {
    const config = gatewayConfig({ allowed_users: ['telegram:42'] });
    const { adapters } = await startGateway(mnemos, config, ['telegram'], {
      typingIntervalMs: 20,
    });
    server.delayNext(1, 400, { path: '/v1/chat/completions' });
    await adapters[0]!.push({ userId: '42', text: 'slow one' });
    expect(adapters[0]!.texts).toEqual(['echo: slow one']);
    expect(adapters[0]!.typed.length).toBeGreaterThanOrEqual(2);
    const after = adapters[0]!.typed.length;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(adapters[0]!.typed.length).toBe(after);
  });
});
