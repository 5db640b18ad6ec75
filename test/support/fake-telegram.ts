import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseMarkdownV2, type TelegramEntity } from './telegram-markdown-v2.js';

/** A Bot API call the fake answered successfully. */
export interface FakeTelegramCall {
  method: string;
  payload: Record<string, unknown>;
  /** sendMessage: the text and entities the user would see. */
  text?: string;
  entities?: TelegramEntity[];
  messageId?: number;
}

/** A fault to answer the next call(s) of a method with. */
export interface FakeTelegramFault {
  code: 400 | 429 | 500;
  description?: string;
  retryAfter?: number;
  times?: number;
}

/** A file the fake serves through getFile and `/file/bot<token>/<path>`. */
export interface FakeTelegramFile {
  file_id: string;
  file_unique_id: string;
  file_size: number;
}

/** A local Bot API server speaking enough of the real HTTP protocol for grammY. */
export interface FakeTelegram {
  /** The API root to configure (no trailing slash). */
  readonly apiRoot: string;
  readonly token: string;
  readonly bot: { id: number; is_bot: true; first_name: string; username: string };
  /** Every successful call, in order. */
  readonly calls: FakeTelegramCall[];
  /** How many calls of `method` arrived (including failed ones). */
  attempts(method: string): number;
  /** Calls of one method. */
  callsOf(method: string): FakeTelegramCall[];
  /** Queues an incoming message update (date, message_id filled in); returns its update id. */
  injectMessage(message: Record<string, unknown>): number;
  /** Registers file bytes for getFile. */
  addFile(bytes: Uint8Array): FakeTelegramFile;
  /** Answers the next call(s) of `method` with an error. */
  fail(method: string, fault: FakeTelegramFault): void;
  /** Long polls currently held open. */
  heldPolls(): number;
  /** Resolves once `count` successful calls of `method` happened. */
  waitFor(method: string, count: number): Promise<FakeTelegramCall[]>;
  close(): Promise<void>;
}

interface HeldPoll {
  res: ServerResponse;
  limit: number;
  timer: NodeJS.Timeout;
}

/** Starts the fake on 127.0.0.1 (`port`, default 0: any free one). */
export async function startFakeTelegram(
  options: { token?: string; username?: string; port?: number } = {},
): Promise<FakeTelegram> {
  const token = options.token ?? '123456:TEST-token_abc';
  const bot = {
    id: Number(token.split(':')[0]) || 123456,
    is_bot: true as const,
    first_name: 'Mnemos',
    username: options.username ?? 'mnemos_test_bot',
  };
  const calls: FakeTelegramCall[] = [];
  const attemptCounts = new Map<string, number>();
  const faults = new Map<string, FakeTelegramFault & { times: number }>();
  const files = new Map<string, { path: string; bytes: Uint8Array }>();
  const waiters: Array<() => void> = [];
  let updates: Array<{ update_id: number; message: Record<string, unknown> }> = [];
  let nextUpdateId = 1000;
  let nextMessageId = 1;
  let held: HeldPoll | null = null;

  const json = (res: ServerResponse, status: number, body: unknown) => {
    if (res.writableEnded || res.destroyed) return;
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const error = (res: ServerResponse, code: number, description: string, extra = {}) =>
    json(res, code, { ok: false, error_code: code, description, ...extra });
  const record = (call: FakeTelegramCall) => {
    calls.push(call);
    for (const wake of waiters.splice(0)) wake();
  };
  const releaseHeld = (answer: (res: ServerResponse) => void) => {
    if (held === null) return;
    clearTimeout(held.timer);
    const { res } = held;
    held = null;
    answer(res);
  };
  const deliver = (res: ServerResponse, limit: number) => {
    const batch = updates.slice(0, limit);
    json(res, 200, { ok: true, result: batch });
  };

  const methods: Record<string, (payload: Record<string, unknown>, res: ServerResponse) => void> = {
    getMe: (payload, res) => {
      record({ method: 'getMe', payload });
      json(res, 200, {
        ok: true,
        result: { ...bot, can_join_groups: true, supports_inline_queries: false },
      });
    },
    deleteWebhook: (payload, res) => {
      record({ method: 'deleteWebhook', payload });
      json(res, 200, { ok: true, result: true, description: 'Webhook is already deleted' });
    },
    getUpdates: (payload, res) => {
      const offset = Number(payload.offset ?? 0);
      if (offset > 0) updates = updates.filter((update) => update.update_id >= offset);
      const limit = Math.min(100, Math.max(1, Number(payload.limit ?? 100)));
      const timeout = Number(payload.timeout ?? 0);
      record({ method: 'getUpdates', payload });
      // Like Telegram: a second poller ends the first one with 409.
      releaseHeld((old) =>
        error(
          old,
          409,
          'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running',
        ),
      );
      if (updates.length > 0 || timeout <= 0) return deliver(res, limit);
      const timer = setTimeout(() => releaseHeld((r) => deliver(r, limit)), timeout * 1000);
      held = { res, limit, timer };
      res.on('close', () => {
        if (held?.res === res) {
          clearTimeout(held.timer);
          held = null;
        }
      });
    },
    sendMessage: (payload, res) => {
      const text = typeof payload.text === 'string' ? payload.text : '';
      if (payload.chat_id === undefined) return error(res, 400, 'Bad Request: chat_id is empty');
      if (text.trim() === '') return error(res, 400, 'Bad Request: message text is empty');
      let shown = text;
      let entities: TelegramEntity[] = [];
      if (payload.parse_mode === 'MarkdownV2') {
        const parsed = parseMarkdownV2(text);
        if (!parsed.ok) return error(res, 400, parsed.description);
        shown = parsed.text;
        entities = parsed.entities;
      } else if (payload.parse_mode !== undefined) {
        return error(res, 400, `Bad Request: unsupported parse_mode ${String(payload.parse_mode)}`);
      }
      if (shown.trim() === '') return error(res, 400, 'Bad Request: message text is empty');
      if (shown.length > 4096) return error(res, 400, 'Bad Request: message is too long');
      const messageId = nextMessageId++;
      record({ method: 'sendMessage', payload, text: shown, entities, messageId });
      const chatId = Number(payload.chat_id);
      json(res, 200, {
        ok: true,
        result: {
          message_id: messageId,
          from: bot,
          chat: { id: chatId, type: chatId < 0 ? 'supergroup' : 'private' },
          date: Math.floor(Date.now() / 1000),
          text: shown,
          ...(entities.length > 0 ? { entities } : {}),
          ...(payload.message_thread_id !== undefined
            ? { message_thread_id: payload.message_thread_id, is_topic_message: true }
            : {}),
        },
      });
    },
    sendChatAction: (payload, res) => {
      if (payload.chat_id === undefined) return error(res, 400, 'Bad Request: chat_id is empty');
      const actions = [
        'typing',
        'upload_photo',
        'upload_document',
        'record_voice',
        'find_location',
      ];
      if (!actions.includes(String(payload.action)))
        return error(res, 400, 'Bad Request: wrong parameter action in request');
      record({ method: 'sendChatAction', payload });
      json(res, 200, { ok: true, result: true });
    },
    getFile: (payload, res) => {
      const file = files.get(String(payload.file_id));
      if (file === undefined) return error(res, 400, 'Bad Request: invalid file_id');
      record({ method: 'getFile', payload });
      json(res, 200, {
        ok: true,
        result: {
          file_id: payload.file_id,
          file_unique_id: `u${payload.file_id}`,
          file_size: file.bytes.length,
          file_path: file.path,
        },
      });
    },
  };

  const server = createServer((req, res) => {
    void handle(req, res).catch(() => error(res, 500, 'Internal Server Error'));
  });
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const fileRoute = /^\/file\/bot([^/]+)\/(.+)$/u.exec(url.pathname);
    if (fileRoute) {
      if (fileRoute[1] !== token) return error(res, 401, 'Unauthorized');
      const file = [...files.values()].find(
        (f) => f.path === decodeURIComponent(fileRoute[2] ?? ''),
      );
      if (file === undefined) return error(res, 404, 'Not Found');
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': file.bytes.length,
      });
      res.end(Buffer.from(file.bytes));
      return;
    }
    const route = /^\/bot([^/]*)\/([A-Za-z]+)$/u.exec(url.pathname);
    if (!route) return error(res, 404, 'Not Found');
    if (route[1] !== token) return error(res, 401, 'Unauthorized');
    const method = route[2] ?? '';
    attemptCounts.set(method, (attemptCounts.get(method) ?? 0) + 1);
    const payload = await readPayload(req, url);
    if (payload === null) return error(res, 400, 'Bad Request: invalid JSON');
    const fault = faults.get(method);
    if (fault !== undefined) {
      fault.times -= 1;
      if (fault.times <= 0) faults.delete(method);
      if (fault.code === 429) {
        const retryAfter = fault.retryAfter ?? 1;
        return error(res, 429, `Too Many Requests: retry after ${retryAfter}`, {
          parameters: { retry_after: retryAfter },
        });
      }
      return error(
        res,
        fault.code,
        fault.description ?? (fault.code === 500 ? 'Internal Server Error' : 'Bad Request'),
      );
    }
    const run = methods[method];
    if (run === undefined) return error(res, 404, 'Not Found: method not found');
    run(payload, res);
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    apiRoot: `http://127.0.0.1:${port}`,
    token,
    bot,
    calls,
    attempts: (method) => attemptCounts.get(method) ?? 0,
    callsOf: (method) => calls.filter((call) => call.method === method),
    injectMessage(message) {
      const update_id = nextUpdateId++;
      updates.push({
        update_id,
        message: { message_id: nextMessageId++, date: Math.floor(Date.now() / 1000), ...message },
      });
      const poll = held;
      if (poll !== null) releaseHeld((res) => deliver(res, poll.limit));
      return update_id;
    },
    addFile(bytes) {
      const id = `file${files.size + 1}`;
      files.set(id, { path: `documents/${id}.bin`, bytes });
      return { file_id: id, file_unique_id: `u${id}`, file_size: bytes.length };
    },
    fail(method, fault) {
      faults.set(method, { ...fault, times: fault.times ?? 1 });
    },
    heldPolls: () => (held === null ? 0 : 1),
    async waitFor(method, count) {
      for (;;) {
        const found = calls.filter((call) => call.method === method);
        if (found.length >= count) return found;
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
    async close() {
      releaseHeld((res) => json(res, 200, { ok: true, result: [] }));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function readPayload(
  req: IncomingMessage,
  url: URL,
): Promise<Record<string, unknown> | null> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks).toString('utf8');
  const query = Object.fromEntries(url.searchParams);
  if (body.trim() === '') return query;
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null
      ? { ...query, ...(parsed as object) }
      : null;
  } catch {
    return null;
  }
}
