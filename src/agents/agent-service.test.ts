import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempHome } from '../../test/support/temp-home.js';
import { MnemosError } from '../core/errors.js';
import { SqliteStorage } from '../storage/sqlite/sqlite-storage.js';
import { AgentService } from './agent-service.js';
import { readHomeAgents } from './home-agents.js';

let dir: ReturnType<typeof tempHome>;
let storage: SqliteStorage;
let service: AgentService;
const alice = { appId: 'shop', tenantId: 'alice' };
const bob = { appId: 'shop', tenantId: 'bob' };

function writeAgent(name: string, text: string): void {
  mkdirSync(join(dir.home, 'agents'), { recursive: true });
  writeFileSync(join(dir.home, 'agents', name), text);
}

async function errorOf(promise: Promise<unknown>): Promise<MnemosError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a failure, but it succeeded');
    },
    (caught: unknown) => caught,
  );
  if (!MnemosError.isInstance(error)) throw error;
  return error;
}

beforeEach(() => {
  dir = tempHome();
  storage = new SqliteStorage(join(dir.home, 'mnemos.db'));
  service = new AgentService(storage.agents, dir.home, { envAllow: ['SHOP_TOKEN'] });
});

afterEach(async () => {
  await storage.close();
  dir.remove();
});

describe('home agents', () => {
  it('lists the files that load and reports a broken one instead of hiding the rest', () => {
    writeAgent('support.yaml', 'name: support\ndescription: Helps\n');
    writeAgent('writer.yml', 'name: writer\n');
    writeAgent('broken.yaml', 'name: broken\nmax_iter: 0\n');
    writeAgent('notes.txt', 'not a definition');
    writeAgent('writer.yaml', 'name: writer\n');
    const { records, broken } = readHomeAgents(dir.home);
    expect(
      records.map((record) => [record.definition.name, record.origin, record.version]),
    ).toEqual([
      ['support', 'home', 1],
      ['writer', 'home', 1],
    ]);
    expect(records[0]?.path).toBe(join(dir.home, 'agents', 'support.yaml'));
    expect(broken.map((file) => file.name)).toEqual(['broken', 'writer']);
    expect(broken[0]?.error).toMatch(/^agents\/broken\.yaml: max_iter: /);
    expect(broken[0]?.issues[0]?.path).toBe('max_iter');
    expect(broken[1]?.error).toBe(
      'agents/writer.yml: another file defines agent writer (agents/writer.yaml); keep one of them',
    );
  });

  it('is empty without an agents folder', async () => {
    expect(readHomeAgents(dir.home)).toEqual({ records: [], broken: [] });
    const error = await errorOf(service.local().require('support'));
    expect(error.code).toBe('not_found');
    expect(error.message).toContain('no agents are defined yet');
  });
});

describe('agent catalog', () => {
  it("gives a tenant its own definitions first, then the home's; others see the home's", async () => {
    writeAgent('support.yaml', 'name: support\ndescription: from the home\n');
    writeAgent('writer.yaml', 'name: writer\n');
    await service.save(alice, { definition: { name: 'support', description: 'alice only' } });
    await service.save(alice, { definition: { name: 'analyst' } });
    const aliceView = await service.forTenant(alice).list();
    expect(
      aliceView.map((record) => [
        record.definition.name,
        record.origin,
        record.definition.description,
      ]),
    ).toEqual([
      ['analyst', 'tenant', ''],
      ['support', 'tenant', 'alice only'],
      ['writer', 'home', ''],
    ]);
    expect((await service.forTenant(alice).get('support'))?.origin).toBe('tenant');
    expect((await service.forTenant(bob).get('support'))?.definition.description).toBe(
      'from the home',
    );
    expect((await service.forTenant(bob).list()).map((record) => record.definition.name)).toEqual([
      'support',
      'writer',
    ]);
    expect((await service.local().list()).every((record) => record.origin === 'home')).toBe(true);
    const missing = await errorOf(service.forTenant(bob).require('analyst'));
    expect(missing.code).toBe('not_found');
    expect(missing.message).toBe('no agent named analyst; known agents: support, writer');
  });

  it('names the broken file when the agent asked for does not load', async () => {
    writeAgent('support.yaml', 'name: support\ntools: [Web]\n');
    const error = await errorOf(service.local().require('support'));
    expect(error.message).toMatch(
      /^no agent named support; its file does not load: agents\/support\.yaml: tools\.0: /,
    );
  });

  it('deletes a tenant definition (the home one shows again) and refuses a home-only one', async () => {
    writeAgent('support.yaml', 'name: support\ndescription: from the home\n');
    await service.save(alice, { definition: { name: 'support', description: 'own' } });
    await service.delete(alice, 'support');
    expect((await service.forTenant(alice).require('support')).origin).toBe('home');
    const home = await errorOf(service.delete(alice, 'support'));
    expect(home.code).toBe('conflict');
    expect(home.message).toContain('defined by the server');
    const unknown = await errorOf(service.delete(alice, 'nobody'));
    expect(unknown.code).toBe('not_found');
  });
});

describe('tenant definitions', () => {
  it('name the field of a schema problem under definition', async () => {
    const error = await errorOf(
      service.save(alice, {
        definition: {
          name: 'support',
          tools: [{ type: 'openapi', name: 'orders', spec_url: 'x' }],
        },
      }),
    );
    expect(error.code).toBe('invalid_input');
    expect(error.message).toBe('definition.tools.0.spec_url: Invalid URL');
    expect(error.details.field).toBe('definition.tools.0.spec_url');
  });

  it('may name only env_allow variables as secrets, and no spec_file', async () => {
    const openapi = (auth: Record<string, unknown>) => ({
      name: 'support',
      tools: [{ type: 'openapi', name: 'orders', spec_url: 'https://shop.example/api.json', auth }],
    });
    const saved = await service.save(alice, {
      definition: openapi({ type: 'bearer', token_env: 'SHOP_TOKEN' }),
    });
    expect(saved.version).toBe(1);
    const secret = await errorOf(
      service.save(alice, {
        definition: openapi({ type: 'header', name: 'x-key', value_env: 'AWS_SECRET_ACCESS_KEY' }),
      }),
    );
    expect(secret.code).toBe('invalid_input');
    expect(secret.details.field).toBe('definition.tools.0.auth.value_env');
    expect(secret.message).toMatch(
      /^definition\.tools\.0\.auth\.value_env: AWS_SECRET_ACCESS_KEY is not in agent\.surfaces\.http\.env_allow \(SHOP_TOKEN\)/,
    );
    const file = await errorOf(
      service.save(alice, {
        definition: {
          name: 'support',
          tools: [{ type: 'openapi', name: 'o', spec_file: 'api.yaml' }],
        },
      }),
    );
    expect(file.details.field).toBe('definition.tools.0.spec_file');
    const model = await errorOf(
      service.save(alice, {
        definition: {
          name: 'support',
          llm: { model: 'm', fallback: [{ api_key_env: 'SHOP_TOKEN' }] },
        },
      }),
    );
    expect(model.details.field).toBe('definition.llm.fallback.0.api_key_env');
    const address = await errorOf(
      service.save(alice, {
        definition: {
          name: 'support',
          llm: { provider: 'openai', base_url: 'https://evil.example/v1' },
        },
      }),
    );
    expect(address.details.field).toBe('definition.llm.base_url');
    expect((await service.forTenant(alice).require('support')).version).toBe(1);
  });

  it('fail with conflict when saved from a stale version', async () => {
    await service.save(alice, { definition: { name: 'support' } });
    await service.save(alice, { definition: { name: 'support' }, expectedVersion: 1 });
    const error = await errorOf(
      service.save(alice, { definition: { name: 'support' }, expectedVersion: 1 }),
    );
    expect(error.code).toBe('conflict');
  });
});
