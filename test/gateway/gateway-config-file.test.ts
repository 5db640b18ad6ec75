import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { MnemosError } from '../../src/core/errors.js';
import { createAdapters, startAdapters } from '../../src/gateway/load-adapters.js';
import { LoopbackAdapter } from '../support/loopback-adapter.js';
import { tempHome } from '../support/temp-home.js';
import { gatewayConfig } from './gateway-support.js';

let home: ReturnType<typeof tempHome>;
beforeEach(() => {
  home = tempHome('mnemos-gateway-config-');
});
afterEach(() => home.remove());

function caught(work: () => unknown): MnemosError {
  try {
    work();
  } catch (error) {
    if (MnemosError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected an error');
}

describe('gateway.yaml', () => {
  it('is the gateway section when present, validated like it', () => {
    writeFileSync(
      join(home.home, 'gateway.yaml'),
      'enabled: true\nplatforms:\n  telegram:\n    enabled: true\n    allowed_users: [42]\n',
    );
    const config = loadConfig(home.home);
    expect(config.gateway.enabled).toBe(true);
    expect(config.gateway.platforms.telegram.allowed_users).toEqual(['42']);
    writeFileSync(join(home.home, 'gateway.yaml'), 'platforms:\n  fax: {}\n');
    const error = caught(() => loadConfig(home.home));
    expect(error.code).toBe('config_error');
    expect(error.message).toContain('gateway.platforms');
  });

  it('and a gateway section in config.yaml too is a config_error naming both files', () => {
    writeFileSync(join(home.home, 'gateway.yaml'), 'enabled: true\n');
    writeFileSync(join(home.home, 'config.yaml'), 'gateway:\n  enabled: false\n');
    const error = caught(() => loadConfig(home.home));
    expect(error.code).toBe('config_error');
    expect(error.message).toContain('config.yaml');
    expect(error.message).toContain('gateway.yaml');
  });
});

describe('adapter loading', () => {
  const log: string[] = [];
  const options = { secret: () => undefined, log: (_: string, line: string) => log.push(line) };

  it('an enabled platform without an adapter is a config_error naming it', async () => {
    const config = gatewayConfig({ platforms: { slack: { enabled: true } } });
    const error = await createAdapters(config, options, {}).then(
      () => null,
      (e: unknown) => e,
    );
    expect(MnemosError.isInstance(error) && error.code).toBe('config_error');
    expect((error as Error).message).toContain('slack');
  });

  it('starts every enabled platform; one failing is a warning and the others run', async () => {
    const config = gatewayConfig({
      platforms: {
        telegram: { enabled: true },
        discord: { enabled: true },
        email: { enabled: true },
      },
    });
    const telegram = new LoopbackAdapter('telegram');
    const started = await startAdapters(
      config,
      { ...options, handler: async () => {} },
      {
        telegram: async () => telegram,
        discord: async () => new LoopbackAdapter('discord', true),
        email: async () => {
          throw new MnemosError('config_error', 'EMAIL_PASSWORD is not set');
        },
        slack: async () => new LoopbackAdapter('slack'),
      },
    );
    expect(started).toEqual([telegram]);
    expect(telegram.started).toBe(true);
    expect(log.join('\n')).toContain('discord did not start: cannot connect');
    expect(log.join('\n')).toContain('email not started: EMAIL_PASSWORD is not set');
  });
});
