import { z } from '@hono/zod-openapi';
import { definitionNameSchema } from '../core/agent-definition.js';
import { MnemosError } from '../core/errors.js';
import type { TenantContext } from './tenant-context.js';

/** `user_id` of a session request: the tenant it is for. */
export const userIdField = z.string().min(1).max(256).optional().openapi({
  description:
    'the tenant (user) the request is for: a tenant key may only name its own tenant (else 403); an admin key acts on this tenant of its app',
});

/** `agent` of `POST /v1/sessions`: the agent definition the session talks to. */
export const agentField = definitionNameSchema.optional().openapi({
  description:
    "name of an agent definition of the tenant (`GET /v1/agents`; else 404), stored as the session's agentId; its turns run that agent",
  example: 'customer-support',
});

/**
 * Who a session request acts for: the key's tenant, or with `user_id` that tenant (an admin key
 * only; a tenant key naming another tenant is refused, never obeyed).
 */
export function actingTenant(context: TenantContext, userId: string | undefined): TenantContext {
  if (userId === undefined || userId === context.tenantId) return context;
  if (!context.admin) {
    throw new MnemosError(
      'forbidden',
      `user_id ${JSON.stringify(userId)} is not the tenant of this API key (${context.tenantId}); only an admin key may act for another tenant`,
      { details: { field: 'user_id' } },
    );
  }
  return { ...context, tenantId: userId };
}

/** The text of a message body: exactly one of `content` and `input`. */
export function messageText(body: {
  content?: string | undefined;
  input?: string | undefined;
}): string {
  if ((body.content === undefined) === (body.input === undefined)) {
    throw new MnemosError(
      'invalid_input',
      body.content === undefined
        ? 'the message needs its text as `content` (or `input`)'
        : 'send the message text as `content` or as `input`, not both',
      { details: { field: 'content' } },
    );
  }
  return (body.content ?? body.input) as string;
}
