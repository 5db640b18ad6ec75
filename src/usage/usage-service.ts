import type { TokenUsage } from '../core/agent-events.js';
import { MnemosError } from '../core/errors.js';
import type { TenantKey } from '../core/scope.js';
import type { TokenCounts, UsageStorage } from '../spec/storage.js';

/** Token quotas (input plus output tokens); an absent one is unlimited (config `agent.quotas`). */
export interface TokenQuotas {
  perSessionTokens?: number | undefined;
  perUserDailyTokens?: number | undefined;
  perUserTokens?: number | undefined;
}

/** The quota guard of one user, as the agent uses it (see `QuotaGuard` of the agent loop). */
export interface UserQuota {
  check(turn: { sessionId: string }): Promise<void>;
  record(turn: { sessionId: string }, usage: TokenUsage): Promise<void>;
}

/** The UTC day of an epoch millisecond, `YYYY-MM-DD`. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The next UTC midnight after an epoch millisecond. */
export function nextUtcMidnight(ms: number): Date {
  const day = new Date(ms);
  return new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate() + 1));
}

/**
 * Tokens agent turns used, counted durably per user, session and UTC day (so every process and
 * replica sees the same counts), and the token quotas over them.
 */
export class UsageService {
  constructor(
    private readonly storage: UsageStorage,
    readonly quotas: TokenQuotas,
    private readonly now: () => number = Date.now,
  ) {}

  /** True when any quota is set. */
  get limited(): boolean {
    return (
      this.quotas.perSessionTokens !== undefined ||
      this.quotas.perUserDailyTokens !== undefined ||
      this.quotas.perUserTokens !== undefined
    );
  }

  /** Adds the tokens of one model call to the user's counts of this session and today. */
  async record(tenant: TenantKey, sessionId: string, usage: TokenUsage): Promise<void> {
    if (usage.inputTokens + usage.outputTokens <= 0) return;
    await this.storage.add(tenant, sessionId, utcDay(this.now()), {
      input: usage.inputTokens,
      output: usage.outputTokens,
    });
  }

  /** The user's tokens, of one session and/or one UTC day (`YYYY-MM-DD`) when given. */
  totals(
    tenant: TenantKey,
    filter: { sessionId?: string; day?: string } = {},
  ): Promise<TokenCounts> {
    return this.storage.totals(tenant, filter);
  }

  /**
   * Throws `quota_exceeded` when the session's, today's or the user's overall tokens reached their
   * quota; the error names the quota (`details.quota`) and when it resets (`details.resetsAt`).
   */
  async check(tenant: TenantKey, sessionId: string): Promise<void> {
    const { perSessionTokens, perUserDailyTokens, perUserTokens } = this.quotas;
    if (perSessionTokens !== undefined) {
      const used = sum(await this.storage.totals(tenant, { sessionId }));
      if (used >= perSessionTokens) {
        throw spent(
          'per_session_tokens',
          perSessionTokens,
          used,
          null,
          `session ${sessionId} has used ${used} of its ${perSessionTokens} tokens (agent.quotas.per_session_tokens); this quota does not reset: continue in a new session`,
        );
      }
    }
    if (perUserDailyTokens !== undefined) {
      const now = this.now();
      const used = sum(await this.storage.totals(tenant, { day: utcDay(now) }));
      if (used >= perUserDailyTokens) {
        const resets = nextUtcMidnight(now);
        throw spent(
          'per_user_daily_tokens',
          perUserDailyTokens,
          used,
          resets,
          `user ${tenant.tenantId} has used ${used} of the ${perUserDailyTokens} tokens of today (UTC) (agent.quotas.per_user_daily_tokens); it resets at ${resets.toISOString()}`,
          Math.max(1, Math.ceil((resets.getTime() - now) / 1_000)),
        );
      }
    }
    if (perUserTokens !== undefined) {
      const used = sum(await this.storage.totals(tenant));
      if (used >= perUserTokens) {
        throw spent(
          'per_user_tokens',
          perUserTokens,
          used,
          null,
          `user ${tenant.tenantId} has used ${used} of the ${perUserTokens} tokens allowed in all (agent.quotas.per_user_tokens); this quota does not reset: ask the operator to raise it`,
        );
      }
    }
  }

  /** The quota guard of one user for agent turns. */
  guard(tenant: TenantKey): UserQuota {
    return {
      check: (turn) => this.check(tenant, turn.sessionId),
      record: (turn, usage) => this.record(tenant, turn.sessionId, usage),
    };
  }
}

function sum(counts: TokenCounts): number {
  return counts.input + counts.output;
}

function spent(
  quota: string,
  limit: number,
  used: number,
  resetsAt: Date | null,
  message: string,
  retryAfterSeconds?: number,
): MnemosError {
  return new MnemosError('quota_exceeded', `token quota spent: ${message}`, {
    details: {
      quota,
      limit,
      used,
      resetsAt: resetsAt?.toISOString() ?? null,
      ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
    },
  });
}
