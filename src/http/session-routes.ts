import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { type SSEStreamingApi, streamSSE } from 'hono/streaming';
import { MnemosError } from '../core/errors.js';
import { createSessionSchema, historyBodySchema } from '../core/session-inputs.js';
import type { Mnemos } from '../mnemos.js';
import type { AgentHost, NumberedEvent, SessionWatch } from './agent-host.js';
import type { AppEnv } from './app.js';
import { tenantOf } from './request-scope.js';
import { body, errorResponses, json } from './route-common.js';
import { actingTenant, agentField, messageText, userIdField } from './session-bodies.js';
import type { TenantContext } from './tenant-context.js';

const SessionSchema = z
  .object({
    id: z.string(),
    appId: z.string(),
    tenantId: z.string(),
    agentId: z.string(),
    title: z.string(),
    metadata: z.record(z.string(), z.string()),
    parentId: z.string().nullable(),
    messageCount: z.number(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Session');

const MessagePartSchema = z
  .object({
    type: z.enum(['tool-call', 'tool-result']),
    toolCallId: z.string(),
    toolName: z.string(),
    input: z.unknown().optional().openapi({ description: 'tool-call: the arguments' }),
    output: z
      .unknown()
      .optional()
      .openapi({ description: 'tool-result: what the tool returned (a string or JSON)' }),
    isError: z.boolean().optional().openapi({ description: 'tool-result: the tool failed' }),
    truncatedFrom: z.number().optional().openapi({
      description:
        'Set when the value was over 65,536 characters: its full length; the value is its start, ending in a `[truncated by Mnemos: …]` marker',
    }),
  })
  .openapi('SessionMessagePart');

const MessageSchema = z
  .object({
    id: z.string(),
    sessionId: z.string(),
    seq: z.number(),
    role: z.enum(['user', 'assistant', 'system', 'tool']),
    content: z.string(),
    name: z.string().nullable(),
    metadata: z.record(z.string(), z.string()),
    parts: z.array(MessagePartSchema).openapi({
      description:
        'Tool calls (assistant) and tool results (tool) of the message, in order; empty for plain text',
    }),
    createdAt: z.string(),
  })
  .openapi('SessionMessage');

const UsageSchema = z.object({ inputTokens: z.number(), outputTokens: z.number() });
const TurnSchema = z
  .object({
    turnId: z.string(),
    sessionId: z.string(),
    text: z.string(),
    usage: UsageSchema,
    steps: z.number(),
    reason: z.enum([
      'answered',
      'max_iterations',
      'limit',
      'cancelled',
      'failed',
      'quota_exceeded',
    ]),
    error: z.string().optional(),
  })
  .openapi('Turn');

const SessionParam = z.object({ id: z.string().openapi({ param: { name: 'id', in: 'path' } }) });

/** Session history and the agent: sessions, their messages, and agent turns streamed as SSE. */
export function sessionRoutes(app: OpenAPIHono<AppEnv>, mnemos: Mnemos, agents: AgentHost): void {
  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/sessions',
      tags: ['sessions'],
      summary:
        'Start a session, optionally with an agent definition (`agent`) for a user (`user_id`)',
      request: body(
        createSessionSchema.extend({
          agentId: z.string().optional(),
          agent: agentField,
          user_id: userIdField,
        }),
      ),
      responses: {
        201: json(
          SessionSchema.extend({
            session_id: z.string().openapi({ description: 'the same as id' }),
          }),
          'The session',
        ),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { agentId, agent, user_id, ...input } = c.req.valid('json');
      const tenant = tenantOf(actingTenant(c.get('tenant'), user_id));
      if (agent !== undefined && agentId !== undefined && agent !== agentId) {
        throw new MnemosError(
          'invalid_input',
          `agent ${JSON.stringify(agent)} and agentId ${JSON.stringify(agentId)} differ; send one of them`,
          { details: { field: 'agent' } },
        );
      }
      if (agent !== undefined) await mnemos.agents.forTenant(tenant).require(agent);
      const name = agent ?? agentId;
      const session = await mnemos.sessions.create(
        { ...tenant, ...(name ? { agentId: name } : {}) },
        input,
      );
      return c.json({ ...session, session_id: session.id }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/sessions',
      tags: ['sessions'],
      summary: 'Sessions of the tenant, most recent first',
      request: {
        query: z
          .object({
            limit: z.coerce.number().int().min(1).max(1000).optional(),
            offset: z.coerce.number().int().min(0).optional(),
          })
          .strict(),
      },
      responses: {
        200: json(z.object({ sessions: z.array(SessionSchema), count: z.number() }), 'Sessions'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const sessions = await mnemos.sessions.list(tenantOf(c.get('tenant')), c.req.valid('query'));
      return c.json({ sessions, count: sessions.length }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/sessions/search',
      tags: ['sessions'],
      summary: 'Full-text search over the tenant’s messages (CJK-aware)',
      request: {
        query: z
          .object({
            query: z.string().min(1),
            sessionId: z.string().optional(),
            limit: z.coerce.number().int().min(1).max(100).optional(),
          })
          .strict(),
      },
      responses: {
        200: json(
          z.object({ messages: z.array(MessageSchema.extend({ score: z.number() })) }),
          'Matches',
        ),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { query, ...options } = c.req.valid('query');
      return c.json(
        { messages: await mnemos.sessions.search(tenantOf(c.get('tenant')), query, options) },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/sessions/{id}',
      tags: ['sessions'],
      summary: 'One session',
      request: { params: SessionParam },
      responses: { 200: json(SessionSchema, 'The session'), ...errorResponses },
    }),
    async (c) =>
      c.json(await mnemos.sessions.get(tenantOf(c.get('tenant')), c.req.valid('param').id), 200),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/sessions/{id}',
      tags: ['sessions'],
      summary: 'Delete a session and its messages',
      request: { params: SessionParam },
      responses: { 204: { description: 'Deleted' }, ...errorResponses },
    }),
    async (c) => {
      await mnemos.sessions.delete(tenantOf(c.get('tenant')), c.req.valid('param').id);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/sessions/{id}/messages',
      tags: ['sessions'],
      summary: 'Messages of a session, in order',
      request: {
        params: SessionParam,
        query: z
          .object({
            limit: z.coerce.number().int().min(1).max(1000).optional(),
            offset: z.coerce.number().int().min(0).optional(),
          })
          .strict(),
      },
      responses: {
        200: json(z.object({ messages: z.array(MessageSchema) }), 'Messages'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const messages = await mnemos.sessions.messages(
        tenantOf(c.get('tenant')),
        c.req.valid('param').id,
        c.req.valid('query'),
      );
      return c.json({ messages }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/sessions/{id}/history',
      tags: ['sessions'],
      summary: 'Append messages to a session without running the agent (session history service)',
      request: {
        params: SessionParam,
        ...body(historyBodySchema),
      },
      responses: {
        200: json(
          z.object({
            messages: z.array(MessageSchema),
            redacted: z.number().int().openapi({
              description: 'secrets replaced by `[REDACTED:<kind>]` markers before storing',
            }),
            warnings: z.array(z.string()).openapi({
              description: 'which kinds of secret were redacted (never their values)',
            }),
          }),
          'The stored messages',
        ),
        ...errorResponses,
      },
    }),
    async (c) => {
      const stored = await mnemos.sessions.appendReporting(
        tenantOf(c.get('tenant')),
        c.req.valid('param').id,
        c.req.valid('json').messages,
      );
      return c.json(stored, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/sessions/{id}/messages',
      tags: ['agent'],
      summary:
        'Send a message to the agent; `stream: true` answers with SSE events token, tool_call, tool_result, done',
      request: {
        params: SessionParam,
        ...body(
          z
            .object({
              content: z.string().min(1).max(32_000).optional(),
              input: z
                .string()
                .min(1)
                .max(32_000)
                .optional()
                .openapi({ description: 'the same as `content`; send exactly one of them' }),
              stream: z.boolean().optional(),
              agentId: z.string().optional(),
              user_id: userIdField,
            })
            .strict(),
        ),
      },
      responses: {
        200: {
          description:
            'The turn (JSON), or a `text/event-stream` of events, each with an `id` (`<turnId>.<n>`)',
          content: {
            'application/json': { schema: TurnSchema },
            'text/event-stream': { schema: z.string() },
          },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const input = c.req.valid('json');
      const tenant = actingTenant(c.get('tenant'), input.user_id);
      const sessionId = c.req.valid('param').id;
      const text = messageText(input);
      await mnemos.sessions.get(tenantOf(tenant), sessionId);
      await agents.admit(tenant, sessionId).catch((error: unknown) => {
        const wait = MnemosError.isInstance(error) ? error.details.retryAfterSeconds : undefined;
        if (typeof wait === 'number') c.header('retry-after', String(wait));
        throw error;
      });
      const { turnId, done } = agents.start(tenant, sessionId, text, {
        agentName: input.agentId,
      });
      if (!input.stream) {
        const result = await done;
        return c.json(
          {
            turnId,
            sessionId: result.sessionId,
            text: result.text,
            usage: result.usage,
            steps: result.steps,
            reason: result.reason,
            ...(result.error ? { error: result.error } : {}),
          },
          200,
        );
      }
      done.catch(() => undefined);
      c.header('x-mnemos-turn', turnId);
      return streamSSE(c, (stream) =>
        pipeEvents(stream, agents, tenant, turnId, undefined),
      ) as never;
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/sessions/{id}/turns/{turn}/events',
      tags: ['agent'],
      summary:
        'Events of a turn (kept ten minutes), from after `Last-Event-ID` on, then live until `done`',
      request: {
        params: SessionParam.extend({
          turn: z.string().openapi({ param: { name: 'turn', in: 'path' } }),
        }),
        headers: z.object({
          'last-event-id': z
            .string()
            .optional()
            .openapi({ description: 'id of the last event received (`<turnId>.<n>`)' }),
        }),
      },
      responses: {
        200: {
          description: 'A `text/event-stream` of the events after `Last-Event-ID`',
          content: { 'text/event-stream': { schema: z.string() } },
        },
        ...errorResponses,
      },
    }),
    (c) => {
      const tenant = c.get('tenant');
      const { turn } = c.req.valid('param');
      if (!agents.has(tenant, turn))
        throw new MnemosError('not_found', `turn ${turn} is unknown or expired`);
      const lastId = c.req.valid('header')['last-event-id'];
      return streamSSE(c, (stream) => pipeEvents(stream, agents, tenant, turn, lastId)) as never;
    },
  );

  sessionStreamRoutes(app, mnemos, agents);
}

/** What the WebSocket endpoint hands over once the request is authenticated and the session checked. */
export interface SessionSocketTarget {
  tenant: TenantContext;
  sessionId: string;
  lastEventId: string | undefined;
}

/** The `upgradeWebSocket` of the request's environment, set by the server for upgrade requests. */
type SocketUpgrade = (target: SessionSocketTarget) => void;

const lastEventIdHeader = z.object({
  'last-event-id': z
    .string()
    .optional()
    .openapi({ description: 'id of the last event received (`<turnId>.<n>`)' }),
});

/** How often an idle session stream sends a comment, so proxies keep the connection open. */
const keepAliveMs = 15_000;

/** The session stream (SSE) and socket (WebSocket) routes: every turn of one session, live. */
export function sessionStreamRoutes(
  app: OpenAPIHono<AppEnv>,
  mnemos: Mnemos,
  agents: AgentHost,
): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/sessions/{id}/stream',
      tags: ['agent'],
      summary:
        'Every event of every turn of the session as SSE (ids `<turnId>.<n>`): kept ones after `Last-Event-ID`, then live ones, until the client disconnects',
      request: { params: SessionParam, headers: lastEventIdHeader },
      responses: {
        200: {
          description:
            'A `text/event-stream` that stays open: the events of running and later turns, and a comment every 15 s',
          content: { 'text/event-stream': { schema: z.string() } },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const tenant = c.get('tenant');
      const sessionId = c.req.valid('param').id;
      await mnemos.sessions.get(tenantOf(tenant), sessionId);
      const lastId = c.req.valid('header')['last-event-id'];
      const signal = c.req.raw.signal;
      return streamSSE(c, async (stream) => {
        let written = Promise.resolve();
        let watch: SessionWatch | null = null;
        const queue = (write: () => Promise<void>): void => {
          written = written.then(write).catch(() => watch?.stop());
        };
        watch = agents.watch(tenant, sessionId, lastId, (event) =>
          queue(() => writeEvent(stream, event)),
        );
        const stop = watch.stop;
        stream.onAbort(stop);
        signal.addEventListener('abort', stop);
        const ping = setInterval(
          () =>
            queue(async () => {
              await stream.write(': keep-alive\n\n');
            }),
          keepAliveMs,
        );
        try {
          await watch.ended;
          await written;
        } finally {
          clearInterval(ping);
          signal.removeEventListener('abort', stop);
        }
      }) as never;
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/sessions/{id}/ws',
      tags: ['agent'],
      summary:
        'The events of /v1/sessions/{id}/stream over a WebSocket: one JSON message `{id, event, data}` per event',
      request: {
        params: SessionParam,
        query: z
          .object({
            last_event_id: z
              .string()
              .optional()
              .openapi({ description: 'resume after this event id (`<turnId>.<n>`)' }),
          })
          .strict(),
      },
      responses: {
        101: { description: 'Switching to the WebSocket protocol' },
        ...errorResponses,
      },
    }),
    async (c) => {
      const tenant = c.get('tenant');
      const sessionId = c.req.valid('param').id;
      await mnemos.sessions.get(tenantOf(tenant), sessionId);
      const upgrade = (c.env as { upgradeWebSocket?: SocketUpgrade } | undefined)?.upgradeWebSocket;
      if (!upgrade) {
        throw new MnemosError(
          'invalid_input',
          `GET /v1/sessions/${sessionId}/ws is a WebSocket endpoint: connect with a WebSocket client (the same events are served as SSE at /v1/sessions/${sessionId}/stream)`,
        );
      }
      upgrade({ tenant, sessionId, lastEventId: c.req.valid('query').last_event_id });
      return c.body(null, 200) as never;
    },
  );
}

/**
 * Writes a turn's events to the stream in order and returns once the last one is written: the
 * stream closes when this resolves, so unawaited writes (a replay of a finished turn, the `done`
 * event) would be lost.
 */
async function pipeEvents(
  stream: SSEStreamingApi,
  agents: AgentHost,
  tenant: TenantContext,
  turnId: string,
  lastId: string | undefined,
): Promise<void> {
  let written = Promise.resolve();
  await agents.follow(tenant, turnId, lastId, (event) => {
    written = written.then(() => writeEvent(stream, event));
  });
  await written;
}

/** One SSE event: the event type as `event`, its id, and the event as JSON `data`. */
async function writeEvent(
  stream: { writeSSE(message: { event: string; data: string; id: string }): Promise<void> },
  numbered: NumberedEvent,
): Promise<void> {
  const { type, ...data } = numbered.event;
  await stream.writeSSE({ event: type, id: numbered.id, data: JSON.stringify(data) });
}
