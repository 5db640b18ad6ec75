import { z } from 'zod';
import { MnemosError } from '../errors.js';
import { limits } from './limits.js';
import { memoryKinds } from './record.js';

/** Metadata keys are identifiers so filters can address them safely in every backend. */
const metadataKey = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'metadata keys are 1-64 letters, digits, `_`, `.`, `:` or `-`');

/** String-to-string metadata, at most 16 keys. */
export const metadataSchema = z
  .record(metadataKey, z.string().max(limits.maxMetadataValueLength))
  .refine((value) => Object.keys(value).length <= limits.maxMetadataKeys, {
    message: `at most ${limits.maxMetadataKeys} metadata keys`,
  });

/** Scope as sent by callers; parts are checked again by the scope rules. */
export const scopeInputSchema = z
  .object({
    appId: z.string().optional(),
    tenantId: z.string().optional(),
    agentId: z.string().optional(),
    runId: z.string().optional(),
  })
  .strict();

/** One conversation message. */
export const messageSchema = z
  .object({
    role: z.enum(['user', 'assistant', 'system', 'tool']),
    content: z.string(),
    createdAt: z.iso.datetime({ offset: true }).optional(),
    name: z.string().max(128).optional(),
  })
  .strict();

/** Input of `memories.add`. */
export const addMemoriesSchema = z
  .object({
    store: z.string().optional(),
    scope: scopeInputSchema,
    messages: z.array(messageSchema).optional(),
    text: z.string().optional(),
    metadata: metadataSchema.optional(),
    kind: z.enum(memoryKinds).optional(),
    sync: z.boolean().optional(),
  })
  .strict();

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

/** Input of `memories.update`. */
export const updateMemorySchema = z
  .object({
    text: z.string().min(1).max(limits.maxCharacters).optional(),
    kind: z.enum(memoryKinds).optional(),
    salience: z.number().min(0).max(1).optional(),
    metadata: metadataSchema.optional(),
  })
  .strict();

/** Parses with a schema, turning failures into one `invalid_input` error listing every issue. */
export function parseInput<T extends z.ZodType>(
  schema: T,
  input: unknown,
  what: string,
): z.infer<T> {
  rejectNul(input, what);
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const { issues, summary } = describeIssues(result.error.issues);
  throw new MnemosError('invalid_input', `invalid ${what}: ${summary}`, { details: { issues } });
}

/** Zod issues as `{path, message}` pairs and one readable line, the same for services and HTTP. */
export function describeIssues(
  zodIssues: ReadonlyArray<{ path: PropertyKey[]; message: string }>,
): {
  issues: Array<{ path: string; message: string }>;
  summary: string;
} {
  const issues = zodIssues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }));
  const summary = issues
    .map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message))
    .join('; ');
  return { issues, summary };
}

/**
 * Where the first string (or object key) holding U+0000 is, as a dotted path ('' at the top), or
 * null. Typed arrays (vectors) hold no text and are not walked.
 */
export function nulPath(value: unknown, path = ''): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path : null;
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return null;
  for (const [key, item] of Object.entries(value)) {
    const at = path ? `${path}.${key}` : key;
    if (key.includes('\u0000')) return at;
    const found = nulPath(item, at);
    if (found !== null) return found;
  }
  return null;
}

/**
 * Refuses input holding a NUL character (U+0000) anywhere, as bad input: PostgreSQL text cannot
 * store it, so both backends refuse it alike instead of one failing at write time.
 */
export function rejectNul(input: unknown, what: string): void {
  const at = nulPath(input, '');
  if (at === null) return;
  throw new MnemosError(
    'invalid_input',
    `invalid ${what}: ${at || 'the value'} contains a NUL character (U+0000), which cannot be stored`,
    { details: { issues: [{ path: at, message: 'contains U+0000' }] } },
  );
}

/** Filters of `memories.list`. */
export const listFilterSchema = z
  .object({
    kinds: z.array(z.enum(memoryKinds)).optional(),
    metadata: metadataSchema.optional(),
  })
  .strict();
