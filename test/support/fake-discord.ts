/**
 * A local Discord for tests: the REST API (`/api/v10/...`) and the gateway WebSocket on one
 * 127.0.0.1 port, close enough to the real wire protocol that an unmodified discord.js client
 * logs in, receives events and sends messages. REST checks `Authorization: Bot <token>` (401
 * otherwise); the gateway (`fake-discord-gateway.ts`) sends HELLO, acknowledges heartbeats, checks
 * IDENTIFY's token (close 4004) and intents (4014 when Message Content is not enabled), sends READY
 * and one GUILD_CREATE, and lets a dropped session RESUME. Tests inject user messages with `inject`; messages the bot posts are recorded and,
 * as on Discord, echoed back to the bot as MESSAGE_CREATE. `failNext` answers the next matching
 * REST request with a 429 (with `Retry-After`) or a 5xx. Attachments are served under
 * `/attachments/` without auth, as Discord's CDN does.
 *
 * @example
 * const discord = await startFakeDiscord({ token: 'T' });
 * // new Client({ rest: { api: discord.apiUrl, version: '10' }, intents }) ... login('T')
 * discord.inject({ channelId: discord.ids.channel, authorId: discord.ids.user, content: 'hi' });
 * await discord.close();
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fakeDiscordGateway } from './fake-discord-gateway.js';
import { type FakeDiscordUser, fakeDiscordWorld, messageObject } from './fake-discord-world.js';

/** Options of the fake. */
export interface FakeDiscordOptions {
  /** The bot token the fake accepts. */
  token: string;
  /** Heartbeat interval sent in HELLO (ms); default 41,250 as Discord sends. */
  heartbeatIntervalMs?: number;
  /** False: the app has not enabled the privileged Message Content intent (IDENTIFY closes 4014). */
  messageContentIntent?: boolean;
  /** Token IDENTIFY must carry, default `token` (another one: a token reset after GET /gateway/bot). */
  gatewayToken?: string;
}

/** A message the bot posted through REST. */
export interface SentMessage {
  id: string;
  channelId: string;
  /** The JSON body as the bot sent it. */
  body: { content?: string; allowed_mentions?: unknown; message_reference?: unknown };
}

/** A REST request as received (method, path under /api/v10, auth header). */
export interface FakeDiscordRequest {
  method: string;
  path: string;
  authorization: string | undefined;
}

/** What a test injects as a user's message. */
export interface InjectedMessage {
  channelId: string;
  authorId: string;
  content: string;
  /** Message id this one replies to (Discord adds its author to the reply's mentions). */
  replyTo?: string;
  attachments?: { filename: string; contentType: string; data: Uint8Array }[];
}

/** A running fake. */
export interface FakeDiscord {
  /** REST root to give discord.js as `rest.api` (`http://127.0.0.1:P/api`). */
  apiUrl: string;
  /** Ids of the fake world: guild, text channel, thread, DM channel, bot, user, other bot. */
  ids: typeof fakeDiscordWorld.ids;
  /** Messages the bot posted, in order. */
  sent: SentMessage[];
  /** Channels the bot sent typing to, in order. */
  typing: string[];
  /** Every REST request, in order. */
  requests: FakeDiscordRequest[];
  /** Gateway connections currently open. */
  openConnections(): number;
  /** IDENTIFY payloads received. */
  identifies: Record<string, unknown>[];
  /** Heartbeats (op 1) received and acknowledged. */
  heartbeats(): number;
  /** The last message `inject` dispatched, as sent on the wire. */
  lastInjected(): Record<string, unknown>;
  /** Dispatches MESSAGE_CREATE to every identified connection; returns the message id. */
  inject(message: InjectedMessage): string;
  /** Sessions resumed with RESUME (op 6). */
  resumes(): number;
  /** Closes every gateway connection with `code` (4000: unknown error, which clients resume after). */
  disconnectAll(code?: number): void;
  /** Answers the next `count` REST requests whose path matches with a 429 or 5xx. */
  failNext(
    match: RegExp,
    fault: { status: 429; retryAfterS: number } | { status: 500 | 502 },
    count?: number,
  ): void;
  close(): Promise<void>;
}

/** Starts the fake on 127.0.0.1 with an ephemeral port. */
export async function startFakeDiscord(options: FakeDiscordOptions): Promise<FakeDiscord> {
  const world = fakeDiscordWorld;
  const sent: SentMessage[] = [];
  const typing: string[] = [];
  const requests: FakeDiscordRequest[] = [];
  const faults: { match: RegExp; status: number; retryAfterS: number; left: number }[] = [];
  const files = new Map<string, { contentType: string; data: Uint8Array }>();
  const messages = new Map<string, Record<string, unknown>>();
  let lastInjected: Record<string, unknown> = {};
  let nextId = 1_300_000_000_000_000_000n;
  const snowflake = () => String(nextId++);

  const server = createServer((req, res) => {
    void handleHttp(req, res).catch((error: unknown) => {
      json(res, 500, { message: String(error), code: 0 });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const base = `http://127.0.0.1:${port}`;

  const gateway = fakeDiscordGateway({
    token: options.gatewayToken ?? options.token,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 41_250,
    messageContentIntent: options.messageContentIntent ?? true,
    url: `ws://127.0.0.1:${port}`,
  });
  server.on('upgrade', (req, socket, head) => gateway.upgrade(req, socket, head));

  function broadcastMessage(message: Record<string, unknown>): void {
    messages.set(String(message.id), message);
    gateway.dispatchAll('MESSAGE_CREATE', message);
  }

  async function handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', base);
    const method = req.method ?? 'GET';
    if (method === 'GET' && url.pathname.startsWith('/attachments/')) {
      const file = files.get(url.pathname);
      if (file === undefined) return json(res, 404, { message: 'Not Found' });
      res.writeHead(200, { 'content-type': file.contentType, 'content-length': file.data.length });
      return void res.end(file.data);
    }
    if (!url.pathname.startsWith('/api/v10/'))
      return json(res, 404, { message: '404: Not Found', code: 0 });
    const path = url.pathname.slice('/api/v10'.length);
    const authorization = req.headers.authorization;
    requests.push({ method, path, authorization });
    const body = await readJson(req);
    if (authorization !== `Bot ${options.token}`)
      return json(res, 401, { message: '401: Unauthorized', code: 0 });
    const fault = faults.find((f) => f.left > 0 && f.match.test(path));
    if (fault !== undefined) {
      fault.left -= 1;
      if (fault.status === 429) {
        res.setHeader('retry-after', String(fault.retryAfterS));
        res.setHeader('x-ratelimit-limit', '5');
        res.setHeader('x-ratelimit-remaining', '0');
        res.setHeader('x-ratelimit-reset-after', String(fault.retryAfterS));
        res.setHeader('x-ratelimit-bucket', 'fakebucket');
        res.setHeader('x-ratelimit-scope', 'user');
        const limited = { message: 'You are being rate limited.', retry_after: fault.retryAfterS };
        return json(res, 429, { ...limited, global: false });
      }
      return json(res, fault.status, { message: 'Internal Server Error', code: 0 });
    }
    if (method === 'GET' && path === '/gateway/bot')
      return json(res, 200, {
        url: gateway.url,
        shards: 1,
        session_start_limit: {
          total: 1000,
          remaining: 999,
          reset_after: 14_400_000,
          max_concurrency: 1,
        },
      });
    if (method === 'GET' && path === '/users/@me') return json(res, 200, world.users.bot);
    if (method === 'POST' && path === '/users/@me/channels') {
      const recipient = (body as { recipient_id?: unknown })?.recipient_id;
      if (recipient !== world.ids.user)
        return json(res, 400, { message: 'Invalid Recipient(s)', code: 50033 });
      return json(res, 200, world.channels.get(world.ids.dm));
    }
    const channelMatch = /^\/channels\/(\d+)(\/messages|\/typing)?$/u.exec(path);
    const channel = channelMatch ? world.channels.get(channelMatch[1] ?? '') : undefined;
    if (channelMatch && channel === undefined)
      return json(res, 404, { message: 'Unknown Channel', code: 10003 });
    if (channel !== undefined && method === 'GET' && channelMatch?.[2] === undefined)
      return json(res, 200, channel);
    if (channel !== undefined && method === 'POST' && channelMatch?.[2] === '/typing') {
      typing.push(String(channel.id));
      res.writeHead(204);
      return void res.end();
    }
    if (channel !== undefined && method === 'POST' && channelMatch?.[2] === '/messages') {
      const content = (body as { content?: unknown })?.content;
      if (typeof content !== 'string' || content.length === 0 || content.length > 2000)
        return json(res, 400, {
          message: 'Invalid Form Body',
          code: 50035,
          errors: {
            content: {
              _errors: [
                { code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 2000 or fewer in length.' },
              ],
            },
          },
        });
      const id = snowflake();
      sent.push({ id, channelId: String(channel.id), body: body as SentMessage['body'] });
      const message = messageObject(world, { id, channel, author: world.users.bot, content });
      json(res, 200, message);
      broadcastMessage(message);
      return;
    }
    json(res, 404, { message: '404: Not Found', code: 0 });
  }

  return {
    apiUrl: `${base}/api`,
    ids: world.ids,
    sent,
    typing,
    requests,
    identifies: gateway.identifies,
    openConnections: gateway.openConnections,
    heartbeats: gateway.heartbeats,
    lastInjected: () => lastInjected,
    resumes: gateway.resumes,
    inject(input) {
      const channel = world.channels.get(input.channelId);
      const author: FakeDiscordUser | undefined = Object.values(world.users).find(
        (user) => user.id === input.authorId,
      );
      if (channel === undefined || author === undefined)
        throw new Error('inject: unknown channel or author');
      const id = snowflake();
      const attachments = (input.attachments ?? []).map((file) => {
        const attachmentId = snowflake();
        const path = `/attachments/${channel.id}/${attachmentId}/${file.filename}`;
        files.set(path, { contentType: file.contentType, data: file.data });
        return {
          id: attachmentId,
          filename: file.filename,
          size: file.data.length,
          url: `${base}${path}?ex=0&is=0&hm=0`,
          proxy_url: `${base}${path}`,
          content_type: file.contentType,
        };
      });
      const replied = input.replyTo !== undefined ? messages.get(input.replyTo) : undefined;
      lastInjected = messageObject(world, {
        id,
        channel,
        author,
        content: input.content,
        attachments,
        replied,
      });
      broadcastMessage(lastInjected);
      return id;
    },
    disconnectAll: gateway.disconnectAll,
    failNext(match, fault, count = 1) {
      const retryAfterS = fault.status === 429 ? fault.retryAfterS : 0;
      faults.push({ match, status: fault.status, retryAfterS, left: count });
    },
    async close() {
      gateway.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return void res.end();
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
