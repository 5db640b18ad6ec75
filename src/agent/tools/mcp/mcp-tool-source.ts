import type { AnyTool } from '../tool.js';
import type { McpToolbox, McpToolboxOptions } from './mcp-toolbox.js';

/** Tools of MCP servers, connected on first use; `tools()` connects again after `close()`. */
export interface McpToolSource {
  tools(): Promise<AnyTool[]>;
  close(): Promise<void>;
}

/**
 * A tool source of MCP servers that loads the MCP SDK only when there is a server to reach, so an
 * agent without `mcp_servers` never pays for it.
 */
export function mcpToolSource(options: McpToolboxOptions): McpToolSource | undefined {
  if (Object.keys(options.servers).length === 0) return undefined;
  let toolbox: Promise<McpToolbox> | null = null;
  const load = (): Promise<McpToolbox> => {
    toolbox ??= import('./mcp-toolbox.js').then(({ McpToolbox }) => new McpToolbox(options));
    return toolbox;
  };
  return {
    tools: async (): Promise<AnyTool[]> => (await load()).tools(),
    close: async (): Promise<void> => {
      if (toolbox) await (await toolbox).close();
    },
  };
}
