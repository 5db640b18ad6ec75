import { z } from '@hono/zod-openapi';
import {
  addMemoriesSchema,
  deleteByScopeSchema,
  memoryPatchFields,
  searchMemoriesSchema,
} from '../core/memory-inputs.js';
import { memoryKinds } from '../core/memory-record.js';
import { scopeInputSchema } from '../core/schemas.js';

/** A scope in a request body: app and tenant come from the key and may only repeat it. */
export const BodyScopeSchema = scopeInputSchema
  .extend({
    agentId: z.string().optional().openapi({
      description: 'exact for writes (default `default`); `*` allowed in reads (default)',
    }),
  })
  .openapi('Scope');

export const ScopeSchema = z.object({
  appId: z.string(),
  tenantId: z.string(),
  agentId: z.string(),
  runId: z.string(),
});

export const SourceSchema = z
  .object({
    jobId: z.string().optional(),
    messages: z.array(z.number()).optional(),
    part: z.number().int().optional().openapi({
      description: 'position of this piece when one long text was split into several',
    }),
    role: z.string().optional(),
    runId: z.string().optional(),
    metadata: z.record(z.string(), z.string()).optional(),
    text: z.string().optional().openapi({
      description: "this source's wording, when it differs from the memory's text",
    }),
    at: z.string().optional(),
  })
  .openapi('MemorySource');

export const MemorySchema = z
  .object({
    id: z.string(),
    store: z.string(),
    text: z.string(),
    kind: z.enum(memoryKinds),
    salience: z.number(),
    scope: ScopeSchema,
    metadata: z.record(z.string(), z.string()),
    source: SourceSchema,
    sources: z.array(SourceSchema).openapi({
      description:
        'every job that wrote, repeated or was merged into the memory, oldest first (at most 32: the first and the latest)',
    }),
    hash: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
    lastAccessedAt: z.string().nullable(),
    accessCount: z.number(),
    validTo: z.string().nullable(),
    deletedAt: z.string().nullable(),
  })
  .openapi('Memory');

export const JobSchema = z
  .object({
    id: z.string(),
    status: z.enum(['running', 'succeeded', 'failed']),
    memoryIds: z.array(z.string()),
    error: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    redacted: z.number().int().optional().openapi({
      description:
        'on add responses: secrets replaced by `[REDACTED:<kind>]` markers before storing',
    }),
    warnings: z.array(z.string()).optional().openapi({
      description: 'on add responses: which kinds of secret were redacted (never their values)',
    }),
  })
  .openapi('Job');

export const AddMemoriesBody = addMemoriesSchema
  .extend({ scope: BodyScopeSchema.optional() })
  .openapi('AddMemories');

export const SearchBody = searchMemoriesSchema
  .extend({ scope: BodyScopeSchema.optional() })
  .openapi('SearchMemories');

/** Body of `delete-by-scope`. */
export const DeleteByScopeBody = deleteByScopeSchema.extend({ scope: BodyScopeSchema.optional() });

export const SearchResultSchema = z
  .object({
    memory: MemorySchema,
    score: z.number(),
    matched: z.array(z.string()),
    signals: z.record(z.string(), z.unknown()),
  })
  .openapi('SearchResult');

// The service refuses an empty patch; the fields are the service's own.
export const UpdateBody = memoryPatchFields
  .extend({ store: z.string().optional() })
  .openapi('UpdateMemory');

export const HistorySchema = z
  .object({
    id: z.string(),
    memoryId: z.string(),
    event: z.enum(['ADD', 'UPDATE', 'DELETE', 'INVALIDATE']),
    oldText: z.string().nullable(),
    newText: z.string().nullable(),
    createdAt: z.string(),
    reason: z.string(),
  })
  .openapi('HistoryEntry');

export const ListQuery = z
  .object({
    store: z.string().optional(),
    agentId: z.string().optional(),
    runId: z.string().optional(),
    kind: z.enum(memoryKinds).optional(),
    includeDeleted: z.enum(['true', 'false']).optional(),
    limit: z.coerce.number().int().min(1).max(1000).optional(),
    offset: z.coerce.number().int().min(0).optional(),
  })
  .strict();

export const IdParam = z.object({ id: z.string().openapi({ param: { name: 'id', in: 'path' } }) });
