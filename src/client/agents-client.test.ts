import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../test/http/helpers.js';
import { MnemosError } from '../core/errors.js';
import { MnemosClient } from './mnemos-client.js';

let server: TestServer;
let alice: MnemosClient;
let admin: MnemosClient;

async function failure(promise: Promise<unknown>): Promise<MnemosError> {
  const error = await promise.then(
    () => new Error('expected a rejection'),
    (reason: unknown) => reason,
  );
  if (!MnemosError.isInstance(error)) throw error;
  return error;
}

beforeAll(async () => {
  server = await startTestServer();
  const key = async (tenantId: string, isAdmin = false): Promise<string> =>
    (await server.mnemos.keys.create({ appId: 'app', tenantId, admin: isAdmin })).key;
  alice = new MnemosClient({ baseUrl: server.url, apiKey: await key('alice') });
  admin = new MnemosClient({ baseUrl: server.url, apiKey: await key('ops', true) }).forTenant(
    'app',
    'alice',
  );
});
afterAll(async () => {
  await server?.remove();
});

describe('MnemosClient agents', () => {
  it('round trip: put (admin), list, get, stale put, delete; a tenant key may only read', async () => {
    expect(await alice.agents.list()).toEqual([]);
    const stored = await admin.agents.put(
      'support',
      { description: 'Helps', system_prompt: 'You help.', tools: ['web'] },
      { expectedVersion: 0 },
    );
    expect(stored).toMatchObject({ name: 'support', origin: 'tenant', version: 1, tools: ['web'] });
    expect(stored.definition.memory).toEqual({ enabled: true, notes: true });
    expect((await alice.agents.list()).map((agent) => agent.name)).toEqual(['support']);
    expect(await alice.agents.get('support')).toEqual(stored);
    expect((await failure(alice.agents.put('support', { description: 'x' }))).code).toBe(
      'forbidden',
    );
    const stale = await failure(
      admin.agents.put('support', { description: 'x' }, { expectedVersion: 5 }),
    );
    expect(stale.code).toBe('conflict');
    const session = await alice.sessions.create({ agent: 'support' });
    expect(session.agentId).toBe('support');
    await admin.agents.delete('support');
    expect((await failure(alice.agents.get('support'))).code).toBe('not_found');
  });
});
