import type { McpServerConfig, MnemosConfig } from '../../../config/config.js';
import type { AgentSurface } from '../surface-toolsets.js';
import { mcpToolset } from './mcp-tool-name.js';

/**
 * The enabled servers an agent is offered: locally every one; on an untrusted surface only those
 * whose toolset `mcp_<name>` the surface's toolsets list (least power by default).
 */
export function mcpServersForSurface(
  config: Pick<MnemosConfig, 'mcp_servers'>,
  surface: AgentSurface,
  toolsets: readonly string[],
): Record<string, McpServerConfig> {
  return Object.fromEntries(
    Object.entries(config.mcp_servers).filter(
      ([name, server]) =>
        server.enabled && (surface === 'local' || toolsets.includes(mcpToolset(name))),
    ),
  );
}

/** The toolsets `mcp_<name>` of every configured server (enabled or not). */
export function mcpToolsets(config: Pick<MnemosConfig, 'mcp_servers'>): string[] {
  return Object.keys(config.mcp_servers).map(mcpToolset);
}
