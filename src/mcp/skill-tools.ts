import { SkillSession } from '../agent/skills/skill-session.js';
import { skillsListTool, skillViewTool } from '../agent/skills/skill-tools.js';
import type { AnyTool } from '../agent/tools/tool.js';
import type { TenantKey } from '../core/scope.js';
import type { SkillService } from '../skills/skill-service.js';

/** The engine's service the MCP skill tools read. */
export interface SkillServices {
  skills: SkillService;
}

/**
 * Read-only skill tools over the tenant's database skills, the agent's own definitions:
 * `skills_list` (the active skills' names and descriptions) and `skill_view` (one skill's SKILL.md
 * or a supporting file). Archived skills stay hidden, as they are from the agent.
 */
export function skillTools(engine: SkillServices, tenant: () => TenantKey): AnyTool[] {
  // A session per call: the tenant is known only when the call arrives, and nothing is written.
  const session = (): SkillSession =>
    new SkillSession(engine.skills.forTenant(tenant()), 'agent', () => null);
  const [list, view] = [skillsListTool(session()), skillViewTool(session())] as [AnyTool, AnyTool];
  return [
    { ...list, execute: (args, context) => skillsListTool(session()).execute(args, context) },
    { ...view, execute: (args, context) => skillViewTool(session()).execute(args, context) },
  ];
}
