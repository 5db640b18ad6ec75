import { Command } from 'commander';
import type { GatewayAccount } from '../../core/gateway-record.js';
import { globals, homeOf, withMnemos } from '../support/context.js';
import { printJson, printTable } from '../support/output.js';

// The gateway, its adapters and the engine load when a command runs, so `--help` stays light.
const gatewayModules = async () => ({
  ...(await import('../../gateway/load-adapters.js')),
  ...(await import('../../gateway/platform-secrets.js')),
  ...(await import('../../gateway/run-gateway.js')),
  ...(await import('../../core/gateway-record.js')),
});

/** `mnemos gateway …`: the messaging gateway (Telegram, Slack, Discord, email) and who may use it. */
export function gatewayCommand(): Command {
  const gateway = new Command('gateway').description(
    'messaging gateway: run, status, pair, allow, deny, revoke, accounts, test',
  );

  gateway
    .command('run')
    .description('run the gateway in the foreground (every enabled platform) until stopped')
    .action(async (_options: unknown, command: Command) => {
      const { runGateway } = await gatewayModules();
      const { Mnemos } = await import('../../mnemos.js');
      const mnemos = await Mnemos.open({ home: homeOf(command), pollJobsMs: 2_000 });
      const log = (level: string, message: string): void => {
        if (level !== 'debug') process.stderr.write(`${level}: ${message}\n`);
      };
      let running: Awaited<ReturnType<typeof runGateway>>;
      try {
        running = await runGateway(mnemos, log);
      } catch (error) {
        await mnemos.close();
        throw error;
      }
      // Due cron jobs run here too (when `cron.enabled`), delivered through the running platforms.
      const { startCronScheduler } = await import('../../scheduler/cron-scheduler.js');
      const notifier = running.notifier();
      mnemos.cron.useTargetCheck((target) => notifier.accepts(target));
      const cron = await startCronScheduler(mnemos, {
        notifier,
        log: (level, message, fields) =>
          log(level, fields ? `${message} ${JSON.stringify(fields)}` : message),
      });
      process.stdout.write(`gateway running: ${running.platforms.join(', ') || 'no platform'}\n`);
      await new Promise<void>((resolve) => {
        const stop = (signal: string): void => {
          log('info', `stopping (${signal})`);
          void running
            .stop()
            .then(() => cron?.stop())
            .then(() => mnemos.close())
            .then(resolve);
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
    });

  gateway
    .command('status')
    .description('platforms (enabled, missing secrets), accounts and pending pairings')
    .action(async (_options: unknown, command: Command) => {
      const { gatewayPlatforms, requiredSecrets, environmentSecret, adapterFactories } =
        await gatewayModules();
      await withMnemos(command, async (mnemos) => {
        const config = mnemos.config.gateway;
        const platforms = gatewayPlatforms.map((platform) => ({
          platform,
          enabled: config.platforms[platform].enabled,
          adapter: adapterFactories[platform] !== undefined,
          missing_secrets: requiredSecrets(config, platform).filter(
            (name) => environmentSecret(name) === undefined,
          ),
          home_chat: config.platforms[platform].home_chat ?? null,
        }));
        const accounts = await mnemos.messaging.listAccounts();
        const waiting = await mnemos.messaging.pending();
        const pending = waiting.length;
        const approved = accounts.filter((account) => account.status === 'approved').length;
        if (globals(command).json) {
          return printJson({
            enabled: config.enabled,
            platforms,
            accounts: { total: accounts.length, approved },
            pending_pairings: pending,
            pending: waiting.map((request) => ({
              account: `${request.platform}:${request.userId}`,
              user_name: request.userName,
              expires_at: new Date(request.expiresAt).toISOString(),
            })),
          });
        }
        printTable(
          ['platform', 'enabled', 'adapter', 'missing secrets', 'home chat'],
          platforms.map((entry) => [
            entry.platform,
            entry.enabled ? 'yes' : 'no',
            entry.adapter ? 'yes' : 'no',
            entry.missing_secrets.join(', ') || '-',
            entry.home_chat ?? '-',
          ]),
        );
        process.stdout.write(
          `accounts: ${approved} approved of ${accounts.length}; pending pairings: ${pending}\n`,
        );
        for (const request of waiting) {
          process.stdout.write(
            `  waiting: ${request.platform}:${request.userId}${request.userName ? ` (${request.userName})` : ''} until ${new Date(request.expiresAt).toISOString()}\n`,
          );
        }
      });
    });

  gateway
    .command('pair')
    .description('approve the person who was sent this pairing code')
    .argument('<code>')
    .option('--as <tenant>', 'tenant to speak for (default: their identity, else platform-id)')
    .action(async (code: string, options: { as?: string }, command: Command) => {
      await withMnemos(command, async (mnemos) => {
        const account = await mnemos.messaging.approve(code, options.as ? { as: options.as } : {});
        printAccount(command, account, 'approved');
      });
    });

  gateway
    .command('allow')
    .description('allow platform:id without pairing')
    .argument('<account>', 'platform:id, e.g. telegram:12345')
    .option('--as <tenant>', 'tenant to speak for (default: their identity, else platform-id)')
    .action(async (address: string, options: { as?: string }, command: Command) => {
      await withMnemos(command, async (mnemos) => {
        const account = await mnemos.messaging.allow(address, options.as ? { as: options.as } : {});
        printAccount(command, account, 'allowed');
      });
    });

  gateway
    .command('deny')
    .description('refuse platform:id for good (wins over every allowlist)')
    .argument('<account>', 'platform:id')
    .action(async (address: string, _options: unknown, command: Command) => {
      await withMnemos(command, async (mnemos) => {
        printAccount(command, await mnemos.messaging.deny(address), 'denied');
      });
    });

  gateway
    .command('revoke')
    .description('withdraw an approval: the account must pair again')
    .argument('<account>', 'platform:id')
    .action(async (address: string, _options: unknown, command: Command) => {
      await withMnemos(command, async (mnemos) => {
        printAccount(command, await mnemos.messaging.revoke(address), 'revoked');
      });
    });

  gateway
    .command('accounts')
    .description('accounts the gateway knows: tenant, how approved, status')
    .action(async (_options: unknown, command: Command) => {
      await withMnemos(command, async (mnemos) => {
        const accounts = await mnemos.messaging.listAccounts();
        if (globals(command).json) {
          return printJson({ accounts: accounts.map(accountJson), count: accounts.length });
        }
        printTable(
          ['account', 'name', 'tenant', 'approved by', 'status', 'updated'],
          accounts.map((account) => [
            `${account.platform}:${account.userId}`,
            account.userName ?? '',
            account.tenantId,
            account.approvedBy,
            account.status,
            new Date(account.updatedAt).toISOString(),
          ]),
          'no accounts yet: people pair with a code, or run mnemos gateway allow platform:id',
        );
      });
    });

  gateway
    .command('test')
    .description("send a test message to a platform's home chat (or --to)")
    .argument('<platform>')
    .option('--to <chat>', 'chat, channel or address instead of the home chat')
    .action(async (platform: string, options: { to?: string }, command: Command) => {
      const { GatewayNotifier } = await import('../../gateway/gateway-notifier.js');
      const { createAdapters, environmentSecret, gatewayPlatforms } = await gatewayModules();
      const { MnemosError } = await import('../../core/errors.js');
      if (!(gatewayPlatforms as readonly string[]).includes(platform)) {
        throw new MnemosError(
          'invalid_input',
          `platform: expected one of ${gatewayPlatforms.join(', ')}, got ${JSON.stringify(platform)}`,
        );
      }
      await withMnemos(command, async (mnemos) => {
        const all = mnemos.config.gateway;
        const name = platform as (typeof gatewayPlatforms)[number];
        // Only the platform under test connects, even when it is not enabled for `run`.
        const config = {
          ...all,
          platforms: Object.fromEntries(
            gatewayPlatforms.map((p) => [p, { ...all.platforms[p], enabled: p === name }]),
          ) as typeof all.platforms,
        };
        const log = (level: string, message: string): void => {
          if (level !== 'debug') process.stderr.write(`${level}: ${message}\n`);
        };
        const [adapter] = await createAdapters(config, { secret: environmentSecret, log });
        if (!adapter) {
          throw new MnemosError('config_error', `gateway.platforms.${name}: could not connect`);
        }
        await adapter.start(async () => {});
        try {
          const notifier = new GatewayNotifier(config, (p) => (p === name ? adapter : undefined));
          const outcomes = await notifier.deliver(options.to ? `${name}:${options.to}` : name, {
            title: 'Mnemos gateway test',
            text: 'This chat receives Mnemos notifications.',
          });
          if (globals(command).json) printJson({ outcomes });
          else {
            for (const outcome of outcomes) {
              process.stdout.write(
                `${outcome.target}: ${outcome.ok ? 'sent' : `failed: ${outcome.error}`}\n`,
              );
            }
          }
          if (outcomes.some((outcome) => !outcome.ok)) process.exitCode = 1;
        } finally {
          await adapter.stop();
        }
      });
    });

  return gateway;
}

function accountJson(account: GatewayAccount): Record<string, unknown> {
  return {
    account: `${account.platform}:${account.userId}`,
    platform: account.platform,
    user_id: account.userId,
    user_name: account.userName,
    app_id: account.appId,
    tenant_id: account.tenantId,
    approved_by: account.approvedBy,
    status: account.status,
    updated_at: new Date(account.updatedAt).toISOString(),
  };
}

function printAccount(command: Command, account: GatewayAccount, verb: string): void {
  if (globals(command).json) {
    printJson({ account: accountJson(account) });
    return;
  }
  process.stdout.write(
    `${verb} ${account.platform}:${account.userId} as tenant ${account.tenantId} (app ${account.appId})\n`,
  );
}
