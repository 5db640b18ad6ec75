import { z } from 'zod';
import { MnemosError } from '../../core/errors.js';
import type { SkillChangeAction } from '../../core/skill-record.js';
import { parseSkillMarkdown } from '../../skills/skill-format.js';
import type { CatalogEntry, FoundSkill, SkillManager } from '../../skills/skill-manager.js';
import { describeScan } from '../../skills/skill-scan.js';
import { terms } from '../../text/tokenizer.js';
import type { AnyTool } from '../tools/tool.js';
import type { SkillSession } from './skill-session.js';

/** Share of shared words between two skills' names and descriptions above which they are near-duplicates. */
const nearDuplicate = 0.5;

const listSchema = z.object({}).strict();

const viewSchema = z
  .object({
    name: z.string().min(1).max(64).describe('Skill name, as in skills_list'),
    file_path: z
      .string()
      .min(1)
      .max(256)
      .optional()
      .describe('A supporting file of the skill (e.g. references/api.md); default SKILL.md'),
  })
  .strict();

const manageSchema = z
  .object({
    action: z
      .enum(['create', 'patch', 'edit', 'delete', 'write_file', 'remove_file'])
      .describe(
        'create a skill; patch (find/replace, preferred for fixes); edit (replace SKILL.md); delete; write_file or remove_file of a supporting file',
      ),
    name: z.string().min(1).max(64).describe('Skill name: a-z, 0-9 and single hyphens'),
    content: z
      .string()
      .max(256 * 1024)
      .optional()
      .describe(
        'create/edit: the whole SKILL.md, starting with --- frontmatter (name, description) ---, then the procedure',
      ),
    old_string: z
      .string()
      .max(64 * 1024)
      .optional()
      .describe('patch: exact text to replace'),
    new_string: z
      .string()
      .max(64 * 1024)
      .optional()
      .describe('patch: the replacement'),
    replace_all: z.boolean().optional().describe('patch: replace every occurrence'),
    file_path: z
      .string()
      .max(256)
      .optional()
      .describe(
        'patch/write_file/remove_file: file under scripts/, references/, assets/ or templates/',
      ),
    file_content: z
      .string()
      .max(256 * 1024)
      .optional()
      .describe('write_file: the file'),
    force_new: z
      .boolean()
      .optional()
      .describe('create: true when a similar existing skill really covers a different task'),
  })
  .strict();

type ManageArgs = z.infer<typeof manageSchema>;

/** `skills_list`: the catalog, for the model to find a skill that fits the task. */
export function skillsListTool(session: SkillSession): AnyTool {
  return {
    name: 'skills_list',
    toolset: 'skills',
    description:
      'List the skills (saved procedures) available: name, description and where each comes from.',
    schema: listSchema,
    async execute() {
      const catalog = await session.manager.catalog();
      return {
        skills: catalog.map((entry) => ({
          name: entry.name,
          description: entry.description,
          source: entry.source,
          editable: entry.origin === 'agent',
        })),
      };
    },
  };
}

/** `skill_view`: a skill's SKILL.md (or one of its files), loading it into the turn. */
export function skillViewTool(session: SkillSession): AnyTool {
  return {
    name: 'skill_view',
    toolset: 'skills',
    description:
      'Load a skill: returns its SKILL.md (instructions to follow) and the list of its supporting files; give file_path to read one of those.',
    schema: viewSchema,
    async execute(args: z.infer<typeof viewSchema>) {
      const found = await session.manager.require(args.name);
      if (found.skill.status !== 'active') {
        throw new MnemosError(
          'not_found',
          `skill ${args.name} is archived; \`mnemos skills restore ${args.name}\` brings it back`,
          { details: { name: args.name } },
        );
      }
      const path = args.file_path ?? 'SKILL.md';
      const content = found.skill.files[path];
      if (content === undefined) {
        throw new MnemosError(
          'not_found',
          `skill ${args.name} has no file ${path}; its files: ${Object.keys(found.skill.files).join(', ')}`,
        );
      }
      checkLoadable(found, session.manager);
      session.markViewed(args.name, path);
      await session.manager.markUsed(found);
      return {
        name: found.skill.name,
        description: found.skill.description,
        source: found.repository.source,
        version: found.skill.version,
        editable: found.skill.origin === 'agent',
        file_path: path,
        content,
        files: Object.keys(found.skill.files).filter((file) => file !== 'SKILL.md'),
      };
    },
  };
}

/**
 * Refuses to load a skill whose files scan dangerous. Skills written by hand or found in a project
 * were never scanned on save, and loading one puts its text in front of the model.
 */
export function checkLoadable(found: FoundSkill, manager: SkillManager): void {
  const scan = manager.scan(found.skill.files);
  if (scan.verdict !== 'dangerous') return;
  throw new MnemosError(
    'forbidden',
    `skill ${found.skill.name} (${found.repository.source}) was not loaded: its safety scan says dangerous\n${describeScan(scan)}`,
    { details: { name: found.skill.name, findings: scan.findings } },
  );
}

/** `skill_manage`: the agent's own skills, created and improved as it learns. */
export function skillManageTool(session: SkillSession): AnyTool {
  return {
    name: 'skill_manage',
    toolset: 'skills',
    description:
      'Save what you learned as a skill, or improve one you made: create, patch (preferred), edit, delete, write_file, remove_file. Read a skill with skill_view before changing it. Prefer improving an existing skill over creating a near-duplicate. Only skills you created can be changed.',
    schema: manageSchema,
    async execute(args: ManageArgs) {
      const change = (action: SkillChangeAction) => {
        const provenance = session.provenance(action);
        return { actor: session.actor, ...(provenance ? { provenance } : {}) };
      };
      const done = (action: SkillChangeAction, version: number | null) => {
        session.changed(action, args.name);
        return { ok: true, action, name: args.name, ...(version ? { version } : {}) };
      };
      switch (args.action) {
        case 'create': {
          const content = need(args.content, 'content', 'create');
          const frontmatter = parseSkillMarkdown(content).skill?.frontmatter;
          if (frontmatter && frontmatter.name !== args.name) {
            throw new MnemosError(
              'invalid_input',
              `the frontmatter of content names the skill ${frontmatter.name}, not ${args.name}: make them equal`,
              { details: { field: 'content' } },
            );
          }
          // Content that does not parse is refused by the manager's validation below.
          if (frontmatter && !args.force_new) await refuseNearDuplicate(session, frontmatter);
          const skill = await session.manager.create(
            { 'SKILL.md': content },
            'agent',
            change('create'),
          );
          session.markViewed(skill.name);
          return done('create', skill.version);
        }
        case 'patch': {
          const path = args.file_path ?? 'SKILL.md';
          requireViewed(session, args.name, path);
          const skill = await session.manager.patch(
            args.name,
            {
              oldString: need(args.old_string, 'old_string', 'patch'),
              newString: args.new_string ?? '',
              path,
              ...(args.replace_all !== undefined ? { replaceAll: args.replace_all } : {}),
            },
            change('patch'),
          );
          return done('patch', skill.version);
        }
        case 'edit': {
          requireViewed(session, args.name, 'SKILL.md');
          const skill = await session.manager.edit(
            args.name,
            need(args.content, 'content', 'edit'),
            change('edit'),
          );
          return done('edit', skill.version);
        }
        case 'write_file': {
          requireViewed(session, args.name, 'SKILL.md');
          const path = need(args.file_path, 'file_path', 'write_file');
          const skill = await session.manager.writeFile(
            args.name,
            path,
            need(args.file_content, 'file_content', 'write_file'),
            change('write_file'),
          );
          session.markViewed(args.name, path);
          return done('write_file', skill.version);
        }
        case 'remove_file': {
          const path = need(args.file_path, 'file_path', 'remove_file');
          requireViewed(session, args.name, 'SKILL.md');
          const skill = await session.manager.removeFile(args.name, path, change('remove_file'));
          return done('remove_file', skill.version);
        }
        case 'delete': {
          requireViewed(session, args.name, 'SKILL.md');
          await session.manager.delete(args.name, change('delete'));
          return done('delete', null);
        }
      }
    },
  };
}

function need(value: string | undefined, field: string, action: string): string {
  if (value === undefined || value === '') {
    throw new MnemosError('invalid_input', `${action} needs ${field}`, { details: { field } });
  }
  return value;
}

function requireViewed(session: SkillSession, name: string, path: string): void {
  if (!session.hasViewed(name, path)) {
    throw new MnemosError(
      'invalid_input',
      `read it first: call skill_view(name: "${name}"${path === 'SKILL.md' ? '' : `, file_path: "${path}"`}) before changing it`,
      { details: { name, path } },
    );
  }
}

/** Refuses a new skill that reads like an existing one, pointing the agent at the one to improve. */
async function refuseNearDuplicate(
  session: SkillSession,
  skill: { name: string; description: string },
): Promise<void> {
  const words = skillWords(skill);
  if (words.size === 0) return;
  let best: { entry: CatalogEntry; score: number } | null = null;
  for (const entry of await session.manager.catalog()) {
    const score = jaccard(words, skillWords(entry));
    if (!best || score > best.score) best = { entry, score };
  }
  if (best && best.score >= nearDuplicate) {
    throw new MnemosError(
      'already_exists',
      `skill ${best.entry.name} ("${best.entry.description}") already covers much the same; view it with skill_view and patch it instead, or pass force_new: true if this is really a different task`,
      { details: { name: best.entry.name } },
    );
  }
}

/** Words of a skill's name (hyphens as spaces) and description, stopwords dropped. */
function skillWords(skill: { name: string; description: string }): Set<string> {
  return new Set(terms(`${skill.name.replaceAll('-', ' ')} ${skill.description}`, true));
}

function jaccard(a: Set<string>, b: Set<string>): number {
  let shared = 0;
  for (const word of a) if (b.has(word)) shared++;
  const union = a.size + b.size - shared;
  return union === 0 ? 0 : shared / union;
}
