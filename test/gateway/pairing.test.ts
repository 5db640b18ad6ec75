import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MnemosError } from '../../src/core/errors.js';
import { MessagingService } from '../../src/messaging/messaging-service.js';
import { pairingCodeHash } from '../../src/messaging/pairing-code.js';
import { SqliteStorage } from '../../src/storage/sqlite/sqlite-storage.js';
import { tempHome } from '../support/temp-home.js';
import { gatewayConfig } from './gateway-support.js';

let home: ReturnType<typeof tempHome>;
let storage: SqliteStorage;
let now: number;
const minute = 60_000;

function service(raw: Record<string, unknown> = {}): MessagingService {
  return new MessagingService(storage.gateway, gatewayConfig(raw), 'app', { now: () => now });
}

async function codeFor(messaging: MessagingService, userId: string): Promise<string> {
  const verdict = await messaging.authorize({ platform: 'telegram', userId, chatId: `c${userId}` });
  if (!('pairing' in verdict) || verdict.pairing.status !== 'new') {
    throw new Error(`expected a new code, got ${JSON.stringify(verdict)}`);
  }
  return verdict.pairing.code;
}

async function failure(promise: Promise<unknown>): Promise<MnemosError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  if (!MnemosError.isInstance(error)) throw new Error(`expected a MnemosError, got ${error}`);
  return error;
}

beforeEach(() => {
  home = tempHome('mnemos-pairing-');
  storage = new SqliteStorage(`${home.home}/mnemos.db`);
  now = Date.parse('2026-03-01T00:00:00Z');
});
afterEach(async () => {
  await storage.close();
  home.remove();
});

describe('pairing', () => {
  it('issues 8-character codes without look-alike letters, stores only their hash, approves once', async () => {
    const messaging = service();
    const code = await codeFor(messaging, '7');
    expect(code).toMatch(/^[A-HJ-NP-Z2-9]{8}$/);
    const stored = await storage.gateway.pairings(now);
    expect(stored).toHaveLength(1);
    expect(stored[0]!.codeHash).toBe(pairingCodeHash(code));
    expect(JSON.stringify(stored)).not.toContain(code);
    const pending = await messaging.pending();
    expect(pending).toEqual([
      expect.objectContaining({ platform: 'telegram', userId: '7', chatId: 'c7' }),
    ]);
    expect(pending[0]).not.toHaveProperty('codeHash');
    const account = await messaging.approve(code.toLowerCase());
    expect(account).toMatchObject({
      tenantId: 'telegram-7',
      approvedBy: 'pairing',
      status: 'approved',
    });
    expect(await messaging.authorize({ platform: 'telegram', userId: '7' })).toEqual({
      tenant: { appId: 'app', tenantId: 'telegram-7' },
      approvedBy: 'pairing',
    });
    expect((await failure(messaging.approve(code))).code).toBe('not_found');
  });

  it('says "already sent" within ten minutes, then sends a new code; caps pending per platform', async () => {
    const messaging = service({ pairing: { max_pending: 2, code_ttl_minutes: 5 } });
    const first = await codeFor(messaging, '1');
    now += 2 * minute;
    expect(await messaging.authorize({ platform: 'telegram', userId: '1' })).toEqual({
      pairing: { status: 'already_sent' },
    });
    await codeFor(messaging, '2');
    expect(await messaging.authorize({ platform: 'telegram', userId: '3' })).toEqual({
      pairing: { status: 'busy' },
    });
    expect(await messaging.authorize({ platform: 'slack', userId: '3' })).toMatchObject({
      pairing: { status: 'new' },
    });
    now += 9 * minute;
    const second = await codeFor(messaging, '1');
    expect(second).not.toBe(first);
    expect((await failure(messaging.approve(first))).code).toBe('not_found');
  });

  it('codes expire after code_ttl_minutes', async () => {
    const messaging = service({ pairing: { code_ttl_minutes: 5 } });
    const code = await codeFor(messaging, '7');
    now += 5 * minute;
    expect(await messaging.pending()).toEqual([]);
    expect((await failure(messaging.approve(code))).code).toBe('not_found');
  });

  it('locks approving for an hour after five wrong codes, even a right one', async () => {
    const messaging = service();
    const code = await codeFor(messaging, '7');
    for (let i = 0; i < 5; i++) {
      expect((await failure(messaging.approve('WRONGONE'))).code).toBe('not_found');
    }
    const locked = await failure(messaging.approve(code));
    expect(locked.code).toBe('rate_limited');
    expect(locked.message).toContain('locked');
    now += 61 * minute;
    const fresh = await codeFor(messaging, '8');
    expect((await messaging.approve(fresh)).tenantId).toBe('telegram-8');
  });

  it('approves as a given tenant, or as the identity listing the person', async () => {
    // Listed people need no pairing; one asked before the owner listed them.
    const eight = await codeFor(service(), '8');
    const messaging = service({ identities: { ana: ['telegram:8'] } });
    const seven = await codeFor(messaging, '7');
    expect((await messaging.approve(seven, { as: 'team-a' })).tenantId).toBe('team-a');
    expect((await messaging.approve(eight, { as: 'ignored' })).tenantId).toBe('ana');
    const bad = await codeFor(messaging, '9');
    expect((await failure(messaging.approve(bad, { as: 'a*b' }))).code).toBe('invalid_scope');
  });

  it('deny wins over every allowlist; revoke sends a person back to pairing', async () => {
    const messaging = service({ allowed_users: ['telegram:5'], allow_all_users: false });
    expect(await messaging.authorize({ platform: 'telegram', userId: '5' })).toMatchObject({
      tenant: { tenantId: 'telegram-5' },
    });
    await messaging.deny('telegram:5');
    expect(await messaging.authorize({ platform: 'telegram', userId: '5' })).toEqual({
      denied: true,
    });
    await messaging.allow('telegram:6', { as: 'six' });
    expect(await messaging.authorize({ platform: 'telegram', userId: '6' })).toMatchObject({
      tenant: { tenantId: 'six' },
      approvedBy: 'allowlist',
    });
    await messaging.revoke('telegram:6');
    expect(await messaging.authorize({ platform: 'telegram', userId: '6' })).toMatchObject({
      pairing: { status: 'new' },
    });
    expect((await failure(messaging.allow('fax:1'))).code).toBe('invalid_input');
    expect((await failure(messaging.revoke('telegram:404'))).code).toBe('not_found');
  });

  it('allow_all_users lets anyone in as their own tenant; email ids compare lower-cased', async () => {
    const open = service({ allow_all_users: true });
    expect(await open.authorize({ platform: 'discord', userId: '123' })).toEqual({
      tenant: { appId: 'app', tenantId: 'discord-123' },
      approvedBy: 'open',
    });
    const mail = service({ platforms: { email: { allowed_users: ['Ana@Example.com'] } } });
    expect(await mail.authorize({ platform: 'email', userId: 'ana@example.com' })).toMatchObject({
      tenant: { tenantId: 'email-ana@example.com' },
    });
  });
});
