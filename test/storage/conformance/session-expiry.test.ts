import { randomUUID } from 'node:crypto';
import { describe, expect } from 'vitest';
import type { TenantKey } from '../../../src/core/scope.js';
import { indexTokens, queryTokens } from '../../../src/text/tokenizer.js';
import { backends } from './backends.js';
import { conformance } from './conformance.js';
import { alice, aliceElsewhere, bob, codeOf, t0 } from './fixtures.js';

const day = 86_400_000;
const now = t0 + 120 * day;
const pause = () => new Promise((resolve) => setTimeout(resolve, 5));

describe.each(backends)('session expiry on $name', (backend) => {
  const { it, context } = conformance(backend, 'session expiry');

  it('expires idle sessions through the engine', async () => {
    const mnemos = await context.engine();
    const idle = await mnemos.sessions.create(alice, { title: 'old chat' });
    await mnemos.sessions.create(bob, { title: 'old chat too' });
    await pause();
    expect(await codeOf(mnemos.sessions.expireIdle({ idleForMs: 0 }))).toBe('invalid_input');
    expect(await mnemos.sessions.expireIdle({ idleForMs: 1, dryRun: true })).toEqual({
      deleted: 2,
      dryRun: true,
    });
    expect(await mnemos.sessions.expireIdle({ idleForMs: 1, tenant: alice })).toEqual({
      deleted: 1,
      dryRun: false,
    });
    expect(await codeOf(mnemos.sessions.get(alice, idle.id))).toBe('not_found');
    expect(await mnemos.sessions.list(bob)).toHaveLength(1);
  });

  it('deletes idle sessions and their messages, of one tenant or of all', async () => {
    const { storage } = context;
    const session = async (tenant: TenantKey, at: number, content: string) => {
      const record = await storage.sessions.create({
        id: randomUUID(),
        ...tenant,
        agentId: 'default',
        title: '',
        metadata: {},
        parentId: null,
        messageCount: 0,
        createdAt: new Date(at).toISOString(),
        updatedAt: new Date(at).toISOString(),
      });
      await storage.sessions.append(
        tenant,
        record.id,
        [
          {
            id: randomUUID(),
            role: 'user',
            content,
            name: null,
            metadata: {},
            parts: [],
            createdAt: new Date(at).toISOString(),
            tokens: indexTokens(content).join(' '),
          },
        ],
        at,
      );
      return record.id;
    };
    const idle = await session(alice, t0, '我们去京都旅行吧');
    const active = await session(alice, now - day, '我们去京都看红叶');
    const bobIdle = await session(bob, t0, 'Bob plans a trip to Kyoto');
    const elsewhereIdle = await session(aliceElsewhere, t0, 'Another app plans Kyoto');
    const cutoff = now - 30 * day;

    expect(await storage.sessions.expireIdle(null, cutoff, now, { dryRun: true })).toBe(3);
    expect(await storage.sessions.get(alice, idle)).not.toBeNull();
    expect(await storage.sessions.expireIdle(alice, cutoff, now)).toBe(1);
    expect(await storage.sessions.get(alice, idle)).toBeNull();
    expect(await storage.sessions.messages(alice, idle, { limit: 10, offset: 0 })).toEqual([]);
    const hits = await storage.sessions.search(alice, queryTokens('京都'), {
      sessionId: null,
      limit: 10,
    });
    expect(hits.map((hit) => hit.sessionId)).toEqual([active]);
    expect(await storage.sessions.get(bob, bobIdle)).not.toBeNull();

    expect(await storage.sessions.expireIdle(null, cutoff, now)).toBe(2);
    expect(await storage.sessions.get(bob, bobIdle)).toBeNull();
    expect(await storage.sessions.get(aliceElsewhere, elsewhereIdle)).toBeNull();
    expect(await storage.sessions.get(alice, active)).not.toBeNull();
    expect(await storage.sessions.expireIdle(null, cutoff, now)).toBe(0);
  });

  it('works through more idle sessions than one batch holds', async () => {
    const { storage } = context;
    const make = (tenant: TenantKey, at: number) =>
      storage.sessions.create({
        id: randomUUID(),
        ...tenant,
        agentId: 'default',
        title: '',
        metadata: {},
        parentId: null,
        messageCount: 0,
        createdAt: new Date(at).toISOString(),
        updatedAt: new Date(at).toISOString(),
      });
    const young = await make(alice, now);
    for (let index = 0; index < 230; index += 1) {
      await make(alice, t0 + index);
      await make(index % 2 === 0 ? bob : aliceElsewhere, t0 + index);
    }
    expect(await storage.sessions.expireIdle(alice, now - day, now)).toBe(230);
    expect(await storage.sessions.expireIdle(null, now - day, now)).toBe(230);
    expect((await storage.sessions.list(alice, { limit: 10, offset: 0 })).map((s) => s.id)).toEqual(
      [young.id],
    );
  });
});
