import { MnemosError } from '../../core/errors.js';
import type { RerankCandidate, Reranker } from '../../spec/reranker.js';
import { chunk, mapConcurrent } from '../http/batches.js';
import { badResponse, postJson } from '../http/post-json.js';
import type { RetryPolicy } from '../http/retry-policy.js';

/** Options of {@link HttpReranker}. */
export interface HttpRerankerOptions {
  /**
   * The full endpoint: `https://api.jina.ai/v1/rerank`, `https://api.cohere.com/v2/rerank`,
   * `http://localhost:8000/v1/rerank` (vLLM), `http://localhost:8080/rerank` (TEI).
   */
  url: string;
  /** Model name, e.g. `jina-reranker-v2-base-multilingual`, `BAAI/bge-reranker-v2-m3`. */
  model: string;
  /** Sent as a bearer token. */
  apiKey?: string | undefined;
  /** Where the key comes from, named in authentication errors; default `RERANK_API_KEY`. */
  apiKeyEnv?: string | undefined;
  /**
   * Wire shape. `cohere` (default; Jina, Cohere, vLLM, Infinity, LiteLLM):
   * `{model, query, documents, top_n}` → `{results:[{index, relevance_score}]}`.
   * `tei` (Hugging Face text-embeddings-inference's own `/rerank`):
   * `{query, texts, truncate}` → `[{index, score}]`.
   */
  format?: 'cohere' | 'tei' | undefined;
  /** Documents per request; default 32 for `tei` (its default max client batch), else 100. */
  batchSize?: number | undefined;
  /** Limit of one request; default 10,000 ms (reranking is on the query path). */
  timeoutMs?: number | undefined;
  /** Retries after 429, 5xx, timeouts and network errors; default 2. */
  maxRetries?: number | undefined;
  /** Backoff before the first retry, doubled each retry, with jitter; default 250 ms. */
  retryBaseDelayMs?: number | undefined;
  /** Longest wait between retries, a server's `Retry-After` included; default 5,000 ms. */
  retryMaxDelayMs?: number | undefined;
  /** Extra request headers. */
  headers?: Record<string, string> | undefined;
  /** Identity shown in search results; default `http-rerank:<model>`. */
  id?: string | undefined;
}

/**
 * A `Reranker` over an HTTP `/rerank` endpoint (a cross-encoder behind Jina, Cohere, vLLM or TEI).
 * Candidates go in batches of `batchSize`; each gets the score the server gave it, returned in
 * candidate order (cross-encoder scores are per pair, so batches are comparable).
 *
 * @example
 * const reranker = new HttpReranker({
 *   url: 'https://api.jina.ai/v1/rerank',
 *   model: 'jina-reranker-v2-base-multilingual',
 *   apiKey: process.env.JINA_API_KEY,
 *   apiKeyEnv: 'JINA_API_KEY',
 * });
 */
export class HttpReranker implements Reranker {
  readonly id: string;
  readonly url: string;
  readonly model: string;
  readonly format: 'cohere' | 'tei';
  readonly batchSize: number;
  private readonly options: HttpRerankerOptions;
  private readonly retry: RetryPolicy;

  constructor(options: HttpRerankerOptions) {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new MnemosError(
        'config_error',
        `reranker URL "${options.url}" is not a URL; use e.g. http://localhost:8080/rerank`,
      );
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new MnemosError(
        'config_error',
        `reranker URL "${options.url}" must start with http:// or https://`,
      );
    }
    if (typeof options.model !== 'string' || options.model.trim() === '') {
      throw new MnemosError('config_error', 'reranker model is empty; set the model name');
    }
    this.options = options;
    this.url = url.href;
    this.model = options.model;
    this.format = options.format ?? 'cohere';
    this.batchSize = options.batchSize ?? (this.format === 'tei' ? 32 : 100);
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1) {
      throw new MnemosError(
        'config_error',
        `reranker batch size must be a positive integer, got ${this.batchSize}`,
      );
    }
    this.id = options.id ?? `http-rerank:${options.model}`;
    this.retry = {
      maxRetries: options.maxRetries ?? 2,
      baseDelayMs: options.retryBaseDelayMs ?? 250,
      maxDelayMs: options.retryMaxDelayMs ?? 5_000,
    };
  }

  async doRerank(query: string, candidates: readonly RerankCandidate[]): Promise<number[]> {
    if (candidates.length === 0) return [];
    const batches = chunk(candidates, this.batchSize);
    const scored = await mapConcurrent(batches, 4, (batch) => this.request(query, batch));
    return scored.flat();
  }

  /** Scores one batch; the answer may come in any order (usually best first). */
  private async request(query: string, batch: readonly RerankCandidate[]): Promise<number[]> {
    const documents = batch.map((candidate) => candidate.text);
    const body = await postJson({
      service: 'rerank',
      url: this.url,
      body:
        this.format === 'tei'
          ? { query, texts: documents, truncate: true, raw_scores: false }
          : { model: this.model, query, documents, top_n: documents.length },
      apiKey: this.options.apiKey,
      apiKeyEnv: this.options.apiKeyEnv ?? 'RERANK_API_KEY',
      headers: this.options.headers,
      timeoutMs: this.options.timeoutMs ?? 10_000,
      retry: this.retry,
      hint: (status, message) =>
        status === 404
          ? `check the reranker URL (the full endpoint, e.g. …/v1/rerank for Jina, Cohere and vLLM, …/rerank for TEI) and the model name "${this.model}"`
          : status === 413 || /batch|too many|exceed/i.test(message ?? '')
            ? `lower the reranker batch size (now ${this.batchSize})`
            : /model/i.test(message ?? '')
              ? `check the model name "${this.model}"`
              : undefined,
    });
    return scoresInOrder(body, batch.length, { service: 'rerank', url: this.url });
  }
}

/**
 * Maps `[{index, relevance_score | score}]` back to input order. Accepts the list at `results`
 * (Jina, Cohere, vLLM), `data` (Voyage), `output.results` (DashScope) or the top level (TEI).
 */
function scoresInOrder(
  body: unknown,
  count: number,
  where: { service: string; url: string },
): number[] {
  const object = (body ?? {}) as {
    results?: unknown;
    data?: unknown;
    output?: { results?: unknown };
  };
  const list = Array.isArray(body)
    ? body
    : Array.isArray(object.results)
      ? object.results
      : Array.isArray(object.data)
        ? object.data
        : Array.isArray(object.output?.results)
          ? object.output.results
          : undefined;
  if (!list) throw badResponse(where, 'no results array');
  const scores = new Array<number | undefined>(count).fill(undefined);
  for (const item of list as unknown[]) {
    const entry = (item ?? {}) as { index?: unknown; relevance_score?: unknown; score?: unknown };
    const score = typeof entry.relevance_score === 'number' ? entry.relevance_score : entry.score;
    if (
      typeof entry.index !== 'number' ||
      !Number.isInteger(entry.index) ||
      entry.index < 0 ||
      entry.index >= count
    ) {
      throw badResponse(where, `a result with a bad index (${String(entry.index)})`);
    }
    if (typeof score !== 'number' || !Number.isFinite(score)) {
      throw badResponse(where, `a result without a numeric relevance_score (index ${entry.index})`);
    }
    scores[entry.index] = score;
  }
  const missing = scores.indexOf(undefined);
  if (missing !== -1 || scores.length !== count) {
    throw badResponse(where, `no score for document ${missing} of ${count}`);
  }
  return scores as number[];
}
