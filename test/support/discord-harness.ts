/**
 * Shared set-up of the Discord adapter tests: a fresh fake Discord per test
 * (test/support/fake-discord.ts), the adapter's config pointed at it, recorded logs, and the
 * adapter stopped and the fake closed after each test.
 */
import { afterEach, beforeEach } from 'vitest';
import { gatewayConfigSchema } from '../../src/config/gateway-config.js';
import {
  createDiscordAdapter,
  type DiscordConfig,
} from '../../src/gateway/discord/discord-adapter.js';
import type {
  AdapterOptions,
  GatewayAdapter,
  InboundMessage,
} from '../../src/gateway/platform/gateway-adapter.js';
import { type FakeDiscord, type FakeDiscordOptions, startFakeDiscord } from './fake-discord.js';

/** The bot token the fake accepts. */
export const fakeDiscordToken = 'MTEwMDAwMDAwMDAwMDAwMDAxMA.fake.token';

/** The `discord` config block pointed at `discord`, with `extra` keys. */
export function discordTestConfig(
  discord: FakeDiscord,
  extra: Record<string, unknown> = {},
): DiscordConfig {
  return gatewayConfigSchema.parse({
    platforms: { discord: { enabled: true, api_url: discord.apiUrl, ...extra } },
  }).platforms.discord;
}

/** Resolves once `predicate` holds, polling every 10 ms for up to 5 s. */
export async function until(predicate: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (predicate()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** What a test file works with; fields are replaced before each test. */
export interface DiscordHarness {
  discord: FakeDiscord;
  /** Stopped after the test when set. */
  adapter: GatewayAdapter | undefined;
  logs: string[];
  /** Adapter options whose `DISCORD_BOT_TOKEN` is `secret`, logging into `logs`. */
  options(secret?: string): AdapterOptions;
  /** Creates and starts the adapter; returns the messages its handler receives. */
  started(extra?: Record<string, unknown>): Promise<InboundMessage[]>;
  /** Replaces the fake with one started with other options. */
  restart(options: Omit<FakeDiscordOptions, 'token'>): Promise<void>;
}

/** Registers the per-test fake and clean-up; call once in a describe block. */
export function useFakeDiscord(): DiscordHarness {
  const harness: DiscordHarness = {
    discord: undefined as unknown as FakeDiscord,
    adapter: undefined,
    logs: [],
    options: (secret = fakeDiscordToken) => ({
      secret: (name) => (name === 'DISCORD_BOT_TOKEN' ? secret : undefined),
      log: (level, message) => harness.logs.push(`${level}: ${message}`),
    }),
    async started(extra = {}) {
      const received: InboundMessage[] = [];
      harness.adapter = await createDiscordAdapter(
        discordTestConfig(harness.discord, extra),
        harness.options(),
      );
      await harness.adapter.start(async (message) => {
        received.push(message);
      });
      return received;
    },
    async restart(options) {
      await harness.discord.close();
      harness.discord = await startFakeDiscord({ token: fakeDiscordToken, ...options });
    },
  };
  beforeEach(async () => {
    harness.discord = await startFakeDiscord({ token: fakeDiscordToken });
    harness.logs.length = 0;
  });
  afterEach(async () => {
    await harness.adapter?.stop();
    harness.adapter = undefined;
    await harness.discord.close();
  });
  return harness;
}
