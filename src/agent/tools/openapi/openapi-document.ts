import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { OpenApiToolConfig } from '../../../core/agent-definition.js';
import { MnemosError } from '../../../core/errors.js';
import { decodeBody } from '../web-fetch.js';
import { guardedFetch, type OpenApiAddressRules } from './openapi-fetch.js';

/** Largest OpenAPI document read, from a file or an address. */
export const maxOpenApiDocumentBytes = 4 * 1024 * 1024;

/** A JSON object as parsed from the document. */
export type JsonObject = Record<string, unknown>;

/** The parts of an OpenAPI 3.0/3.1 document Mnemos reads; the rest is kept as parsed. */
export interface OpenApiDocument extends JsonObject {
  openapi: string;
  servers?: Array<{ url?: string; variables?: Record<string, { default?: unknown }> }>;
  paths?: Record<string, JsonObject>;
  components?: JsonObject;
}

/** A document and where it came from. */
export interface LoadedOpenApiDocument {
  document: OpenApiDocument;
  /** The file path or address, for messages. */
  location: string;
  /** The document's address when fetched: relative `servers` URLs resolve against it. */
  specUrl?: URL;
}

/**
 * The OpenAPI document of an `openapi` tool: `spec_file` read relative to `baseDir`, or `spec_url`
 * fetched within `rules` and `timeout_ms`; JSON or YAML, at most 4 MiB, OpenAPI 3.x, with only
 * local `$ref`s. Failures throw a {@link MnemosError} naming the tool and the file or address.
 */
export async function loadOpenApiDocument(
  config: OpenApiToolConfig,
  baseDir: string,
  rules: OpenApiAddressRules,
): Promise<LoadedOpenApiDocument> {
  const label = `openapi tool ${config.name}`;
  if (config.spec_file !== undefined) {
    const path = isAbsolute(config.spec_file)
      ? config.spec_file
      : resolve(baseDir, config.spec_file);
    const where = `${label}: spec_file ${path}`;
    const size = await stat(path).then(
      (info) => info.size,
      (error: NodeJS.ErrnoException) => {
        throw new MnemosError(
          'config_error',
          `${where} cannot be read (${error.code ?? error.message}); fix spec_file`,
          { cause: error },
        );
      },
    );
    if (size > maxOpenApiDocumentBytes) {
      throw new MnemosError(
        'config_error',
        `${where} is ${size} bytes, over the 4 MiB an OpenAPI document may have`,
      );
    }
    const text = await readFile(path, 'utf8');
    return { document: parseDocument(text, where), location: path };
  }
  let address: URL;
  try {
    address = new URL(config.spec_url ?? '');
  } catch {
    throw new MnemosError(
      'config_error',
      `${label}: spec_url ${JSON.stringify(config.spec_url)} is not an address`,
    );
  }
  const where = `${label}: spec_url ${address.href}`;
  const response = await guardedFetch(
    address,
    {
      method: 'GET',
      headers: { accept: 'application/json, application/yaml;q=0.9, */*;q=0.5' },
      timeoutMs: config.timeout_ms,
      maxBytes: maxOpenApiDocumentBytes,
      label: where,
    },
    rules,
  );
  if (response.status < 200 || response.status > 299) {
    throw new MnemosError(
      'upstream_error',
      `${where} answered HTTP ${response.status}; check the address`,
      { category: 'upstream' },
    );
  }
  if (response.truncated) {
    throw new MnemosError(
      'config_error',
      `${where} is over the 4 MiB an OpenAPI document may have`,
    );
  }
  const text = decodeBody(response.bytes, response.contentType);
  return { document: parseDocument(text, where), location: address.href, specUrl: response.url };
}

/** Parses JSON or YAML text and checks it is an OpenAPI 3 document with only local `$ref`s. */
export function parseDocument(text: string, where: string): OpenApiDocument {
  let value: unknown;
  try {
    value = /^\s*\{/u.test(text) ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new MnemosError(
      'config_error',
      `${where} is neither JSON nor YAML: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  if (!isObject(value) || typeof value.openapi !== 'string' || !value.openapi.startsWith('3.')) {
    const swagger = isObject(value) && typeof value.swagger === 'string';
    throw new MnemosError(
      'config_error',
      `${where} is not an OpenAPI 3 document (no "openapi: 3.x" field)${swagger ? '; Swagger 2.0 documents must be converted to OpenAPI 3 first' : ''}`,
    );
  }
  if (value.paths !== undefined && !isObject(value.paths)) {
    throw new MnemosError('config_error', `${where}: "paths" is not an object`);
  }
  const remote = firstRemoteRef(value, '#');
  if (remote) {
    throw new MnemosError(
      'config_error',
      `${where}: $ref ${JSON.stringify(remote.ref)} at ${remote.at} points outside the document; Mnemos reads only local references (#/components/...), so bundle the document into one file first`,
    );
  }
  return value as OpenApiDocument;
}

/** True for a plain JSON object. */
export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// Values that are instance data, not schemas: a `$ref` key inside them is not a reference.
const dataKeys = new Set(['example', 'examples', 'default', 'enum', 'const']);
// Objects whose keys are names (a property may be called `default`), never keywords.
const nameMaps = new Set([
  'properties',
  'patternProperties',
  '$defs',
  'definitions',
  'schemas',
  'paths',
]);

/** True when the value under `key` of an object found under `parentKey` is data, not schema. */
function isData(key: string, parentKey: string): boolean {
  return !nameMaps.has(parentKey) && (dataKeys.has(key) || key.startsWith('x-'));
}

function firstRemoteRef(
  value: unknown,
  at: string,
  parentKey = '',
): { ref: string; at: string } | undefined {
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = firstRemoteRef(item, `${at}/${index}`, parentKey);
      if (found) return found;
    }
    return undefined;
  }
  if (!isObject(value)) return undefined;
  const ref = nameMaps.has(parentKey) ? undefined : value.$ref;
  if (typeof ref === 'string' && !ref.startsWith('#')) return { ref, at };
  for (const [key, item] of Object.entries(value)) {
    if (isData(key, parentKey)) continue;
    const found = firstRemoteRef(
      item,
      `${at}/${key.replace(/~/gu, '~0').replace(/\//gu, '~1')}`,
      key,
    );
    if (found) return found;
  }
  return undefined;
}

/** The value a local `$ref` (`#/components/schemas/Order`) points to. */
export function resolvePointer(document: OpenApiDocument, ref: string): unknown {
  if (!ref.startsWith('#')) throw new MnemosError('config_error', `$ref ${ref} is not local`);
  let current: unknown = document;
  for (const raw of ref.slice(1).split('/').filter(Boolean)) {
    const segment = decodeURIComponent(raw).replace(/~1/gu, '/').replace(/~0/gu, '~');
    current =
      isObject(current) || Array.isArray(current) ? (current as JsonObject)[segment] : undefined;
    if (current === undefined) {
      throw new MnemosError('config_error', `$ref ${ref} points to nothing in the document`);
    }
  }
  return current;
}

/** Most nodes one dereferenced value may grow to; past it the document is too tangled to inline. */
const maxInlinedNodes = 50_000;

/**
 * `value` with every local `$ref` replaced by what it points to (sibling keys kept over the
 * target's, as OpenAPI 3.1 reads them). A reference to a schema that is being inlined (a recursive
 * type) becomes an unconstrained schema, so the result is always finite.
 */
export function dereference<T>(document: OpenApiDocument, value: T): T {
  let nodes = 0;
  const walk = (item: unknown, stack: readonly string[], parentKey = ''): unknown => {
    nodes += 1;
    if (nodes > maxInlinedNodes) {
      throw new MnemosError(
        'config_error',
        `the references of this operation inline to more than ${maxInlinedNodes} nodes`,
      );
    }
    if (Array.isArray(item)) return item.map((entry) => walk(entry, stack, parentKey));
    if (!isObject(item)) return item;
    if (typeof item.$ref === 'string' && !nameMaps.has(parentKey)) {
      const { $ref: ref, ...siblings } = item;
      if (stack.includes(ref))
        return { description: `(recursive ${ref.split('/').pop()})`, ...siblings };
      const target = walk(resolvePointer(document, ref), [...stack, ref]);
      const rest = walk(siblings, stack) as JsonObject;
      return isObject(target) ? { ...target, ...rest } : target;
    }
    const copy: JsonObject = {};
    for (const [key, entry] of Object.entries(item)) {
      copy[key] = isData(key, parentKey) ? entry : walk(entry, stack, key);
    }
    return copy;
  };
  return walk(value, []) as T;
}
