import { MnemosError } from '../../core/errors.js';
import type { Embedder } from '../../spec/embedder.js';
import { chunk, mapConcurrent } from '../http/batches.js';
import { badResponse, postJson } from '../http/post-json.js';
import type { RetryPolicy } from '../http/retry-policy.js';
import { upstreamError } from '../http/upstream-error.js';

/** Options of {@link OpenAICompatibleEmbedder}. */
export interface OpenAICompatibleEmbedderOptions {
  /**
   * Base URL of the API, the part before `/embeddings`: `https://api.openai.com/v1`,
   * `https://dashscope.aliyuncs.com/compatible-mode/v1`, `http://localhost:11434/v1` (Ollama),
   * `http://localhost:8000/v1` (vLLM), `http://localhost:8080/v1` (TEI).
   */
  baseURL: string;
  /** Model name, e.g. `text-embedding-v4`, `text-embedding-3-small`, `bge-m3`. */
  model: string;
  /** Sent as a bearer token; local servers usually need none. */
  apiKey?: string | undefined;
  /** Where the key comes from, named in authentication errors; default `OPENAI_API_KEY`. */
  apiKeyEnv?: string | undefined;
  /**
   * Vector length. When set it is sent as the `dimensions` request parameter (OpenAI
   * `text-embedding-3-*` and DashScope v3/v4 shorten vectors on request) and every answer is checked
   * against it. When unset, one probe request on first use (`init()`) detects it.
   */
  dimensions?: number | undefined;
  /** Send `dimensions` in requests when it is set; default true. Turn off for servers that reject it. */
  sendDimensions?: boolean | undefined;
  /**
   * Texts per request; default 32, or 10 for DashScope hosts (`*.aliyuncs.com`): DashScope
   * text-embedding-v3 and v4 refuse batches of more than 10 texts.
   */
  batchSize?: number | undefined;
  /** Requests in flight at once for a large `doEmbed` call; default 2. */
  concurrency?: number | undefined;
  /** Retries after 429, 5xx, timeouts and network errors; default 3. */
  maxRetries?: number | undefined;
  /** Limit of one request; default 30,000 ms. */
  timeoutMs?: number | undefined;
  /** Backoff before the first retry, doubled each retry, with jitter; default 500 ms. */
  retryBaseDelayMs?: number | undefined;
  /** Longest wait between retries, a server's `Retry-After` included; default 20,000 ms. */
  retryMaxDelayMs?: number | undefined;
  /** Extra request headers. */
  headers?: Record<string, string> | undefined;
  /** Scale every vector to unit length (cosine becomes a dot product); default true. */
  normalize?: boolean | undefined;
  /** Overrides the identity recorded by stores (see {@link OpenAICompatibleEmbedder.id}). */
  id?: string | undefined;
}

const PROBE_TEXT = 'mnemos dimension probe';

/**
 * An `Embedder` over any OpenAI-compatible `POST {baseURL}/embeddings` endpoint: DashScope
 * compatible mode (`text-embedding-v3`/`v4`), OpenAI `text-embedding-3-*`, Ollama, vLLM, TEI.
 *
 * Plain `fetch` rather than the AI SDK's `embedMany`: batching, retries, timeouts, dimension
 * detection and error messages stay here, with no dependency.
 *
 * Texts are sent in batches of `batchSize`, `concurrency` at a time, and each vector comes back
 * L2-normalised in input order. Blank texts are not sent (providers refuse them) and get a zero vector.
 *
 * @example
 * const embedder = await OpenAICompatibleEmbedder.create({
 *   baseURL: 'https://dashscope.aliyuncs.com/compatible-mode/v1',
 *   model: 'text-embedding-v4',
 *   apiKey: process.env.DASHSCOPE_API_KEY,
 *   apiKeyEnv: 'DASHSCOPE_API_KEY',
 *   dimensions: 1024,
 * });
 */
export class OpenAICompatibleEmbedder implements Embedder {
  /** The endpoint called, `{baseURL}/embeddings`. */
  readonly url: string;
  readonly model: string;
  readonly batchSize: number;
  private readonly options: OpenAICompatibleEmbedderOptions;
  /** Sentence models put rewordings of one statement above 0.9; candidates are still verified. */
  readonly nearDuplicateThreshold = 0.9;
  readonly fusionWeight = 0.5;
  private readonly configuredDimensions: number | undefined;
  private detectedDimensions: number | undefined;
  private probing: Promise<void> | undefined;
  private readonly retry: RetryPolicy;

  constructor(options: OpenAICompatibleEmbedderOptions) {
    this.options = options;
    this.url = embeddingsUrl(options.baseURL);
    if (typeof options.model !== 'string' || options.model.trim() === '') {
      throw configError('embedder model is empty; set the model name, e.g. text-embedding-v4');
    }
    this.model = options.model;
    this.configuredDimensions = positiveInteger(options.dimensions, 'embedder dimensions');
    const dashscope = new URL(this.url).hostname.endsWith('.aliyuncs.com');
    this.batchSize =
      positiveInteger(options.batchSize, 'embedder batch size') ?? (dashscope ? 10 : 32);
    positiveInteger(options.concurrency, 'embedder concurrency');
    positiveInteger(options.timeoutMs, 'embedder timeout');
    this.retry = {
      maxRetries: nonNegativeInteger(options.maxRetries, 'embedder max retries') ?? 3,
      baseDelayMs: options.retryBaseDelayMs ?? 500,
      maxDelayMs: options.retryMaxDelayMs ?? 20_000,
    };
  }

  /** Builds the embedder and detects its dimension when not configured, so `id` and `dimensions` are known. */
  static async create(options: OpenAICompatibleEmbedderOptions): Promise<OpenAICompatibleEmbedder> {
    const embedder = new OpenAICompatibleEmbedder(options);
    await embedder.init();
    return embedder;
  }

  /** True once `dimensions` is known (configured, or detected by `init()`). */
  get ready(): boolean {
    return (this.configuredDimensions ?? this.detectedDimensions) !== undefined;
  }

  /**
   * Vector length. Throws when it was not configured and `init()` has not detected it yet.
   */
  get dimensions(): number {
    const dimensions = this.configuredDimensions ?? this.detectedDimensions;
    if (dimensions === undefined) {
      throw new MnemosError(
        'config_error',
        `the dimension of embedding model ${this.model} at ${this.url} is not known yet: await embedder.init() (or build it with OpenAICompatibleEmbedder.create()), or configure dimensions`,
        { category: 'system', details: { model: this.model, url: this.url } },
      );
    }
    return dimensions;
  }

  /**
   * `openai-compatible:<model>:<dimensions>`. The host is deliberately not part of it: the same
   * model at the same dimension gives the same vectors whether served by the provider, a proxy or a
   * local server, and a store must not need re-embedding because its base URL moved. Give `id`
   * explicitly when two endpoints use one model name for different weights.
   */
  get id(): string {
    return this.options.id ?? `openai-compatible:${this.model}:${this.dimensions}`;
  }

  /** Detects the dimension with one probe request when it is not configured; no-op otherwise. */
  async init(): Promise<void> {
    if (this.ready) return;
    this.probing ??= this.request([PROBE_TEXT]).then(
      ([vector]) => {
        this.detectedDimensions = vector!.length;
      },
      (error: unknown) => {
        this.probing = undefined;
        throw error;
      },
    );
    await this.probing;
  }

  async doEmbed(texts: readonly string[]): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    await this.init();
    const dimensions = this.dimensions;
    const sent: number[] = [];
    texts.forEach((text, index) => {
      if (text.trim() !== '') sent.push(index);
    });
    const vectors: Float32Array[] = texts.map(() => new Float32Array(dimensions));
    const batches = chunk(sent, this.batchSize);
    const answers = await mapConcurrent(batches, this.options.concurrency ?? 2, (batch) =>
      this.request(batch.map((index) => texts[index]!)),
    );
    batches.forEach((batch, batchIndex) => {
      const answer = answers[batchIndex]!;
      batch.forEach((textIndex, position) => {
        vectors[textIndex] = answer[position]!;
      });
    });
    return vectors;
  }

  /** One `/embeddings` call; vectors in input order, checked and normalised. */
  private async request(input: string[]): Promise<Float32Array[]> {
    const expected = this.configuredDimensions ?? this.detectedDimensions;
    const sendDimensions =
      this.configuredDimensions !== undefined && (this.options.sendDimensions ?? true);
    const body = await postJson({
      service: 'embedding',
      url: this.url,
      body: {
        model: this.model,
        input,
        encoding_format: 'float',
        ...(sendDimensions ? { dimensions: this.configuredDimensions } : {}),
      },
      apiKey: this.options.apiKey,
      apiKeyEnv: this.options.apiKeyEnv ?? 'OPENAI_API_KEY',
      headers: this.options.headers,
      timeoutMs: this.options.timeoutMs ?? 30_000,
      retry: this.retry,
      hint: (status, message) => this.hint(status, message, sendDimensions),
    });
    const vectors = parseEmbeddings(body, input.length, { service: 'embedding', url: this.url });
    for (const vector of vectors) {
      if (expected !== undefined && vector.length !== expected) {
        throw upstreamError(
          `embedding model ${this.model} at ${this.url} returned ${vector.length}-dimension vectors, not the ${expected} expected; ${
            this.configuredDimensions !== undefined
              ? `set the embedder dimensions to ${vector.length} (or leave them unset to detect them), or use a server that honours the dimensions parameter`
              : 'the model behind the endpoint changed; restart to detect it again'
          }`,
          {
            service: 'embedding',
            url: this.url,
            reason: 'bad_response',
            attempts: 1,
            expected,
            received: vector.length,
          },
        );
      }
      if (vector.length === 0) {
        throw badResponse({ service: 'embedding', url: this.url }, 'an empty vector');
      }
      if (this.options.normalize ?? true) normalize(vector, this.url);
    }
    return vectors;
  }

  private hint(
    status: number,
    message: string | undefined,
    sentDimensions: boolean,
  ): string | undefined {
    const text = message ?? '';
    if (status === 404) {
      return `check the embedder base URL ${this.options.baseURL} (OpenAI-compatible base URLs usually end in /v1; DashScope uses https://dashscope.aliyuncs.com/compatible-mode/v1) and the model name "${this.model}"`;
    }
    if (status === 413 || /batch|too many|larger than|exceed/i.test(text)) {
      return `lower the embedder batch size (now ${this.batchSize}; DashScope text-embedding-v3/v4 accept at most 10 texts per request) or shorten the texts`;
    }
    if (sentDimensions && /dimension/i.test(text)) {
      return `the model may not support dimensions=${this.configuredDimensions}; pick a size it offers, or leave dimensions unset (or sendDimensions false) to use its native size`;
    }
    if (/model/i.test(text)) return `check the model name "${this.model}"`;
    return undefined;
  }
}

/** `{baseURL}/embeddings`; a base URL that already ends in `/embeddings` is used as it is. */
function embeddingsUrl(baseURL: string): string {
  let url: URL;
  try {
    url = new URL(baseURL);
  } catch {
    throw configError(
      `embedder base URL "${baseURL}" is not a URL; use e.g. https://api.openai.com/v1 or http://localhost:11434/v1`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw configError(`embedder base URL "${baseURL}" must start with http:// or https://`);
  }
  const trimmed = url.href.replace(/\/+$/, '');
  return trimmed.endsWith('/embeddings') ? trimmed : `${trimmed}/embeddings`;
}

/** Reads `data[]` of an OpenAI embeddings answer into vectors placed by their `index`. */
function parseEmbeddings(
  body: unknown,
  count: number,
  where: { service: string; url: string },
): Float32Array[] {
  const data = (body as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) throw badResponse(where, 'no data array');
  if (data.length !== count) {
    throw badResponse(where, `${data.length} embeddings for ${count} texts`);
  }
  const vectors = new Array<Float32Array | undefined>(count);
  data.forEach((item: unknown, position) => {
    const entry = (item ?? {}) as { index?: unknown; embedding?: unknown };
    const index = typeof entry.index === 'number' ? entry.index : position;
    if (!Number.isInteger(index) || index < 0 || index >= count || vectors[index] !== undefined) {
      throw badResponse(
        where,
        `an embedding with a bad or repeated index (${String(entry.index)})`,
      );
    }
    vectors[index] = toVector(entry.embedding, where);
  });
  return vectors as Float32Array[];
}

function toVector(embedding: unknown, where: { service: string; url: string }): Float32Array {
  if (typeof embedding === 'string') {
    const bytes = Buffer.from(embedding, 'base64');
    if (bytes.byteLength % 4 !== 0) throw badResponse(where, 'a base64 embedding of odd length');
    const vector = new Float32Array(bytes.byteLength / 4);
    for (let index = 0; index < vector.length; index++)
      vector[index] = bytes.readFloatLE(index * 4);
    return vector;
  }
  if (!Array.isArray(embedding) || embedding.some((value) => typeof value !== 'number')) {
    throw badResponse(where, 'an embedding that is not an array of numbers');
  }
  return Float32Array.from(embedding as number[]);
}

function normalize(vector: Float32Array, url: string): void {
  let sum = 0;
  for (const value of vector) sum += value * value;
  if (!Number.isFinite(sum)) {
    throw badResponse({ service: 'embedding', url }, 'a vector with a non-finite component');
  }
  if (sum === 0) return;
  const scale = 1 / Math.sqrt(sum);
  for (let index = 0; index < vector.length; index++) vector[index] = vector[index]! * scale;
}

function configError(message: string): MnemosError {
  return new MnemosError('config_error', message);
}

function positiveInteger(value: number | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 1) {
    throw configError(`${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

function nonNegativeInteger(value: number | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 0) {
    throw configError(`${name} must be a whole number ≥ 0, got ${String(value)}`);
  }
  return value;
}
