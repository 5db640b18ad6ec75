import type { OpenApiToolConfig } from '../../../core/agent-definition.js';
import { MnemosError } from '../../../core/errors.js';
import { formatBytes, looksBinary, sniffBytes } from '../text-file.js';
import { decodeBody } from '../web-fetch.js';
import type { LoadedOpenApiDocument } from './openapi-document.js';
import { guardedFetch, type OpenApiAddressRules } from './openapi-fetch.js';
import type { OpenApiOperation, OpenApiParameterBinding } from './openapi-operations.js';

/** What a call of an OpenAPI tool needs besides its arguments. */
export interface OpenApiCallOptions {
  config: OpenApiToolConfig;
  /** Address the operation paths are appended to. */
  baseUrl: URL;
  /** Where auth secrets are read, at every call. */
  env: NodeJS.ProcessEnv;
  rules: OpenApiAddressRules;
}

/** What the model gets back from a call: the status always, the body as JSON or text. */
export interface OpenApiCallResult {
  status: number;
  /** True for a 2xx status. */
  ok: boolean;
  contentType: string;
  /** Parsed JSON, or text (cut with a marker when over `max_response_bytes`). */
  body: unknown;
  /** For a status other than 2xx: that the call failed, so the model reads the body for why. */
  error?: string;
}

/**
 * The address calls go to: `base_url`, else the document's first `servers` URL (variables at
 * their defaults; a relative one resolved against `spec_url`). Throws when there is none usable.
 */
export function openApiBaseUrl(config: OpenApiToolConfig, loaded: LoadedOpenApiDocument): URL {
  if (config.base_url !== undefined) return new URL(config.base_url);
  const server = loaded.document.servers?.[0];
  let raw = typeof server?.url === 'string' ? server.url : '/';
  for (const [name, variable] of Object.entries(server?.variables ?? {})) {
    raw = raw.replaceAll(`{${name}}`, String(variable?.default ?? ''));
  }
  try {
    return new URL(raw, loaded.specUrl);
  } catch {
    throw new MnemosError(
      'config_error',
      `openapi tool ${config.name}: the document's server address ${JSON.stringify(raw)} is ${loaded.specUrl ? 'not an address' : 'relative and the document is a file'}; set base_url`,
    );
  }
}

/**
 * Calls one operation: path, query, header and cookie parameters and the JSON body from `args`,
 * auth from the environment (never logged), bounded by `timeout_ms` and `signal`. A non-2xx
 * answer is a result with its status and body, not an error; unreachable hosts, refused
 * addresses, timeouts and a missing secret throw a {@link MnemosError} for the model.
 */
export async function callOpenApiOperation(
  operation: OpenApiOperation,
  args: Record<string, unknown>,
  options: OpenApiCallOptions,
  signal?: AbortSignal,
): Promise<OpenApiCallResult> {
  const label = `openapi tool ${operation.toolName}`;
  const { config } = options;
  let path = operation.path;
  const query = new URLSearchParams();
  const headers: Record<string, string> = {
    accept: 'application/json, text/plain;q=0.9, */*;q=0.5',
    'user-agent': 'Mnemos-agent/0.1 (openapi)',
  };
  const cookies: string[] = [];
  for (const parameter of operation.parameters) {
    const value = args[parameter.key];
    if (value === undefined || value === null) {
      if (parameter.in === 'path') {
        throw new MnemosError(
          'invalid_input',
          `${label}: path parameter ${parameter.key} is required`,
        );
      }
      continue;
    }
    if (parameter.in === 'path') {
      const segment = pathValue(value, parameter);
      // URLs resolve `.` and `..` (also percent-encoded), which would move the call to another path.
      if (/^(?:\.|%2e){1,2}$/iu.test(segment)) {
        throw new MnemosError(
          'invalid_input',
          `${label}: path parameter ${parameter.key} may not be ${JSON.stringify(String(value))}`,
        );
      }
      path = path.replaceAll(`{${parameter.name}}`, segment);
    } else if (parameter.in === 'query') {
      for (const [name, text] of queryPairs(value, parameter)) query.append(name, text);
    } else if (parameter.in === 'header') {
      headers[parameter.name.toLowerCase()] = plainValue(value, parameter);
    } else {
      cookies.push(`${parameter.name}=${encodeURIComponent(plainValue(value, parameter))}`);
    }
  }
  if (cookies.length > 0) headers.cookie = cookies.join('; ');
  let body: string | undefined;
  if (operation.body && args.body !== undefined) {
    body = JSON.stringify(args.body);
    headers['content-type'] = operation.body.mediaType;
  }
  applyAuth(config, options.env, headers, query, label);
  const url = new URL(options.baseUrl.href);
  url.pathname = `${url.pathname.replace(/\/+$/u, '')}${path}`;
  url.hash = '';
  for (const [name, text] of query) url.searchParams.append(name, text);
  const response = await guardedFetch(
    url,
    {
      method: operation.method,
      headers,
      body,
      timeoutMs: config.timeout_ms,
      signal,
      maxBytes: config.max_response_bytes,
      label,
    },
    options.rules,
  );
  const ok = response.status >= 200 && response.status <= 299;
  const result: OpenApiCallResult = {
    status: response.status,
    ok,
    contentType: response.contentType,
    body: responseBody(response, config.max_response_bytes),
  };
  if (!ok) {
    result.error = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}: the call did not succeed; the body may say why`;
  }
  return result;
}

/** Adds the configured secret; a variable that is not set stops the call before any request. */
function applyAuth(
  config: OpenApiToolConfig,
  env: NodeJS.ProcessEnv,
  headers: Record<string, string>,
  query: URLSearchParams,
  label: string,
): void {
  const auth = config.auth;
  if (!auth) return;
  const variable = auth.type === 'bearer' ? auth.token_env : auth.value_env;
  const secret = env[variable];
  if (!secret) {
    const field = auth.type === 'bearer' ? 'token_env' : 'value_env';
    throw new MnemosError(
      'config_error',
      `${label}: environment variable ${variable} (auth.${field} of openapi tool ${config.name}) is not set, so the call was not made; set it in the environment or in .env`,
      { details: { variable } },
    );
  }
  if (auth.type === 'bearer') headers.authorization = `Bearer ${secret}`;
  else if (auth.type === 'header') headers[auth.name.toLowerCase()] = secret;
  else query.set(auth.name, secret);
}

function scalar(value: unknown): string {
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}

/** A header or cookie value (OpenAPI style `simple`). */
function plainValue(value: unknown, parameter: OpenApiParameterBinding): string {
  if (parameter.json) return JSON.stringify(value);
  if (Array.isArray(value)) return value.map(scalar).join(',');
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value)
      .map(([key, item]) =>
        parameter.explode ? `${key}=${scalar(item)}` : `${key},${scalar(item)}`,
      )
      .join(',');
  }
  return String(value);
}

/** A path segment (style `simple`), percent-encoded. */
function pathValue(value: unknown, parameter: OpenApiParameterBinding): string {
  if (parameter.json) return encodeURIComponent(JSON.stringify(value));
  if (Array.isArray(value)) return value.map((item) => encodeURIComponent(scalar(item))).join(',');
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value)
      .map(
        ([key, item]) =>
          `${encodeURIComponent(key)}${parameter.explode ? '=' : ','}${encodeURIComponent(scalar(item))}`,
      )
      .join(',');
  }
  return encodeURIComponent(String(value));
}

/** Query pairs of one parameter by its style (`form`, `spaceDelimited`, `pipeDelimited`, `deepObject`). */
function queryPairs(value: unknown, parameter: OpenApiParameterBinding): Array<[string, string]> {
  const { name } = parameter;
  if (parameter.json) return [[name, JSON.stringify(value)]];
  if (Array.isArray(value)) {
    const items = value.map(scalar);
    if (parameter.style === 'spaceDelimited') return [[name, items.join(' ')]];
    if (parameter.style === 'pipeDelimited') return [[name, items.join('|')]];
    return parameter.explode ? items.map((item) => [name, item]) : [[name, items.join(',')]];
  }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).filter(([, item]) => item !== undefined && item !== null);
    if (parameter.style === 'deepObject')
      return entries.map(([key, item]) => [`${name}[${key}]`, scalar(item)]);
    if (parameter.explode) return entries.map(([key, item]) => [key, scalar(item)]);
    return [[name, entries.flatMap(([key, item]) => [key, scalar(item)]).join(',')]];
  }
  return [[name, String(value)]];
}

/** The body as JSON when it is JSON and whole, else as text, cut with a marker when over the cap. */
function responseBody(
  response: {
    bytes: Buffer;
    truncated: boolean;
    contentType: string;
    contentLength: number | undefined;
  },
  maxBytes: number,
): unknown {
  const { bytes, truncated, contentType } = response;
  const mime = contentType.split(';')[0]!.trim().toLowerCase();
  const json = /^application\/(?:[\w.+-]*\+)?json$/u.test(mime);
  if (!json && !mime.startsWith('text/') && looksBinary(bytes.subarray(0, sniffBytes))) {
    return `[binary content (${mime || 'unknown type'}, ${formatBytes(response.contentLength ?? bytes.length)}${truncated && response.contentLength === undefined ? ' or more' : ''}) not shown]`;
  }
  const text = decodeBody(bytes, contentType);
  if (truncated) {
    const total =
      response.contentLength !== undefined
        ? `${response.contentLength} bytes`
        : `more than ${maxBytes} bytes`;
    return `${text}\n[truncated by Mnemos: the response has ${total}, the first ${maxBytes} kept (max_response_bytes)]`;
  }
  if (json && text.trim()) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}
