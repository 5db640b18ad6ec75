import type { z } from 'zod';
import { MnemosError } from '../../errors.js';
import { badResponse, postJson } from '../http/post-json.js';
import type { RetryPolicy } from '../http/retry-policy.js';
import { upstreamError } from '../http/upstream-error.js';

/** One message of a chat completion request. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** Tokens one call used, as the server reported them (0 when it reported nothing). */
export interface ChatUsage {
  promptTokens: number;
  completionTokens: number;
}

/** The parsed JSON answer of {@link ChatClient.completeJson} and what it cost. */
export interface JsonCompletion {
  /** The assistant message parsed as JSON. */
  json: unknown;
  usage: ChatUsage;
  /** The model that answered, as the server named it (else the configured one). */
  model: string;
}

/** Per-call settings of {@link ChatClient.completeJson}. */
export interface CompleteJsonOptions {
  /** Cap on the answer's tokens (`max_tokens`); default the client's `maxTokens`. */
  maxTokens?: number | undefined;
}

/** What extractors and reconcilers need from a chat model: one JSON answer per call. */
export interface JsonChatClient {
  readonly model: string;
  /** The endpoint called, named in errors. */
  readonly url: string;
  completeJson(
    messages: readonly ChatMessage[],
    schemaName: string,
    options?: CompleteJsonOptions,
  ): Promise<JsonCompletion>;
}

/** Options of {@link ChatClient}. */
export interface ChatClientOptions {
  /**
   * Base URL of the API, the part before `/chat/completions`: `https://api.openai.com/v1`,
   * `https://dashscope.aliyuncs.com/compatible-mode/v1`, `http://localhost:11434/v1` (Ollama),
   * `http://localhost:8000/v1` (vLLM).
   */
  baseURL: string;
  /** Model name, e.g. `qwen-plus`, `gpt-4o-mini`. */
  model: string;
  /** Sent as a bearer token; local servers usually need none. */
  apiKey?: string | undefined;
  /**
   * Where the key comes from, named in authentication errors; default `OPENAI_API_KEY`. The key
   * itself is read by the caller (as `create-models.ts` does for embedders), not from here.
   */
  apiKeyEnv?: string | undefined;
  /** Limit of one request, connection to last byte; default 60,000 ms (chat is slower than embedding). */
  timeoutMs?: number | undefined;
  /** Retries after 429, 5xx, timeouts and network errors; default 3. */
  maxRetries?: number | undefined;
  /** Backoff before the first retry, doubled each retry, with jitter; default 500 ms. */
  retryBaseDelayMs?: number | undefined;
  /** Longest wait between retries, a server's `Retry-After` included; default 20,000 ms. */
  retryMaxDelayMs?: number | undefined;
  /** Default `max_tokens` of an answer; default 2,048. */
  maxTokens?: number | undefined;
  /** Sampling temperature; default 0, for repeatable extraction. */
  temperature?: number | undefined;
  /** Extra request headers. */
  headers?: Record<string, string> | undefined;
}

/**
 * A minimal client of an OpenAI-compatible `POST {baseURL}/chat/completions` endpoint, for calls
 * that must answer one JSON object (`response_format: {type: 'json_object'}`). Plain `fetch` through
 * `postJson`: retries 429/5xx/timeouts/network errors with backoff, and turns every failure into an
 * `upstream_error` that says what to check.
 *
 * An answer that is not a JSON object (or was cut off by `max_tokens`) is an `upstream_error` with
 * reason `bad_response`; it is not retried here, the job runner retries the whole job.
 */
export class ChatClient implements JsonChatClient {
  /** The endpoint called, `{baseURL}/chat/completions`. */
  readonly url: string;
  readonly model: string;
  private readonly options: ChatClientOptions;
  private readonly retry: RetryPolicy;

  constructor(options: ChatClientOptions) {
    this.options = options;
    this.url = chatUrl(options.baseURL);
    if (typeof options.model !== 'string' || options.model.trim() === '') {
      throw configError('chat model is empty; set the model name, e.g. qwen-plus or gpt-4o-mini');
    }
    this.model = options.model;
    positiveInteger(options.timeoutMs, 'chat timeout');
    positiveInteger(options.maxTokens, 'chat max tokens');
    const maxRetries = options.maxRetries ?? 3;
    if (!Number.isInteger(maxRetries) || maxRetries < 0) {
      throw configError(`chat max retries must be a whole number ≥ 0, got ${String(maxRetries)}`);
    }
    this.retry = {
      maxRetries,
      baseDelayMs: options.retryBaseDelayMs ?? 500,
      maxDelayMs: options.retryMaxDelayMs ?? 20_000,
    };
  }

  /**
   * Sends `messages` asking for a JSON object and returns it parsed, with token usage.
   * `schemaName` names the expected answer (e.g. `facts`) in error messages.
   */
  async completeJson(
    messages: readonly ChatMessage[],
    schemaName: string,
    options: CompleteJsonOptions = {},
  ): Promise<JsonCompletion> {
    const where = { service: `chat (${schemaName})`, url: this.url };
    const body = await postJson({
      ...where,
      body: {
        model: this.model,
        messages,
        response_format: { type: 'json_object' },
        temperature: this.options.temperature ?? 0,
        max_tokens: options.maxTokens ?? this.options.maxTokens ?? 2_048,
      },
      apiKey: this.options.apiKey,
      apiKeyEnv: this.options.apiKeyEnv ?? 'OPENAI_API_KEY',
      headers: this.options.headers,
      timeoutMs: this.options.timeoutMs ?? 60_000,
      retry: this.retry,
      hint: (status, message) => this.hint(status, message),
    });
    const answer = (body ?? {}) as {
      model?: unknown;
      choices?: unknown;
      usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } | null;
    };
    if (!Array.isArray(answer.choices) || answer.choices.length === 0) {
      throw badResponse(where, 'no choices');
    }
    const choice = (answer.choices[0] ?? {}) as {
      message?: { content?: unknown; refusal?: unknown } | null;
      finish_reason?: unknown;
    };
    const content = choice.message?.content;
    if (typeof content !== 'string' || content.trim() === '') {
      const refusal = choice.message?.refusal;
      throw badAnswer(
        where,
        typeof refusal === 'string' && refusal !== ''
          ? `a refusal instead of JSON (${clip(refusal)})`
          : 'an empty assistant message instead of JSON',
      );
    }
    if (choice.finish_reason === 'length') {
      throw badAnswer(
        where,
        `an answer cut off at the max_tokens limit (${clip(content)})`,
        undefined,
        'raise maxTokens, or send fewer messages per job',
      );
    }
    let json: unknown;
    try {
      json = JSON.parse(stripFence(content));
    } catch (error) {
      throw badAnswer(where, `an assistant message that is not JSON (${clip(content)})`, error);
    }
    if (json === null || typeof json !== 'object' || Array.isArray(json)) {
      throw badAnswer(where, `JSON that is not an object (${clip(content)})`);
    }
    return {
      json,
      usage: {
        promptTokens: tokenCount(answer.usage?.prompt_tokens),
        completionTokens: tokenCount(answer.usage?.completion_tokens),
      },
      model: typeof answer.model === 'string' && answer.model !== '' ? answer.model : this.model,
    };
  }

  private hint(status: number, message: string | undefined): string | undefined {
    const text = message ?? '';
    if (status === 404) {
      return `check the chat base URL ${this.options.baseURL} (OpenAI-compatible base URLs usually end in /v1; DashScope uses https://dashscope.aliyuncs.com/compatible-mode/v1) and the model name "${this.model}"`;
    }
    if (/response_format|json_object|json mode/i.test(text)) {
      return `the model "${this.model}" may not support JSON output (response_format json_object); pick a model that does`;
    }
    if (/context|too long|maximum|max_tokens|token/i.test(text)) {
      return 'the request is too long for the model; send fewer or shorter messages per job, or lower maxTokens';
    }
    if (/model/i.test(text)) return `check the model name "${this.model}"`;
    return undefined;
  }
}

/**
 * Validates a JSON answer against a zod schema; a violation is an `upstream_error`
 * (reason `bad_response`) naming the first problems, so the job is retried and then fails cleanly.
 */
export function parseAnswer<T>(
  schema: z.ZodType<T>,
  json: unknown,
  where: { service: string; url: string },
): T {
  const result = schema.safeParse(json);
  if (result.success) return result.data;
  const problems = result.error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
  throw badAnswer(
    where,
    `JSON that does not match the expected shape (${clip(problems)}; answer: ${clip(JSON.stringify(json))})`,
    result.error,
  );
}

/**
 * An upstream error for an answer that arrived but is unusable (not JSON, wrong shape, cut off):
 * the model, not the endpoint, is at fault.
 */
function badAnswer(
  where: { service: string; url: string },
  problem: string,
  cause?: unknown,
  advice = 'the model did not follow the output format; the job is retried, and a model that keeps failing needs replacing with a stronger one',
): MnemosError {
  return upstreamError(
    `${where.service} request to ${where.url} returned ${problem}: ${advice}`,
    { service: where.service, url: where.url, reason: 'bad_response', attempts: 1 },
    cause,
  );
}

/** Removes a Markdown code fence some models put around JSON even in JSON mode. */
function stripFence(text: string): string {
  const match = /^\s*```(?:json)?\s*\n?([\s\S]*?)\n?\s*```\s*$/i.exec(text);
  return match ? (match[1] ?? '') : text;
}

function tokenCount(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0;
}

/** `{baseURL}/chat/completions`; a base URL that already ends in `/chat/completions` is used as it is. */
function chatUrl(baseURL: string): string {
  let url: URL;
  try {
    url = new URL(baseURL);
  } catch {
    throw configError(
      `chat base URL "${baseURL}" is not a URL; use e.g. https://api.openai.com/v1 or http://localhost:11434/v1`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw configError(`chat base URL "${baseURL}" must start with http:// or https://`);
  }
  const trimmed = url.href.replace(/\/+$/, '');
  return trimmed.endsWith('/chat/completions') ? trimmed : `${trimmed}/chat/completions`;
}

function clip(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}

function configError(message: string): MnemosError {
  return new MnemosError('config_error', message);
}

function positiveInteger(value: number | undefined, name: string): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < 1) {
    throw configError(`${name} must be a positive integer, got ${String(value)}`);
  }
}
