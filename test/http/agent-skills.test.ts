import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChatRequest, type ModelServer, startModelServer } from '../support/model-server.js';
import { baseConfig, call, parseSse, startTestServer, type TestServer } from './helpers.js';

/**
 * Skills in HTTP agent turns: each tenant's agent sees its own skills (catalog, `/skill-name`,
 * skill_view) and never another tenant's; what the agent writes lands in its own tenant; and the
 * background review, off by default on this untrusted surface, does not run.
 */

let model: ModelServer;
let server: TestServer;
const keys: Record<string, string> = {};

const skill = `---
name: deploy-app
description: Deploy the shop to production. Use when asked to deploy.
---

# Deploy

Run the ALICE-ONLY-CHECKLIST.
`;

beforeAll(async () => {
  model = await startModelServer();
  server = await startTestServer({
    config: `${baseConfig}llm:\n  base_url: ${model.url}\n  model: scripted\nagent:\n  skills:\n    review:\n      interval: 1\n`,
  });
  for (const tenant of ['alice', 'bob']) {
    keys[tenant] = (await server.mnemos.keys.create({ appId: 'shop', tenantId: tenant })).key;
  }
  await server.mnemos.skills
    .forTenant({ appId: 'shop', tenantId: 'alice' })
    .create({ 'SKILL.md': skill }, 'user', { actor: 'user' });
});

afterAll(async () => {
  await server?.remove();
  await model?.close();
});

function agentRequests(): ChatRequest[] {
  return model
    .requestsTo('/v1/chat/completions')
    .map((request) => request.body as ChatRequest)
    .filter((request) => {
      const first = request.messages?.[0];
      return typeof first?.content === 'string' && first.content.startsWith('You are Mnemos');
    });
}

async function turn(tenant: string, content: string): Promise<Array<Record<string, unknown>>> {
  const session = (
    await call(server.url, keys[tenant] as string, 'POST', '/v1/sessions', { title: 't' })
  ).json<{ id: string }>();
  const answer = await call(
    server.url,
    keys[tenant] as string,
    'POST',
    `/v1/sessions/${session.id}/messages`,
    { content, stream: true },
  );
  expect(answer.status, answer.text).toBe(200);
  return parseSse(answer.text)
    .filter((event) => event.event === 'tool_result')
    .map((event) => event.data);
}

function lastUser(request: ChatRequest): string {
  const content = (request.messages ?? [])
    .filter((message) => message.role === 'user')
    .at(-1)?.content;
  return typeof content === 'string' ? content : JSON.stringify(content);
}

function systemOf(request: ChatRequest): string {
  return String(request.messages?.[0]?.content ?? '');
}

describe('skills in HTTP agent turns', () => {
  it("use the tenant's own skills: catalog and /skill-name for its owner, nothing for another tenant", async () => {
    model.reset();
    model.script({ text: 'deploying' });
    await turn('alice', '/deploy-app to production');
    const alice = agentRequests().at(-1) as ChatRequest;
    expect(systemOf(alice)).toContain('<skill><name>deploy-app</name>');
    expect(lastUser(alice)).toContain('ALICE-ONLY-CHECKLIST');

    model.reset();
    model.script(
      { toolCalls: [{ name: 'skill_view', arguments: { name: 'deploy-app' } }] },
      { text: 'no such skill' },
    );
    const results = await turn('bob', '/deploy-app to production');
    const bob = agentRequests()[0] as ChatRequest;
    expect(systemOf(bob)).not.toContain('deploy-app');
    expect(lastUser(bob)).not.toContain('ALICE-ONLY-CHECKLIST');
    expect(JSON.stringify(results)).toMatch(/no skill named deploy-app/);
    expect(JSON.stringify(agentRequests())).not.toContain('ALICE-ONLY-CHECKLIST');
  });

  it('keep what the agent writes in its own tenant, and run no review on this surface', async () => {
    model.reset();
    model.script(
      {
        toolCalls: [
          {
            name: 'skill_manage',
            arguments: {
              action: 'create',
              name: 'refund-order',
              content:
                '---\nname: refund-order\ndescription: Refund an order through the payments API.\n---\n\n1. Find the order.\n2. Refund it.\n',
            },
          },
        ],
      },
      { text: 'saved' },
    );
    const results = await turn('bob', 'remember how to refund');
    expect(JSON.stringify(results)).toContain('"ok":true');
    const bobSkills = await server.mnemos.skills
      .forTenant({ appId: 'shop', tenantId: 'bob' })
      .catalog();
    expect(bobSkills.map((entry) => [entry.name, entry.origin])).toEqual([
      ['refund-order', 'agent'],
    ]);
    const aliceSkills = await server.mnemos.skills
      .forTenant({ appId: 'shop', tenantId: 'alice' })
      .catalog();
    expect(aliceSkills.map((entry) => entry.name)).toEqual(['deploy-app']);
    // Two model calls (tool call, answer), and no review afterwards.
    expect(model.requestsTo('/v1/chat/completions')).toHaveLength(2);
  });
});
