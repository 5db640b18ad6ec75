import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Mnemos } from '../mnemos.js';
import { type AppOptions, createApp } from './app.js';
import { acceptSessionSockets } from './session-socket.js';

/** A running HTTP server. */
export interface RunningServer {
  url: string;
  port: number;
  /** Stops accepting, waits for in-flight requests (up to `graceMs`), leaves queued jobs durable. */
  stop(graceMs?: number): Promise<void>;
}

/** Starts the Mnemos HTTP API on `host:port` (port 0 picks a free one). */
export async function startServer(
  mnemos: Mnemos,
  options: Omit<AppOptions, 'mnemos'> & { host?: string; port?: number },
): Promise<RunningServer> {
  const { app, agents, teams } = createApp({ mnemos, ...options });
  // A request is in flight until its response is written out (or its connection drops): counting
  // only until `app.fetch` returns would let `stop` cut a response not yet written, and every SSE
  // stream, which outlives `app.fetch`.
  let inFlight = 0;
  const server = serve({
    fetch: app.fetch,
    hostname: options.host ?? '127.0.0.1',
    port: options.port ?? 8787,
  });
  (server as Server).on('request', (_request: IncomingMessage, response: ServerResponse) => {
    inFlight++;
    response.once('close', () => {
      inFlight--;
    });
  });
  const sockets = acceptSessionSockets(server as Server, app.fetch, agents);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', () => resolve());
    server.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let stopping: Promise<void> | null = null;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    stop(graceMs = 10_000) {
      stopping ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        const deadline = Date.now() + graceMs;
        const settle = async (busy: () => boolean): Promise<void> => {
          while (busy() && Date.now() < deadline)
            await new Promise((resolve) => setTimeout(resolve, 20));
        };
        await settle(() => agents.running > 0 || teams.running > 0);
        // Session streams never end by themselves: they end once the running turns are told.
        agents.endWatches();
        // Team runs past the grace period are stopped, and store that they were.
        await teams.stopAll();
        await settle(() => inFlight > 0);
        sockets.close();
        if ('closeAllConnections' in server)
          (server as { closeAllConnections(): void }).closeAllConnections();
        await closed;
      })();
      return stopping;
    },
  };
}
