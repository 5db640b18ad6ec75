import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type ChatRequest,
  type ModelServer,
  type ScriptedReply,
  startModelServer,
} from '../../test/support/model-server.js';
import { tempHome } from '../../test/support/temp-home.js';
import type { AgentEvent } from '../core/agent-events.js';
import { MnemosError } from '../core/errors.js';
import type { TenantKey } from '../core/scope.js';
import type { SessionMessage } from '../core/session-record.js';
import { Mnemos } from '../mnemos.js';
import type { NewSessionMessage } from '../spec/storage.js';
import { SqliteStorage } from '../storage/sqlite/sqlite-storage.js';
import type { Agent } from './agent.js';
import { createAgent } from './create-agent.js';

/** How a finished turn is stored: whole however long, and never lost when storing it fails. */

let server: ModelServer;
const chat: ScriptedReply[] = [];

beforeAll(async () => {
  server = await startModelServer({
    defaultReply: (request: ChatRequest) => {
      const first = request.messages?.[0];
      const prompt =
        first?.role === 'system' && typeof first.content === 'string' ? first.content : '';
      if (prompt.startsWith('You extract')) return { json: { facts: [] } };
      if (!prompt.startsWith('You are Mnemos')) return { json: { decisions: [] } };
      return chat.shift() ?? { text: 'ok' };
    },
  });
});
afterAll(async () => {
  await server.close();
});

/** A real SQLite database whose next writes of a turn with tool calls fail, as a full disk would. */
class FailingTurnWrites extends SqliteStorage {
  failures = 0;

  constructor(path: string) {
    super(path);
    const append = this.sessions.append.bind(this.sessions);
    this.sessions.append = async (
      tenant: TenantKey,
      sessionId: string,
      messages: NewSessionMessage[],
      now: number,
    ): Promise<SessionMessage[]> => {
      if (this.failures > 0 && messages.some((message) => message.parts.length > 0)) {
        this.failures--;
        throw new MnemosError('storage_error', 'database write failed: disk I/O error', {
          category: 'system',
        });
      }
      return append(tenant, sessionId, messages, now);
    };
  }
}

let home: ReturnType<typeof tempHome>;
let storage: FailingTurnWrites;
let mnemos: Mnemos;
let agent: Agent | undefined;
const owner = { appId: 'mnemos', tenantId: 'default' };

async function open(maxIterations = 12): Promise<void> {
  storage = new FailingTurnWrites(join(home.home, 'mnemos.db'));
  mnemos = await Mnemos.open({
    home: home.home,
    storage,
    config: {
      llm: { base_url: server.url, model: 'chat-model', max_retries: 0 },
      agent: { toolsets: ['todo'], max_iterations: maxIterations },
    },
  });
  agent = createAgent({ mnemos });
}

beforeEach(() => {
  server.reset();
  chat.length = 0;
  home = tempHome();
});
afterEach(async () => {
  await agent?.close();
  agent = undefined;
  await mnemos.close();
  home.remove();
});

const todoCall = (id: string): ScriptedReply => ({
  toolCalls: [{ id, name: 'todo', arguments: { action: 'list' } }],
});

describe('persisting a turn', () => {
  it('keeps the user message and the answer when the whole turn cannot be stored, and says why', async () => {
    await open();
    storage.failures = 1;
    chat.push(todoCall('t1'), { text: 'Your list is empty.' });
    const events: AgentEvent[] = [];
    const done = await agent!.turn('What is on my list?', {
      onEvent: (event) => events.push(event),
    });
    expect(done).toMatchObject({ reason: 'answered', text: 'Your list is empty.' });
    expect(done.error).toBeUndefined();
    const notice = events.find((event) => event.type === 'notice' && event.level === 'warn');
    expect(notice).toMatchObject({ message: expect.stringContaining('disk I/O error') });
    const messages = await mnemos.sessions.messages(owner, done.sessionId);
    expect(messages.map((message) => [message.role, message.content])).toEqual([
      ['user', 'What is on my list?'],
      ['assistant', 'Your list is empty.'],
    ]);
    expect(messages[1]!.metadata.persist_error).toContain('storage_error');

    // The next turn stores normally, tool parts and all.
    chat.push(todoCall('t2'), { text: 'Still empty.' });
    await agent!.turn('And now?');
    const after = await mnemos.sessions.messages(owner, done.sessionId);
    expect(after.slice(2).map((message) => message.role)).toEqual([
      'user',
      'assistant',
      'tool',
      'assistant',
    ]);
  });

  it('stores a turn of more messages than one append takes', async () => {
    await open(100);
    for (let step = 1; step <= 100; step++) chat.push(todoCall(`s${step}`));
    const done = await agent!.turn('Check the list again and again');
    expect(done).toMatchObject({ reason: 'max_iterations', steps: 100 });
    const messages = await mnemos.sessions.messages(owner, done.sessionId, { limit: 1000 });
    expect(messages).toHaveLength(201);
    expect(messages[0]).toMatchObject({ role: 'user', content: 'Check the list again and again' });
    expect(messages.at(-1)).toMatchObject({ role: 'tool', parts: [{ toolCallId: 's100' }] });
    expect(messages.map((message) => message.seq)).toEqual(
      Array.from({ length: 201 }, (_, index) => index + 1),
    );
  });
});
