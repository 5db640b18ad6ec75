import type { GatewayConfig } from '../config/gateway-config.js';
import type { GatewayPlatform } from './platform/gateway-adapter.js';

/** The environment variables a platform needs, as its config names them. */
export function requiredSecrets(config: GatewayConfig, platform: GatewayPlatform): string[] {
  switch (platform) {
    case 'telegram':
      return [config.platforms.telegram.token_env];
    case 'slack': {
      const slack = config.platforms.slack;
      return [
        slack.bot_token_env,
        slack.mode === 'socket' ? slack.app_token_env : slack.signing_secret_env,
      ];
    }
    case 'discord':
      return [config.platforms.discord.token_env];
    case 'email':
      return [config.platforms.email.password_env];
  }
}

/** Reads a secret from the environment (`.env` is loaded into it when Mnemos opens). */
export function environmentSecret(name: string): string | undefined {
  const value = process.env[name]?.trim();
  return value ? value : undefined;
}
