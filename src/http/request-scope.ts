import { MnemosError } from '../core/errors.js';
import type { TenantContext } from './tenant-context.js';

/** A scope as a request body may send it. */
export interface BodyScope {
  appId?: string | undefined;
  tenantId?: string | undefined;
  agentId?: string | undefined;
  runId?: string | undefined;
}

/**
 * The scope a request acts on: app and tenant always from the API key (a body naming another is
 * refused, never obeyed), agent and run from the body, defaulting to `default` for writes and `*`
 * for reads.
 */
export function requestScope(
  context: TenantContext,
  scope: BodyScope | undefined,
  mode: 'read' | 'write',
): { appId: string; tenantId: string; agentId: string; runId: string } {
  for (const part of ['appId', 'tenantId'] as const) {
    const value = scope?.[part];
    if (value !== undefined && value !== context[part]) {
      throw new MnemosError(
        'forbidden',
        `scope.${part} ${JSON.stringify(value)} is not the ${part === 'appId' ? 'app' : 'tenant'} of this API key`,
        { details: { field: `scope.${part}` } },
      );
    }
  }
  const fallback = mode === 'write' ? 'default' : '*';
  return {
    appId: context.appId,
    tenantId: context.tenantId,
    agentId: scope?.agentId ?? fallback,
    runId: scope?.runId ?? fallback,
  };
}

/** The (app, tenant) of a request. */
export function tenantOf(context: TenantContext): { appId: string; tenantId: string } {
  return { appId: context.appId, tenantId: context.tenantId };
}
