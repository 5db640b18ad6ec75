import { z } from '@hono/zod-openapi';
import { limits } from '../../memory/limits.js';
import { memoryKinds } from '../../memory/record.js';
import { messageSchema, metadataSchema } from '../../memory/schemas.js';

/** A scope in a request body: app and tenant come from the key and may only repeat it. */
export const BodyScopeSchema = z
  .object({
    appId: z.string().optional(),
    tenantId: z.string().optional(),
    agentId: z.string().optional().openapi({
      description: 'exact for writes (default `default`); `*` allowed in reads (default)',
    }),
    runId: z.string().optional(),
  })
  .strict()
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

export const AddMemoriesBody = z
  .object({
    store: z.string().optional(),
    scope: BodyScopeSchema.optional(),
    messages: z.array(messageSchema).max(limits.maxMessages).optional(),
    text: z.string().max(limits.maxCharacters).optional(),
    metadata: metadataSchema.optional(),
    kind: z.enum(memoryKinds).optional(),
    sync: z.boolean().optional().openapi({ description: 'wait until the memories are searchable' }),
  })
  .strict()
  .openapi('AddMemories');

export const SearchBody = z
  .object({
    store: z.string().optional(),
    scope: BodyScopeSchema.optional(),
    query: z.string(),
    topK: z.number().int().optional(),
    metadata: metadataSchema.optional(),
    kinds: z.array(z.enum(memoryKinds)).optional(),
    createdAfter: z.string().optional(),
    createdBefore: z.string().optional(),
    rerank: z.boolean().optional(),
    includeInvalidated: z.boolean().optional(),
  })
  .strict()
  .openapi('SearchMemories');

export const SearchResultSchema = z
  .object({
    memory: MemorySchema,
    score: z.number(),
    matched: z.array(z.string()),
    signals: z.record(z.string(), z.unknown()),
  })
  .openapi('SearchResult');

export const UpdateBody = z
  .object({
    store: z.string().optional(),
    text: z.string().optional(),
    kind: z.enum(memoryKinds).optional(),
    salience: z.number().optional(),
    metadata: metadataSchema.optional(),
  })
  .strict()
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
