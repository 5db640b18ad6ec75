import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MnemosError } from '../../core/errors.js';
import { builtinTools, builtinToolsets, selectToolsets } from './builtin-tools.js';
import { TodoStore } from './todo-tool.js';
import type { AnyTool } from './tool.js';

const tools = builtinTools({
  terminal: { allow: [], deny: [], confirmDangerous: true },
  todo: new TodoStore(),
});

describe('builtinTools', () => {
  it('returns every built-in tool with a unique name, a toolset and a JSON schema', () => {
    expect(tools.map((tool) => [tool.name, tool.toolset])).toEqual([
      ['read_file', 'file'],
      ['write_file', 'file'],
      ['search_files', 'file'],
      ['terminal', 'terminal'],
      ['web_fetch', 'web'],
      ['todo', 'todo'],
    ]);
    expect(new Set(tools.map((tool) => tool.toolset))).toEqual(new Set(builtinToolsets));
    for (const tool of tools) {
      expect(tool.description.length).toBeGreaterThan(20);
      expect(z.toJSONSchema(tool.schema)).toMatchObject({ type: 'object' });
    }
  });

  it('rejects an invalid terminal policy with config_error', () => {
    expect(() =>
      builtinTools({
        terminal: { allow: ['/(/'], deny: [], confirmDangerous: true },
        todo: new TodoStore(),
      }),
    ).toThrow(MnemosError);
  });
});

describe('selectToolsets', () => {
  const memoryTool: AnyTool = {
    name: 'memory_search',
    description: 'search memory',
    toolset: 'memory',
    schema: z.object({}),
    execute: async () => 'ok',
  };

  it('keeps the named toolsets in order, including ones defined elsewhere', () => {
    const selected = selectToolsets([...tools, memoryTool], ['memory', 'file']);
    expect(selected.map((tool) => tool.name)).toEqual([
      'read_file',
      'write_file',
      'search_files',
      'memory_search',
    ]);
    expect(selectToolsets(tools, [])).toEqual([]);
  });

  it('names unknown toolsets in a config_error', () => {
    try {
      selectToolsets(tools, ['file', 'browser', 'shell']);
      expect.unreachable();
    } catch (error) {
      expect(MnemosError.isInstance(error)).toBe(true);
      const mnemos = error as MnemosError;
      expect(mnemos.code).toBe('config_error');
      expect(mnemos.message).toBe(
        'unknown toolsets browser, shell; known toolsets: file, terminal, web, todo',
      );
      expect(mnemos.details).toEqual({
        unknown: ['browser', 'shell'],
        known: ['file', 'terminal', 'web', 'todo'],
      });
    }
  });
});
