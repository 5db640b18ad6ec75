import { isIP } from 'node:net';
import { Agent, fetch, type Response } from 'undici';
import { z } from 'zod';
import { htmlToText } from './html-to-text.js';
import { formatBytes, looksBinary, sniffBytes } from './text-file.js';
import type { AgentTool } from './tool.js';
import {
  guardedLookup,
  RefusedAddressError,
  type WebAddressPolicy,
  webAddressPolicy,
} from './web-address-policy.js';

/** Limits of `web_fetch`. */
export interface WebFetchOptions {
  /** Whole request including the body (default 15 s). */
  timeoutMs?: number;
  /** Most body bytes read (default 200 KB); the rest is dropped with a note. */
  maxBytes?: number;
  /**
   * Hosts (`name`, `*.domain`), IP literals or CIDR ranges that may be fetched although they are
   * not public (loopback, private, link-local, …); config `agent.web.allow_hosts`.
   */
  allowHosts?: readonly string[];
  /** Redirects followed before giving up (default 5); every hop is checked like the first URL. */
  maxRedirects?: number;
}

/** What the model gets back from a fetch. */
export interface WebFetchResult {
  /** Final URL after redirects. */
  url: string;
  status: number;
  contentType: string;
  text: string;
}

const schema = z.object({
  url: z.string().min(1).describe('The http:// or https:// URL to fetch.'),
});

const textualType = /^(?:text\/|application\/(?:[\w.+-]*\+)?(?:json|xml|javascript|x-yaml|yaml)$)/u;

/** The address refusal somewhere in an error's cause chain. */
export function refusedIn(error: unknown): RefusedAddressError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current instanceof Error; depth += 1) {
    if (current instanceof RefusedAddressError) return current;
    current = current.cause;
  }
  return undefined;
}

/** The first system error code (`ECONNREFUSED`, …) in an error's cause chain. */
export function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth += 1) {
    const code = (current as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && code !== 'ABORT_ERR') return code;
    current = current.cause;
  }
  return undefined;
}

/** The message the model sees when a request does not get through. */
function unreachable(error: unknown, host: string, timedOut: boolean, seconds: number): Error {
  const refused = refusedIn(error);
  if (refused) return new Error(refused.message, { cause: error });
  const code = errorCode(error);
  let detail: string;
  if (timedOut) detail = `no complete answer within ${seconds} s`;
  else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') detail = `DNS lookup failed, ${code}`;
  else if (code === 'ECONNREFUSED') detail = 'connection refused';
  else if (code) detail = code;
  else detail = error instanceof Error ? error.message : String(error);
  return new Error(`could not reach host ${host} (${detail}): this machine may be offline`, {
    cause: error,
  });
}

/** Parses and checks one URL of the chain (the first or a redirect target) before any request. */
export function checkedUrl(raw: string, base: URL | undefined, policy: WebAddressPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw.trim(), base);
  } catch {
    throw new Error(`invalid URL ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`only http and https URLs can be fetched, not ${url.protocol}`);
  }
  const host = url.hostname.replace(/^\[|\]$/gu, '');
  // An IP literal never goes through DNS, so the socket's lookup guard would not see it.
  if (isIP(host) && !policy.allowsHost(host)) {
    const reason = policy.refusal(host);
    if (reason) {
      throw new Error(
        `refused to fetch ${url.host}: ${reason}; only public addresses can be fetched unless agent.web.allow_hosts lists the host`,
      );
    }
  }
  return url;
}

const redirectStatuses = new Set([301, 302, 303, 307, 308]);

/** Reads a body up to `maxBytes`, cancelling the rest; `truncated` when there was more. */
export async function readCapped(
  body: ReadableStream<Uint8Array>,
  maxBytes: number,
): Promise<{ bytes: Buffer; truncated: boolean }> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { bytes: Buffer.concat(chunks), truncated: false };
    if (total + value.length > maxBytes) {
      chunks.push(value.subarray(0, maxBytes - total));
      await reader.cancel().catch(() => undefined);
      return { bytes: Buffer.concat(chunks), truncated: true };
    }
    chunks.push(value);
    total += value.length;
  }
}

/** Body bytes as text in the charset the content type names (UTF-8 when none or unknown). */
export function decodeBody(bytes: Buffer, contentType: string): string {
  const charset = /charset\s*=\s*"?([\w.:-]+)/iu.exec(contentType)?.[1];
  try {
    return new TextDecoder(charset ?? 'utf-8').decode(bytes);
  } catch {
    return new TextDecoder('utf-8').decode(bytes);
  }
}

/**
 * `web_fetch`: one http(s) page as readable text. Offline failures (DNS, refused, timeout) throw a
 * clear message for the model; other schemes are refused before any request.
 */
export function webFetchTool(options: WebFetchOptions = {}): AgentTool<z.infer<typeof schema>> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const maxBytes = options.maxBytes ?? 200 * 1024;
  const maxRedirects = options.maxRedirects ?? 5;
  const policy = webAddressPolicy(options.allowHosts);
  return {
    name: 'web_fetch',
    description: `Fetch a public http(s) URL and return its status, content type and text (HTML converted to readable text; at most ${formatBytes(maxBytes)} read). Loopback, private, link-local and metadata addresses are refused. Fails with a message when the host cannot be reached.`,
    toolset: 'web',
    schema,
    async execute(args, context): Promise<WebFetchResult> {
      let url = checkedUrl(args.url, undefined, policy);
      const timeout = AbortSignal.timeout(timeoutMs);
      const signal = AbortSignal.any([context.signal, timeout]);
      const fail = (error: unknown): never => {
        if (context.signal.aborted) throw new Error('fetch cancelled');
        throw unreachable(error, url.host, timeout.aborted, timeoutMs / 1000);
      };
      // Each call has its own connection pool whose DNS lookups go through the address guard.
      const dispatcher = new Agent({ connect: { lookup: guardedLookup(policy) } });
      try {
        let response: Response;
        for (let hop = 0; ; hop += 1) {
          response = await fetch(url, {
            signal,
            redirect: 'manual',
            dispatcher,
            headers: {
              'user-agent': 'Mnemos-agent/0.1 (web_fetch)',
              accept:
                'text/html,application/xhtml+xml,text/plain;q=0.9,application/json;q=0.9,*/*;q=0.5',
            },
          }).catch(fail);
          const location = response.headers.get('location');
          if (!redirectStatuses.has(response.status) || location === null) break;
          await response.body?.cancel().catch(() => undefined);
          if (hop >= maxRedirects) {
            throw new Error(`too many redirects (more than ${maxRedirects}) from ${args.url}`);
          }
          url = checkedUrl(location, url, policy);
        }
        return await readResponse(response, url, maxBytes, fail);
      } finally {
        void dispatcher.destroy().catch(() => undefined);
      }
    },
  };
}

async function readResponse(
  response: Response,
  url: URL,
  maxBytes: number,
  fail: (error: unknown) => never,
): Promise<WebFetchResult> {
  const { bytes, truncated } = response.body
    ? await readCapped(response.body as ReadableStream<Uint8Array>, maxBytes).catch(fail)
    : { bytes: Buffer.alloc(0), truncated: false };
  const contentType = response.headers.get('content-type') ?? '';
  const mime = contentType.split(';')[0]!.trim().toLowerCase();
  let text: string;
  if (!textualType.test(mime) && looksBinary(bytes.subarray(0, sniffBytes))) {
    text = `[binary content (${mime || 'unknown type'}, ${formatBytes(bytes.length)}${truncated ? ' or more' : ''}) not shown]`;
  } else {
    text = decodeBody(bytes, contentType);
    const html = mime.includes('html') || (!mime && /^\s*<(?:!doctype html|html)/iu.test(text));
    if (html) text = htmlToText(text, url.href);
    if (truncated) text += `\n[truncated: only the first ${formatBytes(maxBytes)} were read]`;
  }
  return { url: url.href, status: response.status, contentType, text };
}
