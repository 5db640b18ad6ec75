import { z } from 'zod';

/** Input of `keys.create`: the (app, tenant) the key acts on, whether it is an admin key, a name. */
export const createKeySchema = z
  .object({
    appId: z.string().min(1),
    tenantId: z.string().min(1),
    admin: z.boolean().default(false),
    name: z.string().max(128).default(''),
  })
  .strict();

/** Input of `keys.create`. */
export type KeyCreateInput = z.input<typeof createKeySchema>;
