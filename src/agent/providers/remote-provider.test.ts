import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../../../test/support/http-service.js';
import { tempHome } from '../../../test/support/temp-home.js';
import { MnemosClient } from '../../client/mnemos-client.js';
import { Mnemos } from '../../mnemos.js';
import type { Agent } from '../agent.js';
import { createAgent } from '../create-agent.js';
import type { ProviderSession } from './memory-provider.js';
import { RemoteMemoryProvider } from './remote-provider.js';

let service: TestService;
let alice: MnemosClient;
const cleanups: Array<() => Promise<void> | void> = [];

beforeAll(async () => {
  service = await startTestService();
  alice = new MnemosClient({ baseUrl: service.server.url, apiKey: service.keys.alice });
});
afterAll(async () => {
  await service.close();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

type Line = ['warn' | 'info', string];

/** A provider for alice's key, initialised as agent `agent` in session `sessionId`. */
async function provider(
  agent: string,
  sessionId: string,
  lines: Line[] = [],
  context: ProviderSession['agentContext'] = 'primary',
): Promise<RemoteMemoryProvider> {
  const remote = new RemoteMemoryProvider({
    client: { baseUrl: service.server.url, apiKey: service.keys.alice, timeoutMs: 2_000 },
    log: (level, message) => lines.push([level, message]),
  });
  await remote.initialize({
    sessionId,
    userId: 'ignored-the-key-decides',
    agentIdentity: agent,
    agentContext: context,
    home: service.home,
    platform: 'test',
  });
  return remote;
}

/** An agent on its own local home (so only the service is shared), with the remote provider. */
async function agentWith(remote: RemoteMemoryProvider, name: string): Promise<Agent> {
  const local = tempHome('mnemos-agent-');
  const mnemos = await Mnemos.open({
    home: local.home,
    config: {
      llm: { base_url: service.model.url, model: 'm', max_retries: 0 },
      agent: { toolsets: ['memory'], prefetch_budget_ms: 5_000 },
    },
  });
  const agent = createAgent({
    mnemos,
    agentName: name,
    extraProviders: [remote],
    platform: 'test',
  });
  cleanups.push(async () => {
    await agent.close();
    await mnemos.close();
    local.remove();
  });
  return agent;
}

/** The last user message the model was sent by an agent (not extraction). */
function lastAgentPrompt(): string {
  const requests = service.model
    .requestsTo('/v1/chat/completions')
    .map((request) => request.body as { messages: Array<{ role: string; content: unknown }> })
    .filter((body) => !String(body.messages[0]?.content).startsWith('You extract'));
  const users = requests.at(-1)!.messages.filter((message) => message.role === 'user');
  return JSON.stringify(users.at(-1)?.content);
}

describe('RemoteMemoryProvider', () => {
  it('one agent syncs a turn through the service, another agent of the tenant recalls it', async () => {
    const planner = await provider('planner', 's-planner');
    await planner.syncTurn({
      sessionId: 's-planner',
      user: '我下周二要去上海出差',
      assistant: '好的，我记下了。',
      at: '2026-03-02T09:00:00.000Z',
    });
    await service.mnemos.drain();
    const [memory] = (await alice.memories.search({ query: '上海出差' })).results;
    expect(memory!.memory).toMatchObject({
      text: '我下周二要去上海出差',
      scope: { appId: 'app', tenantId: 'alice', agentId: 'planner', runId: 's-planner' },
      metadata: { platform: 'test', session_id: 's-planner', source: 'sync_turn' },
    });

    const writer = await provider('writer', 's-writer');
    const recall = await writer.prefetch(
      '我什么时候去上海？',
      's-writer',
      new AbortController().signal,
    );
    expect(recall).toContain('- 我下周二要去上海出差');

    await alice.profile.set('name', '爱丽丝');
    expect(await writer.systemPromptBlock()).toBe(
      'USER PROFILE (from long-term memory)\n- name: 爱丽丝',
    );
    await alice.profile.unset('name');
  });

  it('shares memory between two agents built with createAgent', async () => {
    const first = await agentWith(await provider('agent-a', 'unused'), 'agent-a');
    service.chat.push({ text: '记住了，你喜欢龙井茶。' });
    expect((await first.turn('我最喜欢喝龙井茶')).reason).toBe('answered');
    await first.release();
    await service.mnemos.drain();

    const second = await agentWith(await provider('agent-b', 'unused'), 'agent-b');
    service.chat.push({ text: '你喜欢龙井茶。' });
    const done = await second.turn('我喜欢喝什么茶？');
    expect(done.text).toBe('你喜欢龙井茶。');
    expect(lastAgentPrompt()).toContain('我最喜欢喝龙井茶');
  });

  it('offers the memory tools over HTTP; only a primary agent writes', async () => {
    const remote = await provider('tools', 's-tools');
    const tools = Object.fromEntries(remote.tools().map((tool) => [tool.name, tool]));
    expect(Object.keys(tools)).toEqual([
      'memory_search',
      'memory_remember',
      'memory_forget',
      'memory_profile',
    ]);
    const context = { signal: new AbortController().signal, sessionId: 's-tools', workspace: '/' };
    const remembered = (await tools.memory_remember!.execute(
      tools.memory_remember!.schema.parse({ content: '女儿的生日是六月一日', sync: true }),
      context,
    )) as { status: string; memory_ids: string[] };
    expect(remembered.status).toBe('succeeded');
    const found = (await tools.memory_search!.execute(
      tools.memory_search!.schema.parse({ query: '生日' }),
      context,
    )) as { results: Array<{ id: string; text: string }> };
    expect(found.results[0]!.text).toBe('女儿的生日是六月一日');
    const profile = (await tools.memory_profile!.execute(
      tools.memory_profile!.schema.parse({}),
      context,
    )) as { memories: Array<{ id: string }> };
    expect(profile.memories.map((memory) => memory.id)).toContain(found.results[0]!.id);
    await tools.memory_forget!.execute({ memory_id: found.results[0]!.id }, context);
    expect((await alice.memories.get(found.results[0]!.id)).deletedAt).not.toBeNull();

    const sub = await provider('sub', 's-sub', [], 'subagent');
    const subTools = Object.fromEntries(sub.tools().map((tool) => [tool.name, tool]));
    await expect(
      subTools.memory_remember!.execute({ content: '不该写入', sync: true }, context),
    ).rejects.toMatchObject({ code: 'invalid_scope' });
    await sub.syncTurn({
      sessionId: 's-sub',
      user: '子代理的话',
      assistant: '嗯',
      at: '2026-03-02T09:00:00.000Z',
    });
    expect(sub.status().droppedTurns).toBe(0);
  });

  it('tolerates the service going down: no recall, dropped syncs, one warning; then recovers', async () => {
    const lines: Line[] = [];
    const remote = await provider('resilient', 's-down', lines);
    const managerLines: string[] = [];
    const local = tempHome('mnemos-agent-');
    const mnemos = await Mnemos.open({
      home: local.home,
      config: {
        llm: { base_url: service.model.url, model: 'm', max_retries: 0 },
        agent: { toolsets: ['memory'], prefetch_budget_ms: 5_000 },
      },
    });
    const agent = createAgent({
      mnemos,
      agentName: 'resilient',
      extraProviders: [remote],
      log: (level, message) => managerLines.push(`${level} ${message}`),
    });
    cleanups.push(async () => {
      await agent.close();
      await mnemos.close();
      local.remove();
    });

    await service.stop();
    expect(
      await remote.prefetch('我的护照号码是多少？', 's-down', new AbortController().signal),
    ).toBeNull();
    for (const text of ['我的护照放在书房抽屉里', '我的车牌是浙A12345', '我对花生过敏']) {
      service.chat.push({ text: '好的。' });
      expect((await agent.turn(text)).reason).toBe('answered');
      await agent.release();
    }
    const tools = Object.fromEntries(remote.tools().map((tool) => [tool.name, tool]));
    await expect(
      tools.memory_search!.execute(
        { query: '护照', top_k: 3 },
        { signal: new AbortController().signal, sessionId: 's-down', workspace: '/' },
      ),
    ).rejects.toMatchObject({ code: 'upstream_error', details: { reason: 'network' } });

    expect(remote.status()).toMatchObject({ available: false, droppedTurns: 3 });
    expect(lines.filter(([level]) => level === 'warn')).toHaveLength(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]![1]).toMatch(
      /is unavailable \(cannot reach .*\); recall is off .*dropped, not queued/,
    );
    // The provider degraded on its own: the manager saw no failure to report.
    expect(managerLines.filter((line) => line.includes('mnemos-remote failed'))).toEqual([]);

    await service.restart();
    await alice.memories.add({ text: '我的护照放在卧室保险箱里', sync: true });
    const recall = await remote.prefetch('护照在哪里？', 's-down', new AbortController().signal);
    expect(recall).toContain('我的护照放在卧室保险箱里');
    expect(remote.status()).toMatchObject({ available: true, downSince: null, droppedTurns: 3 });
    expect(lines).toHaveLength(2);
    expect(lines[1]![0]).toBe('info');
    expect(lines[1]![1]).toMatch(/is back after .* 3 finished turn\(s\) were not stored/);

    // Syncs work again, and the dropped turns were never replayed.
    service.chat.push({ text: '记下了。' });
    await agent.turn('我的猫叫年糕');
    await agent.release();
    await service.mnemos.drain();
    expect((await alice.memories.search({ query: '年糕' })).results[0]!.memory.text).toBe(
      '我的猫叫年糕',
    );
    const stored = (await alice.memories.list({ limit: 1000 })).memories.map(
      (memory) => memory.text,
    );
    for (const dropped of ['书房抽屉', '浙A12345', '花生过敏'])
      expect(stored.filter((text) => text.includes(dropped))).toEqual([]);
    expect(lines).toHaveLength(2);
  });
});
