import type { MnemosConfig } from '../../config/config.js';

/** Where an agent turn comes from: `local` (`mnemos chat`, trusted) or an untrusted surface. */
export type AgentSurface = 'local' | 'http' | 'gateway';

/** Toolsets that reach the machine (files, shell): off on untrusted surfaces unless configured. */
export const confinedToolsets: readonly string[] = ['file', 'terminal'];

/**
 * The toolsets of an agent on a surface. Locally, `agent.toolsets`. On an untrusted surface, the
 * agent's own entry in `agent.surfaces.<surface>.agents`, else `agent.surfaces.<surface>.toolsets`,
 * else `agent.toolsets` without the confined toolsets (`file`, `terminal`), MCP servers (`mcp_*`),
 * `delegation` and `cron`.
 */
export function surfaceToolsets(
  agent: MnemosConfig['agent'],
  surface: AgentSurface,
  agentName: string,
): string[] {
  if (surface === 'local') return agent.toolsets;
  const settings = agent.surfaces[surface];
  return (
    settings.agents[agentName]?.toolsets ??
    settings.toolsets ??
    // MCP servers reach whatever their operator wired them to, delegation multiplies what one
    // request costs and scheduled jobs spend tokens later, unattended: on an untrusted surface
    // only where listed for it.
    agent.toolsets.filter(
      (name) =>
        !confinedToolsets.includes(name) &&
        !name.startsWith('mcp_') &&
        name !== 'delegation' &&
        name !== 'cron',
    )
  );
}
