import { type IncomingMessage, type Server, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import type { AgentHost } from './agent-host.js';
import type { SessionSocketTarget } from './session-routes.js';

/** What answers a request: the HTTP app's `fetch`, with the Node environment Hono reads. */
type Fetch = (request: Request, env: Record<string, unknown>) => Response | Promise<Response>;

/** Headers of the upgrade handshake, which belong to the socket and not to the routed request. */
const handshakeHeaders = new Set(['connection', 'upgrade', 'keep-alive', 'transfer-encoding']);

/** Paths answered with a WebSocket; every other upgrade request gets a 404. */
const socketPath = /^\/v1\/sessions\/[^/]+\/ws$/;

/**
 * Serves `GET /v1/sessions/{id}/ws`: the upgrade request goes through the app first (API key,
 * rate limit, tenant check of the session, the same error bodies as any route), and once the
 * route accepts it, the socket gets every event of the session as JSON `{id, event, data}`.
 */
export function acceptSessionSockets(
  server: Server,
  fetch: Fetch,
  agents: AgentHost,
): { close(): void } {
  const sockets = new WebSocketServer({ noServer: true });
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    handle(request, socket, head).catch(() => socket.destroy());
  });

  async function handle(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://mnemos.invalid');
    if (!socketPath.test(url.pathname) || request.method !== 'GET') {
      refuse(socket, 404, JSON.stringify({ error: notFound(request) }));
      return;
    }
    let target: SessionSocketTarget | null = null;
    const response = await fetch(routedRequest(request, url), {
      incoming: request,
      upgradeWebSocket: (accepted: SessionSocketTarget) => {
        target = accepted;
      },
    });
    const accepted = target as SessionSocketTarget | null;
    if (!accepted || response.status !== 200) {
      refuse(socket, response.status, await response.text(), response.headers);
      return;
    }
    sockets.handleUpgrade(request, socket, head, (ws) => serve(ws, accepted));
  }

  function serve(ws: WebSocket, target: SessionSocketTarget): void {
    const watch = agents.watch(target.tenant, target.sessionId, target.lastEventId, (numbered) => {
      if (ws.readyState !== ws.OPEN) return;
      const { type, ...data } = numbered.event;
      ws.send(JSON.stringify({ id: numbered.id, event: type, data }));
    });
    ws.on('close', watch.stop);
    ws.on('error', watch.stop);
    void watch.ended.then(() => {
      if (ws.readyState === ws.OPEN) ws.close(1001, 'server shutting down');
    });
  }

  return {
    close() {
      for (const client of sockets.clients) client.terminate();
      sockets.close();
    },
  };
}

/** The upgrade request as the app routes it: a plain GET with the client's headers. */
function routedRequest(request: IncomingMessage, url: URL): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined || handshakeHeaders.has(name) || name.startsWith('sec-websocket-'))
      continue;
    headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  return new Request(`http://${request.headers.host ?? 'localhost'}${url.pathname}${url.search}`, {
    method: 'GET',
    headers,
  });
}

/** Answers the handshake with an HTTP error and closes the socket. */
function refuse(socket: Duplex, status: number, body: string, headers?: Headers): void {
  const lines = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`];
  lines.push('content-type: application/json');
  const retry = headers?.get('retry-after');
  if (retry) lines.push(`retry-after: ${retry}`);
  lines.push(`content-length: ${Buffer.byteLength(body)}`, 'connection: close', '', body);
  socket.end(lines.join('\r\n'));
}

function notFound(request: IncomingMessage): Record<string, unknown> {
  return {
    code: 'not_found',
    message: `no WebSocket endpoint at ${request.method} ${(request.url ?? '/').split('?')[0]}`,
    details: {},
  };
}
