import type { TeamAgentFactory } from '../teams/team-runner.js';
import { type AgentEngine, createAgent } from './create-agent.js';
import type { AgentSurface } from './tools/surface-toolsets.js';
import { tenantNotesDir } from './tools/tenant-workspace.js';

/** Who a team's agents serve and where the run comes from. */
export interface TeamAgentOptions {
  /** Default config `app_id`. */
  appId?: string;
  /** The tenant; default config `tenant_id`. */
  userId?: string;
  /**
   * `local` (trusted, the default) or an untrusted surface such as `http`: there every member gets
   * only the toolsets the surface allows (`agent.surfaces.<surface>`), as an HTTP turn would.
   */
  surface?: AgentSurface;
  log?: (level: 'warn' | 'debug', message: string) => void;
}

/** Builds each step of a team as an agent from the configuration and the member's definition. */
export function teamAgentFactory(
  mnemos: AgentEngine,
  options: TeamAgentOptions = {},
): TeamAgentFactory {
  const surface = options.surface ?? 'local';
  const appId = options.appId ?? mnemos.config.app_id;
  const userId = options.userId ?? mnemos.config.tenant_id;
  // Untrusted runs keep each tenant's notes apart, as HTTP turns do (members read none by default).
  const notesDir = surface === 'local' ? undefined : tenantNotesDir(mnemos.home, appId, userId);
  return (definition) =>
    createAgent({
      mnemos,
      appId,
      userId,
      surface,
      platform: surface === 'local' ? 'team' : surface,
      definition,
      definitionOrigin: surface === 'local' ? 'home' : 'tenant',
      ...(notesDir ? { notesDir } : {}),
      ...(options.log ? { log: options.log } : {}),
    });
}
