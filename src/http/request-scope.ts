import { MnemosError } from '../core/errors.js';
import { type Scope, scopeWithDefaults } from '../core/scope.js';
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
): Scope {
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
  return scopeWithDefaults(
    mode,
    { agentId: scope?.agentId, runId: scope?.runId },
    tenantOf(context),
  );
}

/** The (app, tenant) of a request. */
export function tenantOf(context: TenantContext): { appId: string; tenantId: string } {
  return { appId: context.appId, tenantId: context.tenantId };
}
