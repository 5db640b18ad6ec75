import { z } from 'zod';

const day = 86_400_000;
/** Longest age or window an expiry accepts: 100 years. */
const maxWindowMs = 36_500 * day;

const tenantSchema = z.object({ appId: z.string(), tenantId: z.string() }).strict();

/** Input of `memories.expire`: which memories count as expired, where, and what happens to them. */
export const expireMemoriesSchema = z
  .object({
    /** One store; every store when absent. */
    store: z.string().min(1).optional(),
    /** Only this (app, tenant); every tenant when absent. */
    tenant: tenantSchema.optional(),
    /** Memories not updated for this long (ms) are candidates. */
    olderThanMs: z.number().int().positive().max(maxWindowMs),
    /** A candidate recalled at least this many times is kept; 0 keeps none for their count. */
    keepAccessCount: z.number().int().min(0).max(1_000_000_000).default(3),
    /** A candidate recalled within this long (ms) is kept; 0 keeps none for recency. */
    keepAccessedWithinMs: z
      .number()
      .int()
      .min(0)
      .max(maxWindowMs)
      .default(30 * day),
    /** Kinds never expired. */
    keepKinds: z.array(z.string().min(1).max(64)).max(32).default(['profile', 'preference']),
    /** `delete` (soft, with history) or `purge` (rows and history gone). */
    action: z.enum(['delete', 'purge']).default('delete'),
    /** Count without changing anything. */
    dryRun: z.boolean().default(false),
  })
  .strict();

/** Input of `memories.expire`. */
export type ExpireMemoriesInput = z.input<typeof expireMemoriesSchema>;

/** Input of `sessions.expireIdle`: sessions idle for longer than `idleForMs` are deleted. */
export const expireSessionsSchema = z
  .object({
    /** Only this (app, tenant); every tenant when absent. */
    tenant: tenantSchema.optional(),
    /** Sessions not updated for this long (ms) are deleted. */
    idleForMs: z.number().int().positive().max(maxWindowMs),
    /** Count without changing anything. */
    dryRun: z.boolean().default(false),
  })
  .strict();

/** Input of `sessions.expireIdle`. */
export type ExpireSessionsInput = z.input<typeof expireSessionsSchema>;

/** What `memories.expire` found and did, per store and in total. */
export interface ExpireMemoriesOutput {
  action: 'delete' | 'purge';
  dryRun: boolean;
  /** Memories that met the criteria. */
  matched: number;
  /** Memories deleted or purged (0 on a dry run). */
  removed: number;
  stores: Array<{ store: string; matched: number; removed: number }>;
}
