import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type ChatRequest,
  type ModelServer,
  type ScriptedReply,
  startModelServer,
} from '../../test/support/model-server.js';
import { tempHome } from '../../test/support/temp-home.js';
import type { AgentEvent } from '../core/agent-events.js';
import { Mnemos } from '../mnemos.js';
import type { Agent } from './agent.js';
import { createAgent } from './create-agent.js';
import type { CompletedTurn, MemoryProvider, MemoryWrite } from './providers/memory-provider.js';

let server: ModelServer;
/** Replies of the agent's chat calls; extraction and reconciliation are answered by routing. */
const chat: ScriptedReply[] = [];
const summaries: string[] = [];

function system(request: ChatRequest): string {
  const first = request.messages?.[0];
  return first?.role === 'system' && typeof first.content === 'string' ? first.content : '';
}

function lastUser(request: ChatRequest): string {
  const users = (request.messages ?? []).filter((message) => message.role === 'user');
  const content = users.at(-1)?.content;
  return typeof content === 'string' ? content : JSON.stringify(content);
}

/** Extraction: one fact per user line of the batch, as written. */
function extract(request: ChatRequest): ScriptedReply {
  const lines = lastUser(request)
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { role: string; text: string })
    .filter((line) => line.role === 'user');
  return {
    json: {
      facts: lines.map((line) => ({
        text: `用户说：${line.text}`,
        kind: 'fact',
        salience: 0.8,
        sources: [0],
      })),
    },
  };
}

beforeAll(async () => {
  server = await startModelServer({
    defaultReply: (request) => {
      const prompt = system(request);
      if (prompt.startsWith('You extract')) return extract(request);
      if (prompt.startsWith('Summarise the conversation'))
        return { text: summaries.shift() ?? '- earlier: small talk' };
      if (prompt.includes('reconcile') || prompt.includes('decisions'))
        return { json: { decisions: [] } };
      return chat.shift() ?? { text: '好的。' };
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
      agent: { toolsets: ['memory', 'session_search', 'todo'], ...agentConfig },
      ingest: { retry_base_ms: 10 },
    },
  });
  return mnemos;
}

beforeEach(() => {
  server.reset();
  chat.length = 0;
  summaries.length = 0;
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
      (request) =>
        !/^(You extract|You keep a user's long-term memory|Summarise the conversation)/.test(
          system(request),
        ),
    );
}

class RecordingProvider implements MemoryProvider {
  readonly name = 'recorder';
  readonly turns: CompletedTurn[] = [];
  readonly writes: MemoryWrite[] = [];
  constructor(private readonly delayMs = 0) {}
  async initialize(): Promise<void> {}
  async prefetch(): Promise<string | null> {
    await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    return '- recorder recall: 用户的猫叫年糕';
  }
  async syncTurn(turn: CompletedTurn): Promise<void> {
    this.turns.push(turn);
  }
  async onMemoryWrite(write: MemoryWrite): Promise<void> {
    this.writes.push(write);
  }
  async onPreCompress(): Promise<string> {
    return 'recorder: keep the cat name 年糕';
  }
}

describe('Agent with memory', () => {
  it('recalls a fact from a previous session on the first turn of a new session, in <memory-context>', async () => {
    await open();
    agent = createAgent({ mnemos });
    chat.push({ text: '记住了，你喜欢龙井茶。' });
    const first = await agent.turn('我叫李雷，我最喜欢喝龙井茶');
    expect(first.reason).toBe('answered');
    const firstSession = first.sessionId;
    await agent.close();
    await mnemos.drain();

    agent = createAgent({ mnemos });
    chat.push({ text: '你喜欢龙井茶。' });
    const events: AgentEvent[] = [];
    const second = await agent.turn('我最喜欢喝什么茶？', {
      onEvent: (event) => events.push(event),
    });
    expect(second.sessionId).not.toBe(firstSession);
    const request = chatRequests().at(-1)!;
    const user = lastUser(request);
    expect(user.startsWith('我最喜欢喝什么茶？')).toBe(true);
    expect(user).toContain('<memory-context>');
    expect(user).toContain('龙井茶');
    // The recall block is not kept in history, and the answer streamed as tokens.
    expect(JSON.stringify(agent.messages)).not.toContain('<memory-context>');
    expect(
      events
        .filter((event) => event.type === 'token')
        .map((event) => event.text)
        .join(''),
    ).toBe('你喜欢龙井茶。');
    expect(events.at(-1)?.type).toBe('done');
  });

  it('skips recall for trivial prompts and persists turns in the session', async () => {
    await open();
    agent = createAgent({ mnemos });
    chat.push({ text: '不客气' });
    const done = await agent.turn('谢谢');
    expect(lastUser(chatRequests().at(-1)!)).toBe('谢谢');
    const messages = await mnemos.sessions.messages(
      { appId: 'mnemos', tenantId: 'default' },
      done.sessionId,
    );
    expect(messages.map((message) => [message.role, message.content])).toEqual([
      ['user', '谢谢'],
      ['assistant', '不客气'],
    ]);
    expect(done.usage.inputTokens).toBeGreaterThan(0);
    const session = await mnemos.sessions.get(
      { appId: 'mnemos', tenantId: 'default' },
      done.sessionId,
    );
    expect(Number(session.metadata.tokens_in)).toBe(done.sessionUsage.inputTokens);
  });

  it('redacts secrets before any provider sees the turn', async () => {
    await open();
    const recorder = new RecordingProvider();
    agent = createAgent({ mnemos, extraProviders: [recorder] });
    chat.push({ text: 'OK, noted.' });
    await agent.turn('My OpenAI key is sk-proj-abcdefghijklmnop1234567890 and my password=hunter2');
    await agent.close();
    await mnemos.drain();
    expect(recorder.turns).toHaveLength(1);
    expect(recorder.turns[0]!.user).not.toContain('sk-proj-abcdefghijklmnop1234567890');
    expect(recorder.turns[0]!.user).not.toContain('hunter2');
    const extraction = server
      .requestsTo('/v1/chat/completions')
      .find((request) => system(request.body as ChatRequest).startsWith('You extract'));
    expect(extraction?.rawBody).toContain('[REDACTED');
    expect(extraction?.rawBody).not.toContain('hunter2');
    expect(extraction?.rawBody).not.toContain('sk-proj-abcdefghijklmnop1234567890');
  });

  it('goes on without a provider that misses the recall budget, and uses the others', async () => {
    await open({ prefetch_budget_ms: 100 });
    const slow = new RecordingProvider(2_000);
    const fast = Object.assign(new RecordingProvider(0), { name: 'fast' });
    agent = createAgent({ mnemos, extraProviders: [slow, fast] });
    chat.push({ text: '年糕很好。' });
    const events: AgentEvent[] = [];
    const started = performance.now();
    await agent.turn('我的猫叫什么？', { onEvent: (event) => events.push(event) });
    expect(performance.now() - started).toBeLessThan(1_900);
    expect(
      events.some((event) => event.type === 'notice' && event.message.includes('recorder')),
    ).toBe(true);
    expect(lastUser(chatRequests().at(-1)!)).toContain('用户的猫叫年糕');
  });

  it('writes no memory outside a primary agent', async () => {
    await open();
    const recorder = new RecordingProvider();
    agent = createAgent({ mnemos, extraProviders: [recorder], agentContext: 'subagent' });
    chat.push({ text: 'done' });
    await agent.turn('remember that I like tea');
    await agent.close();
    await mnemos.drain();
    expect(recorder.turns).toHaveLength(0);
    expect(
      (await mnemos.memories.list({ scope: { appId: 'mnemos', tenantId: 'default' } })).total,
    ).toBe(0);
  });

  it('consolidates full curated notes through the memory tool, mirroring writes to other providers', async () => {
    await open({ notes: { memory_limit: 100, user_limit: 100 } });
    const recorder = new RecordingProvider();
    agent = createAgent({ mnemos, extraProviders: [recorder] });
    const long = '用户的项目使用 TypeScript、Node 20、PostgreSQL 和 pgvector，部署在杭州的服务器上';
    chat.push(
      {
        toolCalls: [
          {
            id: 'm1',
            name: 'memory',
            arguments: { action: 'add', target: 'memory', content: long },
          },
        ],
      },
      {
        toolCalls: [
          {
            id: 'm2',
            name: 'memory',
            arguments: {
              action: 'add',
              target: 'memory',
              content: `${long}，每周五发布新版本，测试用 vitest`,
            },
          },
        ],
      },
      {
        toolCalls: [
          {
            id: 'm3',
            name: 'memory',
            arguments: {
              action: 'replace',
              target: 'memory',
              old_text: 'TypeScript',
              content: '项目：TS/Node 20/PG，杭州',
            },
          },
        ],
      },
      {
        toolCalls: [
          {
            id: 'm4',
            name: 'memory',
            arguments: { action: 'add', target: 'memory', content: '周五发布，vitest 测试' },
          },
        ],
      },
      { text: '已整理笔记。' },
    );
    const events: AgentEvent[] = [];
    const done = await agent.turn('记下项目信息', { onEvent: (event) => events.push(event) });
    expect(done.reason).toBe('answered');
    const results = events.filter((event) => event.type === 'tool_result');
    const outcome = (id: string) =>
      results.find((event) => event.id === id)?.result as Record<string, unknown>;
    expect(outcome('m1')).toMatchObject({ ok: true });
    expect(outcome('m2')).toMatchObject({ ok: false, error: 'full' });
    expect(JSON.stringify(outcome('m2'))).toContain('TypeScript');
    expect(outcome('m3')).toMatchObject({ ok: true });
    expect(outcome('m4')).toMatchObject({ ok: true });
    expect(recorder.writes.map((write) => write.action)).toEqual(['add', 'replace', 'add']);
  });

  it('compresses a long conversation into a child session with a summary and the recent messages', async () => {
    await open({ context_window: 1_000, compress_at: 0.5, protect_last: 2 });
    const recorder = new RecordingProvider();
    agent = createAgent({ mnemos, extraProviders: [recorder] });
    const filler = '这是一段很长的对话内容，用来填满上下文窗口。'.repeat(12);
    for (let turn = 0; turn < 3; turn++) {
      chat.push({ text: `第${turn}轮回答。${filler}` });
      await agent.turn(`第${turn}轮问题。${filler}`);
    }
    const parent = agent.sessionId!;
    summaries.push('- 用户问了三轮问题；猫叫年糕');
    chat.push({ text: '继续。' });
    const events: AgentEvent[] = [];
    const done = await agent.turn('继续', { onEvent: (event) => events.push(event) });
    const compressed = events.find((event) => event.type === 'compressed');
    expect(compressed).toMatchObject({ from: parent });
    expect(done.sessionId).not.toBe(parent);
    const owner = { appId: 'mnemos', tenantId: 'default' };
    const child = await mnemos.sessions.get(owner, done.sessionId);
    expect(child.parentId).toBe(parent);
    const stored = await mnemos.sessions.messages(owner, child.id);
    expect(stored[0]).toMatchObject({ role: 'system', content: '- 用户问了三轮问题；猫叫年糕' });
    const summaryCall = server
      .requestsTo('/v1/chat/completions')
      .find((request) =>
        system(request.body as ChatRequest).startsWith('Summarise the conversation'),
      );
    expect(summaryCall?.rawBody).toContain('recorder: keep the cat name 年糕');
    const last = chatRequests().at(-1)!;
    expect(system(last)).toContain('SUMMARY OF THE EARLIER CONVERSATION');
    expect(system(last)).toContain('猫叫年糕');
    expect(
      (last.messages ?? []).filter((message) => message.role === 'user').length,
    ).toBeLessThanOrEqual(2);
  });
});

describe('Agent sessions and context', () => {
  it('finds an earlier Chinese conversation with session_search', async () => {
    await open();
    agent = createAgent({ mnemos });
    chat.push({ text: '好的，周五去杭州西湖。' });
    const first = await agent.turn('我们周五去杭州西湖划船吧');
    await agent.newSession();
    await mnemos.drain();
    chat.push(
      { toolCalls: [{ id: 's1', name: 'session_search', arguments: { query: '西湖划船' } }] },
      { text: '上次说周五去西湖。' },
    );
    const events: AgentEvent[] = [];
    await agent.turn('我们之前说去哪里划船？', { onEvent: (event) => events.push(event) });
    const result = events.find((event) => event.type === 'tool_result' && event.id === 's1');
    const sessions = (
      result as { result: { sessions: Array<{ session_id: string; matches: string[] }> } }
    ).result.sessions;
    expect(sessions[0]?.session_id).toBe(first.sessionId);
    expect(sessions[0]?.matches.join(' ')).toContain('西湖');
  });

  it('puts SOUL.md first in the system prompt and resumes a session with its tool calls', async () => {
    const { writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    writeFileSync(join(home.home, 'SOUL.md'), '你是小蜜，一个说话简短的助手。');
    await open();
    agent = createAgent({ mnemos });
    chat.push(
      { toolCalls: [{ id: 'td', name: 'todo', arguments: { action: 'add', text: '买茶叶' } }] },
      { text: '已添加。' },
    );
    const done = await agent.turn('提醒我买茶叶');
    expect(system(chatRequests()[0]!).startsWith('你是小蜜，一个说话简短的助手。')).toBe(true);
    await agent.close();
    agent = createAgent({ mnemos });
    await agent.resume(done.sessionId);
    chat.push({ text: '还有买茶叶。' });
    await agent.turn('还有什么待办？');
    const roles = (chatRequests().at(-1)!.messages ?? []).map((message) => message.role);
    expect(roles).toEqual(['system', 'user', 'assistant', 'tool', 'assistant', 'user']);
  });

  it('rejects an unknown toolset in the configuration', async () => {
    await open({ toolsets: ['file', 'telepathy'] });
    expect(() => createAgent({ mnemos })).toThrow(/unknown toolset telepathy/);
  });
});
