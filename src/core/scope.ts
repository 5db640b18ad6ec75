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
  const scope = scopeWithDefaults('read', input);
  return {
    appId: checkPart('appId', scope.appId, false),
    tenantId: checkPart('tenantId', scope.tenantId, false),
    agentId: checkPart('agentId', scope.agentId, true),
    runId: checkPart('runId', scope.runId, true),
  };
}

/** Validates the (app, tenant) of any operation: both exact. */
export function tenantScope(input: Partial<TenantKey> | undefined): TenantKey {
  return {
    appId: checkPart('appId', input?.appId, false),
    tenantId: checkPart('tenantId', input?.tenantId, false),
  };
}

/** The agent and run of a write that names none. */
export const defaultPart = 'default';

/**
 * The scope an operation acts on, before the rules above check it; every surface decides its
 * defaults here. Each part is the one given, else the surface's default (config, API key, MCP
 * client); agent and run then fall back to `default` for writes and to `*` (every agent, every run)
 * for reads, which never take the surface's agent and run.
 */
export function scopeWithDefaults(
  mode: 'read' | 'write',
  given: Partial<Scope> | undefined,
  defaults: TenantKey & Partial<Scope>,
): Scope;
export function scopeWithDefaults(
  mode: 'read' | 'write',
  given: Partial<Scope> | undefined,
  defaults?: Partial<Scope>,
): Partial<Scope>;
export function scopeWithDefaults(
  mode: 'read' | 'write',
  given: Partial<Scope> | undefined,
  defaults: Partial<Scope> = {},
): Partial<Scope> {
  const fallback = mode === 'write' ? defaultPart : wildcard;
  const own = mode === 'write' ? defaults : {};
  return {
    appId: given?.appId ?? defaults.appId,
    tenantId: given?.tenantId ?? defaults.tenantId,
    agentId: given?.agentId ?? own.agentId ?? fallback,
    runId: given?.runId ?? own.runId ?? fallback,
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
