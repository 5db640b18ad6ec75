import type { GatewayConfig } from '../config/gateway-config.js';
import { MnemosError } from '../core/errors.js';
import {
  type AdapterOptions,
  type GatewayAdapter,
  type GatewayPlatform,
  gatewayPlatforms,
  type InboundHandler,
} from './platform/gateway-adapter.js';

/** Builds the adapter of a platform from that platform's config block. */
export type AdapterFactories = {
  [P in GatewayPlatform]?: (
    config: GatewayConfig['platforms'][P],
    options: AdapterOptions,
  ) => Promise<GatewayAdapter>;
};

/** Any one factory, called with its own platform's block. */
type AdapterFactory = (config: unknown, options: AdapterOptions) => Promise<GatewayAdapter>;

/** The adapter of each platform this Mnemos has, each loaded only when its platform is enabled. */
export const adapterFactories: AdapterFactories = {
  telegram: async (config, options) =>
    (await import('./telegram/telegram-adapter.js')).createTelegramAdapter(config, options),
  slack: async (config, options) =>
    (await import('./slack/slack-adapter.js')).createSlackAdapter(config, options),
  discord: async (config, options) =>
    (await import('./discord/discord-adapter.js')).createDiscordAdapter(config, options),
  email: async (config, options) =>
    (await import('./email/email-adapter.js')).createEmailAdapter(config, options),
};

/** The enabled platforms of a gateway config. */
export function enabledPlatforms(config: GatewayConfig): GatewayPlatform[] {
  return gatewayPlatforms.filter((platform) => config.platforms[platform].enabled);
}

/** How adapters are started and reported. */
export interface StartOptions {
  log: AdapterOptions['log'];
  /** Called before an adapter starts (so it can reply at once), and again if it failed. */
  register?: (adapter: GatewayAdapter) => void;
  unregister?: (adapter: GatewayAdapter) => void;
}

/** Starts adapters one by one; one failing to start is a warning and the others still start. */
export async function startEach(
  adapters: GatewayAdapter[],
  handler: InboundHandler,
  options: StartOptions,
): Promise<GatewayAdapter[]> {
  const started: GatewayAdapter[] = [];
  const failures: Array<{ platform: GatewayPlatform; error: unknown }> = [];
  for (const adapter of adapters) {
    options.register?.(adapter);
    try {
      await adapter.start(handler);
      started.push(adapter);
    } catch (error) {
      failures.push({ platform: adapter.platform, error });
      options.unregister?.(adapter);
    }
  }
  // A gateway where nothing connected serves nobody: fail with the reason instead of idling.
  if (started.length === 0 && failures[0]) throw failures[0].error;
  for (const { platform, error } of failures) {
    options.log('warn', `gateway: ${platform} did not start: ${(error as Error).message}`);
  }
  return started;
}

/**
 * Builds the adapter of every enabled platform. No platform enabled, or an enabled platform this
 * Mnemos has no adapter for, is a `config_error`; a factory that fails (a missing token, …) is a
 * warning while another platform can still run, else its error.
 */
export async function createAdapters(
  config: GatewayConfig,
  options: AdapterOptions,
  factories: AdapterFactories = adapterFactories,
): Promise<GatewayAdapter[]> {
  const enabled = enabledPlatforms(config);
  if (enabled.length === 0) {
    throw new MnemosError(
      'config_error',
      'gateway.platforms: no platform is enabled (set gateway.platforms.<telegram|slack|discord|email>.enabled: true)',
      { details: { field: 'gateway.platforms' } },
    );
  }
  const missing = enabled.filter((platform) => !factories[platform]);
  if (missing.length > 0) {
    throw new MnemosError(
      'config_error',
      `gateway.platforms: ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} enabled, but this Mnemos has no adapter for ${missing.length === 1 ? 'it' : 'them'}`,
      { details: { field: 'gateway.platforms', platforms: missing } },
    );
  }
  const adapters: GatewayAdapter[] = [];
  const failures: Array<{ platform: GatewayPlatform; error: unknown }> = [];
  for (const platform of enabled) {
    try {
      adapters.push(
        await (factories[platform] as AdapterFactory)(config.platforms[platform], options),
      );
    } catch (error) {
      failures.push({ platform, error });
    }
  }
  // Every enabled platform failed (a missing token, …): that reason, not an idle gateway.
  if (adapters.length === 0 && failures[0]) throw failures[0].error;
  for (const { platform, error } of failures) {
    options.log('warn', `gateway: ${platform} not started: ${(error as Error).message}`);
  }
  return adapters;
}

/** Builds and starts the adapter of every enabled platform; see {@link createAdapters}. */
export async function startAdapters(
  config: GatewayConfig,
  options: AdapterOptions & { handler: InboundHandler },
  factories: AdapterFactories = adapterFactories,
): Promise<GatewayAdapter[]> {
  const adapters = await createAdapters(config, options, factories);
  return startEach(adapters, options.handler, { log: options.log });
}
