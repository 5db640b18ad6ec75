/** Longest tool name model providers accept. */
export const maxToolNameLength = 64;

/**
 * The agent's name of a server's tool: `mcp_<server>_<tool>`, characters outside `[a-zA-Z0-9_]`
 * replaced by `_`, cut to 64 characters, and made unique against `taken` with a `_2`, `_3`, … suffix.
 */
export function mcpToolName(server: string, tool: string, taken: ReadonlySet<string>): string {
  const base = `mcp_${server}_${tool}`.replace(/[^a-zA-Z0-9_]/g, '_').slice(0, maxToolNameLength);
  if (!taken.has(base)) return base;
  for (let index = 2; ; index += 1) {
    const suffix = `_${index}`;
    const candidate = `${base.slice(0, maxToolNameLength - suffix.length)}${suffix}`;
    if (!taken.has(candidate)) return candidate;
  }
}

/** The toolset of a server's tools, as `agent.surfaces.<surface>.toolsets` names it. */
export function mcpToolset(server: string): string {
  return `mcp_${server}`;
}
