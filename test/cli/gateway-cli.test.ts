import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeHome, removeHomes, runCli } from '../support/cli.js';

afterAll(removeHomes);

interface StatusJson {
  enabled: boolean;
  platforms: Array<{
    platform: string;
    enabled: boolean;
    adapter: boolean;
    missing_secrets: string[];
    home_chat: string | null;
  }>;
  accounts: { total: number; approved: number };
  pending_pairings: number;
}

describe('mnemos gateway', () => {
  it('status names missing secrets by variable; allow, deny, revoke and accounts keep accounts', async () => {
    const home = makeHome();
    writeFileSync(
      join(home, 'gateway.yaml'),
      [
        'platforms:',
        '  telegram: { enabled: true, home_chat: 100 }',
        '  slack: { enabled: true, mode: http }',
        '',
      ].join('\n'),
    );
    writeFileSync(join(home, '.env'), 'TELEGRAM_BOT_TOKEN=123:abc\n');
    const status = await runCli(['--json', 'gateway', 'status'], { home });
    expect(status.code, status.stderr).toBe(0);
    const parsed = status.json<StatusJson>();
    expect(parsed.platforms.find((p) => p.platform === 'telegram')).toMatchObject({
      enabled: true,
      missing_secrets: [],
      home_chat: '100',
    });
    expect(parsed.platforms.find((p) => p.platform === 'slack')).toMatchObject({
      enabled: true,
      missing_secrets: ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET'],
    });
    expect(status.stdout).not.toContain('123:abc');
    expect(parsed.pending_pairings).toBe(0);

    expect(
      (await runCli(['gateway', 'allow', 'telegram:42', '--as', 'ana'], { home })).stdout,
    ).toBe('allowed telegram:42 as tenant ana (app mnemos)\n');
    expect((await runCli(['gateway', 'deny', 'discord:9'], { home })).code).toBe(0);
    expect((await runCli(['gateway', 'revoke', 'telegram:42'], { home })).code).toBe(0);
    const bad = await runCli(['--json', 'gateway', 'allow', 'fax:1'], { home });
    expect(bad.code).toBe(2);
    expect(bad.errorJson().error.message).toContain('account:');
    const accounts = await runCli(['--json', 'gateway', 'accounts'], { home });
    expect(
      accounts
        .json<{ accounts: Array<Record<string, string>> }>()
        .accounts.map((a) => [a.account, a.tenant_id, a.status]),
    ).toEqual([
      ['discord:9', 'discord-9', 'denied'],
      ['telegram:42', 'ana', 'revoked'],
    ]);
    const table = await runCli(['gateway', 'status'], { home });
    expect(table.stdout).toContain('accounts: 0 approved of 2; pending pairings: 0');
  });

  it('run, test and serve fail clearly when the enabled platform cannot start (no token)', async () => {
    const home = makeHome();
    writeFileSync(join(home, 'gateway.yaml'), 'platforms:\n  telegram: { enabled: true }\n');
    for (const args of [
      ['gateway', 'run'],
      ['gateway', 'test', 'telegram'],
    ]) {
      const result = await runCli(['--json', ...args], { home, timeoutMs: 30_000 });
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.errorJson().error.code).toBe('config_error');
      expect(result.errorJson().error.message).toContain('TELEGRAM_BOT_TOKEN');
    }
    writeFileSync(join(home, 'gateway.yaml'), 'platforms: {}\n');
    const none = await runCli(['--json', 'gateway', 'run'], { home, timeoutMs: 30_000 });
    expect(none.code).toBe(2);
    expect(none.errorJson().error.message).toContain('no platform is enabled');
    // `mnemos serve` runs the gateway when `gateway.enabled`, and so fails the same way.
    writeFileSync(
      join(home, 'gateway.yaml'),
      'enabled: true\nplatforms:\n  telegram: { enabled: true }\n',
    );
    const serve = await runCli(['--json', 'serve', '--port', '0', '--quiet'], {
      home,
      timeoutMs: 30_000,
    });
    expect(serve.code).toBe(2);
    expect(serve.errorJson().error.code).toBe('config_error');
  });
});
