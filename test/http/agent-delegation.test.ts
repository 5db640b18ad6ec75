import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MnemosClient } from '../../src/client/mnemos-client.js';
import type { StreamedEvent } from '../../src/client/types.js';
import { type ChatRequest, type ModelServer, startModelServer } from '../support/model-server.js';
import { baseConfig, startTestServer, type TestServer } from './helpers.js';

/**
 * Delegation on HTTP turns: off unless the server lists it for the surface; where it is, children
 * get the turn's own (confined) toolsets minus delegation, and the stream shows each task.
 */

let model: ModelServer;
const servers: TestServer[] = [];

beforeAll(async () => {
  model = await startModelServer();
});
afterAll(async () => {
  for (const server of servers) await server.remove();
  await model?.close();
});

async function clientFor(agentYaml: string): Promise<{ client: MnemosClient; server: TestServer }> {
  const server = await startTestServer({
    config: `${baseConfig}llm:\n  base_url: ${model.url}\n  model: scripted\n${agentYaml}`,
  });
  servers.push(server);
  const { key } = await server.mnemos.keys.create({ appId: 'shop', tenantId: 'stranger' });
  return { client: new MnemosClient({ baseUrl: server.url, apiKey: key }), server };
}

async function collect(events: AsyncIterable<StreamedEvent>): Promise<StreamedEvent[]> {
  const out: StreamedEvent[] = [];
  for await (const event of events) out.push(event);
  return out;
}

const toolNames = (request: ChatRequest | undefined): string[] =>
  (request?.tools ?? []).map((tool) => (tool as { function: { name: string } }).function.name);

const delegateCall = {
  toolCalls: [{ name: 'delegate_task', arguments: { goal: 'price the blue lamp' } }],
};

describe('HTTP agent turns and delegate_task', () => {
  it('do not offer it by default', async () => {
    const { client } = await clientFor('');
    model.reset();
    model.script(delegateCall, { text: 'could not delegate' });
    const session = await client.sessions.create({ title: 'shop' });
    const events = await collect(client.sessions.stream(session.id, 'price it'));
    const first = model.requestsTo('/v1/chat/completions')[0]?.body as ChatRequest;
    expect(toolNames(first)).not.toContain('delegate_task');
    const result = events.find((item) => item.event.type === 'tool_result')?.event;
    expect(result?.type === 'tool_result' && result.isError).toBe(true);
    expect(JSON.stringify(result)).toContain('unknown tool delegate_task');
    expect(events.some((item) => item.event.type === 'delegation_start')).toBe(false);
  });

  it('stream delegation_start and delegation_done where the surface lists delegation', async () => {
    const { client } = await clientFor(
      ['agent:', '  surfaces:', '    http:', '      toolsets: [web, todo, delegation]', ''].join(
        '\n',
      ),
    );
    model.reset();
    model.script(delegateCall, { text: 'the lamp costs 40' }, { text: 'It costs 40.' });
    const session = await client.sessions.create({ title: 'shop' });
    const events = (await collect(client.sessions.stream(session.id, 'price it'))).map(
      (item) => item.event,
    );
    const types = events.map((event) => event.type);
    expect(types.indexOf('delegation_start')).toBeGreaterThan(types.indexOf('tool_call'));
    expect(types.indexOf('delegation_done')).toBeLessThan(types.indexOf('tool_result'));
    const start = events.find((event) => event.type === 'delegation_start');
    const done = events.find((event) => event.type === 'delegation_done');
    expect(start).toMatchObject({ goal: 'price the blue lamp' });
    expect(done).toMatchObject({ taskId: start?.type === 'delegation_start' && start.taskId });
    expect(done).toMatchObject({ status: 'ok', steps: 1 });
    expect(events.at(-1)).toMatchObject({ type: 'done', text: 'It costs 40.' });

    const [parentRequest, childRequest] = model
      .requestsTo('/v1/chat/completions')
      .map((request) => request.body as ChatRequest);
    expect(toolNames(parentRequest)).toContain('delegate_task');
    expect(toolNames(childRequest)).toEqual(expect.arrayContaining(['web_fetch', 'todo']));
    for (const name of ['delegate_task', 'read_file', 'terminal', 'memory']) {
      expect(toolNames(childRequest)).not.toContain(name);
    }
    // The child's session belongs to the same tenant, under the parent's.
    const sessions = await client.sessions.list();
    const child = sessions.find((item) => item.title === 'delegate: price the blue lamp');
    expect(child?.parentId).toBe(session.id);
  });
});
