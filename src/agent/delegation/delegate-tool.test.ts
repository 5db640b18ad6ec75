import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type ChatHandler,
  type ChatRequest,
  holdUntilClosed,
  type ModelServer,
  type ScriptedReply,
  startModelServer,
} from '../../../test/support/model-server.js';
import { tempHome } from '../../../test/support/temp-home.js';
import type { AgentEvent } from '../../core/agent-events.js';
import { Mnemos } from '../../mnemos.js';
import type { Agent } from '../agent.js';
import { createAgent } from '../create-agent.js';
import type { CompletedTurn, MemoryProvider } from '../providers/memory-provider.js';
import type { DelegationResult } from './delegated-task.js';

let server: ModelServer;
/** Replies of the parent agent, in order. */
const parent: ScriptedReply[] = [];
/** Handlers of child requests, by a word of their goal. */
const children = new Map<string, ChatHandler>();

function system(request: ChatRequest): string {
  const first = request.messages?.[0];
  return first?.role === 'system' && typeof first.content === 'string' ? first.content : '';
}

function firstUser(request: ChatRequest): string {
  const content = request.messages?.find((message) => message.role === 'user')?.content;
  return typeof content === 'string' ? content : JSON.stringify(content ?? '');
}

function toolNames(request: ChatRequest): string[] {
  return (request.tools ?? []).map(
    (tool) => (tool as { function: { name: string } }).function.name,
  );
}

const isChild = (request: ChatRequest): boolean =>
  firstUser(request).includes('This task was delegated to you');

/** Extraction of long-term memory: one fact per user line, as written. */
function extract(request: ChatRequest): ScriptedReply {
  const users = (request.messages ?? []).filter((message) => message.role === 'user');
  const content = users.at(-1)?.content;
  const lines = String(content ?? '')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { role: string; text: string })
    .filter((line) => line.role === 'user');
  return {
    json: {
      facts: lines.map((line) => ({ text: line.text, kind: 'fact', salience: 0.8, sources: [0] })),
    },
  };
}

beforeAll(async () => {
  server = await startModelServer({
    defaultReply: (request, recorded, closed) => {
      const prompt = system(request);
      if (prompt.startsWith('You extract')) return extract(request);
      if (prompt.includes('reconcile') || prompt.includes('decisions'))
        return { json: { decisions: [] } };
      if (isChild(request)) {
        const goal = firstUser(request).split('\n')[0] ?? '';
        for (const [word, handler] of children) {
          if (goal.includes(word)) return handler(request, recorded, closed);
        }
        return { text: `done: ${goal}` };
      }
      return parent.shift() ?? { text: 'parent done' };
    },
  });
});
afterAll(async () => {
  await server.close();
});

let home: ReturnType<typeof tempHome>;
let mnemos: Mnemos;
let agent: Agent | undefined;

async function open(agentConfig: Record<string, unknown> = {}): Promise<Mnemos> {
  mnemos = await Mnemos.open({
    home: home.home,
    config: {
      llm: { base_url: server.url, model: 'chat-model', max_retries: 0 },
      agent: { toolsets: ['todo', 'session_search', 'delegation'], ...agentConfig },
      ingest: { retry_base_ms: 10 },
    },
  });
  return mnemos;
}

beforeEach(() => {
  server.reset();
  parent.length = 0;
  children.clear();
  home = tempHome();
});
afterEach(async () => {
  await agent?.close();
  agent = undefined;
  await mnemos.close();
  home.remove();
});

function chatRequests(): ChatRequest[] {
  return server
    .requestsTo('/v1/chat/completions')
    .map((request) => request.body as ChatRequest)
    .filter(
      (request) => !/^(You extract|You keep a user's long-term memory)/.test(system(request)),
    );
}

/** The parent calls delegate_task with these arguments, then answers. */
function delegate(args: unknown): void {
  parent.push(
    { toolCalls: [{ id: 'd1', name: 'delegate_task', arguments: args }] },
    { text: 'all delegated work is in' },
  );
}

function resultsOf(events: AgentEvent[]): DelegationResult[] {
  const result = events.find(
    (event) => event.type === 'tool_result' && event.name === 'delegate_task',
  );
  if (result?.type !== 'tool_result') throw new Error('no delegate_task result');
  if (result.isError) throw new Error(`delegate_task failed: ${JSON.stringify(result.result)}`);
  return (result.result as { results: DelegationResult[] }).results;
}

const owner = { appId: 'mnemos', tenantId: 'default' };

describe('delegate_task', () => {
  it('runs three tasks at most two at a time, in child sessions, and the parent answers from them', async () => {
    await open({ delegation: { max_concurrent: 2 } });
    let inFlight = 0;
    let maxInFlight = 0;
    let arrived = 0;
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const held: ChatHandler = async (request) => {
      arrived++;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await gate;
      inFlight--;
      return { text: `answer to ${firstUser(request).split('\n')[0]}` };
    };
    for (const word of ['alpha', 'beta', 'gamma']) children.set(word, held);
    delegate({
      tasks: [
        { goal: 'research alpha', context: 'alpha is a letter' },
        { goal: 'research beta' },
        { goal: 'research gamma' },
      ],
    });
    agent = createAgent({ mnemos });
    const events: AgentEvent[] = [];
    const turn = agent.turn('look into three letters', { onEvent: (event) => events.push(event) });
    await vi.waitFor(() => expect(arrived).toBe(2), { timeout: 5_000 });
    // The third child waits for a slot: no request of it arrives while two are held.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(arrived).toBe(2);
    release();
    const done = await turn;

    expect(done.reason).toBe('answered');
    expect(done.text).toBe('all delegated work is in');
    expect(maxInFlight).toBe(2);
    expect(arrived).toBe(3);
    const results = resultsOf(events);
    expect(results.map((result) => [result.goal, result.status, result.text])).toEqual([
      ['research alpha', 'ok', 'answer to research alpha'],
      ['research beta', 'ok', 'answer to research beta'],
      ['research gamma', 'ok', 'answer to research gamma'],
    ]);
    expect(results.every((result) => result.steps === 1 && result.tokens > 0)).toBe(true);

    const childRequest = chatRequests().find((request) => firstUser(request).includes('alpha'));
    expect(firstUser(childRequest as ChatRequest)).toContain('alpha is a letter');
    // The last parent request holds the children's answers as the tool result.
    const last = chatRequests().at(-1) as ChatRequest;
    expect(isChild(last)).toBe(false);
    expect(JSON.stringify(last.messages)).toContain('answer to research gamma');

    const starts = events.filter((event) => event.type === 'delegation_start');
    const ends = events.filter((event) => event.type === 'delegation_done');
    expect(starts).toHaveLength(3);
    expect(ends).toHaveLength(3);
    expect(new Set(ends.map((event) => event.taskId))).toEqual(
      new Set(starts.map((event) => event.taskId)),
    );

    const sessions = await mnemos.sessions.list(owner);
    const childSessions = sessions.filter((session) => session.parentId === done.sessionId);
    expect(childSessions.map((session) => session.title).sort()).toEqual([
      'delegate: research alpha',
      'delegate: research beta',
      'delegate: research gamma',
    ]);
    const ended = ends.map((event) => (event.type === 'delegation_done' ? event.sessionId : ''));
    expect(new Set(ended)).toEqual(new Set(childSessions.map((session) => session.id)));
    const transcript = await mnemos.sessions.messages(owner, childSessions[0]?.id as string);
    expect(transcript.map((message) => message.role)).toEqual(['user', 'assistant']);
  });

  it('offers children no delegate_task and no memory tools, only the toolsets asked for', async () => {
    await open({ toolsets: ['todo', 'session_search', 'memory', 'delegation'] });
    delegate({ goal: 'count to three', toolsets: ['todo', 'delegation', 'memory'] });
    agent = createAgent({ mnemos });
    const done = await agent.turn('delegate counting');
    expect(done.reason).toBe('answered');
    const [first] = chatRequests();
    expect(toolNames(first as ChatRequest)).toContain('delegate_task');
    expect(toolNames(first as ChatRequest)).toContain('memory');
    const child = chatRequests().find(isChild) as ChatRequest;
    expect(toolNames(child)).toEqual(['todo']);

    delegate({ goal: 'count to four' });
    await agent.turn('again, with every toolset');
    const second = chatRequests().filter(isChild).at(-1) as ChatRequest;
    expect(toolNames(second)).toContain('session_search');
    expect(toolNames(second)).not.toContain('delegate_task');
    expect(toolNames(second)).not.toContain('memory');
  });

  it('refuses a toolset the parent does not have, naming it, and starts no child', async () => {
    await open();
    delegate({
      tasks: [{ goal: 'read files', toolsets: ['todo', 'file', 'terminal'] }, { goal: 'other' }],
    });
    agent = createAgent({ mnemos });
    const events: AgentEvent[] = [];
    await agent.turn('delegate file work', { onEvent: (event) => events.push(event) });
    const result = events.find((event) => event.type === 'tool_result');
    expect(result?.type === 'tool_result' && result.isError).toBe(true);
    expect(JSON.stringify(result?.type === 'tool_result' ? result.result : null)).toMatch(
      /toolsets file, terminal are not yours/,
    );
    expect(chatRequests().filter(isChild)).toHaveLength(0);
    expect(events.some((event) => event.type === 'delegation_start')).toBe(false);
  });

  it('stops a hung child at its timeout while its siblings answer', async () => {
    await open({ delegation: { timeout_ms: 1_000 } });
    children.set('hang', (_request, _recorded, closed) => holdUntilClosed(closed));
    delegate({ tasks: [{ goal: 'fast one' }, { goal: 'hang forever' }, { goal: 'fast two' }] });
    agent = createAgent({ mnemos });
    const events: AgentEvent[] = [];
    const done = await agent.turn('three tasks', { onEvent: (event) => events.push(event) });
    expect(done.reason).toBe('answered');
    const results = resultsOf(events);
    expect(results.map((result) => result.status)).toEqual(['ok', 'timeout', 'ok']);
    expect(results[1]?.error).toMatch(/agent\.delegation\.timeout_ms/);
    expect(results[0]?.text).toBe('done: fast one');
    const timedOut = events.find(
      (event) => event.type === 'delegation_done' && event.status === 'timeout',
    );
    expect(timedOut).toBeDefined();
  });

  it('cancels running children when the parent turn is cancelled', async () => {
    await open();
    let arrived = 0;
    children.set('hang', (_request, _recorded, closed) => {
      arrived++;
      return holdUntilClosed(closed);
    });
    delegate({ goal: 'hang until cancelled' });
    agent = createAgent({ mnemos });
    const controller = new AbortController();
    const events: AgentEvent[] = [];
    const turn = agent.turn('one task', {
      signal: controller.signal,
      onEvent: (event) => events.push(event),
    });
    await vi.waitFor(() => expect(arrived).toBe(1), { timeout: 5_000 });
    controller.abort();
    const done = await turn;
    expect(done.reason).toBe('cancelled');
    const ended = events.find((event) => event.type === 'delegation_done');
    expect(ended?.type === 'delegation_done' && ended.status).toBe('failed');
  });

  it('shares model steps across the children of a turn: the last ones run short or not at all', async () => {
    await open({ delegation: { max_concurrent: 1, max_iterations: 2, max_iterations_total: 3 } });
    const steps: ChatHandler = (request) =>
      (request.messages ?? []).some((message) => message.role === 'tool')
        ? { text: 'finished after a tool' }
        : { toolCalls: [{ name: 'todo', arguments: { action: 'list' } }] };
    children.set('task', steps);
    delegate({ tasks: [{ goal: 'task one' }, { goal: 'task two' }, { goal: 'task three' }] });
    agent = createAgent({ mnemos });
    const events: AgentEvent[] = [];
    const done = await agent.turn('three tasks', { onEvent: (event) => events.push(event) });
    expect(done.reason).toBe('answered');
    const results = resultsOf(events);
    expect(results.map((result) => [result.status, result.steps])).toEqual([
      ['ok', 2],
      ['budget', 1],
      ['budget', 0],
    ]);
    expect(results[2]?.error).toMatch(/max_iterations_total/);
    expect(chatRequests().filter(isChild)).toHaveLength(3);

    // The next turn has a budget of its own.
    delegate({ goal: 'task four' });
    const next: AgentEvent[] = [];
    await agent.turn('one more', { onEvent: (event) => next.push(event) });
    expect(resultsOf(next).map((result) => [result.status, result.steps])).toEqual([['ok', 2]]);
  });

  it('stops a running child once the turn’s tokens are spent, and refuses the next', async () => {
    await open({ delegation: { max_concurrent: 1, max_tokens_total: 1_000 } });
    children.set('costly', () => ({
      toolCalls: [{ name: 'todo', arguments: { action: 'list' } }],
      usage: { prompt_tokens: 900, completion_tokens: 200 },
    }));
    delegate({ tasks: [{ goal: 'costly work' }, { goal: 'cheap work' }] });
    agent = createAgent({ mnemos });
    const events: AgentEvent[] = [];
    const done = await agent.turn('two tasks', { onEvent: (event) => events.push(event) });
    expect(done.reason).toBe('answered');
    const results = resultsOf(events);
    expect(results.map((result) => [result.status, result.steps, result.tokens])).toEqual([
      ['budget', 1, 1_100],
      ['budget', 0, 0],
    ]);
    expect(results[0]?.error).toMatch(/max_tokens_total/);
    expect(chatRequests().filter(isChild)).toHaveLength(1);
  });

  it('children write no memory; the parent’s providers hear of each result', async () => {
    await open({ toolsets: ['memory', 'todo', 'delegation'] });
    const recorder = new DelegationRecorder();
    children.set('zebra', (request) =>
      (request.messages ?? []).some((message) => message.role === 'tool')
        ? { text: 'zebras have stripes' }
        : {
            toolCalls: [
              {
                name: 'memory',
                arguments: { action: 'add', target: 'user', content: 'zebra fan' },
              },
            ],
          },
    );
    delegate({ goal: 'find out about zebra stripes' });
    agent = createAgent({ mnemos, extraProviders: [recorder] });
    const events: AgentEvent[] = [];
    const done = await agent.turn('I like animals; delegate the zebra question', {
      onEvent: (event) => events.push(event),
    });
    expect(done.reason).toBe('answered');
    expect(resultsOf(events)[0]?.text).toBe('zebras have stripes');
    const child = chatRequests().filter(isChild).at(-1) as ChatRequest;
    expect(JSON.stringify(child.messages)).toMatch(/unknown tool memory/);
    await agent.close();
    agent = undefined;
    await mnemos.drain();

    expect(recorder.delegations).toEqual([
      { task: 'find out about zebra stripes', result: 'zebras have stripes' },
    ]);
    // Only the parent's own turn reached long-term memory.
    expect(recorder.turns.map((turn) => turn.user)).toEqual([
      'I like animals; delegate the zebra question',
    ]);
    const { memories } = await mnemos.memories.list({ scope: owner });
    expect(memories.length).toBeGreaterThan(0);
    expect(memories.filter((memory) => /stripes$|zebra fan/.test(memory.text))).toEqual([]);
    expect(memories.every((memory) => memory.text.includes('I like animals'))).toBe(true);
  });
});

class DelegationRecorder implements MemoryProvider {
  readonly name = 'delegation-recorder';
  readonly turns: CompletedTurn[] = [];
  readonly delegations: Array<{ task: string; result: string }> = [];
  async initialize(): Promise<void> {}
  async syncTurn(turn: CompletedTurn): Promise<void> {
    this.turns.push(turn);
  }
  async onDelegation(task: string, result: string): Promise<void> {
    this.delegations.push({ task, result });
  }
}
