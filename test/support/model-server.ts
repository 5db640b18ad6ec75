/**
 * A scripted local model server speaking the OpenAI-compatible wire protocol, for tests that must
 * not reach a real model service. It listens on 127.0.0.1 with an ephemeral port and serves:
 *
 * - `POST /v1/embeddings`: deterministic hashed vectors computed from each input text (similar texts
 *   get similar vectors), honouring `dimensions` and `encoding_format: 'base64'`.
 * - `POST /v1/chat/completions`: replies from a FIFO script (text, tool calls, JSON, HTTP errors),
 *   else a default reply; `stream: true` answers with SSE chunks and `data: [DONE]`.
 * - `POST /v1/rerank`, `/v2/rerank` and `/rerank`: Jina/Cohere shape (`documents`) or TEI shape
 *   (`texts`), scored by query token overlap.
 * - `POST /v1/messages`: the Anthropic Messages API (non-streaming text), answered from the same script.
 * - `GET /v1/models`.
 *
 * Every request is recorded. Faults (`failNext`, `replyNext`, `delayNext`, `disconnectNext`) apply
 * to the next matching requests whatever their path, unless limited to one path. A request is first
 * delayed, then disconnected, failed or given a canned reply, in that order of precedence.
 *
 * @example
 * const server = await startModelServer({ dimensions: 8 });
 * server.script({ text: 'hello' }, { toolCalls: [{ name: 'search', arguments: { q: 'x' } }] });
 * await fetch(`${server.url}/chat/completions`, { method: 'POST', body: '{"messages":[]}' });
 * await server.close();
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the server received it. */
export interface RecordedRequest {
  method: string;
  /** Path without the query string, e.g. `/v1/embeddings`. */
  path: string;
  /** Lowercased header names. */
  headers: Record<string, string>;
  /** Parsed JSON body; `undefined` when the body was empty or not JSON. */
  body: unknown;
  /** The body as received. */
  rawBody: string;
}

/** A tool call the scripted assistant makes. */
export interface ScriptedToolCall {
  /** Defaults to `call_<n>`. */
  id?: string;
  name: string;
  /** A JSON string, or a value that is serialised with `JSON.stringify`. */
  arguments: string | unknown;
}

/** A successful scripted chat reply. */
export interface ScriptedMessage {
  /** Assistant text. */
  text?: string;
  /** A value sent as the assistant text, serialised with `JSON.stringify` (JSON output mode). */
  json?: unknown;
  toolCalls?: ScriptedToolCall[];
  /** Defaults to `tool_calls` when there are tool calls, else `stop`. */
  finishReason?: string;
  /** Streaming only: the text deltas to send; by default the text is cut into pieces of 8 characters. */
  chunks?: string[];
  /** Defaults to counts computed from the request and reply. */
  usage?: { prompt_tokens: number; completion_tokens: number };
}

/** A scripted HTTP error reply. */
export interface ScriptedError {
  status: number;
  /** An error message (wrapped in the OpenAI error shape) or a whole JSON body. */
  error?: string | Record<string, unknown>;
  headers?: Record<string, string>;
}

/** What one scripted turn answers. */
export type ScriptedReply = ScriptedMessage | ScriptedError;

/** A parsed Anthropic Messages request (the parts the server reads). */
interface AnthropicRequest {
  model?: string;
  system?: string | Array<{ text?: string }>;
  messages?: Array<{ role: string; content?: unknown }>;
}

/** A parsed chat completion request. */
export interface ChatRequest {
  model?: string;
  messages?: Array<{
    role: string;
    content?: unknown;
    tool_calls?: unknown;
    tool_call_id?: string;
  }>;
  tools?: unknown[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  response_format?: { type?: string };
  [key: string]: unknown;
}

/** Computes a chat reply from the request. */
export type ChatHandler = (
  request: ChatRequest,
  recorded: RecordedRequest,
) => ScriptedReply | Promise<ScriptedReply>;

/** Options of {@link startModelServer}. */
export interface ModelServerOptions {
  /** Vector length when a request does not ask for `dimensions`; default 64. */
  dimensions?: number;
  /** Batches larger than this are refused with 400, as DashScope refuses more than 10; default no cap. */
  maxEmbeddingBatch?: number;
  /** Chat reply when the script is empty; default `{ text: 'ok' }` (`{}` as text when JSON output is asked). */
  defaultReply?: ScriptedReply | ChatHandler;
  /** When set, requests without `Authorization: Bearer <apiKey>` get 401. */
  apiKey?: string;
  /** Overrides the built-in embedding function. */
  embed?: (text: string, dimensions: number) => number[];
  /** Port to listen on; default an ephemeral one. */
  port?: number;
}

/** Options of one injected fault. */
export interface FaultOptions {
  /** Only requests to this exact path count (e.g. `/v1/embeddings`); default every path. */
  path?: string;
}

/** A literal HTTP answer; `body` as a string is sent unchanged, anything else as JSON. */
export interface CannedReply {
  /** Default 200. */
  status?: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** A running scripted server. */
export interface ModelServer {
  /** Base URL of the OpenAI-compatible API, `http://127.0.0.1:PORT/v1`. */
  readonly url: string;
  /** `http://127.0.0.1:PORT`. */
  readonly origin: string;
  /** Every request received, in arrival order (including failed and delayed ones). */
  readonly requests: RecordedRequest[];
  /** Requests to one path, e.g. `requestsTo('/v1/embeddings')`. */
  requestsTo(path: string): RecordedRequest[];
  /** Queues chat replies, answered first in, first out. */
  script(...replies: Array<ScriptedReply | ChatHandler>): void;
  /** Scripted chat replies not yet used. */
  pendingScript(): number;
  /** Answers the next `count` matching requests with `status` and an OpenAI-shaped error. */
  failNext(
    count: number,
    status: number,
    options?: FaultOptions & { error?: string; headers?: Record<string, string> },
  ): void;
  /**
   * Answers the next `count` matching requests with exactly this reply (a string body is sent as
   * it is), to test clients against malformed or unusual answers.
   */
  replyNext(count: number, reply: CannedReply, options?: FaultOptions): void;
  /** Holds the next `count` matching requests for `ms` before answering them. */
  delayNext(count: number, ms: number, options?: FaultOptions): void;
  /** Destroys the connection of the next `count` matching requests without answering. */
  disconnectNext(count: number, options?: FaultOptions): void;
  /** Forgets recorded requests, the script and pending faults. */
  reset(): void;
  /** Stops listening and drops open connections (including delayed ones). */
  close(): Promise<void>;
}

interface Fault {
  remaining: number;
  path?: string;
}

/** Starts a scripted model server on 127.0.0.1 with an ephemeral port. */
export async function startModelServer(options: ModelServerOptions = {}): Promise<ModelServer> {
  const defaultDimensions = options.dimensions ?? 64;
  const embed = options.embed ?? hashedEmbedding;
  const requests: RecordedRequest[] = [];
  const chatScript: Array<ScriptedReply | ChatHandler> = [];
  let failures: Array<
    Fault & { status: number; error?: string; headers?: Record<string, string> }
  > = [];
  let canned: Array<Fault & { reply: CannedReply }> = [];
  let delays: Array<Fault & { ms: number }> = [];
  let disconnects: Fault[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let counter = 0;

  function take<T extends Fault>(queue: T[], path: string): T | undefined {
    const fault = queue.find(
      (entry) => entry.remaining > 0 && (entry.path === undefined || entry.path === path),
    );
    if (fault) fault.remaining--;
    return fault;
  }

  function wait(ms: number, response: ServerResponse): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
      response.on('close', () => {
        clearTimeout(timer);
        timers.delete(timer);
        resolve();
      });
    });
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const rawBody = await readBody(request);
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    let body: unknown;
    try {
      body = rawBody.length > 0 ? JSON.parse(rawBody) : undefined;
    } catch {
      body = undefined;
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    const recorded: RecordedRequest = {
      method: request.method ?? 'GET',
      path,
      headers,
      body,
      rawBody,
    };
    requests.push(recorded);

    const delay = take(delays, path);
    if (delay) await wait(delay.ms, response);
    if (response.destroyed || request.socket.destroyed) return;
    if (take(disconnects, path)) {
      request.socket.destroy();
      return;
    }
    const failure = take(failures, path);
    if (failure) {
      sendError(
        response,
        failure.status,
        failure.error ?? statusText(failure.status),
        failure.headers,
      );
      return;
    }
    const cannedReply = take(canned, path);
    if (cannedReply) {
      const { status = 200, body: replyBody, headers: replyHeaders = {} } = cannedReply.reply;
      if (typeof replyBody === 'string') {
        response.writeHead(status, { 'content-type': 'text/plain', ...replyHeaders });
        response.end(replyBody);
      } else {
        sendJson(response, status, replyBody, replyHeaders);
      }
      return;
    }
    if (options.apiKey !== undefined && headers.authorization !== `Bearer ${options.apiKey}`) {
      sendJson(response, 401, {
        error: {
          message: 'Incorrect API key provided.',
          type: 'invalid_request_error',
          code: 'invalid_api_key',
        },
      });
      return;
    }
    if (rawBody.length > 0 && body === undefined) {
      sendError(response, 400, 'request body is not valid JSON');
      return;
    }

    if (recorded.method === 'GET' && path === '/v1/models') {
      sendJson(response, 200, {
        object: 'list',
        data: [{ id: 'scripted-model', object: 'model', created: 0, owned_by: 'mnemos-test' }],
      });
      return;
    }
    if (recorded.method !== 'POST') {
      sendError(response, 404, `no route for ${recorded.method} ${path}`);
      return;
    }
    switch (path) {
      case '/v1/embeddings':
        return answerEmbeddings(response, body);
      case '/v1/chat/completions':
        return answerChat(response, (body ?? {}) as ChatRequest, recorded);
      case '/v1/messages':
        return answerAnthropic(response, (body ?? {}) as AnthropicRequest, recorded);
      case '/v1/rerank':
      case '/v2/rerank':
      case '/rerank':
        return answerRerank(response, body);
      default:
        sendError(response, 404, `no route for POST ${path}`);
    }
  }

  function answerEmbeddings(response: ServerResponse, body: unknown): void {
    const request = (body ?? {}) as {
      input?: unknown;
      model?: unknown;
      dimensions?: unknown;
      encoding_format?: unknown;
    };
    const inputs = typeof request.input === 'string' ? [request.input] : request.input;
    if (!Array.isArray(inputs) || inputs.some((input) => typeof input !== 'string')) {
      sendError(response, 400, "'input' must be a string or an array of strings");
      return;
    }
    if (inputs.length === 0) {
      sendError(response, 400, "'input' must not be empty");
      return;
    }
    if (options.maxEmbeddingBatch !== undefined && inputs.length > options.maxEmbeddingBatch) {
      sendError(
        response,
        400,
        `batch size is invalid, it should not be larger than ${options.maxEmbeddingBatch}.`,
      );
      return;
    }
    const dimensions = request.dimensions ?? defaultDimensions;
    if (typeof dimensions !== 'number' || !Number.isInteger(dimensions) || dimensions < 1) {
      sendError(response, 400, "'dimensions' must be a positive integer");
      return;
    }
    const base64 = request.encoding_format === 'base64';
    let tokens = 0;
    const data = (inputs as string[]).map((text, index) => {
      tokens += words(text).length;
      const vector = embed(text, dimensions);
      return {
        object: 'embedding',
        index,
        embedding: base64
          ? Buffer.from(new Float32Array(vector).buffer).toString('base64')
          : vector,
      };
    });
    sendJson(response, 200, {
      object: 'list',
      data,
      model: typeof request.model === 'string' ? request.model : 'scripted-embedding',
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    });
  }

  function answerRerank(response: ServerResponse, body: unknown): void {
    const request = (body ?? {}) as {
      model?: unknown;
      query?: unknown;
      documents?: unknown;
      texts?: unknown;
      top_n?: unknown;
    };
    if (typeof request.query !== 'string') {
      sendError(response, 400, "'query' must be a string");
      return;
    }
    const teiShape = request.documents === undefined && request.texts !== undefined;
    const raw = teiShape ? request.texts : request.documents;
    if (!Array.isArray(raw)) {
      sendError(response, 400, "'documents' must be an array");
      return;
    }
    const documents = raw.map((document) =>
      typeof document === 'string'
        ? document
        : typeof (document as { text?: unknown })?.text === 'string'
          ? (document as { text: string }).text
          : undefined,
    );
    if (documents.some((document) => document === undefined)) {
      sendError(response, 400, "'documents' must hold strings or {text} objects");
      return;
    }
    const query = new Set(words(request.query));
    const ranked = (documents as string[])
      .map((document, index) => ({ index, score: overlapScore(query, document) }))
      .sort((a, b) => b.score - a.score || a.index - b.index);
    if (teiShape) {
      sendJson(
        response,
        200,
        ranked.map(({ index, score }) => ({ index, score })),
      );
      return;
    }
    const topN = typeof request.top_n === 'number' ? request.top_n : ranked.length;
    sendJson(response, 200, {
      id: `rerank-${++counter}`,
      model: typeof request.model === 'string' ? request.model : 'scripted-rerank',
      results: ranked.slice(0, topN).map(({ index, score }) => ({ index, relevance_score: score })),
      usage: { total_tokens: query.size + documents.length },
    });
  }

  /** Anthropic Messages API, non-streaming text: the same script as chat, in Anthropic's shape. */
  async function answerAnthropic(
    response: ServerResponse,
    request: AnthropicRequest,
    recorded: RecordedRequest,
  ): Promise<void> {
    const system = Array.isArray(request.system)
      ? request.system.map((part) => part.text ?? '').join('\n')
      : request.system;
    const asChat: ChatRequest = {
      ...(request.model ? { model: request.model } : {}),
      messages: [
        ...(system ? [{ role: 'system', content: system }] : []),
        ...(request.messages ?? []),
      ],
    };
    const next = chatScript.shift() ?? options.defaultReply ?? defaultChatReply(asChat);
    const reply = typeof next === 'function' ? await next(asChat, recorded) : next;
    if ('status' in reply) {
      sendJson(response, reply.status, {
        type: 'error',
        error: { type: 'api_error', message: String(reply.error ?? statusText(reply.status)) },
      });
      return;
    }
    const text = reply.json !== undefined ? JSON.stringify(reply.json) : (reply.text ?? '');
    const usage = reply.usage ?? {
      prompt_tokens: words(JSON.stringify(asChat.messages)).length,
      completion_tokens: words(text).length,
    };
    sendJson(response, 200, {
      id: `msg_${++counter}`,
      type: 'message',
      role: 'assistant',
      model: request.model ?? 'scripted-claude',
      content: [{ type: 'text', text }],
      stop_reason: reply.finishReason === 'length' ? 'max_tokens' : 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: usage.prompt_tokens, output_tokens: usage.completion_tokens },
    });
  }

  async function answerChat(
    response: ServerResponse,
    request: ChatRequest,
    recorded: RecordedRequest,
  ): Promise<void> {
    const next = chatScript.shift() ?? options.defaultReply ?? defaultChatReply(request);
    const reply = typeof next === 'function' ? await next(request, recorded) : next;
    if ('status' in reply) {
      sendError(response, reply.status, reply.error ?? statusText(reply.status), reply.headers);
      return;
    }
    const id = `chatcmpl-${++counter}`;
    const created = Math.floor(Date.now() / 1000);
    const model = request.model ?? 'scripted-chat';
    const text = reply.json !== undefined ? JSON.stringify(reply.json) : reply.text;
    const toolCalls = (reply.toolCalls ?? []).map((call, index) => ({
      id: call.id ?? `call_${counter}_${index}`,
      type: 'function' as const,
      function: {
        name: call.name,
        arguments:
          typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments),
      },
    }));
    const finishReason = reply.finishReason ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop');
    const promptTokens = words(JSON.stringify(request.messages ?? [])).length;
    const completionTokens =
      words(text ?? '').length +
      toolCalls.reduce((sum, call) => sum + words(call.function.arguments).length, 0);
    const usage = reply.usage ?? {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
    };
    const fullUsage = { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens };

    if (!request.stream) {
      sendJson(response, 200, {
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              content: text ?? null,
              ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
            },
            logprobs: null,
            finish_reason: finishReason,
          },
        ],
        usage: fullUsage,
      });
      return;
    }

    response.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}): void => {
      response.write(
        `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices, ...extra })}\n\n`,
      );
    };
    const delta = (value: Record<string, unknown>, finish: string | null = null): void =>
      chunk([{ index: 0, delta: value, logprobs: null, finish_reason: finish }]);

    delta({ role: 'assistant', content: '' });
    for (const piece of reply.chunks ?? split(text ?? '', 8)) delta({ content: piece });
    toolCalls.forEach((call, index) => {
      delta({
        tool_calls: [
          {
            index,
            id: call.id,
            type: 'function',
            function: { name: call.function.name, arguments: '' },
          },
        ],
      });
      for (const piece of split(call.function.arguments, 8)) {
        delta({ tool_calls: [{ index, function: { arguments: piece } }] });
      }
    });
    delta({}, finishReason);
    if (request.stream_options?.include_usage) chunk([], { usage: fullUsage });
    response.end('data: [DONE]\n\n');
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) sendError(response, 500, `scripted server bug: ${String(error)}`);
      else response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;

  return {
    url: `${origin}/v1`,
    origin,
    requests,
    requestsTo: (path) => requests.filter((request) => request.path === path),
    script: (...replies) => {
      chatScript.push(...replies);
    },
    pendingScript: () => chatScript.length,
    failNext: (count, status, faultOptions = {}) => {
      failures.push({ remaining: count, status, ...faultOptions });
    },
    replyNext: (count, reply, faultOptions = {}) => {
      canned.push({ remaining: count, reply, ...faultOptions });
    },
    delayNext: (count, ms, faultOptions = {}) => {
      delays.push({ remaining: count, ms, ...faultOptions });
    },
    disconnectNext: (count, faultOptions = {}) => {
      disconnects.push({ remaining: count, ...faultOptions });
    },
    reset: () => {
      requests.length = 0;
      chatScript.length = 0;
      failures = [];
      canned = [];
      delays = [];
      disconnects = [];
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function defaultChatReply(request: ChatRequest): ScriptedReply {
  const type = request.response_format?.type;
  return type === 'json_object' || type === 'json_schema' ? { text: '{}' } : { text: 'ok' };
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    request.on('data', (part: Buffer) => parts.push(part));
    request.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    request.on('error', reject);
  });
}

function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}

function sendError(
  response: ServerResponse,
  status: number,
  error: string | Record<string, unknown>,
  headers: Record<string, string> = {},
): void {
  const body =
    typeof error === 'string'
      ? {
          error: {
            message: error,
            type: status >= 500 ? 'server_error' : 'invalid_request_error',
            code: null,
          },
        }
      : error;
  sendJson(response, status, body, headers);
}

function statusText(status: number): string {
  const texts: Record<number, string> = {
    400: 'Bad request',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'Not found',
    408: 'Request timeout',
    429: 'Rate limit reached, please retry later',
    500: 'Internal server error',
    502: 'Bad gateway',
    503: 'Service unavailable',
  };
  return texts[status] ?? `HTTP ${status}`;
}

function split(text: string, size: number): string[] {
  const characters = Array.from(text);
  const pieces: string[] = [];
  for (let index = 0; index < characters.length; index += size) {
    pieces.push(characters.slice(index, index + size).join(''));
  }
  return pieces;
}

const cjk = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]/u;

/** Lowercased words of letters and digits; every CJK character is a word of its own. */
export function words(text: string): string[] {
  const out: string[] = [];
  for (const match of text
    .normalize('NFKC')
    .toLowerCase()
    .matchAll(/[\p{L}\p{N}]+/gu)) {
    let run = '';
    for (const character of match[0]) {
      if (cjk.test(character)) {
        if (run) out.push(run);
        run = '';
        out.push(character);
      } else {
        run += character;
      }
    }
    if (run) out.push(run);
  }
  return out;
}

/** Share of the query's distinct words found in the document, in [0, 1]. */
function overlapScore(query: Set<string>, document: string): number {
  if (query.size === 0) return 0;
  const present = new Set(words(document));
  let hits = 0;
  for (const word of query) if (present.has(word)) hits++;
  return hits / query.size;
}

/**
 * The server's deterministic embedding: signed hashing of words and character trigrams into
 * `dimensions` slots, L2-normalised. Equal texts give equal vectors; texts sharing words are close.
 */
export function hashedEmbedding(text: string, dimensions: number): number[] {
  const vector = new Array<number>(dimensions).fill(0);
  const add = (feature: string, weight: number): void => {
    const hash = fnv1a(feature);
    const slot = hash % dimensions;
    vector[slot] = (vector[slot] ?? 0) + (hash & 0x80000000 ? -weight : weight);
  };
  const tokens = words(text);
  for (const word of tokens) {
    add(`w:${word}`, 1);
    const padded = `<${word}>`;
    if (padded.length > 4) {
      for (let index = 0; index + 3 <= padded.length; index++) {
        add(`t:${padded.slice(index, index + 3)}`, 0.5);
      }
    }
  }
  if (tokens.length === 0) add(`empty:${text}`, 1);
  const norm = Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0));
  return vector.map((value) => (norm > 0 ? value / norm : 0));
}

function fnv1a(value: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < value.length; index++) {
    hash ^= value.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
