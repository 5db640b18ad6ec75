import { describe, expect } from 'vitest';
import { maxToolPartCharacters } from '../../../src/core/message-parts.js';
import type { ToolResultPart } from '../../../src/core/session-record.js';
import { backends } from './backends.js';
import { conformance } from './conformance.js';
import { alice, codeOf } from './fixtures.js';

const pause = () => new Promise((resolve) => setTimeout(resolve, 5));

describe.each(backends)('sessions on $name', (backend) => {
  const { it, context } = conformance(backend, 'sessions');

  it('creates, reads, updates and deletes sessions', async () => {
    const mnemos = await context.engine();
    const session = await mnemos.sessions.create(
      { ...alice, agentId: 'planner' },
      { id: 'trip-2026', title: '京都旅行', metadata: { channel: 'web' } },
    );
    expect(session).toMatchObject({
      id: 'trip-2026',
      appId: 'app',
      tenantId: 'alice',
      agentId: 'planner',
      title: '京都旅行',
      metadata: { channel: 'web' },
      parentId: null,
      messageCount: 0,
    });
    expect(await mnemos.sessions.get(alice, 'trip-2026')).toEqual(session);
    expect(await codeOf(mnemos.sessions.create(alice, { id: 'trip-2026' }))).toBe('already_exists');

    await pause();
    const renamed = await mnemos.sessions.update(alice, 'trip-2026', { title: 'Kyoto trip' });
    expect(renamed).toMatchObject({ title: 'Kyoto trip', metadata: { channel: 'web' } });
    expect(Date.parse(renamed.updatedAt)).toBeGreaterThan(Date.parse(session.updatedAt));
    const retagged = await mnemos.sessions.update(alice, 'trip-2026', {
      metadata: { channel: 'cli' },
    });
    expect(retagged).toMatchObject({ title: 'Kyoto trip', metadata: { channel: 'cli' } });

    await mnemos.sessions.delete(alice, 'trip-2026');
    expect(await codeOf(mnemos.sessions.get(alice, 'trip-2026'))).toBe('not_found');
    expect(await codeOf(mnemos.sessions.delete(alice, 'trip-2026'))).toBe('not_found');
    expect(await codeOf(mnemos.sessions.update(alice, 'trip-2026', { title: 'x' }))).toBe(
      'not_found',
    );
  });

  it('appends messages in order and pages them', async () => {
    const mnemos = await context.engine();
    const session = await mnemos.sessions.create(alice);
    const first = await mnemos.sessions.append(alice, session.id, [
      { role: 'user', content: 'Plan a trip to Kyoto', createdAt: '2026-04-01T09:00:00.000Z' },
      { role: 'assistant', content: 'Sure, when?', name: 'planner', metadata: { model: 'x' } },
    ]);
    expect(first.map((message) => [message.seq, message.sessionId, message.role])).toEqual([
      [1, session.id, 'user'],
      [2, session.id, 'assistant'],
    ]);
    expect(first[0]).toMatchObject({
      content: 'Plan a trip to Kyoto',
      name: null,
      metadata: {},
      createdAt: '2026-04-01T09:00:00.000Z',
    });
    expect(first[1]).toMatchObject({ name: 'planner', metadata: { model: 'x' } });
    const second = await mnemos.sessions.append(alice, session.id, [
      { role: 'user', content: '四月份' },
      { role: 'tool', content: '{"ok":true}' },
    ]);
    expect(second.map((message) => message.seq)).toEqual([3, 4]);

    const all = await mnemos.sessions.messages(alice, session.id);
    expect(all.map((message) => message.content)).toEqual([
      'Plan a trip to Kyoto',
      'Sure, when?',
      '四月份',
      '{"ok":true}',
    ]);
    expect(all.slice(0, 2)).toEqual(first);
    const page = await mnemos.sessions.messages(alice, session.id, { limit: 2, offset: 1 });
    expect(page.map((message) => message.seq)).toEqual([2, 3]);
    expect(await mnemos.sessions.messages(alice, session.id, { limit: 5, offset: 4 })).toEqual([]);
    expect((await mnemos.sessions.get(alice, session.id)).messageCount).toBe(4);
    expect(
      await codeOf(mnemos.sessions.append(alice, 'missing', [{ role: 'user', content: 'x' }])),
    ).toBe('not_found');
  });

  it('lists sessions most recently active first, with lineage and paging', async () => {
    const mnemos = await context.engine();
    const root = await mnemos.sessions.create(alice, { id: 'root', title: 'Before compression' });
    await pause();
    const child = await mnemos.sessions.create(alice, { id: 'child', parentId: 'root' });
    await pause();
    const branch = await mnemos.sessions.create(alice, { id: 'branch', parentId: 'child' });
    expect(child.parentId).toBe(root.id);
    expect((await mnemos.sessions.get(alice, 'branch')).parentId).toBe('child');
    expect((await mnemos.sessions.list(alice)).map((session) => session.id)).toEqual([
      'branch',
      'child',
      'root',
    ]);
    await pause();
    await mnemos.sessions.append(alice, root.id, [
      { role: 'user', content: 'back to the old one' },
    ]);
    expect((await mnemos.sessions.list(alice)).map((session) => session.id)).toEqual([
      'root',
      'branch',
      'child',
    ]);
    expect(
      (await mnemos.sessions.list(alice, { limit: 1, offset: 1 })).map((session) => session.id),
    ).toEqual([branch.id]);
  });

  it('searches Chinese and English messages across sessions or inside one', async () => {
    const mnemos = await context.engine();
    const one = await mnemos.sessions.create(alice, { id: 'one' });
    const two = await mnemos.sessions.create(alice, { id: 'two' });
    await mnemos.sessions.append(alice, one.id, [
      { role: 'user', content: '我们上次讨论了数据库迁移方案' },
      { role: 'assistant', content: 'We chose PostgreSQL with pgvector' },
    ]);
    await mnemos.sessions.append(alice, two.id, [
      { role: 'user', content: '数据库的备份策略是什么' },
      { role: 'user', content: 'Unrelated chatter about lunch' },
    ]);
    const chinese = await mnemos.sessions.search(alice, '数据库迁移');
    expect(chinese[0]).toMatchObject({ sessionId: 'one', seq: 1 });
    expect(chinese.map((hit) => hit.sessionId).sort()).toEqual(['one', 'two']);
    for (const hit of chinese) expect(hit.score).toBeGreaterThan(0);
    expect(chinese.map((hit) => hit.score)).toEqual(
      chinese.map((hit) => hit.score).sort((a, b) => b - a),
    );
    expect(
      (await mnemos.sessions.search(alice, '数据库', { sessionId: 'two' })).map((hit) => [
        hit.sessionId,
        hit.seq,
      ]),
    ).toEqual([['two', 1]]);
    expect((await mnemos.sessions.search(alice, 'pgvector')).map((hit) => hit.content)).toEqual([
      'We chose PostgreSQL with pgvector',
    ]);
    expect(await mnemos.sessions.search(alice, 'nothing-matches-this')).toEqual([]);
    expect(await mnemos.sessions.search(alice, '数据库', { limit: 1 })).toHaveLength(1);

    await mnemos.sessions.delete(alice, one.id);
    expect((await mnemos.sessions.search(alice, '数据库')).map((hit) => hit.sessionId)).toEqual([
      'two',
    ]);
    expect(await codeOf(mnemos.sessions.messages(alice, one.id))).toBe('not_found');
  });

  it('keeps tool calls and results of any size in their own parts, cutting one over 64 Ki with a marker', async () => {
    const mnemos = await context.engine();
    const session = await mnemos.sessions.create(alice);
    const profile = Object.fromEntries(
      Array.from({ length: 40 }, (_, index) => [
        `fact_${index}`,
        `用户的第${index}条记忆 ${'x'.repeat(40)}`,
      ]),
    );
    const huge = 'line of a big file\n'.repeat(5_000);
    const stored = await mnemos.sessions.append(alice, session.id, [
      { role: 'user', content: 'What do you know about me?' },
      {
        role: 'assistant',
        content: '',
        parts: [
          { type: 'tool-call', toolCallId: 'c1', toolName: 'memory_profile', input: {} },
          {
            type: 'tool-call',
            toolCallId: 'c2',
            toolName: 'read_file',
            input: { path: 'big.txt' },
          },
        ],
      },
      {
        role: 'tool',
        content: 'memory_profile, read_file',
        parts: [
          {
            type: 'tool-result',
            toolCallId: 'c1',
            toolName: 'memory_profile',
            output: profile,
            isError: false,
          },
          {
            type: 'tool-result',
            toolCallId: 'c2',
            toolName: 'read_file',
            output: huge,
            isError: false,
          },
          {
            type: 'tool-result',
            toolCallId: 'c3',
            toolName: 'read_file',
            output: 'a\u0000b',
            isError: true,
          },
        ],
      },
      { role: 'assistant', content: 'You have 40 facts.' },
    ]);
    expect(JSON.stringify(profile).length).toBeGreaterThan(1_024);
    expect(huge.length).toBeGreaterThan(maxToolPartCharacters);
    const read = await mnemos.sessions.messages(alice, session.id);
    expect(read).toEqual(stored);
    expect(read.map((message) => message.parts.length)).toEqual([0, 2, 3, 0]);
    expect(read[1]!.parts[1]).toEqual({
      type: 'tool-call',
      toolCallId: 'c2',
      toolName: 'read_file',
      input: { path: 'big.txt' },
    });
    const [full, cut, binary] = read[2]!.parts as ToolResultPart[];
    expect(full).toEqual({
      type: 'tool-result',
      toolCallId: 'c1',
      toolName: 'memory_profile',
      output: profile,
      isError: false,
    });
    expect(cut!.truncatedFrom).toBe(huge.length);
    const text = cut!.output as string;
    expect(text.length).toBeLessThanOrEqual(maxToolPartCharacters);
    expect(huge.startsWith(text.slice(0, text.lastIndexOf('\n[truncated')))).toBe(true);
    expect(text).toMatch(
      new RegExp(`\\n\\[truncated by Mnemos: ${huge.length} characters, the first \\d+ kept\\]$`),
    );
    expect(binary).toMatchObject({ output: 'a\u0000b', isError: true });
    expect(read[3]!.parts).toEqual([]);

    expect(
      await codeOf(
        mnemos.sessions.append(alice, session.id, [
          { role: 'tool', content: 'x', parts: [{ type: 'tool-result' } as never] },
        ]),
      ),
    ).toBe('invalid_input');
    expect((await mnemos.sessions.get(alice, session.id)).messageCount).toBe(4);
  });
});
