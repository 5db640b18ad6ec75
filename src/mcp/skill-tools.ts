import { z } from 'zod';
import type { AnyTool } from '../agent/tools/tool.js';
import { MnemosError } from '../core/errors.js';
import type { TenantKey } from '../core/scope.js';
import type { SkillService } from '../skills/skill-service.js';

/** The engine's service the MCP skill tools read. */
export interface SkillServices {
  skills: SkillService;
}

const viewSchema = z
  .object({
    name: z.string().min(1).max(64).describe('the skill, as skills_list names it'),
    file_path: z
      .string()
      .min(1)
      .max(255)
      .optional()
      .describe('a supporting file of the skill (e.g. references/api.md); default SKILL.md'),
  })
  .strict();

/**
 * Read-only skill tools over the tenant's database skills: `skills_list` (the active skills' names
 * and descriptions) and `skill_view` (one skill's SKILL.md or a supporting file). Archived skills
 * stay hidden, as they are from the agent.
 */
export function skillTools(engine: SkillServices, tenant: () => TenantKey): AnyTool[] {
  const list: AnyTool = {
    name: 'skills_list',
    description:
      "Lists the user's skills: reusable instructions for tasks (name and description). Load one with skill_view before doing a task it describes.",
    toolset: 'skills',
    schema: z.object({}).strict(),
    async execute() {
      const skills = await engine.skills.forTenant(tenant()).catalog();
      return {
        skills: skills.map((skill) => ({
          name: skill.name,
          description: skill.description,
          version: skill.version,
          updated_at: skill.updatedAt,
        })),
      };
    },
  };
  const view: AnyTool = {
    name: 'skill_view',
    description:
      "Shows one skill's instructions (its SKILL.md), or one of its supporting files with file_path; lists the skill's files.",
    toolset: 'skills',
    schema: viewSchema,
    async execute(args: z.infer<typeof viewSchema>) {
      const manager = engine.skills.forTenant(tenant());
      const found = await manager.find(args.name);
      const skill = found?.skill.status === 'active' ? found.skill : null;
      if (!skill) {
        throw new MnemosError('not_found', `no skill named ${args.name}`, {
          details: { name: args.name },
        });
      }
      const path = args.file_path ?? 'SKILL.md';
      const content = skill.files[path];
      if (content === undefined) {
        throw new MnemosError('not_found', `skill ${skill.name} has no file ${path}`, {
          details: { name: skill.name, path },
        });
      }
      await manager.markUsed(skill.name);
      return {
        name: skill.name,
        description: skill.description,
        version: skill.version,
        file_path: path,
        content,
        files: Object.keys(skill.files).sort(),
      };
    },
  };
  return [list, view];
}
