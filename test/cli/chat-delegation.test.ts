import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cliFor, makeHome, removeHomes } from '../support/cli.js';
import { type ChatRequest, type ModelServer, startModelServer } from '../support/model-server.js';

let server: ModelServer;

function system(request: ChatRequest): string {
  const first = request.messages?.[0];
  return first?.role === 'system' && typeof first.content === 'string' ? first.content : '';
}

function firstUser(request: ChatRequest): string {
  const content = request.messages?.find((message) => message.role === 'user')?.content;
  return typeof content === 'string' ? content : JSON.stringify(content ?? '');
}

const isChild = (request: ChatRequest): boolean =>
  firstUser(request).includes('This task was delegated to you');

beforeAll(async () => {
  server = await startModelServer({
    defaultReply: (request) => {
      const prompt = system(request);
      if (prompt.startsWith('You extract')) return { json: { facts: [] } };
      if (!prompt.startsWith('You are Mnemos')) return { json: { decisions: [] } };
      if (isChild(request)) return { text: `found: ${firstUser(request).split('\n')[0]}` };
      const result = (request.messages ?? []).find((message) => message.role === 'tool');
      if (result) return { text: `summary of ${JSON.stringify(result.content)}` };
      return {
        toolCalls: [
          {
            id: 'd1',
            name: 'delegate_task',
            arguments: {
              tasks: [{ goal: 'check the north wing' }, { goal: 'check the south wing' }],
            },
          },
        ],
      };
    },
  });
});
beforeEach(() => {
  server.reset();
});
afterAll(async () => {
  await server.close();
  removeHomes();
});

describe('mnemos chat with delegation', () => {
  it('shows each delegated task as it starts and ends, and keeps the children as sessions', async () => {
    const cli = cliFor(makeHome());
    const env = { OLLAMA_HOST: new URL(server.url).host };
    const result = await cli(['chat', '-q', 'inspect both wings'], { env });
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.split('\n');
    expect(
      lines.filter((line) => /↳ delegated \w{8}: check the (north|south) wing/.test(line)),
    ).toHaveLength(2);
    expect(
      lines.filter((line) => /↳ delegated \w{8} ok \(1 steps, \d+ tokens, session /.test(line)),
    ).toHaveLength(2);
    expect(result.stdout).toContain('found: check the north wing');
    expect(result.stdout).toContain('found: check the south wing');

    const children = server
      .requestsTo('/v1/chat/completions')
      .map((request) => request.body as ChatRequest)
      .filter(isChild);
    expect(children).toHaveLength(2);
    for (const child of children) {
      const tools = (child.tools ?? []).map(
        (tool) => (tool as { function: { name: string } }).function.name,
      );
      expect(tools).not.toContain('delegate_task');
      expect(tools).not.toContain('memory');
      expect(tools).toContain('read_file');
    }

    const sessions = (await cli(['sessions', 'list', '--json'])).json<{
      sessions: Array<{ id: string; title: string; parentId: string | null }>;
    }>().sessions;
    const parent = sessions.find((session) => session.title === 'inspect both wings');
    expect(parent).toBeDefined();
    expect(
      sessions
        .filter((session) => session.parentId === parent?.id)
        .map((session) => session.title)
        .sort(),
    ).toEqual(['delegate: check the north wing', 'delegate: check the south wing']);
  });
});
