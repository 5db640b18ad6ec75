import { MnemosError } from '../../../core/errors.js';
import type { AnyTool, ToolContext } from '../tool.js';
import { mcpInputSchema } from './mcp-input-schema.js';
import { mcpResultText } from './mcp-result-text.js';
import type { McpListedTool, McpServerConnection } from './mcp-server-connection.js';
import { mcpToolName, mcpToolset } from './mcp-tool-name.js';
import { mcpToolStatus } from './mcp-tool-policy.js';

/**
 * The agent tools of one server's listed tools: denied and not-allowed ones left out, names
 * `mcp_<server>_<tool>` made unique against `taken` (and added to it).
 */
export function mcpServerTools(
  connection: McpServerConnection,
  listed: readonly McpListedTool[],
  taken: Set<string>,
): AnyTool[] {
  const tools: AnyTool[] = [];
  for (const remote of listed) {
    const status = mcpToolStatus(connection.config, remote.name);
    if (status === 'denied' || status === 'not_allowed') continue;
    const name = mcpToolName(connection.name, remote.name, taken);
    taken.add(name);
    tools.push({
      name,
      toolset: mcpToolset(connection.name),
      description: `${remote.description?.trim() || `${remote.name} of MCP server ${connection.name}`} (MCP server ${connection.name})`,
      schema: mcpInputSchema(remote.inputSchema),
      execute: async (args: Record<string, unknown>, context: ToolContext) => {
        if (status === 'confirm')
          await confirmCall(connection.name, remote.name, name, args, context);
        const result = await connection.callTool(remote.name, args, context.signal);
        const text = mcpResultText(result);
        if (result.isError) {
          throw new MnemosError(
            'upstream_error',
            `MCP server ${connection.name}: tool ${remote.name} reported an error: ${text || '(no message)'}`,
            { category: 'upstream', details: { server: connection.name, tool: remote.name } },
          );
        }
        return text;
      },
    });
  }
  return tools;
}

async function confirmCall(
  server: string,
  tool: string,
  name: string,
  args: Record<string, unknown>,
  context: ToolContext,
): Promise<void> {
  if (!context.confirm) {
    throw new MnemosError(
      'forbidden',
      `${name} needs confirmation (mcp_servers.${server}.require_confirmation) and nobody can confirm on this surface; it was not called`,
      { details: { server, tool } },
    );
  }
  const shown = JSON.stringify(args);
  const allowed = await context.confirm(
    `call ${tool} of MCP server ${server} with ${shown.length > 300 ? `${shown.slice(0, 300)}…` : shown}?`,
  );
  if (!allowed) {
    throw new MnemosError('forbidden', `the user declined the call of ${name}; it was not made`, {
      details: { server, tool },
    });
  }
}
