/**
 * The gateway half of the fake Discord (test/support/fake-discord.ts): Discord's gateway protocol
 * over a WebSocket, JSON encoding without compression, as discord.js requests it
 * (`?v=10&encoding=json`). HELLO, heartbeat ACKs, IDENTIFY (token and intents checked, closing
 * with Discord's codes), READY plus one GUILD_CREATE, RESUME of a session it started, and
 * dispatches to every identified connection.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { fakeDiscordWorld } from './fake-discord-world.js';

/** What the gateway checks and sends. */
export interface FakeGatewayOptions {
  /** Token IDENTIFY and RESUME must carry. */
  token: string;
  heartbeatIntervalMs: number;
  /** False: IDENTIFY with the Message Content intent closes 4014. */
  messageContentIntent: boolean;
  /** This gateway's own URL (READY's `resume_gateway_url`). */
  url: string;
}

/** A fake gateway; the HTTP server hands it its upgrade requests. */
export function fakeDiscordGateway(options: FakeGatewayOptions) {
  const world = fakeDiscordWorld;
  const wss = new WebSocketServer({ noServer: true });
  const identifies: Record<string, unknown>[] = [];
  const sessions = new Map<WebSocket, { identified: boolean; seq: number }>();
  /** Session ids handed out in READY, which RESUME may name. */
  const sessionIds = new Set<string>();
  let resumes = 0;
  let heartbeats = 0;
  const gatewayUrl = options.url;

  function dispatch(ws: WebSocket, t: string, d: unknown): void {
    const session = sessions.get(ws);
    if (session === undefined) return;
    session.seq += 1;
    ws.send(JSON.stringify({ op: 0, t, s: session.seq, d }));
  }

  function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const query = new URL(req.url ?? '/', gatewayUrl.replace(/^ws/u, 'http')).searchParams;
    wss.handleUpgrade(req, socket, head, (ws) => {
      sessions.set(ws, { identified: false, seq: 0 });
      ws.on('close', () => sessions.delete(ws));
      if (query.get('v') !== '10') return ws.close(4012, 'Invalid API version');
      if (query.get('encoding') !== 'json') return ws.close(4002, 'Error while decoding payload.');
      ws.send(
        JSON.stringify({
          op: 10,
          d: { heartbeat_interval: options.heartbeatIntervalMs },
        }),
      );
      ws.on('message', (raw) => onGatewayMessage(ws, String(raw)));
    });
  }

  function onGatewayMessage(ws: WebSocket, raw: string): void {
    const session = sessions.get(ws);
    if (session === undefined) return;
    const payload = parsePayload(raw);
    if (payload?.op === 1) {
      heartbeats += 1;
      ws.send(JSON.stringify({ op: 11 }));
      return;
    }
    // RESUME of a session this fake started continues it (nothing to replay); anything else is an
    // invalid session, after which the client identifies anew.
    if (payload?.op === 6) {
      const d = payload.d ?? {};
      const valid = d.token === options.token && sessionIds.has(String(d.session_id));
      if (!valid) {
        ws.send(JSON.stringify({ op: 9, d: false }));
        return;
      }
      resumes += 1;
      session.identified = true;
      session.seq = Number(d.seq) || 0;
      dispatch(ws, 'RESUMED', {});
      return;
    }
    if (payload?.op === 2) identifies.push(payload.d ?? {});
    const refused = refusal(session.identified, payload);
    if (refused !== null) {
      ws.close(refused[0], refused[1]);
      return;
    }
    if (payload?.op !== 2) return;
    const d = payload.d ?? {};
    session.identified = true;
    const sessionId = randomUUID().replaceAll('-', '');
    sessionIds.add(sessionId);
    dispatch(ws, 'READY', {
      v: 10,
      user: world.users.bot,
      guilds: [{ id: world.ids.guild, unavailable: true }],
      session_id: sessionId,
      resume_gateway_url: gatewayUrl,
      shard: d.shard ?? [0, 1],
      application: { id: world.ids.bot, flags: 0 },
      private_channels: [],
      relationships: [],
    });
    dispatch(ws, 'GUILD_CREATE', world.guild);
  }

  /** The close code and reason Discord answers a payload with, or null when it is accepted. */
  function refusal(identified: boolean, payload: GatewayPayload | null): [number, string] | null {
    if (payload === null) return [4002, 'Error while decoding payload.'];
    if (payload.op !== 2) return identified ? null : [4003, 'Not authenticated.'];
    if (identified) return [4005, 'Already authenticated.'];
    const d = payload.d ?? {};
    if (d.token !== options.token) return [4004, 'Authentication failed.'];
    const intents = Number(d.intents);
    if (!Number.isInteger(intents)) return [4013, 'Invalid intent(s).'];
    if ((intents & messageContentIntent) !== 0 && !options.messageContentIntent)
      return [4014, 'Disallowed intent(s).'];
    return null;
  }

  return {
    url: gatewayUrl,
    upgrade,
    identifies,
    /** Sends a dispatch event to every identified connection. */
    dispatchAll(t: string, d: unknown): void {
      for (const [ws, session] of sessions) if (session.identified) dispatch(ws, t, d);
    },
    openConnections: () => sessions.size,
    heartbeats: () => heartbeats,
    resumes: () => resumes,
    disconnectAll(code = 4000): void {
      for (const ws of sessions.keys()) ws.close(code, 'Unknown error.');
    },
    close(): void {
      for (const ws of sessions.keys()) ws.terminate();
      wss.close();
    },
  };
}

/** A gateway payload as a client sends it. */
interface GatewayPayload {
  op?: number;
  d?: Record<string, unknown> | null;
}

/** The privileged Message Content intent (1 << 15). */
const messageContentIntent = 1 << 15;

function parsePayload(raw: string): GatewayPayload | null {
  try {
    const payload: unknown = JSON.parse(raw);
    return typeof payload === 'object' && payload !== null ? (payload as GatewayPayload) : null;
  } catch {
    return null;
  }
}
