import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempHome } from '../../../test/support/temp-home.js';
import { Mnemos } from '../../mnemos.js';
import type { AnyTool, ToolContext } from '../tools/tool.js';
import { EngineMemoryProvider } from './engine-provider.js';
import type { AgentContext } from './memory-provider.js';

let home: ReturnType<typeof tempHome>;
let mnemos: Mnemos;

const context: ToolContext = {
  signal: new AbortController().signal,
  sessionId: 's1',
  workspace: process.cwd(),
};

async function toolsFor(agentContext: AgentContext): Promise<Map<string, AnyTool>> {
  const provider = new EngineMemoryProvider(mnemos, { appId: 'app' });
  await provider.initialize({
    sessionId: 's1',
    userId: 'u1',
    agentIdentity: 'coder',
    agentContext,
    home: home.home,
    platform: 'cli',
  });
  return new Map((provider.tools() ?? []).map((tool) => [tool.name, tool]));
}

beforeAll(async () => {
  home = tempHome();
  mnemos = await Mnemos.open({ home: home.home });
});
afterAll(async () => {
  await mnemos.close();
  home.remove();
});

describe('EngineMemoryProvider tools', () => {
  it('offers the four memory tools, writing to (user, profile, session) and reading across', async () => {
    const tools = await toolsFor('primary');
    expect([...tools.keys()]).toEqual([
      'memory_search',
      'memory_remember',
      'memory_forget',
      'memory_profile',
    ]);
    const remember = tools.get('memory_remember')!;
    const written = (await remember.execute(
      remember.schema.parse({ content: '用户喜欢爬山', sync: true }),
      context,
    )) as { memory_ids: string[] };
    const stored = await mnemos.memories.get({
      scope: { appId: 'app', tenantId: 'u1' },
      id: written.memory_ids[0]!,
    });
    expect(stored.scope).toEqual({ appId: 'app', tenantId: 'u1', agentId: 'coder', runId: 's1' });
    const search = tools.get('memory_search')!;
    const found = (await search.execute(search.schema.parse({ query: '爬山' }), context)) as {
      count: number;
    };
    expect(found.count).toBe(1);
  });

  it('refuses writes outside the primary agent, with the reason', async () => {
    const remember = (await toolsFor('subagent')).get('memory_remember')!;
    await expect(
      remember.execute(remember.schema.parse({ content: '不应写入' }), context),
    ).rejects.toThrow('memory writes are off in a subagent agent');
  });
});
