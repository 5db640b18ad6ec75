import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { openApiTestDocument } from '../../../../test/support/openapi-server.js';
import { openApiToolSchema } from '../../../core/agent-definition.js';
import { type OpenApiDocument, parseDocument } from './openapi-document.js';
import { openApiOperations, openApiToolName, snakeCase } from './openapi-operations.js';

const config = (fields: Record<string, unknown> = {}) =>
  openApiToolSchema.parse({ type: 'openapi', name: 'shop', spec_file: 'x.json', ...fields });

const document = parseDocument(JSON.stringify(openApiTestDocument()), 'test');

function operation(id: string, doc: OpenApiDocument = document) {
  const found = openApiOperations(doc, config()).find((item) => item.operationId === id);
  if (!found) throw new Error(`no operation ${id}`);
  return found;
}

describe('snakeCase and openApiToolName', () => {
  it('turns operation ids into snake_case', () => {
    expect(snakeCase('getOrderById')).toBe('get_order_by_id');
    expect(snakeCase('replace-Categories')).toBe('replace_categories');
    expect(snakeCase('Orders.List v2')).toBe('orders_list_v2');
    expect(snakeCase('getHTTPStatus')).toBe('get_http_status');
  });

  it('cuts to 64 characters and makes names unique', () => {
    const long = openApiToolName('shop', 'a'.repeat(100), new Set());
    expect(long).toHaveLength(64);
    expect(openApiToolName('shop', 'getOrder', new Set(['shop_get_order']))).toBe(
      'shop_get_order_2',
    );
  });
});

describe('openApiOperations', () => {
  it('names tools after operation ids, or method and path without one', () => {
    const warnings: string[] = [];
    const operations = openApiOperations(document, config(), (message) => warnings.push(message));
    expect(operations.map((item) => [item.toolName, item.method, item.path])).toContainEqual([
      'shop_get_broken',
      'GET',
      '/broken',
    ]);
    expect(operations.map((item) => item.toolName)).toContain('shop_replace_categories');
    expect(operations.find((item) => item.path === '/broken')?.description).toBe(
      'GET /broken of API shop.',
    );
    expect(warnings).toEqual([
      'openapi tool shop: operation uploadFile (POST /upload) is not offered: its request body is application/octet-stream, and Mnemos sends only JSON bodies',
    ]);
  });

  it('offers only the listed operations and names the listed ones that are missing', () => {
    const warnings: string[] = [];
    const operations = openApiOperations(
      document,
      config({ operations: ['getOrder', 'search_items', 'deleteEverything'] }),
      (message) => warnings.push(message),
    );
    expect(operations.map((item) => item.toolName)).toEqual([
      'shop_get_order',
      'shop_search_items',
    ]);
    expect(warnings).toEqual([
      'openapi tool shop: operations lists deleteEverything, which the document does not have',
    ]);
  });

  it('makes path-item and operation parameters properties, a path parameter required', () => {
    const getOrder = operation('getOrder');
    expect(getOrder.description).toBe('Get an order by id. (GET /orders/{id} of API shop).');
    expect(getOrder.parameters.map((item) => [item.key, item.in])).toEqual([
      ['id', 'path'],
      ['expand', 'query'],
    ]);
    const shown = z.toJSONSchema(getOrder.schema) as {
      properties: Record<string, { type?: string; description?: string }>;
      required: string[];
    };
    expect(shown.required).toEqual(['id']);
    expect(shown.properties.id?.type).toBe('string');
    expect(shown.properties.expand).toMatchObject({
      type: 'boolean',
      description: 'Include lines. (query parameter expand)',
    });
    expect(getOrder.schema.safeParse({ id: '1', expand: true }).success).toBe(true);
    expect(getOrder.schema.safeParse({ expand: true }).success).toBe(false);
    expect(getOrder.schema.safeParse({ id: 1 }).success).toBe(false);
  });

  it('puts a JSON request body under body, with its referenced schema checked', () => {
    const ticket = operation('createTicket');
    expect(ticket.body).toEqual({ mediaType: 'application/json', required: true });
    expect(ticket.schema.safeParse({ body: { title: 'Lid', priority: 'high' } }).success).toBe(
      true,
    );
    expect(ticket.schema.safeParse({ body: { title: 'Lid', priority: 'urgent' } }).success).toBe(
      false,
    );
    expect(ticket.schema.safeParse({}).success).toBe(false);
  });

  it('inlines a recursive schema to a finite one', () => {
    const replace = operation('replace-Categories');
    expect(replace.body?.required).toBe(false);
    const nested = { body: { name: 'root', children: [{ name: 'leaf', children: [{ any: 1 }] }] } };
    expect(replace.schema.safeParse(nested).success).toBe(true);
    expect(replace.schema.safeParse({ body: { children: [] } }).success).toBe(false);
    expect(JSON.stringify(z.toJSONSchema(replace.schema))).toContain('recursive Category');
  });

  it('reads OpenAPI 3.0 nullable and cuts long descriptions', () => {
    const doc = parseDocument(
      JSON.stringify({
        openapi: '3.0.3',
        paths: {
          '/notes': {
            get: {
              operationId: 'listNotes',
              description: 'd'.repeat(3_000),
              parameters: [
                { name: 'tag', in: 'query', schema: { type: 'string', nullable: true } },
                { name: 'Accept', in: 'header', schema: { type: 'string' } },
                { name: 'X-Trace', in: 'header', schema: { type: 'string' } },
              ],
            },
          },
        },
      }),
      'test',
    );
    const list = operation('listNotes', doc);
    expect(list.parameters.map((item) => item.name)).toEqual(['tag', 'X-Trace']);
    expect(list.schema.safeParse({ tag: null }).success).toBe(true);
    expect(list.description.length).toBeLessThan(1_100);
  });

  it('suggests operations when a document has very many', () => {
    const paths = Object.fromEntries(
      Array.from({ length: 65 }, (_, index) => [
        `/r${index}`,
        { get: { operationId: `r${index}` } },
      ]),
    );
    const doc = parseDocument(JSON.stringify({ openapi: '3.1.0', paths }), 'test');
    const warnings: string[] = [];
    expect(openApiOperations(doc, config(), (message) => warnings.push(message))).toHaveLength(65);
    expect(warnings).toEqual([
      'openapi tool shop: the document has 65 operations, more tools than a model chooses among well; list the ones the agent needs in operations',
    ]);
    warnings.length = 0;
    openApiOperations(doc, config({ operations: ['r1'] }), (message) => warnings.push(message));
    expect(warnings).toEqual([]);
  });

  it('leaves out an operation whose reference points to nothing', () => {
    const warnings: string[] = [];
    const doc = parseDocument(
      JSON.stringify({
        openapi: '3.1.0',
        paths: {
          '/a': {
            get: { operationId: 'a', parameters: [{ $ref: '#/components/parameters/Nope' }] },
          },
          '/b': { get: { operationId: 'b' } },
        },
      }),
      'test',
    );
    const operations = openApiOperations(doc, config(), (message) => warnings.push(message));
    expect(operations.map((item) => item.operationId)).toEqual(['b']);
    expect(warnings).toEqual([
      'openapi tool shop: operation a (GET /a) is not offered: $ref #/components/parameters/Nope points to nothing in the document',
    ]);
  });
});
