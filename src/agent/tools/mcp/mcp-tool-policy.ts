import type { McpServerConfig } from '../../../config/config.js';

/** What the configuration says of one tool of a server. */
export type McpToolStatus = 'allowed' | 'confirm' | 'denied' | 'not_allowed';

/**
 * The status of a server's tool (by the server's own name): `denied_tools` wins, then
 * `allowed_tools` (when set, only those), then `require_confirmation` (exact names or `*`).
 */
export function mcpToolStatus(
  server: Pick<McpServerConfig, 'allowed_tools' | 'denied_tools' | 'require_confirmation'>,
  tool: string,
): McpToolStatus {
  if (server.denied_tools.includes(tool)) return 'denied';
  if (server.allowed_tools && !server.allowed_tools.includes(tool)) return 'not_allowed';
  const confirm = server.require_confirmation;
  if (confirm.includes('*') || confirm.includes(tool)) return 'confirm';
  return 'allowed';
}
