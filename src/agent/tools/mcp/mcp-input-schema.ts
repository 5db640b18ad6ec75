import { z } from 'zod';

/**
 * The zod schema of a tool's JSON `inputSchema` (zod's own converter, so the model sees the same
 * properties and the arguments are checked before the call). A schema the converter cannot read
 * (unresolvable `$ref`, unknown keywords) becomes any object, and the server validates instead.
 */
export function mcpInputSchema(inputSchema: unknown): z.ZodType<Record<string, unknown>> {
  const permissive = z.record(z.string(), z.unknown());
  if (typeof inputSchema !== 'object' || inputSchema === null) return permissive;
  try {
    return z.fromJSONSchema(inputSchema as Parameters<typeof z.fromJSONSchema>[0]) as z.ZodType<
      Record<string, unknown>
    >;
  } catch {
    return permissive;
  }
}
