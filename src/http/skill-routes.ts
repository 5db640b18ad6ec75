import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { MnemosError } from '../core/errors.js';
import type { SkillFiles } from '../core/skill-record.js';
import type { Mnemos } from '../mnemos.js';
import { skillLimits } from '../skills/skill-limits.js';
import type { SkillChange, SkillManager } from '../skills/skill-manager.js';
import type { AppEnv } from './app.js';
import { tenantOf } from './request-scope.js';
import { body, errorResponses, json } from './route-common.js';
import {
  CreateSkillBody,
  ExpectedVersionQuery,
  ListSkillsQuery,
  PatchSkillBody,
  ReplaceSkillBody,
  RevertSkillBody,
  SkillHistoryQuery,
  SkillNameParam,
  SkillSchema,
  SkillSummarySchema,
  SkillVersionSchema,
  skillChangeErrors,
  skillJson,
  summaryJson,
  versionJson,
} from './skill-schemas.js';

const tags = ['skills'];
const changeResponses = {
  200: json(SkillSchema, 'The skill'),
  ...errorResponses,
  ...skillChangeErrors,
};

/**
 * Skills of the key's tenant (agentskills.io SKILL.md folders kept in the database): list, create,
 * read, replace, patch, delete, archive, restore, revert, history. Every change is a person's
 * (actor `user`), validated, scanned and versioned by the skill manager.
 */
export function skillRoutes(app: OpenAPIHono<AppEnv>, mnemos: Mnemos): void {
  const skillsOf = (c: Context<AppEnv>): SkillManager =>
    mnemos.skills.forTenant(tenantOf(c.get('tenant')));

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/skills',
      tags,
      summary: 'Skills of the tenant by name; archived ones with `includeArchived=true`',
      request: { query: ListSkillsQuery },
      responses: {
        200: json(z.object({ skills: z.array(SkillSummarySchema) }), 'The skills'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const includeArchived = c.req.valid('query').includeArchived === 'true';
      const skills = await skillsOf(c).catalog({ includeArchived });
      return c.json({ skills: skills.map(summaryJson) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/skills',
      tags,
      summary: 'Create a skill from its SKILL.md (the frontmatter names it) and supporting files',
      request: body(CreateSkillBody),
      responses: {
        201: json(SkillSchema, 'The new skill (version 1)'),
        ...errorResponses,
        ...skillChangeErrors,
      },
    }),
    async (c) => {
      const input = c.req.valid('json');
      const files = checkSize({ ...input.files, 'SKILL.md': input.content });
      const skill = await skillsOf(c).create(files, 'user', { actor: 'user', note: 'created' });
      return c.json(skillJson(skill), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/skills/{name}',
      tags,
      summary: 'One skill with its files and provenance (archived ones too)',
      request: { params: SkillNameParam },
      responses: { 200: json(SkillSchema, 'The skill'), ...errorResponses },
    }),
    async (c) => {
      const { skill } = await skillsOf(c).require(c.req.valid('param').name);
      return c.json(skillJson(skill), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/v1/skills/{name}',
      tags,
      summary: "Replace a skill's SKILL.md, its supporting files, or both (an `edit`)",
      request: { params: SkillNameParam, ...body(ReplaceSkillBody) },
      responses: changeResponses,
    }),
    async (c) => {
      const { name } = c.req.valid('param');
      const input = c.req.valid('json');
      const skills = skillsOf(c);
      const { skill } = await skills.require(name);
      const kept: SkillFiles = input.files ?? withoutSkillMd(skill.files);
      const files = checkSize({
        ...kept,
        'SKILL.md': input.content ?? skill.files['SKILL.md'] ?? '',
      });
      const updated = await skills.replace(
        name,
        files,
        change('edited', input.expectedVersion ?? skill.version),
      );
      return c.json(skillJson(updated), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/v1/skills/{name}',
      tags,
      summary: 'Replace `oldString` by `newString` in one file (once, unless `replaceAll`)',
      request: { params: SkillNameParam, ...body(PatchSkillBody) },
      responses: changeResponses,
    }),
    async (c) => {
      const input = c.req.valid('json');
      const skills = skillsOf(c);
      const name = c.req.valid('param').name;
      const path = input.filePath ?? 'SKILL.md';
      const patched = await skills.patch(
        name,
        {
          oldString: input.oldString,
          newString: input.newString,
          path,
          replaceAll: input.replaceAll ?? false,
        },
        change('patched', input.expectedVersion),
      );
      return c.json(skillJson(patched), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/skills/{name}',
      tags,
      summary: 'Delete a skill (its history stays: `revert` brings it back)',
      request: { params: SkillNameParam, query: ExpectedVersionQuery },
      responses: { 204: { description: 'Deleted' }, ...errorResponses, ...skillChangeErrors },
    }),
    async (c) => {
      await skillsOf(c).delete(
        c.req.valid('param').name,
        change('deleted', c.req.valid('query').expectedVersion),
      );
      return c.body(null, 204);
    },
  );

  for (const [action, summary] of [
    ['archive', 'Archive a skill: kept, hidden from the listing and the agent'],
    ['restore', 'Bring an archived skill back'],
  ] as const) {
    app.openapi(
      createRoute({
        method: 'post',
        path: `/v1/skills/{name}/${action}`,
        tags,
        summary,
        request: { params: SkillNameParam, query: ExpectedVersionQuery },
        responses: changeResponses,
      }),
      async (c) => {
        const skills = skillsOf(c);
        const name = c.req.valid('param').name;
        const how = change(
          action === 'archive' ? 'archived' : 'restored',
          c.req.valid('query').expectedVersion,
        );
        const skill =
          action === 'archive' ? await skills.archive(name, how) : await skills.restore(name, how);
        return c.json(skillJson(skill), 200);
      },
    );
  }

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/skills/{name}/revert',
      tags,
      summary: 'Store the files of an earlier version as the newest one (also undoes a delete)',
      request: { params: SkillNameParam, ...body(RevertSkillBody) },
      responses: changeResponses,
    }),
    async (c) => {
      const input = c.req.valid('json');
      const skill = await skillsOf(c).revert(c.req.valid('param').name, input.version, {
        actor: 'user',
        ...(input.expectedVersion !== undefined ? { expectedVersion: input.expectedVersion } : {}),
      });
      return c.json(skillJson(skill), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/skills/{name}/history',
      tags,
      summary: 'Recorded versions of a skill, newest first; their files with `files=true`',
      request: { params: SkillNameParam, query: SkillHistoryQuery },
      responses: {
        200: json(z.object({ history: z.array(SkillVersionSchema) }), 'The versions'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const query = c.req.valid('query');
      const entries = await skillsOf(c).history(c.req.valid('param').name, {
        limit: query.limit ?? 100,
        offset: query.offset ?? 0,
      });
      const withFiles = query.files === 'true';
      return c.json({ history: entries.map((entry) => versionJson(entry, withFiles)) }, 200);
    },
  );
}

/** A person's change through the API, from the version the request names (if any). */
function change(note: string, expectedVersion: number | undefined): SkillChange {
  return {
    actor: 'user',
    note,
    ...(expectedVersion !== undefined ? { expectedVersion } : {}),
  };
}

function withoutSkillMd(files: SkillFiles): SkillFiles {
  const rest = { ...files };
  delete rest['SKILL.md'];
  return rest;
}

/** Refuses a skill whose files are over the skill limit, before any write (413, not a 400 issue). */
function checkSize(files: SkillFiles): SkillFiles {
  let bytes = 0;
  for (const text of Object.values(files)) bytes += Buffer.byteLength(text, 'utf8');
  if (bytes > skillLimits.maxSkillBytes) {
    throw new MnemosError(
      'payload_too_large',
      `the skill's files add up to ${bytes} bytes, over the limit of ${skillLimits.maxSkillBytes}`,
      { details: { bytes, limit: skillLimits.maxSkillBytes } },
    );
  }
  return files;
}
