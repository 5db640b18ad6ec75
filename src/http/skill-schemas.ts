import { z } from '@hono/zod-openapi';
import type {
  SkillProvenance,
  SkillRecord,
  SkillSummary,
  SkillVersionEntry,
} from '../core/skill-record.js';
import { ErrorSchema } from './route-common.js';

const skillName = /^[a-z0-9-]{1,64}$/;

/** `{name}` of the skill routes: 1–64 of `a-z0-9-`, as skill names are. */
export const SkillNameParam = z.object({
  name: z
    .string()
    .regex(skillName, 'a skill name is 1-64 characters of a-z, 0-9 and -')
    .openapi({ param: { name: 'name', in: 'path' }, example: 'deploy-checklist' }),
});

const staleNote = { description: 'the version the change is made from; a stale one answers 409' };
const expectedVersion = z.number().int().min(1).optional().openapi(staleNote);

/** Supporting files by path relative to the skill folder; SKILL.md itself comes from `content`. */
const FilesSchema = z
  .record(
    z
      .string()
      .min(1)
      .max(255)
      .refine((path) => path !== 'SKILL.md', 'SKILL.md is sent as `content`, not in `files`')
      .refine(
        (path) =>
          !path.startsWith('/') &&
          !path.includes('\\') &&
          path.split('/').every((part) => part !== '' && part !== '.' && part !== '..'),
        'a file path is relative, with no empty, `.` or `..` part and no backslash',
      ),
    z.string(),
  )
  .openapi({
    description:
      'supporting files, path → UTF-8 text, under scripts/, references/, assets/ or templates/',
    example: { 'scripts/check.sh': '#!/bin/sh\necho ok\n' },
  });

const content = z
  .string()
  .openapi({ description: 'the SKILL.md: YAML frontmatter, then Markdown' });

/** Body of `POST /v1/skills`. */
export const CreateSkillBody = z
  .object({ content, files: FilesSchema.optional() })
  .strict()
  .openapi('CreateSkill');

/** Body of `PUT /v1/skills/{name}`: what is sent replaces; what is left out stays. */
export const ReplaceSkillBody = z
  .object({
    content: content.optional(),
    files: FilesSchema.optional().openapi({
      description: 'replaces every supporting file (`{}` removes them all); omitted: kept',
    }),
    expectedVersion: expectedVersion,
  })
  .strict()
  .refine((body) => body.content !== undefined || body.files !== undefined, {
    message: 'send content, files or both',
    path: ['content'],
  })
  .openapi('ReplaceSkill');

/** Body of `PATCH /v1/skills/{name}`. */
export const PatchSkillBody = z
  .object({
    oldString: z.string().min(1),
    newString: z.string(),
    filePath: z.string().min(1).max(255).optional().openapi({ description: 'default SKILL.md' }),
    replaceAll: z.boolean().optional(),
    expectedVersion: expectedVersion,
  })
  .strict()
  .openapi('PatchSkill');

/** Body of `POST /v1/skills/{name}/revert`. */
export const RevertSkillBody = z
  .object({
    version: z.number().int().min(1).openapi({ description: 'the version whose files come back' }),
    expectedVersion: expectedVersion,
  })
  .strict()
  .openapi('RevertSkill');

/** `?expectedVersion=` of delete, archive and restore. */
export const ExpectedVersionQuery = z
  .object({ expectedVersion: z.coerce.number().int().min(1).optional().openapi(staleNote) })
  .strict();

/** `?includeArchived=` of the listing. */
export const ListSkillsQuery = z
  .object({ includeArchived: z.enum(['true', 'false']).optional() })
  .strict();

/** `?limit&offset&files` of a skill's history. */
export const SkillHistoryQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(1000).optional(),
    offset: z.coerce.number().int().min(0).optional(),
    files: z
      .enum(['true', 'false'])
      .optional()
      .openapi({ description: 'include the files of every version' }),
  })
  .strict();

/** A skill in a listing (no files). */
export const SkillSummarySchema = z
  .object({
    name: z.string(),
    description: z.string(),
    origin: z.enum(['user', 'agent', 'installed']),
    status: z.enum(['active', 'archived']),
    version: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
    lastUsedAt: z.string().nullable(),
  })
  .openapi('SkillSummary');

const ProvenanceSchema = z
  .object({
    sessionId: z.string(),
    task: z.string(),
    tools: z.array(z.string()),
    outcome: z.string(),
    tokens: z.object({ input: z.number(), output: z.number() }),
    action: z.string(),
    at: z.string(),
  })
  .openapi('SkillProvenance');

/** A skill with its files and provenance. */
export const SkillSchema = SkillSummarySchema.extend({
  files: z
    .record(z.string(), z.string())
    .openapi({ description: 'path → text, SKILL.md included' }),
  provenance: z.array(ProvenanceSchema),
}).openapi('Skill');

/** One recorded version of a skill. */
export const SkillVersionSchema = z
  .object({
    version: z.number().int(),
    action: z.string(),
    actor: z.enum(['user', 'agent', 'review']),
    note: z.string(),
    createdAt: z.string(),
    files: z.record(z.string(), z.string()).nullable().optional().openapi({
      description: 'with `?files=true`: the files after the change (null: the change deleted it)',
    }),
  })
  .openapi('SkillVersion');

/** Answers skill changes may give besides the shared ones. */
export const skillChangeErrors = {
  409: {
    description: 'A skill of that name exists, or `expectedVersion` is stale',
    content: { 'application/json': { schema: ErrorSchema } },
  },
  413: {
    description: 'The skill is over its size limit',
    content: { 'application/json': { schema: ErrorSchema } },
  },
} as const;

/** A skill without its files, as the API shows it. */
export function summaryJson(skill: SkillSummary | SkillRecord) {
  return {
    name: skill.name,
    description: skill.description,
    origin: skill.origin,
    status: skill.status,
    version: skill.version,
    createdAt: skill.createdAt,
    updatedAt: skill.updatedAt,
    lastUsedAt: skill.lastUsedAt,
  };
}

/** A skill with its files and provenance, as the API shows it. */
export function skillJson(skill: SkillRecord) {
  return {
    ...summaryJson(skill),
    files: skill.files,
    provenance: skill.provenance.map(provenanceJson),
  };
}

/** A recorded version, its files only when asked for. */
export function versionJson(entry: SkillVersionEntry, withFiles: boolean) {
  return {
    version: entry.version,
    action: entry.action,
    actor: entry.actor,
    note: entry.note,
    createdAt: entry.createdAt,
    ...(withFiles ? { files: entry.files } : {}),
  };
}

function provenanceJson(provenance: SkillProvenance) {
  return {
    sessionId: provenance.sessionId,
    task: provenance.task,
    tools: provenance.tools,
    outcome: provenance.outcome,
    tokens: provenance.tokens,
    action: provenance.action,
    at: provenance.at,
  };
}
