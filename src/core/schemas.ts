import { z } from 'zod';
import { MnemosError } from './errors.js';
import { limits } from './limits.js';

/**
 * Keys that name JavaScript object machinery: a parsed `{"__proto__": …}` is silently dropped when
 * copied into a plain object, so such keys are refused wherever input holds objects.
 */
export const reservedKeys: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Metadata keys are identifiers so filters can address them safely in every backend. */
const metadataKey = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'metadata keys are 1-64 letters, digits, `_`, `.`, `:` or `-`')
  .refine((key) => !reservedKeys.has(key), {
    message: '`__proto__`, `constructor` and `prototype` are reserved, not metadata keys',
  });

/** String-to-string metadata, at most 16 keys. */
export const metadataSchema = z
  .record(metadataKey, z.string().max(limits.maxMetadataValueLength))
  .superRefine((value, context) => {
    const count = Object.keys(value).length;
    if (count > limits.maxMetadataKeys)
      context.addIssue({
        code: 'custom',
        message: `at most ${limits.maxMetadataKeys} metadata keys, got ${count}`,
        params: { limit: limits.maxMetadataKeys, actual: count },
      });
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
    content: z.string().max(limits.maxCharacters),
    createdAt: z.iso.datetime({ offset: true }).optional(),
    name: z.string().max(128).optional(),
  })
  .strict();

/** Parses with a schema, turning failures into one error listing every issue (see `inputError`). */
export function parseInput<T extends z.ZodType>(
  schema: T,
  input: unknown,
  what: string,
): z.infer<T> {
  rejectUnstorable(input, what);
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw inputError(result.error.issues, input, `invalid ${what}`);
}

/** A Zod issue as validation reports it. */
type ZodIssueLike = {
  path: PropertyKey[];
  message: string;
  code?: string;
  origin?: string;
  maximum?: number | bigint;
  params?: Record<string, unknown>;
};

/**
 * The one error of a failed validation, the same on every surface: `limit_exceeded` with
 * `{limit, actual}` when every issue is a size limit (characters of a string, items of a list,
 * metadata keys), else `invalid_input` with every issue. Ranges of numbers (topK) are bad values.
 */
export function inputError(
  zodIssues: ReadonlyArray<ZodIssueLike>,
  input: unknown,
  prefix: string,
): MnemosError {
  const sized = zodIssues.map((issue) => sizeLimitOf(issue, input));
  if (sized.length > 0 && sized.every((limit) => limit !== null)) {
    const lines = sized.map((limit) => limit!.line);
    const first = sized[0]!;
    return new MnemosError('limit_exceeded', `${prefix}: ${lines.join('; ')}`, {
      details: { limit: first.limit, actual: first.actual },
    });
  }
  const { issues, summary } = describeIssues(zodIssues);
  return new MnemosError('invalid_input', `${prefix}: ${summary}`, { details: { issues } });
}

function sizeLimitOf(
  issue: ZodIssueLike,
  input: unknown,
): { limit: number; actual: number; line: string } | null {
  const at = issue.path.map(String).join('.');
  const where = at ? `${at}: ` : '';
  const params = issue.params;
  if (issue.code === 'custom' && typeof params?.limit === 'number') {
    return { limit: params.limit, actual: Number(params.actual), line: `${where}${issue.message}` };
  }
  if (issue.code !== 'too_big' || (issue.origin !== 'string' && issue.origin !== 'array'))
    return null;
  const value = issue.path.reduce<unknown>(
    (item, key) => (item !== null && typeof item === 'object' ? (item as never)[key] : undefined),
    input,
  );
  if (typeof value !== 'string' && !Array.isArray(value)) return null;
  const limit = Number(issue.maximum);
  const unit = issue.origin === 'string' ? 'characters' : 'items';
  return {
    limit,
    actual: value.length,
    line: `${where}at most ${limit} ${unit}, got ${value.length}`,
  };
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

/**
 * The first string or key that cannot be stored as it was sent: a lone surrogate (UTF-16 that is
 * not text; storing it would turn it into U+FFFD) or a reserved key (`__proto__`, …), or null.
 */
export function unstorablePath(
  value: unknown,
  path = '',
): { path: string; message: string } | null {
  if (typeof value === 'string')
    return wellFormed(value)
      ? null
      : { path, message: 'contains a lone surrogate (not valid Unicode text)' };
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return null;
  for (const [key, item] of Object.entries(value)) {
    const at = path ? `${path}.${key}` : key;
    if (reservedKeys.has(key))
      return { path: at, message: `\`${key}\` is reserved, not allowed as a key` };
    if (!wellFormed(key))
      return { path: at, message: 'key contains a lone surrogate (not valid Unicode text)' };
    const found = unstorablePath(item, at);
    if (found !== null) return found;
  }
  return null;
}

/** True unless the string holds a lone surrogate (Node 20's `String.prototype.isWellFormed`). */
export function wellFormed(text: string): boolean {
  return (text as string & { isWellFormed(): boolean }).isWellFormed();
}

/**
 * Refuses input that would not be stored as sent: NUL characters, lone surrogates and reserved
 * keys anywhere in it, as `invalid_input` naming where.
 */
export function rejectUnstorable(input: unknown, what: string): void {
  rejectNul(input, what);
  const found = unstorablePath(input, '');
  if (found === null) return;
  throw new MnemosError(
    'invalid_input',
    `invalid ${what}: ${found.path ? `${found.path}: ` : ''}${found.message}`,
    { details: { issues: [found] } },
  );
}
