import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ChatRequest, type ModelServer, startModelServer } from '../support/model-server.js';
import {
  baseConfig,
  call,
  expectError,
  parseSse,
  startTestServer,
  type TestServer,
} from './helpers.js';

/**
 * Agent definitions over HTTP: every key reads its tenant's view (its own definitions over the
 * home's files), only admin keys write, home files stay read-only, stored definitions keep to the
 * safety rules; and sessions started with a definition's name run that agent.
 */

let model: ModelServer;
let server: TestServer;
const keys = { alice: '', bob: '', u1: '', admin: '' };
const app = 'shop';
const asAlice = { 'x-mnemos-app': app, 'x-mnemos-tenant': 'alice' };

const supportPrompt = 'You are the ACME customer support desk. Always greet with AHOY-4711.';

beforeAll(async () => {
  model = await startModelServer();
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const home = mkdtempSync(join(tmpdir(), 'mnemos-http-agents-'));
  writeFileSync(
    join(home, 'config.yaml'),
    `${baseConfig}llm:\n  base_url: ${model.url}\n  model: scripted\n  max_retries: 0\nagent:\n  surfaces:\n    http:\n      env_allow: [SHOP_TOKEN]\n`,
  );
  mkdirSync(join(home, 'agents'));
  writeFileSync(
    join(home, 'agents', 'customer-support.yaml'),
    `name: customer-support\ndescription: Answers customers\nsystem_prompt: ${supportPrompt}\ntools: [memory]\n`,
  );
  writeFileSync(
    join(home, 'agents', 'writer.yaml'),
    'name: writer\ndescription: Writes\ntools: []\n',
  );
  server = await startTestServer({ home });
  for (const tenant of ['alice', 'bob', 'u1'] as const)
    keys[tenant] = (await server.mnemos.keys.create({ appId: app, tenantId: tenant })).key;
  keys.admin = (await server.mnemos.keys.create({ appId: app, tenantId: 'ops', admin: true })).key;
});

afterAll(async () => {
  await server?.remove();
  await model?.close();
});

interface AgentJson {
  name: string;
  origin: 'home' | 'tenant';
  description: string;
  model: string | null;
  tools: string[] | null;
  version: number;
  definition: Record<string, unknown>;
}

async function names(key: string): Promise<Array<[string, string]>> {
  const answer = await call(server.url, key, 'GET', '/v1/agents');
  expect(answer.status, answer.text).toBe(200);
  return answer
    .json<{ agents: AgentJson[] }>()
    .agents.map((agent) => [agent.name, `${agent.origin}:${agent.description}`]);
}

describe('/v1/agents', () => {
  beforeEach(async () => {
    for (const name of ['customer-support', 'analyst']) {
      await server.mnemos.agents.delete({ appId: app, tenantId: 'alice' }, name).catch(() => {});
    }
  });

  it("lists the home's agents to every tenant, with their whole definition", async () => {
    expect(await names(keys.bob)).toEqual([
      ['customer-support', 'home:Answers customers'],
      ['writer', 'home:Writes'],
    ]);
    const one = await call(server.url, keys.bob, 'GET', '/v1/agents/customer-support');
    expect(one.status).toBe(200);
    expect(one.json<AgentJson>()).toMatchObject({
      name: 'customer-support',
      origin: 'home',
      model: null,
      tools: ['memory'],
      version: 1,
      definition: { system_prompt: supportPrompt, memory: { enabled: true, notes: true } },
    });
    expect(one.text).not.toContain(server.home);
    const missing = await call(server.url, keys.bob, 'GET', '/v1/agents/nobody');
    expectError(missing, 404, 'not_found');
    expect(missing.text).toContain('known agents: customer-support, writer');
  });

  it('lets only admin keys write; a tenant definition shadows the home one for that tenant only', async () => {
    const definition = { description: 'Alice support', system_prompt: 'Alice prompt', tools: [] };
    const refused = await call(server.url, keys.alice, 'PUT', '/v1/agents/customer-support', {
      definition,
    });
    expectError(refused, 403, 'forbidden');
    const put = await call(
      server.url,
      keys.admin,
      'PUT',
      '/v1/agents/customer-support',
      { definition, expectedVersion: 0 },
      asAlice,
    );
    expect(put.status, put.text).toBe(200);
    expect(put.json<AgentJson>()).toMatchObject({ origin: 'tenant', version: 1, tools: [] });
    expect(await names(keys.alice)).toEqual([
      ['customer-support', 'tenant:Alice support'],
      ['writer', 'home:Writes'],
    ]);
    expect((await names(keys.bob))[0]).toEqual(['customer-support', 'home:Answers customers']);

    const again = await call(
      server.url,
      keys.admin,
      'PUT',
      '/v1/agents/customer-support',
      { definition: { ...definition, name: 'customer-support' }, expectedVersion: 1 },
      asAlice,
    );
    expect(again.json<AgentJson>().version).toBe(2);
    const stale = await call(
      server.url,
      keys.admin,
      'PUT',
      '/v1/agents/customer-support',
      { definition, expectedVersion: 1 },
      asAlice,
    );
    expectError(stale, 409, 'conflict');

    const deleteRefused = await call(
      server.url,
      keys.alice,
      'DELETE',
      '/v1/agents/customer-support',
    );
    expectError(deleteRefused, 403, 'forbidden');
    const deleted = await call(
      server.url,
      keys.admin,
      'DELETE',
      '/v1/agents/customer-support',
      undefined,
      asAlice,
    );
    expect(deleted.status).toBe(204);
    expect((await names(keys.alice))[0]).toEqual(['customer-support', 'home:Answers customers']);
    const home = await call(
      server.url,
      keys.admin,
      'DELETE',
      '/v1/agents/customer-support',
      undefined,
      asAlice,
    );
    expectError(home, 409, 'conflict');
    expect(home.text).toContain("defined by the server's home");
  });

  it('refuses bad definitions naming the field: schema, name, files and secrets', async () => {
    const put = (definition: Record<string, unknown>, name = 'analyst') =>
      call(server.url, keys.admin, 'PUT', `/v1/agents/${name}`, { definition }, asAlice);
    const field = async (definition: Record<string, unknown>): Promise<string> => {
      const answer = await put(definition);
      expectError(answer, 400, 'invalid_input');
      return answer.json<{ error: { details: { field: string } } }>().error.details.field;
    };
    const orders = (extra: Record<string, unknown>) => ({
      tools: [
        { type: 'openapi', name: 'orders', spec_url: 'https://shop.example/api.json', ...extra },
      ],
    });
    expect(await field({ max_iter: 0 })).toBe('definition.max_iter');
    expect(await field({ name: 'other' })).toBe('definition.name');
    expect(await field(orders({ spec_url: 'nope' }))).toBe('definition.tools.0.spec_url');
    expect(
      await field({ tools: [{ type: 'openapi', name: 'orders', spec_file: '/etc/passwd' }] }),
    ).toBe('definition.tools.0.spec_file');
    expect(await field(orders({ auth: { type: 'bearer', token_env: 'DATABASE_PASSWORD' } }))).toBe(
      'definition.tools.0.auth.token_env',
    );
    expect(await field({ llm: { model: 'm', base_url: 'https://evil.example/v1' } })).toBe(
      'definition.llm.base_url',
    );
    const message = await put(orders({ auth: { type: 'header', name: 'x', value_env: 'HOME' } }));
    expect(message.json<{ error: { message: string } }>().error.message).toMatch(
      /^definition\.tools\.0\.auth\.value_env: HOME is not in agent\.surfaces\.http\.env_allow \(SHOP_TOKEN\)/,
    );
    const allowed = await put(orders({ auth: { type: 'bearer', token_env: 'SHOP_TOKEN' } }));
    expect(allowed.status, allowed.text).toBe(200);
    expect(allowed.json<AgentJson>().tools).toEqual(['openapi_orders']);
    expect((await names(keys.bob)).map(([name]) => name)).not.toContain('analyst');
  });
});

function agentRequests(): ChatRequest[] {
  return model.requestsTo('/v1/chat/completions').map((request) => request.body as ChatRequest);
}

function systemText(request: ChatRequest): string {
  return (request.messages ?? [])
    .filter((message) => message.role === 'system')
    .map((message) => String(message.content))
    .join('\n');
}

describe('sessions with an agent definition', () => {
  it('{"agent","user_id"} then {"input","stream":true} runs the agent: its system_prompt reaches the model', async () => {
    model.reset();
    model.script({ text: 'AHOY-4711, how can I help?' });
    const created = await call(server.url, keys.u1, 'POST', '/v1/sessions', {
      agent: 'customer-support',
      user_id: 'u1',
    });
    expect(created.status, created.text).toBe(201);
    const session = created.json<{
      id: string;
      session_id: string;
      agentId: string;
      tenantId: string;
    }>();
    expect(session.session_id).toBe(session.id);
    expect(session).toMatchObject({ agentId: 'customer-support', tenantId: 'u1' });
    const turn = await call(
      server.url,
      keys.u1,
      'POST',
      `/v1/sessions/${session.session_id}/messages`,
      {
        input: 'Where is my order 42?',
        stream: true,
      },
    );
    expect(turn.status, turn.text).toBe(200);
    const events = parseSse(turn.text);
    const done = events.find((event) => event.event === 'done');
    expect(done?.data).toMatchObject({ text: 'AHOY-4711, how can I help?', reason: 'answered' });
    const request = agentRequests()[0] as ChatRequest;
    expect(systemText(request)).toContain(supportPrompt);
    expect(JSON.stringify(request.messages)).toContain('Where is my order 42?');
    // The definition's tools: memory only, no web or skills.
    const offered = (request.tools ?? []).map(
      (tool) => (tool as { function: { name: string } }).function.name,
    );
    expect(offered.some((name) => name.startsWith('web'))).toBe(false);
  });

  it("runs a tenant's own definition, and answers JSON with stream false", async () => {
    await server.mnemos.agents.save(
      { appId: app, tenantId: 'alice' },
      { definition: { name: 'analyst', system_prompt: 'You are ALICE-ANALYST.', tools: [] } },
    );
    model.reset();
    model.script({ text: 'numbers' });
    const session = (
      await call(server.url, keys.alice, 'POST', '/v1/sessions', { agent: 'analyst' })
    ).json<{ id: string }>();
    const turn = await call(server.url, keys.alice, 'POST', `/v1/sessions/${session.id}/messages`, {
      input: 'report',
      stream: false,
    });
    expect(turn.status, turn.text).toBe(200);
    expect(turn.json()).toMatchObject({
      text: 'numbers',
      reason: 'answered',
      sessionId: session.id,
    });
    expect(systemText(agentRequests()[0] as ChatRequest)).toContain('You are ALICE-ANALYST.');
    // Bob has no such agent.
    const bob = await call(server.url, keys.bob, 'POST', '/v1/sessions', { agent: 'analyst' });
    expectError(bob, 404, 'not_found');
    await server.mnemos.agents.delete({ appId: app, tenantId: 'alice' }, 'analyst');
  });

  it('keeps user_id to the key: a tenant key names only itself, an admin key acts for the user', async () => {
    const other = await call(server.url, keys.alice, 'POST', '/v1/sessions', {
      agent: 'customer-support',
      user_id: 'bob',
    });
    expectError(other, 403, 'forbidden');
    const unknown = await call(server.url, keys.u1, 'POST', '/v1/sessions', { agent: 'nobody' });
    expectError(unknown, 404, 'not_found');
    expect(unknown.text).toContain('known agents: customer-support, writer');

    model.reset();
    model.script({ text: 'hello u1' });
    const admin = await call(server.url, keys.admin, 'POST', '/v1/sessions', {
      agent: 'customer-support',
      user_id: 'u1',
    });
    expect(admin.status, admin.text).toBe(201);
    const session = admin.json<{ id: string; tenantId: string; appId: string }>();
    expect(session).toMatchObject({ tenantId: 'u1', appId: app });
    const turn = await call(server.url, keys.admin, 'POST', `/v1/sessions/${session.id}/messages`, {
      input: 'hi',
      user_id: 'u1',
    });
    expect(turn.status, turn.text).toBe(200);
    expect(turn.json<{ text: string }>().text).toBe('hello u1');
    // The session is u1's: u1's own key sees it, another tenant's does not.
    expect((await call(server.url, keys.u1, 'GET', `/v1/sessions/${session.id}`)).status).toBe(200);
    expectError(await call(server.url, keys.bob, 'GET', `/v1/sessions/${session.id}`), 404);
  });

  it('takes the text as content or input, exactly one', async () => {
    const session = (
      await call(server.url, keys.u1, 'POST', '/v1/sessions', { agent: 'writer' })
    ).json<{ id: string }>();
    const path = `/v1/sessions/${session.id}/messages`;
    const both = await call(server.url, keys.u1, 'POST', path, { content: 'a', input: 'b' });
    expectError(both, 400, 'invalid_input');
    expect(both.text).toContain('not both');
    expectError(
      await call(server.url, keys.u1, 'POST', path, { stream: false }),
      400,
      'invalid_input',
    );
  });
});
