import type { GatewayConfig } from '../config/gateway-config.js';
import { MnemosError } from '../core/errors.js';
import type {
  GatewayAccount,
  GatewayApproval,
  GatewayPlatform,
  PairingRequest,
} from '../core/gateway-record.js';
import { type TenantKey, tenantScope } from '../core/scope.js';
import type { GatewayStorage } from '../spec/storage.js';
import {
  accountAddress,
  defaultTenantId,
  normaliseUserId,
  parseAccountAddress,
} from './account-address.js';
import { newPairingCode, pairingCodeHash } from './pairing-code.js';

/** Who is writing: the account, and where a pairing code would be sent. */
export interface MessagingPerson {
  platform: GatewayPlatform;
  userId: string;
  chatId?: string;
  userName?: string | null;
}

/** What became of a pairing request. */
export type PairingOutcome =
  /** A new code to send the person (the only time it exists in clear). */
  | { status: 'new'; code: string; expiresAt: number }
  /** A code was sent less than ten minutes ago; no new one. */
  | { status: 'already_sent' }
  /** Too many requests of this platform are waiting for the owner. */
  | { status: 'busy' };

/** Whether a person may talk to the agent, and as which tenant. */
export type Authorization =
  | { tenant: TenantKey; approvedBy: GatewayApproval | 'open' }
  | { pairing: PairingOutcome }
  | { denied: true };

/** A waiting pairing request as operators see it (never its code). */
export type PendingPairing = Omit<PairingRequest, 'codeHash'>;

/** Timing rules of pairing, overridable in tests. */
export interface PairingRules {
  /** One request per person per this many ms. */
  resendMs: number;
  /** Failed approvals that lock approving. */
  maxFailures: number;
  /** How long the lock lasts, ms. */
  lockoutMs: number;
}

const defaultRules: PairingRules = {
  resendMs: 10 * 60_000,
  maxFailures: 5,
  lockoutMs: 60 * 60_000,
};

/**
 * Who may talk to the agent through the messaging gateway and as which tenant: allowlists and
 * identities of the `gateway` config, accounts approved by pairing or `gateway allow`, and denials.
 */
export class MessagingService {
  private readonly rules: PairingRules;

  constructor(
    private readonly storage: GatewayStorage,
    private readonly config: GatewayConfig,
    /** Application of gateway tenants: `gateway.app_id ?? app_id`. */
    readonly appId: string,
    options: { rules?: Partial<PairingRules>; now?: () => number } = {},
  ) {
    this.rules = { ...defaultRules, ...options.rules };
    this.now = options.now ?? Date.now;
  }

  private readonly now: () => number;

  /**
   * Decides in order: a denied account → the platform's `allowed_users` → the global
   * `allowed_users` → `identities` → approved accounts → `allow_all_users`; anyone else gets a
   * pairing code when `pairing` allows it, else is denied.
   */
  async authorize(
    person: MessagingPerson,
    config: GatewayConfig = this.config,
    options: { pairing?: boolean } = {},
  ): Promise<Authorization> {
    const userId = normaliseUserId(person.platform, person.userId);
    const address = accountAddress(person.platform, userId);
    const account = await this.storage.account(person.platform, userId);
    if (account?.status === 'denied') return { denied: true };
    const platformAllowed = config.platforms[person.platform].allowed_users.some(
      (id) => normaliseUserId(person.platform, id) === userId,
    );
    const globalAllowed = config.allowed_users.some((entry) => sameAddress(entry, address));
    const identity = identityOf(config, address);
    if (platformAllowed || globalAllowed || identity) {
      const approvedBy: GatewayApproval =
        platformAllowed || globalAllowed ? 'allowlist' : 'identity';
      const tenantId = identity ?? account?.tenantId ?? defaultTenantId(person.platform, userId);
      if (account?.status !== 'approved' || account.tenantId !== tenantId) {
        await this.save(person, userId, tenantId, account?.approvedBy ?? approvedBy);
      }
      return { tenant: this.tenant(tenantId), approvedBy };
    }
    if (account?.status === 'approved') {
      return { tenant: this.tenant(account.tenantId), approvedBy: account.approvedBy };
    }
    if (config.allow_all_users) {
      return { tenant: this.tenant(defaultTenantId(person.platform, userId)), approvedBy: 'open' };
    }
    if (!config.pairing.enabled || options.pairing === false) return { denied: true };
    return { pairing: await this.requestPairing({ ...person, userId }, config) };
  }

  /** Issues a pairing code unless one went out lately or the platform has too many waiting. */
  async requestPairing(
    person: MessagingPerson,
    config: GatewayConfig = this.config,
  ): Promise<PairingOutcome> {
    const now = this.now();
    await this.storage.prunePairings(now - this.rules.resendMs);
    const last = await this.storage.pairingOf(person.platform, person.userId);
    if (last && last.createdAt > now - this.rules.resendMs) return { status: 'already_sent' };
    const waiting = (await this.storage.pairings(now)).filter(
      (request) => request.platform === person.platform && request.userId !== person.userId,
    );
    if (waiting.length >= config.pairing.max_pending) return { status: 'busy' };
    await this.storage.prunePairings(now - this.rules.resendMs, person);
    const code = newPairingCode();
    const expiresAt = now + config.pairing.code_ttl_minutes * 60_000;
    await this.storage.addPairing({
      platform: person.platform,
      userId: person.userId,
      chatId: person.chatId ?? person.userId,
      userName: person.userName ?? null,
      codeHash: pairingCodeHash(code),
      createdAt: now,
      expiresAt,
    });
    return { status: 'new', code, expiresAt };
  }

  /**
   * Approves the person who was sent `code`, as their identity's tenant, else `as`, else
   * `<platform>-<id>`. A wrong or expired code counts as a failure; after five within an hour
   * approving is locked for an hour (`rate_limited`).
   */
  async approve(code: string, options: { as?: string } = {}): Promise<GatewayAccount> {
    const now = this.now();
    const failures = await this.storage.failures(now - this.rules.lockoutMs);
    if (failures.length >= this.rules.maxFailures) {
      const until = (failures[failures.length - 1] as number) + this.rules.lockoutMs;
      throw new MnemosError(
        'rate_limited',
        `pairing: approving is locked for ${Math.ceil((until - now) / 60_000)} more minutes after ${this.rules.maxFailures} wrong codes`,
        { details: { field: 'code' } },
      );
    }
    const request = await this.storage.takePairing(pairingCodeHash(code), now);
    if (!request) {
      await this.storage.recordFailure(now);
      throw new MnemosError('not_found', 'code: no pending pairing has this code (or it expired)', {
        details: { field: 'code' },
      });
    }
    await this.storage.clearFailures();
    const platform = request.platform as GatewayPlatform;
    const tenantId =
      identityOf(this.config, accountAddress(platform, request.userId)) ??
      checkTenant(options.as) ??
      defaultTenantId(platform, request.userId);
    return this.save(
      { platform, userId: request.userId, userName: request.userName },
      request.userId,
      tenantId,
      'pairing',
    );
  }

  /** Allows `platform:id` (as `as`, else its identity's or default tenant) without pairing. */
  async allow(address: string, options: { as?: string } = {}): Promise<GatewayAccount> {
    const { platform, userId } = parseAccountAddress(address);
    const existing = await this.storage.account(platform, userId);
    const tenantId =
      identityOf(this.config, accountAddress(platform, userId)) ??
      checkTenant(options.as) ??
      (existing?.status === 'approved' ? existing.tenantId : null) ??
      defaultTenantId(platform, userId);
    return this.save(
      { platform, userId, userName: existing?.userName ?? null },
      userId,
      tenantId,
      'allowlist',
    );
  }

  /** Refuses `platform:id` for good (before any allowlist); its pairing requests are dropped. */
  async deny(address: string): Promise<GatewayAccount> {
    const { platform, userId } = parseAccountAddress(address);
    const existing = await this.storage.account(platform, userId);
    await this.storage.prunePairings(0, { platform, userId });
    return this.save(
      { platform, userId, userName: existing?.userName ?? null },
      userId,
      existing?.tenantId ?? defaultTenantId(platform, userId),
      existing?.approvedBy ?? 'allowlist',
      'denied',
    );
  }

  /** Withdraws an approval: the account must pair again (config allowlists still apply). */
  async revoke(address: string): Promise<GatewayAccount> {
    const { platform, userId } = parseAccountAddress(address);
    const existing = await this.storage.account(platform, userId);
    if (!existing) {
      throw new MnemosError('not_found', `account: ${platform}:${userId} is not known`, {
        details: { field: 'account' },
      });
    }
    const revoked = { ...existing, status: 'revoked' as const, updatedAt: this.now() };
    await this.storage.saveAccount(revoked);
    return revoked;
  }

  /** Every account the gateway knows, by platform and id. */
  async listAccounts(): Promise<GatewayAccount[]> {
    return this.storage.accounts();
  }

  /**
   * The `platform:id` accounts that are this tenant's: approved accounts, its `identities`, and
   * allowlisted ids whose default tenant it is. A tenant's own jobs may deliver only to these.
   */
  async addressesOf(tenant: TenantKey, config: GatewayConfig = this.config): Promise<string[]> {
    if (tenant.appId !== this.appId) return [];
    const own = new Set<string>();
    for (const account of await this.storage.accounts()) {
      if (account.status === 'approved' && account.tenantId === tenant.tenantId) {
        own.add(accountAddress(account.platform, account.userId));
      }
    }
    for (const entry of config.identities[tenant.tenantId] ?? []) {
      try {
        const parsed = parseAccountAddress(entry);
        own.add(accountAddress(parsed.platform, normaliseUserId(parsed.platform, parsed.userId)));
      } catch {
        // A malformed identity entry names nobody.
      }
    }
    const listed: Array<[string, string]> = [
      ...Object.entries(config.platforms).flatMap(([platform, block]) =>
        block.allowed_users.map((id): [string, string] => [platform, id]),
      ),
    ];
    for (const [platform, id] of listed) {
      const userId = normaliseUserId(platform, id);
      if (defaultTenantId(platform, userId) === tenant.tenantId)
        own.add(accountAddress(platform, userId));
    }
    return [...own];
  }

  /** The pairing requests waiting for the owner, without their codes. */
  async pending(): Promise<PendingPairing[]> {
    return (await this.storage.pairings(this.now())).map(({ codeHash: _, ...rest }) => rest);
  }

  /** The session a chat of this tenant continues, or null. */
  async boundSession(tenant: TenantKey, chatKey: string): Promise<string | null> {
    return (await this.storage.binding(tenant, chatKey))?.sessionId ?? null;
  }

  /** Binds a chat of this tenant to a session (a new one after `/new`). */
  async bindSession(
    tenant: TenantKey,
    chatKey: string,
    platform: GatewayPlatform,
    sessionId: string,
  ): Promise<void> {
    await this.storage.bind(tenant, { chatKey, platform, sessionId, updatedAt: this.now() });
  }

  private tenant(tenantId: string): TenantKey {
    return { appId: this.appId, tenantId };
  }

  private async save(
    person: MessagingPerson,
    userId: string,
    tenantId: string,
    approvedBy: GatewayApproval,
    status: GatewayAccount['status'] = 'approved',
  ): Promise<GatewayAccount> {
    const account: GatewayAccount = {
      platform: person.platform,
      userId,
      userName: person.userName ?? null,
      appId: this.appId,
      tenantId,
      approvedBy,
      status,
      updatedAt: this.now(),
    };
    await this.storage.saveAccount(account);
    return account;
  }
}

/** The tenant of the `identities` entry listing this `platform:id`, or null. */
function identityOf(config: GatewayConfig, address: string): string | null {
  for (const [tenantId, accounts] of Object.entries(config.identities)) {
    if (accounts.some((entry) => sameAddress(entry, address))) return tenantId;
  }
  return null;
}

/** Whether a configured `platform:id` names this (normalised) address. */
function sameAddress(entry: string, address: string): boolean {
  try {
    const parsed = parseAccountAddress(entry);
    return accountAddress(parsed.platform, parsed.userId) === address;
  } catch {
    return false;
  }
}

/** A tenant given with `--as`, checked like any tenant id; undefined stays undefined. */
function checkTenant(tenantId: string | undefined): string | undefined {
  if (tenantId === undefined) return undefined;
  return tenantScope({ appId: 'app', tenantId }).tenantId;
}
