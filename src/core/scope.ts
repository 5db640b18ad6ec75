import { MnemosError } from './errors.js';

/** Who a memory belongs to: writes carry all four parts exactly. */
export interface Scope {
  /** Application the memory belongs to. */
  appId: string;
  /** End user or organisation; the isolation boundary no operation crosses. */
  tenantId: string;
  /** Agent (profile) that wrote the memory. */
  agentId: string;
  /** Run or session that wrote the memory. */
  runId: string;
}

/** A read pattern: appId and tenantId exact, agentId and runId exact or `*`. */
export interface ReadScope {
  /** Application, always exact. */
  appId: string;
  /** Tenant, always exact. */
  tenantId: string;
  /** Agent, or `*` for every agent of the tenant. */
  agentId: string;
  /** Run, or `*` for every run of the tenant. */
  runId: string;
}

/** The isolation key every storage query filters by. */
export interface TenantKey {
  /** Application. */
  appId: string;
  /** Tenant. */
  tenantId: string;
}

/** The wildcard accepted in reads for agentId and runId. */
export const wildcard = '*';

const maxPartLength = 128;
// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
const forbidden = /[\u0000-\u001f\u007f]/;

function checkPart(name: keyof Scope, value: unknown, allowWildcard: boolean): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new MnemosError(
      'invalid_scope',
      `scope.${name} is required and must be a non-empty string`,
      {
        details: { field: name },
      },
    );
  }
  if (value.length > maxPartLength || forbidden.test(value)) {
    throw new MnemosError(
      'invalid_scope',
      `scope.${name} must be at most ${maxPartLength} printable characters`,
      { details: { field: name } },
    );
  }
  if (value.includes(wildcard) && !(allowWildcard && value === wildcard)) {
    const hint = allowWildcard ? ' (only a lone `*` is a wildcard)' : '; writes need exact values';
    throw new MnemosError('invalid_scope', `scope.${name} may not contain \`*\`${hint}`, {
      details: { field: name, value },
    });
  }
  return value;
}

/** Validates a write scope: all four parts exact, no `*` anywhere. */
export function writeScope(input: Partial<Scope> | undefined): Scope {
  const scope = input ?? {};
  return {
    appId: checkPart('appId', scope.appId, false),
    tenantId: checkPart('tenantId', scope.tenantId, false),
    agentId: checkPart('agentId', scope.agentId, false),
    runId: checkPart('runId', scope.runId, false),
  };
}

/** Validates a read scope: appId and tenantId exact; agentId and runId default to `*`. */
export function readScope(input: Partial<ReadScope> | undefined): ReadScope {
  const scope = input ?? {};
  return {
    appId: checkPart('appId', scope.appId, false),
    tenantId: checkPart('tenantId', scope.tenantId, false),
    agentId: checkPart('agentId', scope.agentId ?? wildcard, true),
    runId: checkPart('runId', scope.runId ?? wildcard, true),
  };
}

/** The tenant part of any scope. */
export function tenantOf(scope: TenantKey): TenantKey {
  return { appId: scope.appId, tenantId: scope.tenantId };
}

/** True when an exact scope falls inside a read pattern. */
export function scopeMatches(pattern: ReadScope, scope: Scope): boolean {
  return (
    pattern.appId === scope.appId &&
    pattern.tenantId === scope.tenantId &&
    (pattern.agentId === wildcard || pattern.agentId === scope.agentId) &&
    (pattern.runId === wildcard || pattern.runId === scope.runId)
  );
}
