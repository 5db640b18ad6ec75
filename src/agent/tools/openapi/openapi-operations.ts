import { z } from 'zod';
import type { OpenApiToolConfig } from '../../../core/agent-definition.js';
import {
  dereference,
  isObject,
  type JsonObject,
  type OpenApiDocument,
} from './openapi-document.js';

/** Longest tool name model providers accept. */
const maxToolNameLength = 64;
/** Operations of one document past which a warning suggests `operations`. */
const manyOperations = 64;
/** Longest tool description built from an operation's summary and description. */
export const maxOperationDescriptionLength = 1_000;

/** Where an argument of an operation's tool goes in the request. */
export interface OpenApiParameterBinding {
  /** Property of the tool's arguments. */
  key: string;
  /** Parameter name in the request. */
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  /** OpenAPI serialisation style (`form`, `simple`, `deepObject`, …). */
  style: string;
  explode: boolean;
  /** Sent as JSON text (a parameter described by `content` instead of `schema`). */
  json: boolean;
}

/** One operation of a document, ready to become a tool. */
export interface OpenApiOperation {
  /** `<config.name>_<operationId in snake_case>`. */
  toolName: string;
  /** The document's operationId, or one made from method and path. */
  operationId: string;
  /** Upper case: `GET`, `POST`, … */
  method: string;
  /** Path template as in the document: `/orders/{id}`. */
  path: string;
  description: string;
  parameters: OpenApiParameterBinding[];
  /** The JSON request body, taken from the `body` argument. */
  body?: { mediaType: string; required: boolean };
  /** JSON schema of the arguments (references inlined). */
  jsonSchema: JsonObject;
  /** The arguments' zod schema, made from `jsonSchema`. */
  schema: z.ZodType<Record<string, unknown>>;
}

const methods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
const locations = new Set(['path', 'query', 'header', 'cookie']);
// OpenAPI says these header parameters are ignored: content negotiation and auth are Mnemos's.
const ignoredHeaders = new Set(['accept', 'content-type', 'authorization']);

/** Text in snake_case: `getOrderById` and `get-order.by id` become `get_order_by_id`. */
export function snakeCase(text: string): string {
  return text
    .replace(/([a-z0-9])([A-Z])/gu, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/gu, '$1_$2')
    .replace(/[^A-Za-z0-9]+/gu, '_')
    .replace(/^_+|_+$/gu, '')
    .toLowerCase();
}

/** The operationId used when the document gives none: method and path, `get_orders_id`. */
export function derivedOperationId(method: string, path: string): string {
  return snakeCase(`${method} ${path}`);
}

/**
 * The tool name of an operation: `<prefix>_<operationId in snake_case>`, cut to 64 characters and
 * made unique against `taken` with `_2`, `_3`, …
 */
export function openApiToolName(
  prefix: string,
  operationId: string,
  taken: ReadonlySet<string>,
): string {
  const base = `${prefix}_${snakeCase(operationId) || 'operation'}`.slice(0, maxToolNameLength);
  if (!taken.has(base)) return base;
  for (let index = 2; ; index += 1) {
    const suffix = `_${index}`;
    const candidate = `${base.slice(0, maxToolNameLength - suffix.length)}${suffix}`;
    if (!taken.has(candidate)) return candidate;
  }
}

/** The toolset of an OpenAPI tool entry's tools. */
export function openApiToolset(name: string): string {
  return `openapi_${name}`;
}

/**
 * The operations of a document as tool blueprints, in document order, filtered by
 * `config.operations` (by operationId as written or in snake_case). Operations that cannot be
 * offered (a required body that is not JSON, references that do not resolve) and listed ids the
 * document lacks are reported through `warn`.
 */
export function openApiOperations(
  document: OpenApiDocument,
  config: OpenApiToolConfig,
  warn: (message: string) => void = () => {},
): OpenApiOperation[] {
  const label = `openapi tool ${config.name}`;
  const wanted = config.operations ? new Set(config.operations) : undefined;
  const seen = new Set<string>();
  const taken = new Set<string>();
  const operations: OpenApiOperation[] = [];
  const target = document.openapi.startsWith('3.0') ? 'openapi-3.0' : 'draft-2020-12';
  for (const [path, rawItem] of Object.entries(document.paths ?? {})) {
    if (!isObject(rawItem)) continue;
    for (const method of methods) {
      const raw = rawItem[method];
      if (!isObject(raw)) continue;
      const operationId =
        typeof raw.operationId === 'string' && raw.operationId.trim()
          ? raw.operationId.trim()
          : derivedOperationId(method, path);
      if (wanted && !wanted.has(operationId) && !wanted.has(snakeCase(operationId))) continue;
      seen.add(operationId).add(snakeCase(operationId));
      try {
        const shared = dereference(document, asArray(rawItem.parameters));
        const operation = dereference(document, raw);
        const built = buildOperation(
          path,
          method,
          operationId,
          shared,
          operation,
          target,
          config.name,
        );
        if (typeof built === 'string') {
          warn(built);
          continue;
        }
        const toolName = openApiToolName(config.name, operationId, taken);
        taken.add(toolName);
        operations.push({ ...built, toolName });
      } catch (error) {
        warn(
          `${label}: operation ${operationId} (${method.toUpperCase()} ${path}) is not offered: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
  }
  if (!wanted && operations.length > manyOperations) {
    warn(
      `${label}: the document has ${operations.length} operations, more tools than a model chooses among well; list the ones the agent needs in operations`,
    );
  }
  for (const id of wanted ?? []) {
    if (!seen.has(id)) warn(`${label}: operations lists ${id}, which the document does not have`);
  }
  return operations;
}

function buildOperation(
  path: string,
  method: string,
  operationId: string,
  shared: unknown[],
  operation: JsonObject,
  target: 'openapi-3.0' | 'draft-2020-12',
  apiName: string,
): Omit<OpenApiOperation, 'toolName'> | string {
  const label = `openapi tool ${apiName}`;
  const { properties, required, parameters } = parameterArguments([
    ...shared,
    ...asArray(operation.parameters),
  ]);
  let body: OpenApiOperation['body'];
  if (isObject(operation.requestBody)) {
    const content = isObject(operation.requestBody.content) ? operation.requestBody.content : {};
    const mediaType = Object.keys(content).find(
      (type) => /^application\/(?:[\w.+-]*\+)?json\b/iu.test(type) || type === '*/*',
    );
    const bodyRequired = operation.requestBody.required === true;
    if (mediaType) {
      const media = content[mediaType];
      const schema = isObject(media) && isObject(media.schema) ? media.schema : {};
      const description =
        typeof operation.requestBody.description === 'string'
          ? operation.requestBody.description
          : 'The JSON request body.';
      properties.body = { ...schema, description: schema.description ?? description };
      if (bodyRequired) required.push('body');
      body = {
        mediaType: mediaType === '*/*' ? 'application/json' : mediaType,
        required: bodyRequired,
      };
    } else if (bodyRequired) {
      return `${label}: operation ${operationId} (${method.toUpperCase()} ${path}) is not offered: its request body is ${Object.keys(content).join(', ') || 'of no media type'}, and Mnemos sends only JSON bodies`;
    }
  }
  const jsonSchema: JsonObject = {
    type: 'object',
    properties,
    required,
    additionalProperties: false,
  };
  return {
    operationId,
    method: method.toUpperCase(),
    path,
    description: operationDescription(method, path, operation, apiName),
    parameters,
    ...(body ? { body } : {}),
    jsonSchema,
    schema: argumentSchema(jsonSchema, target),
  };
}

/**
 * The arguments of an operation's parameters (the path item's, then the operation's, which replace
 * them by name and location): one property each, keyed by the name made safe for providers.
 */
function parameterArguments(declarations: unknown[]): {
  properties: JsonObject;
  required: string[];
  parameters: OpenApiParameterBinding[];
} {
  const declared = new Map<string, JsonObject>();
  for (const parameter of declarations) {
    if (!isObject(parameter) || typeof parameter.name !== 'string') continue;
    if (typeof parameter.in !== 'string' || !locations.has(parameter.in)) continue;
    if (parameter.in === 'header' && ignoredHeaders.has(parameter.name.toLowerCase())) continue;
    declared.set(`${parameter.in}\u0000${parameter.name}`, parameter);
  }
  const properties: JsonObject = {};
  const required: string[] = [];
  const parameters: OpenApiParameterBinding[] = [];
  for (const parameter of declared.values()) {
    const name = parameter.name as string;
    const where = parameter.in as OpenApiParameterBinding['in'];
    let key = name.replace(/[^A-Za-z0-9_.-]/gu, '_').slice(0, 64) || 'parameter';
    if (Object.hasOwn(properties, key) || key === 'body') key = `${where}_${key}`.slice(0, 64);
    const content = isObject(parameter.content) ? Object.values(parameter.content)[0] : undefined;
    const schema = isObject(parameter.schema)
      ? parameter.schema
      : isObject(content) && isObject(content.schema)
        ? content.schema
        : {};
    const text = [
      parameter.description ?? schema.description,
      where === 'path' ? undefined : `(${where} parameter ${name})`,
    ]
      .filter((part) => typeof part === 'string' && part.trim())
      .join(' ');
    properties[key] = text ? { ...schema, description: text } : schema;
    if (where === 'path' || parameter.required === true) required.push(key);
    const style =
      typeof parameter.style === 'string'
        ? parameter.style
        : where === 'query' || where === 'cookie'
          ? 'form'
          : 'simple';
    parameters.push({
      key,
      name,
      in: where,
      style,
      explode: typeof parameter.explode === 'boolean' ? parameter.explode : style === 'form',
      json: !isObject(parameter.schema) && content !== undefined,
    });
  }
  return { properties, required, parameters };
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Summary and description, cut, then where the call goes: `… (GET /orders/{id} of API shop).` */
function operationDescription(
  method: string,
  path: string,
  operation: JsonObject,
  apiName: string,
): string {
  const parts = [operation.summary, operation.description]
    .filter((part): part is string => typeof part === 'string' && part.trim() !== '')
    .map((part) => part.trim());
  // A description that repeats the summary says it once.
  if (parts.length === 2 && parts[1]!.startsWith(parts[0]!)) parts.shift();
  let text = parts.join('\n\n');
  if (text.length > maxOperationDescriptionLength)
    text = `${text.slice(0, maxOperationDescriptionLength - 1)}…`;
  const deprecated = operation.deprecated === true ? ' Deprecated.' : '';
  const call = `${method.toUpperCase()} ${path} of API ${apiName}`;
  return `${text ? `${text} (${call})` : call}.${deprecated}`;
}

/**
 * The zod schema of the arguments (zod's converter, so the model sees the document's types and
 * the arguments are checked before the call). A property the converter cannot read becomes
 * unconstrained, keeping its description; the server validates it instead.
 */
function argumentSchema(
  jsonSchema: JsonObject,
  target: 'openapi-3.0' | 'draft-2020-12',
): z.ZodType<Record<string, unknown>> {
  const convert = (schema: JsonObject) =>
    z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0], {
      defaultTarget: target,
    }) as z.ZodType<Record<string, unknown>>;
  try {
    return convert(jsonSchema);
  } catch {
    const properties: JsonObject = {};
    for (const [key, schema] of Object.entries(jsonSchema.properties as JsonObject)) {
      try {
        convert(schema as JsonObject);
        properties[key] = schema;
      } catch {
        const description = isObject(schema) ? schema.description : undefined;
        properties[key] = typeof description === 'string' ? { description } : {};
      }
    }
    try {
      return convert({ ...jsonSchema, properties });
    } catch {
      return z.record(z.string(), z.unknown());
    }
  }
}
