import { createAgent, definitionOptions } from '../agent/create-agent.js';
import { tenantNotesDir } from '../agent/tools/tenant-workspace.js';
import type { TenantKey } from '../core/scope.js';
import type { Mnemos } from '../mnemos.js';

/** The reply when the tenant's token quota (`agent.quotas`) is spent. */
export const quotaText = 'Your token quota is used up for now; please try again later.';

/** One chat message to answer: whose, in which session, with which skills preloaded. */
export interface GatewayTurn {
  tenant: TenantKey;
  sessionId: string;
  /** Agent definition (`gateway.agent`), looked up in the tenant's catalog; else the configured agent. */
  agentName: string | undefined;
  /** The platform the message came from (the agent's `platform`). */
  platform: string;
  text: string;
  preloadSkills?: string[];
}

/**
 * Runs one agent turn on the untrusted `gateway` surface (toolsets of `agent.surfaces.gateway`, files
 * and commands only in the tenant's workspace), with the tenant's own curated notes as HTTP turns
 * have; returns the reply, or throws with what went wrong.
 */
export async function runGatewayTurn(mnemos: Mnemos, turn: GatewayTurn): Promise<string> {
  const definition = turn.agentName
    ? await mnemos.agents.forTenant(turn.tenant).get(turn.agentName)
    : null;
  const agent = createAgent({
    mnemos,
    appId: turn.tenant.appId,
    userId: turn.tenant.tenantId,
    ...(definition
      ? definitionOptions(definition)
      : { agentName: turn.agentName ?? mnemos.config.agent_id }),
    platform: turn.platform,
    surface: 'gateway',
    notesDir: tenantNotesDir(mnemos.home, turn.tenant.appId, turn.tenant.tenantId),
    ...(turn.preloadSkills ? { preloadSkills: turn.preloadSkills } : {}),
  });
  try {
    await agent.resume(turn.sessionId);
    const done = await agent.turn(turn.text);
    if (done.reason === 'quota_exceeded') return quotaText;
    if (done.reason === 'failed')
      throw new Error(`turn failed: ${done.error ?? 'no reason given'}`);
    return done.text;
  } finally {
    await agent.release();
  }
}
