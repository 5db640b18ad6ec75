import { z } from 'zod';
import type { Job } from './job-record.js';
import { limits } from './limits.js';
import { memoryKinds } from './memory-record.js';
import { messageSchema, metadataSchema, scopeInputSchema } from './schemas.js';
import type { Scope } from './scope.js';

/** A scope as callers send it; the scope rules (`core/scope.ts`) check and default its parts. */
export type ScopeInput = Partial<Scope>;

/** Input of `memories.add`; the scope's agentId and runId default to `default`. */
export const addMemoriesSchema = z
  .object({
    store: z.string().optional(),
    scope: scopeInputSchema.optional(),
    messages: z.array(messageSchema).max(limits.maxMessages).optional(),
    text: z.string().max(limits.maxCharacters).optional(),
    metadata: metadataSchema.optional(),
    kind: z.enum(memoryKinds).optional(),
    sync: z.boolean().optional().describe('wait until the memories are searchable'),
  })
  .strict();

/** Input of `memories.add`: either conversation `messages` or a `text` note. */
export type AddMemoriesInput = z.input<typeof addMemoriesSchema> & {
  /** Exact scope; agentId and runId default to `default`. */
  scope: ScopeInput;
};

/** Input of `memories.search`. */
export const searchMemoriesSchema = z
  .object({
    store: z.string().optional(),
    scope: scopeInputSchema,
    query: z.string().min(1, 'query must not be empty').max(limits.maxCharacters),
    topK: z.number().int().min(1).max(limits.maxTopK).optional(),
    metadata: metadataSchema.optional(),
    kinds: z.array(z.enum(memoryKinds)).optional(),
    createdAfter: z.iso.datetime({ offset: true }).optional(),
    createdBefore: z.iso.datetime({ offset: true }).optional(),
    rerank: z.boolean().optional(),
    includeInvalidated: z.boolean().optional(),
  })
  .strict();

/** Input of `memories.search`: appId and tenantId exact, agentId and runId exact or `*` (the default). */
export type SearchMemoriesInput = z.input<typeof searchMemoriesSchema>;

/** The fields a memory update may change (HTTP adds `store` to them). */
export const memoryPatchFields = z
  .object({
    text: z.string().min(1).max(limits.maxCharacters).optional(),
    kind: z.enum(memoryKinds).optional(),
    salience: z.number().min(0).max(1).optional(),
    metadata: metadataSchema.optional(),
  })
  .strict();

/** Changes of `memories.update`: at least one, so an empty patch records no history. */
export const updateMemorySchema = memoryPatchFields.refine(
  (patch) => Object.values(patch).some((value) => value !== undefined),
  {
    message: 'nothing to change: give at least one of text, kind, salience or metadata',
  },
);

/** A change to a memory, as `memories.update` takes it. */
export type MemoryPatch = z.input<typeof updateMemorySchema>;

/** Filters of `memories.list`. */
export const listFilterSchema = z
  .object({
    kinds: z.array(z.enum(memoryKinds)).optional(),
    metadata: metadataSchema.optional(),
  })
  .strict();

/** Options of `memories.list`. */
export type ListMemoriesInput = z.input<typeof listFilterSchema> & {
  store?: string;
  scope: ScopeInput;
  limit?: number;
  offset?: number;
  includeDeleted?: boolean;
};

/** Input of `memories.deleteByScope`: a read pattern inside one tenant. */
export const deleteByScopeSchema = z
  .object({ store: z.string().optional(), scope: scopeInputSchema.optional() })
  .strict();

/** Addresses one memory inside a tenant (get, update, delete, history). */
export interface MemoryAddress {
  store?: string;
  /** Only appId and tenantId are used. */
  scope: ScopeInput;
  id: string;
}

/** A job as `add` returns it: with how many secrets were replaced before it was stored. */
export type AddedJob = Job & {
  /** Secrets replaced by typed markers such as `[REDACTED:api_key]`. */
  redacted: number;
  /** Non-fatal notes, such as which kinds of secret were redacted (never their values). */
  warnings: string[];
};
