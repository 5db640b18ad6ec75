import { MnemosError } from '../../core/errors.js';
import { type FileToolsOptions, fileTools } from './file-tools.js';
import { type TerminalToolConfig, terminalTool } from './terminal-tool.js';
import { type TodoStore, todoTool } from './todo-tool.js';
import type { AnyTool } from './tool.js';
import { type WebFetchOptions, webFetchTool } from './web-fetch.js';

/** Toolsets this module provides; `memory` and `session_search` come from elsewhere. */
export const builtinToolsets = ['file', 'terminal', 'web', 'todo'] as const;

/** What the built-in tools need from the caller. */
export interface BuiltinToolsOptions {
  /** Permission policy and limits of the terminal tool. */
  terminal: TerminalToolConfig;
  /** Where todo lists live, shared with whatever displays them. */
  todo: TodoStore;
  file?: FileToolsOptions;
  web?: WebFetchOptions;
}

/**
 * Every built-in tool: read_file, write_file, search_files, terminal, web_fetch, todo. Throws
 * MnemosError `config_error` when a terminal pattern is invalid.
 */
export function builtinTools(options: BuiltinToolsOptions): AnyTool[] {
  return [
    ...fileTools(options.file),
    terminalTool(options.terminal),
    webFetchTool(options.web),
    todoTool(options.todo),
  ];
}

/**
 * The tools whose toolset is named, in their original order. A name no given tool belongs to is a
 * configuration mistake: throws MnemosError `config_error` naming it and the known toolsets.
 */
export function selectToolsets(tools: readonly AnyTool[], names: readonly string[]): AnyTool[] {
  const known = [...new Set(tools.map((tool) => tool.toolset))];
  const unknown = [...new Set(names.filter((name) => !known.includes(name)))];
  if (unknown.length > 0) {
    throw new MnemosError(
      'config_error',
      `unknown toolset${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; known toolsets: ${known.join(', ')}`,
      { details: { unknown, known } },
    );
  }
  const wanted = new Set(names);
  return tools.filter((tool) => wanted.has(tool.toolset));
}
