import { Command } from 'commander';
import { jsonLogger } from '../../http/logger.js';
import { startServer } from '../../http/server.js';
import type { TenantContext } from '../../http/tenant-context.js';
import { mcpHttpHandler } from '../../mcp/mcp-http.js';
import { Mnemos } from '../../mnemos.js';
import { integer } from '../arguments.js';
import { homeOf } from '../context.js';

/** `mnemos serve`: the HTTP API (REST + SSE, MCP at /mcp) over this home's memory. */
export function serveCommand(): Command {
  return new Command('serve')
    .description('serve the HTTP API (/v1, SSE agent turns, /mcp, /metrics, /openapi.json)')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--port <port>', 'port (0: any free one)', integer, 8787)
    .option('--rate-limit <n>', 'requests per minute per API key (0: off)', integer, 600)
    .option('--quiet', 'no request logs')
    .action(
      async (
        options: { host: string; port: number; rateLimit: number; quiet?: boolean },
        command: Command,
      ) => {
        // Replicas sharing a database poll, so jobs of one that died are taken over after its lease.
        const mnemos = await Mnemos.open({ home: homeOf(command), pollJobsMs: 2_000 });
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
          mcp,
        });
        log.info('listening', { url: server.url, storage: mnemos.storage.kind });
        process.stdout.write(`${server.url}\n`);
        await new Promise<void>((resolve) => {
          const stop = (signal: string): void => {
            log.info('stopping', { signal });
            void server
              .stop()
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
