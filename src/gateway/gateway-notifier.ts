import type { GatewayConfig } from '../config/gateway-config.js';
import { type GatewayPlatform, gatewayPlatforms } from '../core/gateway-record.js';
import type { DeliveryOutcome, Notification, Notifier } from '../spec/notifier.js';
import type { GatewayAdapter } from './platform/gateway-adapter.js';

/** One place a notification goes, or why a target named none. */
type Resolved = { platform: GatewayPlatform; chatId: string } | { failed: string; error: string };

const isPlatform = (value: string): value is GatewayPlatform =>
  (gatewayPlatforms as readonly string[]).includes(value);

/**
 * Delivers notifications through the running adapters: `platform:chat`, a bare platform (its
 * `home_chat`), `all` (every running platform's home chat), `route` (the first matching rule of
 * `gateway.routes`), or a comma list of these. A platform that is unknown, disabled or not running
 * fails its target only.
 */
export class GatewayNotifier implements Notifier {
  constructor(
    private readonly config: GatewayConfig,
    private readonly adapterOf: (platform: GatewayPlatform) => GatewayAdapter | undefined,
  ) {}

  accepts(target: string): boolean {
    const parts = splitTargets(target);
    return parts.length > 0 && parts.every((part) => this.acceptsOne(part));
  }

  async deliver(target: string, notification: Notification): Promise<DeliveryOutcome[]> {
    const seen = new Set<string>();
    const outcomes: DeliveryOutcome[] = [];
    for (const resolved of this.resolve(target, notification, true)) {
      if ('failed' in resolved) {
        outcomes.push({ target: resolved.failed, ok: false, error: resolved.error });
        continue;
      }
      const name = `${resolved.platform}:${resolved.chatId}`;
      if (seen.has(name)) continue;
      seen.add(name);
      outcomes.push(await this.send(resolved.platform, resolved.chatId, notification));
    }
    return outcomes;
  }

  private acceptsOne(part: string): boolean {
    if (part === 'all' || part === 'route') return true;
    const at = part.indexOf(':');
    const platform = at < 0 ? part : part.slice(0, at);
    if (!isPlatform(platform) || !this.config.platforms[platform].enabled) return false;
    if (at < 0) return this.config.platforms[platform].home_chat !== undefined;
    return part.slice(at + 1).trim() !== '';
  }

  private resolve(target: string, notification: Notification, routing: boolean): Resolved[] {
    const out: Resolved[] = [];
    for (const part of splitTargets(target)) {
      if (part === 'route') {
        if (!routing) {
          out.push({ failed: part, error: 'a route may not name `route`' });
          continue;
        }
        const rule = this.config.routes.find((candidate) => matches(candidate.when, notification));
        if (!rule) out.push({ failed: part, error: 'no route of gateway.routes matches' });
        else out.push(...this.resolve(rule.to, notification, false));
      } else if (part === 'all') {
        const homes = gatewayPlatforms.filter(
          (platform) => this.adapterOf(platform) && this.config.platforms[platform].home_chat,
        );
        if (homes.length === 0)
          out.push({ failed: part, error: 'no running platform has a home_chat' });
        for (const platform of homes) {
          out.push({ platform, chatId: this.config.platforms[platform].home_chat as string });
        }
      } else {
        const at = part.indexOf(':');
        const platform = at < 0 ? part : part.slice(0, at);
        if (!isPlatform(platform)) {
          out.push({ failed: part, error: `unknown platform ${platform}` });
          continue;
        }
        const chatId =
          at < 0 ? this.config.platforms[platform].home_chat : part.slice(at + 1).trim();
        if (!chatId) {
          out.push({ failed: part, error: `gateway.platforms.${platform}.home_chat is not set` });
          continue;
        }
        out.push({ platform, chatId });
      }
    }
    return out;
  }

  private async send(
    platform: GatewayPlatform,
    chatId: string,
    notification: Notification,
  ): Promise<DeliveryOutcome> {
    const target = `${platform}:${chatId}`;
    const adapter = this.adapterOf(platform);
    if (!adapter) return { target, ok: false, error: `${platform} is not running` };
    const email = platform === 'email';
    try {
      await adapter.send({
        chatId,
        text: email ? notification.text : `**${notification.title}**\n\n${notification.text}`,
        ...(email ? { subject: notification.title } : {}),
      });
      return { target, ok: true };
    } catch (error) {
      return { target, ok: false, error: (error as Error).message };
    }
  }
}

/** The parts of a comma list of targets, trimmed, empty ones dropped. */
function splitTargets(target: string): string[] {
  return target
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

/** Whether a route's `when` holds for a notification (an empty `when` always does). */
function matches(
  when: GatewayConfig['routes'][number]['when'],
  notification: Notification,
): boolean {
  if (when.urgent !== undefined && when.urgent !== (notification.urgent ?? false)) return false;
  if (when.matches !== undefined) {
    let pattern: RegExp;
    try {
      pattern = new RegExp(when.matches, 'i');
    } catch {
      return false;
    }
    if (!pattern.test(`${notification.title}\n${notification.text}`)) return false;
  }
  return true;
}
