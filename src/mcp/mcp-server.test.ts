import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempHome } from '../../test/support/temp-home.js';
import { Mnemos } from '../mnemos.js';
import { createMcpServer, type McpServerOptions, runIdMetaKey } from './mcp-server.js';

const alice = { appId: 'app', tenantId: 'alice' };
let home: ReturnType<typeof tempHome>;
let mnemos: Mnemos;
let client: Client;

/** An SDK client connected in memory to a fresh server for `alice`. */
async function connect(options: McpServerOptions = {}): Promise<Client> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await createMcpServer(mnemos, () => alice, options).connect(serverSide);
  const connected = new Client({ name: 'mnemos-test', version: '1.0.0' });
  await connected.connect(clientSide);
  return connected;
}

/** Calls a tool and parses its text content as JSON. */
async function call(
  name: string,
  args: Record<string, unknown>,
  options: { via?: Client; meta?: Record<string, unknown> } = {},
): Promise<{ isError: boolean; body: Record<string, unknown>; structured: unknown }> {
  const result = await (options.via ?? client).callTool({
    name,
    arguments: args,
    ...(options.meta ? { _meta: options.meta } : {}),
  });
  const content = result.content as Array<{ type: string; text: string }>;
  expect(content).toHaveLength(1);
  expect(content[0]!.type).toBe('text');
  const text = content[0]!.text;
  return {
    isError: result.isError === true,
    body: text.startsWith('{') ? JSON.parse(text) : { text },
    structured: result.structuredContent,
  };
}

beforeAll(async () => {
  home = tempHome();
  mnemos = await Mnemos.open({ home: home.home });
  client = await connect();
});
afterAll(async () => {
  await client.close();
  await mnemos.close();
  home.remove();
});

describe('MCP server', () => {
  it('lists the memory and skill tools with input schemas from their zod schemas', async () => {
    const { tools } = await client.listTools();
    const byName = new Map(tools.map((tool) => [tool.name, tool]));
    expect([...byName.keys()]).toEqual([
      'memory_search',
      'memory_remember',
      'memory_list',
      'memory_forget',
      'memory_profile',
      'session_search',
      'skills_list',
      'skill_view',
    ]);
    const properties = (name: string): string[] =>
      Object.keys(byName.get(name)!.inputSchema.properties ?? {}).sort();
    expect(properties('memory_search')).toEqual(['kinds', 'query', 'top_k']);
    expect(byName.get('memory_search')!.inputSchema.required).toEqual(['query']);
    expect(properties('memory_remember')).toEqual(['content', 'kind', 'sync']);
    expect(properties('memory_list')).toEqual(['kinds', 'limit', 'offset']);
    expect(properties('memory_forget')).toEqual(['memory_id']);
    expect(properties('memory_profile')).toEqual(['limit']);
    expect(properties('session_search')).toEqual(['limit', 'query']);
    expect(properties('skills_list')).toEqual([]);
    expect(properties('skill_view')).toEqual(['file_path', 'name']);
    expect(byName.get('skill_view')!.inputSchema.required).toEqual(['name']);
    expect(byName.get('memory_search')!.description).toContain('long-term memory');
  });

  it('remembers Chinese text in the mcp scope and finds it again', async () => {
    const remembered = await call('memory_remember', {
      content: '用户喜欢喝乌龙茶，不加糖',
      sync: true,
    });
    expect(remembered.isError).toBe(false);
    expect(remembered.body.status).toBe('succeeded');
    const [id] = remembered.body.memory_ids as string[];
    const stored = await mnemos.memories.get({ scope: alice, id: id! });
    expect(stored.scope).toEqual({ ...alice, agentId: 'mcp', runId: 'mcp' });
    expect(stored.metadata.source).toBe('memory_remember');

    const found = await call('memory_search', { query: '乌龙茶' });
    expect(found.isError).toBe(false);
    const results = found.body.results as Array<{ id: string; text: string }>;
    expect(results[0]).toMatchObject({ id, text: '用户喜欢喝乌龙茶，不加糖' });
    expect(found.structured).toEqual(found.body);
  });

  it('writes to the run a call names in _meta, and rejects a wildcard run', async () => {
    const named = await call(
      'memory_remember',
      { content: '项目代号是青龙', sync: true },
      { meta: { [runIdMetaKey]: 'chat-42' } },
    );
    const [id] = named.body.memory_ids as string[];
    expect((await mnemos.memories.get({ scope: alice, id: id! })).scope.runId).toBe('chat-42');

    const wildcard = await call(
      'memory_remember',
      { content: '不会写入', sync: true },
      { meta: { [runIdMetaKey]: '*' } },
    );
    expect(wildcard.isError).toBe(true);
    expect(wildcard.body).toMatchObject({ error: { code: 'invalid_scope' } });
  });

  it('lists memories newest first, paged and filtered by kind', async () => {
    await call('memory_remember', {
      content: '最喜欢的城市是杭州',
      sync: true,
      kind: 'preference',
    });
    const first = await call('memory_list', { limit: 2 });
    expect(first.isError).toBe(false);
    const memories = first.body.memories as Array<{ text: string; run_id: string }>;
    expect(memories.map((memory) => memory.text)).toEqual(['最喜欢的城市是杭州', '项目代号是青龙']);
    expect(memories[1]!.run_id).toBe('chat-42');
    expect(first.body).toMatchObject({ count: 2, total: 3 });
    const rest = await call('memory_list', { limit: 2, offset: 2 });
    expect((rest.body.memories as Array<{ text: string }>).map((memory) => memory.text)).toEqual([
      '用户喜欢喝乌龙茶，不加糖',
    ]);
    const preferences = await call('memory_list', { kinds: ['preference'] });
    expect(preferences.body).toMatchObject({ count: 1, total: 1 });
  });

  it('shows the profile with recent memories', async () => {
    await mnemos.profile.set(alice, 'name', '李雷');
    const profile = await call('memory_profile', { limit: 1 });
    expect(profile.isError).toBe(false);
    expect(profile.body.profile).toEqual({ name: '李雷' });
    expect((profile.body.memories as unknown[]).length).toBe(1);
    expect(profile.body.count).toBe(3);
  });

  it('forgets a memory, and a second forget is a not_found tool error', async () => {
    const found = await call('memory_search', { query: '杭州' });
    const id = (found.body.results as Array<{ id: string; text: string }>).find((result) =>
      result.text.includes('杭州'),
    )!.id;
    expect((await call('memory_forget', { memory_id: id })).body).toEqual({ forgotten: id });
    const after = await call('memory_search', { query: '杭州' });
    expect((after.body.results as Array<{ id: string }>).map((result) => result.id)).not.toContain(
      id,
    );
    const again = await call('memory_forget', { memory_id: id });
    expect(again.isError).toBe(true);
    expect(again.body).toMatchObject({ error: { code: 'not_found' } });
    expect((again.body.error as { message: string }).message).toContain(id);
  });

  it('returns invalid arguments as a tool error', async () => {
    const empty = await call('memory_search', { query: '' });
    expect(empty.isError).toBe(true);
    const tooMany = await call('memory_list', { limit: 1_000 });
    expect(tooMany.isError).toBe(true);
  });

  it('refuses writes when read-only, still reading', async () => {
    const readOnly = await connect({ readOnly: true });
    try {
      const refused = await call(
        'memory_remember',
        { content: '不应写入', sync: true },
        { via: readOnly },
      );
      expect(refused.isError).toBe(true);
      expect(refused.body).toMatchObject({ error: { code: 'invalid_scope' } });
      const read = await call('memory_search', { query: '乌龙茶' }, { via: readOnly });
      expect(read.isError).toBe(false);
      expect(read.body.count).toBeGreaterThan(0);
    } finally {
      await readOnly.close();
    }
  });

  it('searches past sessions', async () => {
    const session = await mnemos.sessions.create(alice, { title: '周末计划' });
    await mnemos.sessions.append(alice, session.id, [
      { role: 'user', content: '这个周末我想去西湖划船' },
      { role: 'assistant', content: '好主意，记得带伞。' },
    ]);
    const found = await call('session_search', { query: '西湖' });
    expect(found.isError).toBe(false);
    const sessions = found.body.sessions as Array<{ session_id: string; matches: string[] }>;
    expect(sessions[0]!.session_id).toBe(session.id);
    expect(sessions[0]!.matches.join(' ')).toContain('西湖');
  });

  it("lists the tenant's active skills and views one's SKILL.md and files", async () => {
    const skills = mnemos.skills.forTenant(alice);
    const content =
      '---\nname: tea-brewing\ndescription: How the user brews oolong tea\n---\n\n# Steps\n\n1. Water at 95 °C.\n2. 乌龙茶泡三十秒。\n';
    await skills.create(
      { 'SKILL.md': content, 'references/cups.md': '# Cups\n\nGaiwan.\n' },
      'user',
      { actor: 'user' },
    );
    await skills.create(
      {
        'SKILL.md':
          '---\nname: old-recipe\ndescription: An archived recipe\n---\n\n# Old\n\nSteps.\n',
      },
      'user',
      { actor: 'user' },
    );
    await skills.archive('old-recipe', { actor: 'user' });
    await mnemos.skills
      .forTenant({ appId: 'app', tenantId: 'bob' })
      .create(
        { 'SKILL.md': '---\nname: bobs-skill\ndescription: Bob only\n---\n\n# Bob\n\nSteps.\n' },
        'user',
        { actor: 'user' },
      );

    const listed = await call('skills_list', {});
    expect(listed.isError).toBe(false);
    expect(listed.body.skills).toEqual([
      {
        name: 'tea-brewing',
        description: 'How the user brews oolong tea',
        source: 'tenant',
        editable: false,
      },
    ]);

    const viewed = await call('skill_view', { name: 'tea-brewing' });
    expect(viewed.isError).toBe(false);
    expect(viewed.body).toMatchObject({
      name: 'tea-brewing',
      file_path: 'SKILL.md',
      content,
      files: ['references/cups.md'],
    });
    expect((await skills.require('tea-brewing')).skill.lastUsedAt).not.toBeNull();
    const file = await call('skill_view', { name: 'tea-brewing', file_path: 'references/cups.md' });
    expect(file.body.content).toBe('# Cups\n\nGaiwan.\n');

    for (const args of [
      { name: 'old-recipe' },
      { name: 'bobs-skill' },
      { name: 'tea-brewing', file_path: 'scripts/none.sh' },
    ]) {
      const refused = await call('skill_view', args);
      expect(refused.isError).toBe(true);
      expect(refused.body).toMatchObject({ error: { code: 'not_found' } });
    }
  });
});
