import { z } from 'zod';

const extraPatternSchema = z
  .object({
    /** Marker kind, as in `[REDACTED:<kind>]`. */
    kind: z
      .string()
      .regex(/^[a-z0-9_]{1,40}$/, 'kind is 1-40 lower-case letters, digits or `_`')
      .default('custom'),
    /** A JavaScript regular expression; a named group `secret` limits what is replaced. */
    pattern: z.string().min(1),
    /** Extra flags besides `g` (`i`, `m`, `s`, `u`). */
    flags: z
      .string()
      .regex(/^[imsu]*$/)
      .default(''),
  })
  .strict()
  .refine(
    (value) => {
      try {
        new RegExp(value.pattern, `g${value.flags}`);
        return true;
      } catch {
        return false;
      }
    },
    { message: 'pattern is not a valid regular expression' },
  );

/** The `redaction` section of `config.yaml`: secrets are replaced before anything is stored. */
export const redactionConfigSchema = z
  .object({
    /** Replace secrets in memories, job input and session messages before they are written. */
    enabled: z.boolean().default(true),
    /** More patterns, as strings or `{ kind, pattern, flags }`. */
    extra_patterns: z
      .array(
        z.union([
          z
            .string()
            .min(1)
            .transform((pattern) => ({ pattern })),
          extraPatternSchema,
        ]),
      )
      .max(100)
      .default([]),
  })
  .strict();

/** Resolved `redaction` settings. */
export type RedactionConfig = z.input<typeof redactionConfigSchema>;
