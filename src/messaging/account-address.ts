import { createHash } from 'node:crypto';
import { MnemosError } from '../core/errors.js';
import { type GatewayPlatform, gatewayPlatforms } from '../core/gateway-record.js';

/** A messaging account named as `platform:id`. */
export interface AccountAddress {
  platform: GatewayPlatform;
  userId: string;
}

/** Parses `platform:id` (e.g. `telegram:12345`); throws `invalid_input` naming the field. */
export function parseAccountAddress(value: string, field = 'account'): AccountAddress {
  const at = value.indexOf(':');
  const platform = at > 0 ? value.slice(0, at).toLowerCase() : '';
  const userId = at > 0 ? value.slice(at + 1).trim() : '';
  if (!(gatewayPlatforms as readonly string[]).includes(platform) || userId === '') {
    throw new MnemosError(
      'invalid_input',
      `${field}: expected platform:id with platform one of ${gatewayPlatforms.join(', ')}, got ${JSON.stringify(value)}`,
      { details: { field } },
    );
  }
  return { platform: platform as GatewayPlatform, userId: normaliseUserId(platform, userId) };
}

/** A user id as the gateway compares it: email addresses lower-cased, others as given. */
export function normaliseUserId(platform: string, userId: string): string {
  return platform === 'email' ? userId.trim().toLowerCase() : userId.trim();
}

/** `platform:id` of an account. */
export function accountAddress(platform: string, userId: string): string {
  return `${platform}:${userId}`;
}

/**
 * The default tenant of an account: `<platform>-<id>`, made a valid tenant id. When that changed
 * the id (characters replaced, or cut), a short hash of the original follows, so two accounts
 * never share a tenant by accident (`a!b@x` and `a_b@x`).
 */
export function defaultTenantId(platform: string, userId: string): string {
  // Scope parts are printable, without `*`, at most 128 characters.
  const plain = `${platform}-${userId}`;
  const safe = plain.replace(/[^A-Za-z0-9._@+-]/g, '_');
  if (safe === plain && safe.length <= 128) return safe;
  const hash = createHash('sha256').update(plain).digest('hex').slice(0, 12);
  return `${safe.slice(0, 115)}~${hash}`;
}
