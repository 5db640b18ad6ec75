import { describe, expect } from 'vitest';
import type { GatewayAccount, PairingRequest } from '../../../src/core/gateway-record.js';
import { backends } from './backends.js';
import { conformance } from './conformance.js';
import { alice, aliceElsewhere, bob, t0 } from './fixtures.js';

function pairing(userId: string, changes: Partial<PairingRequest> = {}): PairingRequest {
  return {
    platform: 'telegram',
    userId,
    chatId: `chat-${userId}`,
    userName: '山田 太郎',
    codeHash: `hash-${userId}`,
    createdAt: t0,
    expiresAt: t0 + 60_000,
    ...changes,
  };
}

function account(userId: string, changes: Partial<GatewayAccount> = {}): GatewayAccount {
  return {
    platform: 'telegram',
    userId,
    userName: null,
    appId: alice.appId,
    tenantId: alice.tenantId,
    approvedBy: 'pairing',
    status: 'approved',
    updatedAt: t0,
    ...changes,
  };
}

describe.each(backends)('gateway records on $name', (backend) => {
  const { it, context } = conformance(backend, 'gateway');

  it('keeps pairing requests until taken once by their code hash or expired', async () => {
    const { gateway } = context.storage;
    await gateway.addPairing(pairing('1'));
    await gateway.addPairing(pairing('2', { createdAt: t0 + 10, expiresAt: t0 + 1_000 }));
    expect((await gateway.pairings(t0)).map((p) => p.userId)).toEqual(['1', '2']);
    expect(await gateway.pairings(t0 + 1_000)).toEqual([pairing('1')]);
    expect(await gateway.takePairing('hash-2', t0 + 1_000)).toBeNull();
    expect(await gateway.takePairing('hash-1', t0 + 5)).toEqual(pairing('1'));
    expect(await gateway.takePairing('hash-1', t0 + 5)).toBeNull();
    expect((await gateway.pairings(t0)).map((p) => p.userId)).toEqual(['2']);
  });

  it("finds a person's latest request and prunes expired ones and a person's", async () => {
    const { gateway } = context.storage;
    expect(await gateway.pairingOf('telegram', '1')).toBeNull();
    await gateway.addPairing(pairing('1', { codeHash: 'old', expiresAt: t0 + 5 }));
    await gateway.addPairing(pairing('1', { codeHash: 'new', createdAt: t0 + 100 }));
    await gateway.addPairing(pairing('3', { platform: 'slack', codeHash: 'slack' }));
    expect((await gateway.pairingOf('telegram', '1'))?.codeHash).toBe('new');
    expect(await gateway.pairingOf('discord', '1')).toBeNull();
    expect(await gateway.prunePairings(t0 + 10)).toBe(1);
    expect((await gateway.pairings(t0)).map((p) => p.codeHash)).toEqual(['slack', 'new']);
    expect(await gateway.prunePairings(t0, { platform: 'telegram', userId: '1' })).toBe(1);
    expect((await gateway.pairings(t0)).map((p) => p.codeHash)).toEqual(['slack']);
  });

  it('counts failed approvals since a time and forgets them', async () => {
    const { gateway } = context.storage;
    await gateway.recordFailure(t0);
    await gateway.recordFailure(t0 + 20);
    await gateway.recordFailure(t0 + 10);
    expect(await gateway.failures(t0 + 5)).toEqual([t0 + 10, t0 + 20]);
    expect(await gateway.failures(0)).toHaveLength(3);
    await gateway.clearFailures();
    expect(await gateway.failures(0)).toEqual([]);
  });

  it('saves, replaces and lists accounts', async () => {
    const { gateway } = context.storage;
    expect(await gateway.account('telegram', '1')).toBeNull();
    await gateway.saveAccount(account('2', { platform: 'slack', approvedBy: 'allowlist' }));
    await gateway.saveAccount(account('1', { userName: 'Ana' }));
    expect(await gateway.account('telegram', '1')).toEqual(account('1', { userName: 'Ana' }));
    await gateway.saveAccount(
      account('1', { status: 'denied', tenantId: 'other', updatedAt: t0 + 1 }),
    );
    expect(await gateway.account('telegram', '1')).toEqual(
      account('1', { status: 'denied', tenantId: 'other', updatedAt: t0 + 1 }),
    );
    expect((await gateway.accounts()).map((a) => `${a.platform}:${a.userId}`)).toEqual([
      'slack:2',
      'telegram:1',
    ]);
  });

  it('binds chats per tenant: another tenant neither sees nor moves a binding', async () => {
    const { gateway } = context.storage;
    const binding = {
      chatKey: 'telegram:dm:42',
      platform: 'telegram',
      sessionId: 's1',
      updatedAt: t0,
    };
    expect(await gateway.binding(alice, binding.chatKey)).toBeNull();
    await gateway.bind(alice, binding);
    expect(await gateway.binding(alice, binding.chatKey)).toEqual(binding);
    expect(await gateway.binding(bob, binding.chatKey)).toBeNull();
    expect(await gateway.binding(aliceElsewhere, binding.chatKey)).toBeNull();
    await gateway.bind(bob, { ...binding, sessionId: 'b1' });
    await gateway.bind(alice, { ...binding, sessionId: 's2', updatedAt: t0 + 1 });
    expect(await gateway.binding(alice, binding.chatKey)).toEqual({
      ...binding,
      sessionId: 's2',
      updatedAt: t0 + 1,
    });
    expect((await gateway.binding(bob, binding.chatKey))?.sessionId).toBe('b1');
  });
});
