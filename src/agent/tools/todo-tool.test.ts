import { describe, expect, it } from 'vitest';
import { formatTodos, TodoStore, todoTool } from './todo-tool.js';
import type { ToolContext } from './tool.js';

const context = (sessionId: string): ToolContext => ({
  signal: new AbortController().signal,
  sessionId,
  workspace: '/tmp',
});

describe('todo', () => {
  it('adds, updates, removes and lists, returning the whole list each time', async () => {
    const store = new TodoStore();
    const tool = todoTool(store);
    const s1 = context('s1');
    expect(await tool.execute({ action: 'add', text: ' write tests ' }, s1)).toEqual({
      items: [{ id: 1, text: 'write tests', status: 'pending' }],
    });
    await tool.execute({ action: 'add', text: 'run biome' }, s1);
    expect(await tool.execute({ action: 'update', id: 1, status: 'in_progress' }, s1)).toEqual({
      items: [
        { id: 1, text: 'write tests', status: 'in_progress' },
        { id: 2, text: 'run biome', status: 'pending' },
      ],
    });
    await tool.execute({ action: 'update', id: 2, status: 'done', text: 'run biome --write' }, s1);
    expect(await tool.execute({ action: 'remove', id: 1 }, s1)).toEqual({
      items: [{ id: 2, text: 'run biome --write', status: 'done' }],
    });
    await tool.execute({ action: 'add', text: 'commit' }, s1);
    expect(await tool.execute({ action: 'list' }, s1)).toEqual({
      items: [
        { id: 2, text: 'run biome --write', status: 'done' },
        { id: 3, text: 'commit', status: 'pending' },
      ],
    });
    expect(formatTodos(store.list('s1'))).toBe('[x] 2. run biome --write\n[ ] 3. commit');
  });

  it('keeps one list per session', async () => {
    const store = new TodoStore();
    const tool = todoTool(store);
    await tool.execute({ action: 'add', text: 'a' }, context('s1'));
    expect(await tool.execute({ action: 'list' }, context('s2'))).toEqual({ items: [] });
    expect(store.list('s1')).toHaveLength(1);
    store.clear('s1');
    expect(store.list('s1')).toEqual([]);
    expect(formatTodos([])).toBe('(no todo items)');
  });

  it('returns copies, so callers cannot change the list', () => {
    const store = new TodoStore();
    store.add('s1', 'a');
    store.list('s1')[0]!.status = 'done';
    expect(store.list('s1')[0]!.status).toBe('pending');
  });

  it('explains bad calls', async () => {
    const tool = todoTool(new TodoStore());
    const s1 = context('s1');
    await expect(tool.execute({ action: 'add' }, s1)).rejects.toThrow('add needs text');
    await expect(tool.execute({ action: 'update', status: 'done' }, s1)).rejects.toThrow(
      "update needs the item's id",
    );
    await expect(tool.execute({ action: 'update', id: 1 }, s1)).rejects.toThrow(
      'update needs a status or a text',
    );
    await expect(tool.execute({ action: 'remove', id: 7 }, s1)).rejects.toThrow(
      'no todo item with id 7',
    );
    expect(tool.schema.safeParse({ action: 'update', id: 1, status: 'blocked' }).success).toBe(
      false,
    );
  });
});
