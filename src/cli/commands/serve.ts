import { join } from 'node:path';
import { Command } from 'commander';
import { MnemosError } from '../../core/errors.js';
import type { TenantContext } from '../../http/tenant-context.js';
import { integer } from '../support/arguments.js';
import { homeOf } from '../support/context.js';

/** `mnemos serve`: the HTTP API (REST + SSE, MCP at /mcp) over this home's memory. */
export function serveCommand(): Command {
  return new Command('serve')
    .description('serve the HTTP API (/v1, SSE agent turns, /mcp, /metrics, /openapi.json)')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--port <port>', 'port (0: any free one)', integer, 8787)
    .option(
      '--rate-limit <n>',
      'requests per minute per API key, and per client address without a valid key (0: off)',
      integer,
      600,
    )
    .option(
      '--metrics-key-env <name>',
      'environment variable (or .env entry) holding the key /metrics then needs as a bearer token (default: config server.metrics_key_env)',
    )
    .option('--quiet', 'no request logs')
    .action(
      async (
        options: {
          host: string;
          port: number;
          rateLimit: number;
          metricsKeyEnv?: string;
          quiet?: boolean;
        },
        command: Command,
      ) => {
        // Replicas sharing a database poll, so jobs of one that died are taken over after its lease.
        const home = homeOf(command);
        // Hono, the MCP SDK and the engine load only when the server starts, never for --help.
        const [
          { Mnemos },
          { jsonLogger },
          { startServer },
          { mcpHttpHandler },
          { startCronScheduler },
        ] = await Promise.all([
          import('../../mnemos.js'),
          import('../../http/logger.js'),
          import('../../http/server.js'),
          import('../../mcp/mcp-http.js'),
          import('../../scheduler/cron-scheduler.js'),
        ]);
        const mnemos = await Mnemos.open({ home, pollJobsMs: 2_000 });
        let metricsKey: string | undefined;
        try {
          metricsKey = metricsKeyOf(
            options.metricsKeyEnv ?? mnemos.config.server.metrics_key_env,
            mnemos.home,
          );
        } catch (error) {
          await mnemos.close();
          throw error;
        }
        const log = jsonLogger(process.stderr, options.quiet ?? false);
        // One failed request must not end the server; the rejection is logged as an error (even
        // with --quiet), so it stays visible to operators and to tests reading the log.
        const errors = options.quiet ? jsonLogger(process.stderr) : log;
        process.on('unhandledRejection', (reason) => {
          errors.error('unhandled rejection', rejectionFields(reason));
        });
        // MCP at /mcp is stateless: each request gets a server bound to its key's tenant.
        const mcp = (request: Request, tenant: TenantContext): Promise<Response> =>
          mcpHttpHandler(mnemos, async () => tenant)(request);
        const server = await startServer(mnemos, {
          host: options.host,
          port: options.port,
          log,
          rateLimitPerMinute: options.rateLimit,
          metricsKey,
          mcp,
        });
        // The messaging gateway runs inside the server when `gateway.enabled`.
        let gateway: Awaited<
          ReturnType<typeof import('../../gateway/run-gateway.js').runGateway>
        > | null = null;
        if (mnemos.config.gateway.enabled) {
          const { runGateway } = await import('../../gateway/run-gateway.js');
          try {
            gateway = await runGateway(mnemos, (level, message) => {
              if (level !== 'debug') errors[level](message);
            });
          } catch (error) {
            await server.stop();
            await mnemos.close();
            throw error;
          }
          log.info('gateway running', { platforms: gateway.platforms });
        }
        log.info('listening', {
          url: server.url,
          storage: mnemos.storageKind,
          metrics: metricsKey === undefined ? 'open' : 'key required',
        });
        // Due cron jobs run here when `cron.enabled`; replicas share them through the database.
        // With the gateway running, results also go to chats (`telegram:<chat>`, `all`, …).
        const notifier = gateway?.notifier() ?? null;
        if (notifier) mnemos.cron.useTargetCheck((target) => notifier.accepts(target));
        const cron = await startCronScheduler(mnemos, {
          notifier,
          log: (level, message, fields) =>
            level === 'warn' ? errors.warn(message, fields) : log.info(message, fields),
        });
        process.stdout.write(`${server.url}\n`);
        await new Promise<void>((resolve) => {
          const stop = (signal: string): void => {
            log.info('stopping', { signal });
            void (gateway?.stop() ?? Promise.resolve())
              .then(() => server.stop())
              .then(() => cron?.stop())
              .then(() => mnemos.close())
              .then(() => {
                log.info('stopped');
                resolve();
              });
          };
          process.once('SIGTERM', () => stop('SIGTERM'));
          process.once('SIGINT', () => stop('SIGINT'));
        });
      },
    );
}

/** Log fields of an unexpected rejection: its message, code and stack, never request bodies. */
function rejectionFields(reason: unknown): Record<string, unknown> {
  if (!(reason instanceof Error)) return { error: String(reason) };
  const code = (reason as { code?: unknown }).code;
  return {
    error: reason.message,
    ...(typeof code === 'string' ? { code } : {}),
    ...(reason.stack ? { stack: reason.stack } : {}),
  };
}

/** The metrics key from the named variable (loaded from `.env` by `Mnemos.open`); never from config.yaml. */
function metricsKeyOf(variable: string | undefined, home: string): string | undefined {
  if (variable === undefined) return undefined;
  if (!/^[A-Z_][A-Z0-9_]*$/.test(variable)) {
    throw new MnemosError(
      'invalid_input',
      `--metrics-key-env takes the name of an environment variable (e.g. MNEMOS_METRICS_KEY), not ${JSON.stringify(variable)}`,
    );
  }
  const value = process.env[variable]?.trim();
  if (!value) {
    throw new MnemosError(
      'config_error',
      `the metrics key variable ${variable} is not set: set it in the environment or in ${join(home, '.env')}`,
      { details: { variable } },
    );
  }
  return value;
}
