import { generateText, type LanguageModel, NoObjectGeneratedError, Output } from 'ai';
import type { z } from 'zod';
import type { ProviderId } from '../../config/provider-ids.js';
import { MnemosError } from '../../core/errors.js';
import type { ModelUsage } from '../../core/model-usage.js';
import { badResponse } from '../http/post-json.js';
import { resilientFetch } from '../http/resilient-fetch.js';
import type { RetryPolicy } from '../http/retry-policy.js';
import { upstreamError } from '../http/upstream-error.js';
import { chatEndpoint, createLanguageModel } from './language-model.js';

/** One message of a chat completion request. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** Tokens one call used, as the server reported them (0 when it reported nothing). */
export type ChatUsage = ModelUsage;

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
  /** Which API the server speaks; default `openai-compatible`. */
  provider?: ProviderId | undefined;
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
 * A chat model reached through the Vercel AI SDK (OpenAI-compatible servers and Anthropic), for calls
 * that must answer one JSON object (JSON output mode: `response_format: {type: 'json_object'}` on
 * OpenAI-compatible servers). Requests go through Mnemos' retrying fetch: 429/5xx/timeouts/network
 * errors are retried with backoff, and every failure becomes an `upstream_error` that says what to check.
 *
 * An answer that is not a JSON object (or was cut off by `max_tokens`) is an `upstream_error` with
 * reason `bad_response`; it is not retried here, the job runner retries the whole job.
 */
export class ChatClient implements JsonChatClient {
  /** The endpoint called, e.g. `{baseURL}/chat/completions`. */
  readonly url: string;
  readonly model: string;
  /** The AI SDK model, for callers that stream or call tools (the agent loop). */
  readonly languageModel: LanguageModel;
  private readonly options: ChatClientOptions;

  constructor(options: ChatClientOptions) {
    this.options = options;
    const provider = options.provider ?? 'openai-compatible';
    const baseURL = checkedBaseURL(options.baseURL);
    this.url = chatEndpoint({ provider, baseURL });
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
    const retry: RetryPolicy = {
      maxRetries,
      baseDelayMs: options.retryBaseDelayMs ?? 500,
      maxDelayMs: options.retryMaxDelayMs ?? 20_000,
    };
    const fetch = resilientFetch({
      service: 'chat',
      apiKey: options.apiKey,
      apiKeyEnv: options.apiKeyEnv ?? 'OPENAI_API_KEY',
      timeoutMs: options.timeoutMs ?? 60_000,
      retry,
      hint: (status, message) => this.hint(status, message),
    });
    this.languageModel = createLanguageModel(
      {
        provider,
        model: options.model,
        baseURL,
        apiKey: options.apiKey,
        headers: options.headers,
      },
      fetch,
    );
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
    let text: string;
    let finishReason: string;
    let usage: ChatUsage;
    let model = this.model;
    try {
      const result = await generateText({
        model: this.languageModel,
        messages: messages.map((message) => ({ ...message })),
        allowSystemInMessages: true,
        output: Output.json({ name: schemaName }),
        temperature: this.options.temperature ?? 0,
        maxOutputTokens: options.maxTokens ?? this.options.maxTokens ?? 2_048,
        // Retries happen in the fetch, where the status and Retry-After are known.
        maxRetries: 0,
      });
      text = result.text;
      finishReason = result.finishReason;
      usage = {
        promptTokens: tokenCount(result.usage.inputTokens),
        completionTokens: tokenCount(result.usage.outputTokens),
      };
      if (result.response.modelId) model = result.response.modelId;
    } catch (error) {
      if (!NoObjectGeneratedError.isInstance(error)) throw unwrap(error, where);
      // Not JSON as the SDK sees it (a fence, prose, a cut-off answer): judged below, as for any text.
      text = error.text ?? '';
      finishReason = error.finishReason ?? 'unknown';
      usage = {
        promptTokens: tokenCount(error.usage?.inputTokens),
        completionTokens: tokenCount(error.usage?.outputTokens),
      };
      if (error.response?.modelId) model = error.response.modelId;
    }
    return { json: parseJsonAnswer(text, finishReason, where), usage, model };
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

/** The base URL as the AI SDK wants it: checked, and without a trailing `/chat/completions`. */
function checkedBaseURL(baseURL: string): string {
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
  return url.href.replace(/\/+$/, '').replace(/\/chat\/completions$/, '');
}

/** The assistant text of a JSON-mode call as a JSON object, or the `bad_response` error saying why not. */
function parseJsonAnswer(
  text: string,
  finishReason: string,
  where: { service: string; url: string },
): Record<string, unknown> {
  if (text.trim() === '') throw badAnswer(where, 'an empty assistant message instead of JSON');
  if (finishReason === 'length') {
    throw badAnswer(
      where,
      `an answer cut off at the max_tokens limit (${clip(text)})`,
      undefined,
      'raise maxTokens, or send fewer messages per job',
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(stripFence(text));
  } catch (error) {
    throw badAnswer(where, `an assistant message that is not JSON (${clip(text)})`, error);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw badAnswer(where, `JSON that is not an object (${clip(text)})`);
  }
  return json as Record<string, unknown>;
}

/**
 * The Mnemos error behind an AI SDK failure (the retrying fetch throws them, the SDK may wrap them),
 * a cancel as it is, else an `upstream_error` describing what the SDK reported.
 */
function unwrap(error: unknown, where: { service: string; url: string }): unknown {
  // A caller's cancel is theirs to handle, not a failure of the service.
  if (error instanceof Error && error.name === 'AbortError') return error;
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current instanceof Error; depth++) {
    if (MnemosError.isInstance(current)) return current;
    current = current.cause;
  }
  return badResponse(
    where,
    `an error the client could not read (${clip(String(error))})`,
    1,
    error,
  );
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
