import type { TokenUsage } from '../../core/agent-events.js';

/** The session a model call is made for, which per-session quotas count by. */
export interface QuotaTurn {
  sessionId: string;
}

/**
 * Token quotas of an agent's user, checked before every model call and fed the usage of every
 * call after it (the turn loop, compression). Implemented over durable storage by `QuotaService`.
 */
export interface QuotaGuard {
  /** Throws `quota_exceeded` (naming the quota and when it resets) when one is spent. */
  check(turn: QuotaTurn): Promise<void>;
  /** Adds the tokens of one model call. */
  record(turn: QuotaTurn, usage: TokenUsage): Promise<void>;
}
