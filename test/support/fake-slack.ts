/**
 * A local Slack for tests: the Web API (`POST /api/<method>`, form or JSON bodies, tokens checked
 * like Slack does) and Socket Mode (`apps.connections.open` hands out a one-time `ws://` URL; the
 * socket says `hello`, delivers `events_api` envelopes and redelivers any envelope not acked with
 * its `envelope_id`), or, after `deliverTo`, HTTP events (signed POSTs, retried unless answered 200).
 * Files are served at `url_private_download` to the bot token only; without it
 * Slack answers with its HTML login page, and so does this fake.
 *
 * @example
 * const slack = await startFakeSlack({ botToken: 'xoxb-1', appToken: 'xapp-1' });
 * await slack.sendMessage({ channel: 'D1', channelType: 'im', user: 'U1', text: 'hi' });
 * slack.posted; // what the bot sent with chat.postMessage
 * await slack.close();
 */
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

/** What the bot posted with `chat.postMessage`, in order. */
export interface PostedMessage {
  channel: string;
  text: string;
  threadTs: string | null;
  ts: string;
  mrkdwn: boolean;
}

/** A Web API call as received. */
export interface ApiCall {
  method: string;
  /** Which token authenticated it: `bot`, `app`, `invalid` or `none`. */
  auth: 'bot' | 'app' | 'invalid' | 'none';
  params: Record<string, unknown>;
}

/** A failure the next call of a method gets instead of its answer. */
export type ApiFault = { status: 429; retryAfter: number } | { status: 500 };

/** A user message to deliver over Socket Mode. */
export interface FakeMessage {
  channel: string;
  /** `im` for a DM; `channel`, `group` or `mpim` otherwise. */
  channelType: 'im' | 'channel' | 'group' | 'mpim';
  user: string;
  text: string;
  threadTs?: string;
  /** Parent author of a thread reply (Slack sets it on replies). */
  parentUserId?: string;
  files?: SlackFileObject[];
  botId?: string;
  subtype?: string;
  /** Deliver as `app_mention` instead of `message`. */
  asMention?: boolean;
  /** The message's ts; default a new one (the `app_mention` twin of a message shares its ts). */
  ts?: string;
}

/** The part of Slack's file object the adapter reads. */
export interface SlackFileObject {
  id: string;
  name: string;
  mimetype: string;
  size: number;
  url_private: string;
  url_private_download: string;
}

/** A running fake Slack. */
export interface FakeSlack {
  /** Web API root with its trailing slash, for `api_url`. */
  readonly apiUrl: string;
  readonly botUserId: string;
  readonly posted: PostedMessage[];
  readonly calls: ApiCall[];
  /** Envelope ids the app acknowledged, in order. */
  readonly acks: string[];
  /** Every envelope sent over the socket (redeliveries included). */
  readonly deliveries: { envelopeId: string; attempt: number; type: string }[];
  failNext(method: string, fault: ApiFault): void;
  addUser(id: string, name: string): void;
  /** Stores a file and returns the file object to put in a message's `files`. */
  addFile(name: string, mimetype: string, bytes: Uint8Array): SlackFileObject;
  /** Delivers a message event; resolves with its envelope id once acked, rejects when never acked. */
  sendMessage(message: FakeMessage): Promise<{ envelopeId: string; ts: string }>;
  /** Open Socket Mode connections. */
  openSockets(): number;
  /** Asks every socket to reconnect (`{type:"disconnect", reason:"refresh_requested"}`), as Slack does every few hours. */
  refreshSockets(): void;
  /** HTTP mode: from now on, events are POSTed (signed) to `url` instead of sent over a socket. */
  deliverTo(url: string, signingSecret: string): void;
  /** HTTP mode: a signed POST of `body` to the events URL (`secret` to sign with another secret). */
  postToApp(body: string, secret?: string): Promise<{ status: number; text: string }>;
  close(): Promise<void>;
}

/** How the fake behaves; tokens are required so that wrong ones can be refused. */
export interface FakeSlackOptions {
  botToken: string;
  appToken: string;
  botUserId?: string;
  botId?: string;
  /** How long an envelope waits for its ack before it is redelivered. */
  ackTimeoutMs?: number;
  /** Redeliveries after the first attempt (Slack makes up to 3). */
  maxRedeliveries?: number;
  /** Deliver the bot's own posts back as message events, as Slack does in subscribed channels. */
  echoOwnMessages?: boolean;
}

const teamId = 'T0FAKE';
const appId = 'A0FAKE';

/** Starts the fake on 127.0.0.1 with an ephemeral port. */
export async function startFakeSlack(options: FakeSlackOptions): Promise<FakeSlack> {
  const botUserId = options.botUserId ?? 'U0BOT';
  const botId = options.botId ?? 'B0BOT';
  const ackTimeoutMs = options.ackTimeoutMs ?? 2_000;
  const maxRedeliveries = options.maxRedeliveries ?? 3;
  const posted: PostedMessage[] = [];
  const calls: ApiCall[] = [];
  const acks: string[] = [];
  const deliveries: FakeSlack['deliveries'] = [];
  const faults = new Map<string, ApiFault[]>();
  const users = new Map<string, string>();
  const files = new Map<string, { bytes: Uint8Array; mimetype: string }>();
  const tickets = new Set<string>();
  const sockets = new Set<WebSocket>();
  const pending = new Map<string, { timer: NodeJS.Timeout; settle(acked: boolean): void }>();
  let clock = 0;
  let base = '';
  let httpTarget: { url: string; signingSecret: string } | null = null;

  const nextTs = (): string => {
    clock += 1;
    return `${Math.floor(Date.now() / 1000)}.${String(clock).padStart(6, '0')}`;
  };

  const authOf = (req: IncomingMessage, params: Record<string, unknown>): ApiCall['auth'] => {
    const header = /^Bearer (.+)$/u.exec(req.headers.authorization ?? '')?.[1];
    const token = header ?? (typeof params.token === 'string' ? params.token : undefined);
    if (token === undefined || token === '') return 'none';
    if (token === options.botToken) return 'bot';
    if (token === options.appToken) return 'app';
    return 'invalid';
  };

  const deliver = (
    envelope: Record<string, unknown>,
    envelopeId: string,
    attempt: number,
  ): boolean => {
    const socket = [...sockets][0];
    if (socket === undefined) return false;
    deliveries.push({ envelopeId, attempt, type: String(envelope.type) });
    socket.send(
      JSON.stringify({
        ...envelope,
        retry_attempt: attempt,
        retry_reason: attempt > 0 ? 'timeout' : '',
      }),
    );
    return true;
  };

  const eventCallback = (event: Record<string, unknown>) => ({
    token: 'verification-token',
    team_id: teamId,
    api_app_id: appId,
    event,
    type: 'event_callback',
    event_id: `Ev${randomBytes(5).toString('hex').toUpperCase()}`,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [
      { team_id: teamId, user_id: botUserId, is_bot: true, is_enterprise_install: false },
    ],
    is_ext_shared_channel: false,
  });

  /** POSTs a signed request to the app's events URL, as Slack does in HTTP mode. */
  const postToApp = async (
    body: string,
    headers: Record<string, string> = {},
    secret = httpTarget?.signingSecret ?? '',
  ): Promise<{ status: number; text: string }> => {
    if (httpTarget === null) throw new Error('fake-slack: no HTTP events URL (deliverTo)');
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
    const response = await fetch(httpTarget.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-slack-request-timestamp': timestamp,
        'x-slack-signature': signature,
        ...headers,
      },
      body,
      signal: AbortSignal.timeout(ackTimeoutMs),
    });
    return { status: response.status, text: await response.text() };
  };

  /** HTTP mode: an event is acked by an HTTP 200; otherwise Slack retries with X-Slack-Retry-Num. */
  const postEvent = async (event: Record<string, unknown>): Promise<string> => {
    const payload = eventCallback(event);
    const body = JSON.stringify(payload);
    for (let attempt = 0; attempt <= maxRedeliveries; attempt += 1) {
      deliveries.push({ envelopeId: payload.event_id, attempt, type: 'event_callback' });
      const retry: Record<string, string> =
        attempt === 0
          ? {}
          : { 'x-slack-retry-num': String(attempt), 'x-slack-retry-reason': 'http_timeout' };
      const answer = await postToApp(body, retry).catch(() => null);
      if (answer?.status === 200) {
        acks.push(payload.event_id);
        return payload.event_id;
      }
    }
    throw new Error(`fake-slack: event ${payload.event_id} was never acknowledged`);
  };

  const sendEnvelope = (event: Record<string, unknown>): Promise<string> => {
    if (httpTarget !== null) return postEvent(event);
    const envelopeId = randomBytes(16).toString('hex');
    const envelope = {
      envelope_id: envelopeId,
      type: 'events_api',
      accepts_response_payload: false,
      payload: eventCallback(event),
    };
    return new Promise<string>((resolve, reject) => {
      let attempt = 0;
      const arm = (): NodeJS.Timeout =>
        setTimeout(() => {
          attempt += 1;
          if (attempt > maxRedeliveries || !deliver(envelope, envelopeId, attempt)) {
            pending.delete(envelopeId);
            reject(new Error(`fake-slack: envelope ${envelopeId} was never acked`));
            return;
          }
          const entry = pending.get(envelopeId);
          if (entry) entry.timer = arm();
        }, ackTimeoutMs);
      if (!deliver(envelope, envelopeId, 0)) {
        reject(new Error('fake-slack: no Socket Mode connection'));
        return;
      }
      pending.set(envelopeId, {
        timer: arm(),
        settle: (acked) => (acked ? resolve(envelopeId) : reject(new Error('fake-slack: closed'))),
      });
    });
  };

  const api = (method: string, auth: ApiCall['auth'], params: Record<string, unknown>): unknown => {
    if (auth === 'none') return { ok: false, error: 'not_authed' };
    if (auth === 'invalid') return { ok: false, error: 'invalid_auth' };
    if (method === 'apps.connections.open') {
      if (auth !== 'app') return { ok: false, error: 'not_allowed_token_type' };
      const ticket = randomBytes(12).toString('hex');
      tickets.add(ticket);
      return {
        ok: true,
        url: `${base.replace(/^http/u, 'ws')}/link/?ticket=${ticket}&app_id=${appId}`,
      };
    }
    if (auth !== 'bot') return { ok: false, error: 'not_allowed_token_type' };
    if (method === 'auth.test') {
      return {
        ok: true,
        url: 'https://fake.slack.test/',
        team: 'Fake',
        user: 'mnemos',
        team_id: teamId,
        user_id: botUserId,
        bot_id: botId,
        is_enterprise_install: false,
      };
    }
    if (method === 'users.info') {
      const name = users.get(String(params.user));
      if (name === undefined) return { ok: false, error: 'user_not_found' };
      return {
        ok: true,
        user: {
          id: params.user,
          name,
          real_name: name,
          profile: { display_name: name, real_name: name },
        },
      };
    }
    if (method === 'chat.postMessage') {
      const channel = typeof params.channel === 'string' ? params.channel : '';
      const text = typeof params.text === 'string' ? params.text : '';
      if (channel === '') return { ok: false, error: 'channel_not_found' };
      if (text === '' && params.blocks === undefined) return { ok: false, error: 'no_text' };
      if (text.length > 40_000) return { ok: false, error: 'msg_too_long' };
      const ts = nextTs();
      const threadTs =
        typeof params.thread_ts === 'string' && params.thread_ts !== '' ? params.thread_ts : null;
      posted.push({
        channel,
        text,
        threadTs,
        ts,
        mrkdwn: params.mrkdwn !== false && params.mrkdwn !== 'false',
      });
      const message = {
        type: 'message',
        text,
        user: botUserId,
        bot_id: botId,
        app_id: appId,
        team: teamId,
        ts,
        ...(threadTs ? { thread_ts: threadTs } : {}),
      };
      if (options.echoOwnMessages) {
        const type = channel.startsWith('D') ? 'im' : 'channel';
        void sendEnvelope({ ...message, channel, channel_type: type, event_ts: ts }).catch(
          () => {},
        );
      }
      return { ok: true, channel, ts, message };
    }
    return { ok: false, error: 'unknown_method' };
  };

  const onRequest = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', base);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const json = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(JSON.stringify(body));
    };
    const apiMethod = /^\/api\/([a-zA-Z.]+)$/u.exec(url.pathname)?.[1];
    if (apiMethod !== undefined && req.method === 'POST') {
      const params = parseBody(req.headers['content-type'] ?? '', raw);
      const auth = authOf(req, params);
      calls.push({ method: apiMethod, auth, params });
      const fault = faults.get(apiMethod)?.shift();
      if (fault?.status === 429)
        return json(
          429,
          { ok: false, error: 'ratelimited' },
          { 'retry-after': String(fault.retryAfter) },
        );
      if (fault?.status === 500) return json(500, { ok: false, error: 'internal_error' });
      return json(200, api(apiMethod, auth, params));
    }
    const file = /^\/files-pri\/[^/]+\/download\/[^/]+$/u.test(url.pathname)
      ? files.get(url.pathname)
      : undefined;
    if (file !== undefined && req.method === 'GET') {
      if (authOf(req, {}) !== 'bot') {
        res.writeHead(302, { location: `/?redir=${encodeURIComponent(url.pathname)}` });
        return void res.end();
      }
      res.writeHead(200, {
        'content-type': file.mimetype,
        'content-length': String(file.bytes.byteLength),
      });
      return void res.end(file.bytes);
    }
    if (url.pathname === '/' && req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return void res.end('<!DOCTYPE html><html><body>Sign in to Slack</body></html>');
    }
    json(404, { ok: false, error: 'unknown_method' });
  };

  const server = createServer((req, res) => {
    onRequest(req, res).catch((error: unknown) => {
      res.writeHead(500);
      res.end(String(error));
    });
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', base);
    const ticket = url.searchParams.get('ticket') ?? '';
    if (url.pathname !== '/link/' || !tickets.delete(ticket)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('message', (data) => {
        let frame: { envelope_id?: unknown };
        try {
          frame = JSON.parse(String(data)) as { envelope_id?: unknown };
        } catch {
          return;
        }
        if (typeof frame.envelope_id !== 'string') return;
        acks.push(frame.envelope_id);
        const entry = pending.get(frame.envelope_id);
        if (entry === undefined) return;
        clearTimeout(entry.timer);
        pending.delete(frame.envelope_id);
        entry.settle(true);
      });
      ws.send(
        JSON.stringify({
          type: 'hello',
          num_connections: sockets.size,
          debug_info: { host: 'fake-slack', build_number: 1, approximate_connection_time: 18_060 },
          connection_info: { app_id: appId },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    apiUrl: `${base}/api/`,
    botUserId,
    posted,
    calls,
    acks,
    deliveries,
    failNext(method, fault) {
      faults.set(method, [...(faults.get(method) ?? []), fault]);
    },
    addUser(id, name) {
      users.set(id, name);
    },
    addFile(name, mimetype, bytes) {
      const id = `F${randomBytes(5).toString('hex').toUpperCase()}`;
      const path = `/files-pri/${teamId}-${id}/download/${encodeURIComponent(name)}`;
      files.set(path, { bytes, mimetype });
      return {
        id,
        name,
        mimetype,
        size: bytes.byteLength,
        url_private: `${base}${path}`,
        url_private_download: `${base}${path}`,
      };
    },
    async sendMessage(message) {
      const ts = message.ts ?? nextTs();
      const event: Record<string, unknown> = {
        type: message.asMention ? 'app_mention' : 'message',
        channel: message.channel,
        user: message.user,
        text: message.text,
        ts,
        event_ts: ts,
        team: teamId,
      };
      if (!message.asMention) event.channel_type = message.channelType;
      if (message.threadTs) event.thread_ts = message.threadTs;
      if (message.parentUserId) event.parent_user_id = message.parentUserId;
      if (message.files) event.files = message.files;
      if (message.botId) event.bot_id = message.botId;
      if (message.subtype) event.subtype = message.subtype;
      if (message.files && !message.subtype) event.subtype = 'file_share';
      return { envelopeId: await sendEnvelope(event), ts };
    },
    openSockets: () => sockets.size,
    refreshSockets() {
      const frame = {
        type: 'disconnect',
        reason: 'refresh_requested',
        debug_info: { host: 'fake-slack' },
      };
      for (const socket of sockets) socket.send(JSON.stringify(frame));
    },
    deliverTo(url, signingSecret) {
      httpTarget = { url, signingSecret };
    },
    postToApp: (body, secret) => postToApp(body, {}, secret),
    async close() {
      for (const entry of pending.values()) {
        clearTimeout(entry.timer);
        entry.settle(false);
      }
      pending.clear();
      for (const socket of sockets) socket.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A Web API body: form-encoded (what the SDK sends) or JSON. */
function parseBody(contentType: string, raw: string): Record<string, unknown> {
  if (raw === '') return {};
  if (contentType.includes('application/json')) {
    try {
      const parsed = JSON.parse(raw) as unknown;
      return typeof parsed === 'object' && parsed !== null
        ? (parsed as Record<string, unknown>)
        : {};
    } catch {
      return {};
    }
  }
  return Object.fromEntries(new URLSearchParams(raw));
}
