import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type ChatRequest,
  type ModelServer,
  type ScriptedReply,
  startModelServer,
} from '../../../test/support/model-server.js';
import { tempHome } from '../../../test/support/temp-home.js';
import { type AgentDefinitionInput, agentDefinitionSchema } from '../../core/agent-definition.js';
import type { AgentEvent } from '../../core/agent-events.js';
import { Mnemos } from '../../mnemos.js';
import type { Agent } from '../agent.js';
import { createAgent } from '../create-agent.js';

let server: ModelServer;
const chat: ScriptedReply[] = [];

function system(request: ChatRequest): string {
  const first = request.messages?.[0];
  return first?.role === 'system' && typeof first.content === 'string' ? first.content : '';
}

beforeAll(async () => {
  server = await startModelServer({
    defaultReply: (request) => {
      const prompt = system(request);
      if (prompt.startsWith('You extract')) return { json: { facts: [] } };
      if (prompt.includes('reconcile') || prompt.includes('decisions'))
        return { json: { decisions: [] } };
      return chat.shift() ?? { text: 'ok' };
    },
  });
});
afterAll(async () => {
  await server.close();
});

let home: ReturnType<typeof tempHome>;
let mnemos: Mnemos;
let agent: Agent | undefined;

beforeEach(async () => {
  server.reset();
  chat.length = 0;
  home = tempHome();
  mnemos = await Mnemos.open({
    home: home.home,
    config: {
      llm: { base_url: server.url, model: 'config-model', max_retries: 0 },
      agent: {
        toolsets: ['memory', 'session_search', 'todo', 'web'],
        surfaces: { http: { toolsets: ['memory', 'todo'] } },
      },
      ingest: { retry_base_ms: 10 },
    },
  });
});
afterEach(async () => {
  await agent?.close();
  agent = undefined;
  await mnemos.close();
  home.remove();
});

function define(input: Omit<AgentDefinitionInput, 'name'> & { name?: string }) {
  return agentDefinitionSchema.parse({ name: 'support', ...input });
}

function agentRequests(): ChatRequest[] {
  return server
    .requestsTo('/v1/chat/completions')
    .map((request) => request.body as ChatRequest)
    .filter((request) => !/^You extract|reconcile/.test(system(request)));
}

function toolNames(request: ChatRequest | undefined): string[] {
  const tools = (request as { tools?: Array<{ function: { name: string } }> } | undefined)?.tools;
  return (tools ?? []).map((tool) => tool.function.name).sort();
}

describe('createAgent with a definition', () => {
  it('sends the definition’s identity, model and temperature, and names sessions after it', async () => {
    agent = createAgent({
      mnemos,
      definition: define({
        system_prompt: 'You are the ACME support assistant. Answer from the order system only.',
        llm: { model: 'support-model', temperature: 0.3 },
        tools: [],
      }),
    });
    const done = await agent.turn('where is order 12345?');
    expect(done.reason).toBe('answered');
    const request = agentRequests()[0] as ChatRequest & { model?: string; temperature?: number };
    expect(system(request)).toMatch(/^You are the ACME support assistant/);
    expect(system(request)).not.toContain('You are Mnemos');
    expect(request.model).toBe('support-model');
    expect(request.temperature).toBe(0.3);
    expect(toolNames(request)).toEqual([]);
    const sessions = await mnemos.sessions.list({ appId: 'mnemos', tenantId: 'default' });
    expect(sessions[0]?.agentId).toBe('support');
  });

  it('offers exactly the tools it lists: a whole toolset, or single tools of one', async () => {
    agent = createAgent({
      mnemos,
      definition: define({ tools: ['todo', { type: 'builtin', name: 'web_fetch' }] }),
    });
    await agent.turn('hi');
    expect(toolNames(agentRequests()[0])).toEqual(['todo', 'web_fetch']);
  });

  it('rejects an unknown tool, naming the agent and the known toolsets', () => {
    expect(() => createAgent({ mnemos, definition: define({ tools: ['teleport'] }) })).toThrow(
      /agent support: tools: unknown toolset teleport; known toolsets: .*todo/,
    );
  });

  it('without long-term memory: no memory tools, no recall, nothing extracted', async () => {
    await mnemos.memories.add({
      scope: { appId: 'mnemos', tenantId: 'default' },
      text: 'The user’s cat is called Mochi.',
      sync: true,
    });
    server.reset();
    agent = createAgent({
      mnemos,
      definition: define({ tools: ['memory', 'todo'], memory: { enabled: false, notes: false } }),
    });
    await agent.turn('what is my cat called?');
    await agent.close();
    agent = undefined;
    const request = agentRequests()[0];
    expect(toolNames(request)).toEqual(['todo']);
    expect(JSON.stringify(request?.messages)).not.toContain('memory-context');
    const extraction = server
      .requestsTo('/v1/chat/completions')
      .filter((entry) => system(entry.body as ChatRequest).startsWith('You extract'));
    expect(extraction).toHaveLength(0);
  });

  it('on HTTP: a tenant’s definition gets only what the surface allows, the operator’s all but file and terminal', async () => {
    const tools = ['todo', 'web', 'terminal'];
    const tenant = createAgent({
      mnemos,
      surface: 'http',
      definition: define({ tools }),
      definitionOrigin: 'tenant',
    });
    const operator = createAgent({ mnemos, surface: 'http', definition: define({ tools }) });
    expect(tenant.toolList.map((tool) => tool.name).sort()).toEqual(['todo']);
    expect(operator.toolList.map((tool) => tool.name).sort()).toEqual(['todo', 'web_fetch']);
    await tenant.close();
    await operator.close();
  });

  it('stops a tool loop at limits.max_tokens_per_turn, with reason limit', async () => {
    for (let index = 0; index < 5; index++) {
      chat.push({
        toolCalls: [{ name: 'todo', arguments: { todos: [] } }],
        usage: { prompt_tokens: 400, completion_tokens: 100 },
      });
    }
    agent = createAgent({
      mnemos,
      definition: define({ tools: ['todo'], limits: { max_tokens_per_turn: 1_000 } }),
    });
    const events: AgentEvent[] = [];
    const done = await agent.turn('loop', { onEvent: (event) => events.push(event) });
    expect(done.reason).toBe('limit');
    expect(done.steps).toBe(2);
    expect(agentRequests()).toHaveLength(2);
    expect(
      events.some((event) => event.type === 'notice' && /max_tokens_per_turn/.test(event.message)),
    ).toBe(true);
  });

  it('caps steps at max_iter', async () => {
    for (let index = 0; index < 5; index++) {
      chat.push({ toolCalls: [{ name: 'todo', arguments: { todos: [] } }] });
    }
    agent = createAgent({ mnemos, definition: define({ tools: ['todo'], max_iter: 3 }) });
    const done = await agent.turn('loop');
    expect(done.reason).toBe('max_iterations');
    expect(agentRequests()).toHaveLength(3);
  });

  it('falls back to the definition’s own fallback model', async () => {
    server.failNext(1, 500);
    agent = createAgent({
      mnemos,
      definition: define({
        tools: [],
        llm: { model: 'primary-model', fallback: [{ model: 'backup-model' }] },
      }),
    });
    const done = await agent.turn('hi');
    expect(done.reason).toBe('answered');
    const models = agentRequests().map((request) => (request as { model?: string }).model);
    expect(models).toEqual(['primary-model', 'backup-model']);
  });
});

describe('a tenant’s definition', () => {
  it('cannot send the server’s model key to an address of its choosing', () => {
    for (const llm of [
      { model: 'm', base_url: 'http://attacker.example/v1' },
      { model: 'm', api_key_env: 'DATABASE_PASSWORD' },
      { model: 'm', fallback: [{ model: 'n', base_url: 'http://attacker.example/v1' }] },
    ]) {
      expect(() =>
        createAgent({ mnemos, definition: define({ llm }), definitionOrigin: 'tenant' }),
      ).toThrow(/not allowed in a tenant's definition/);
    }
    const operator = createAgent({
      mnemos,
      definition: define({ tools: [], llm: { model: 'm', base_url: server.url } }),
    });
    expect(operator.models[0]?.name).toContain('m');
  });
});
