import { z } from '@hono/zod-openapi';
import { MnemosError } from '../core/errors.js';
import type { TenantContext } from './tenant-context.js';

/** The shared error body of every route. */
export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'invalid_input' }),
      message: z.string(),
      details: z.record(z.string(), z.unknown()),
    }),
  })
  .openapi('Error');

/** Error responses every authenticated route may give. */
export const errorResponses = {
  400: {
    description: 'Bad input; nothing was written',
    content: { 'application/json': { schema: ErrorSchema } },
  },
  401: {
    description: 'Missing, unknown or revoked API key',
    content: { 'application/json': { schema: ErrorSchema } },
  },
  403: {
    description: 'The key may not do this',
    content: { 'application/json': { schema: ErrorSchema } },
  },
  404: {
    description: 'Not found in this tenant',
    content: { 'application/json': { schema: ErrorSchema } },
  },
  429: {
    description: 'Rate limit of the key reached',
    content: { 'application/json': { schema: ErrorSchema } },
  },
} as const;

/** A JSON response of a schema. */
export function json<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } };
}

/** A JSON request body of a schema. */
export function body<T extends z.ZodType>(schema: T) {
  return { body: { content: { 'application/json': { schema } }, required: true } };
}

/** Fails unless the request's key is an admin key. */
export function requireAdmin(tenant: TenantContext): void {
  if (!tenant.admin)
    throw new MnemosError(
      'forbidden',
      'this needs an admin API key (`mnemos keys create --admin`)',
    );
}

/** Query-string paging. */
export const PageQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(1000).optional(),
    offset: z.coerce.number().int().min(0).optional(),
  })
  .strict();

/** `store` in a query string. */
export const StoreQuery = z.object({ store: z.string().optional() }).strict();

/** Permissive object schema for records whose fields are documented by the library types. */
export const RecordSchema = z.record(z.string(), z.unknown());
