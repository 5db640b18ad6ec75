import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { type SSEStreamingApi, streamSSE } from 'hono/streaming';
import { MnemosError } from '../core/errors.js';
import type { TeamRunRecord } from '../core/team-run-record.js';
import type { Mnemos } from '../mnemos.js';
import type { TeamEntry } from '../teams/home-teams.js';
import type { TeamFile } from '../teams/team-file.js';
import { flowText } from '../teams/team-flow.js';
import type { NumberedTeamEvent } from '../teams/team-runner.js';
import type { AppEnv } from './app.js';
import { tenantOf } from './request-scope.js';
import { body, errorResponses, json, PageQuery } from './route-common.js';
import type { TeamHost } from './team-host.js';
import type { TenantContext } from './tenant-context.js';

const tags = ['teams'];

const UsageSchema = z.object({ inputTokens: z.number(), outputTokens: z.number() });

const TeamSchema = z
  .object({
    name: z.string(),
    description: z.string(),
    members: z.array(z.string()).openapi({ description: 'Roles, in the order of the file' }),
    flow: z.string().openapi({ example: 'planner -> [searcher, checker] -> writer' }),
    critic: z.string().optional().openapi({ description: 'Role of the critic, when there is one' }),
    definition: z
      .record(z.string(), z.unknown())
      .openapi({ description: 'The team as its file defines it (snake_case, defaults applied)' }),
  })
  .openapi('Team');

const BrokenTeamSchema = z
  .object({ name: z.string(), error: z.string() })
  .openapi('BrokenTeam', { description: 'A team file that does not validate, with why' });

const TeamRunStepSchema = z
  .object({
    role: z.string(),
    round: z.number().openapi({ description: '1, then counting up when a critic has it redone' }),
    status: z.enum(['running', 'succeeded', 'failed', 'skipped']),
    output: z.string(),
    usage: UsageSchema,
    steps: z.number().openapi({ description: 'Model steps of the turn' }),
    error: z.string().optional(),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
  })
  .openapi('TeamRunStep');

const TeamRunSchema = z
  .object({
    id: z.string(),
    team: z.string(),
    input: z.string(),
    status: z.enum(['running', 'succeeded', 'failed', 'stopped']),
    output: z.string(),
    steps: z.array(TeamRunStepSchema),
    usage: UsageSchema,
    error: z
      .string()
      .optional()
      .openapi({ description: 'Why it failed or which limit stopped it' }),
    note: z.string().optional().openapi({ example: 'approved by critic' }),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
  })
  .openapi('TeamRun');

const TeamNameParam = z.object({
  name: z.string().openapi({ param: { name: 'name', in: 'path' } }),
});
const RunIdParam = z.object({ id: z.string().openapi({ param: { name: 'id', in: 'path' } }) });

const RunBody = z.record(z.string(), z.unknown()).openapi('TeamRunInput', {
  description:
    'The task: `{"input": "..."}`, or any JSON object, whose fields become the input as `key: value` lines (e.g. `{"topic": "Kyoto temples", "depth": 3}`)',
  example: { input: 'Write a short report on the temples of Kyoto' },
});

const sseResponse = (description: string) => ({
  description,
  content: { 'text/event-stream': { schema: z.string() } },
});

/**
 * Teams of the home, run for the key's tenant on the untrusted `http` surface: list and read
 * them, run one with its events streamed as SSE (resumable for ten minutes), read stored runs.
 */
export function teamRoutes(app: OpenAPIHono<AppEnv>, mnemos: Mnemos, teams: TeamHost): void {
  // Static paths before `/v1/teams/{name}`, so `runs` is never read as a team's name.
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/teams/runs',
      tags,
      summary: "The tenant's team runs, newest first",
      request: { query: PageQuery.extend({ team: z.string().optional() }) },
      responses: {
        200: json(z.object({ runs: z.array(TeamRunSchema) }), 'The runs'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const query = c.req.valid('query');
      const runs = await mnemos.teams.runs(tenantOf(c.get('tenant')), {
        ...(query.limit !== undefined ? { limit: query.limit } : {}),
        ...(query.offset !== undefined ? { offset: query.offset } : {}),
        ...(query.team !== undefined ? { team: query.team } : {}),
      });
      return c.json({ runs: runs.map(runJson) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/teams/runs/{id}',
      tags,
      summary: 'One team run of the tenant, with every step and its output',
      request: { params: RunIdParam },
      responses: { 200: json(TeamRunSchema, 'The run'), ...errorResponses },
    }),
    async (c) => {
      const run = await mnemos.teams.getRun(tenantOf(c.get('tenant')), c.req.valid('param').id);
      return c.json(runJson(run), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/teams/runs/{id}/events',
      tags,
      summary:
        'Events of a team run (kept ten minutes), from after `Last-Event-ID` on, then live until `done`',
      request: {
        params: RunIdParam,
        headers: z.object({
          'last-event-id': z
            .string()
            .optional()
            .openapi({ description: 'id of the last event received (`<runId>.<n>`)' }),
        }),
      },
      responses: {
        200: sseResponse('A `text/event-stream` of the events after `Last-Event-ID`'),
        ...errorResponses,
      },
    }),
    (c) => {
      const tenant = c.get('tenant');
      const { id } = c.req.valid('param');
      if (!teams.has(tenant, id))
        throw new MnemosError(
          'not_found',
          `team run ${id} has no events kept (unknown, or finished over ten minutes ago); GET /v1/teams/runs/${id} has its result`,
        );
      const lastId = c.req.valid('header')['last-event-id'];
      return streamSSE(c, (stream) => pipeEvents(stream, teams, tenant, id, lastId)) as never;
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/teams',
      tags,
      summary: 'Teams of the server (`<home>/teams`), broken files with their error',
      responses: {
        200: json(
          z.object({ teams: z.array(TeamSchema), broken: z.array(BrokenTeamSchema) }),
          'The teams',
        ),
        ...errorResponses,
      },
    }),
    (c) => {
      const entries = mnemos.teams.list();
      return c.json(
        {
          teams: entries.flatMap((entry) => (entry.team ? [teamJson(entry.team)] : [])),
          broken: entries.flatMap((entry: TeamEntry) =>
            entry.error === undefined ? [] : [{ name: entry.name, error: entry.error }],
          ),
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/teams/{name}',
      tags,
      summary: 'One team: members, flow, critic, limits',
      request: { params: TeamNameParam },
      responses: { 200: json(TeamSchema, 'The team'), ...errorResponses },
    }),
    (c) => c.json(teamJson(mnemos.teams.require(c.req.valid('param').name)), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/teams/{name}/run',
      tags,
      summary:
        'Run a team; answers with SSE events run_start, step_start, token, tool_call, step_done, step_failed, done',
      request: { params: TeamNameParam, ...body(RunBody) },
      responses: {
        200: sseResponse(
          'A `text/event-stream` of events, each with an `id` (`<runId>.<n>`); the run id is also in `x-mnemos-run`',
        ),
        ...errorResponses,
      },
    }),
    (c) => {
      const tenant = c.get('tenant');
      const input = inputOf(c.req.valid('json'));
      const { runId, done } = teams.start(tenant, c.req.valid('param').name, input);
      // The run goes on (and is stored) when the client drops the stream.
      done.catch(() => undefined);
      c.header('x-mnemos-run', runId);
      return streamSSE(c, (stream) => pipeEvents(stream, teams, tenant, runId, undefined)) as never;
    },
  );
}

/** The team's input from a request body: `input` alone, else every field as a `key: value` line. */
export function inputOf(fields: Record<string, unknown>): string {
  const keys = Object.keys(fields);
  if (keys.length === 1 && typeof fields.input === 'string') return fields.input;
  if (keys.length === 0)
    throw new MnemosError('invalid_input', 'body: give the task as {"input": "..."} or as fields');
  return keys
    .map((key) => {
      const value = fields[key];
      return `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`;
    })
    .join('\n');
}

function teamJson(team: TeamFile): z.infer<typeof TeamSchema> {
  const { definition } = team;
  return {
    name: definition.name,
    description: definition.description,
    members: definition.agents.map((member) => member.role),
    flow: flowText(team.flow),
    ...(definition.critic ? { critic: definition.critic.role } : {}),
    definition: definition as unknown as Record<string, unknown>,
  };
}

function runJson(run: TeamRunRecord): z.infer<typeof TeamRunSchema> {
  return run;
}

/** Writes a run's events in order and returns once the last one is written (the stream then closes). */
async function pipeEvents(
  stream: SSEStreamingApi,
  teams: TeamHost,
  tenant: TenantContext,
  runId: string,
  lastId: string | undefined,
): Promise<void> {
  let written = Promise.resolve();
  await teams.follow(tenant, runId, lastId, (numbered: NumberedTeamEvent) => {
    const { type, ...data } = numbered.event;
    written = written.then(() =>
      stream.writeSSE({ event: type, id: numbered.id, data: JSON.stringify(data) }),
    );
  });
  await written;
}
