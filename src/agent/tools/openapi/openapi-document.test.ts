import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  type OpenApiTestServer,
  startOpenApiServer,
} from '../../../../test/support/openapi-server.js';
import { openApiToolSchema } from '../../../core/agent-definition.js';
import { webAddressPolicy } from '../web-address-policy.js';
import { openApiBaseUrl } from './openapi-call.js';
import { dereference, loadOpenApiDocument, parseDocument } from './openapi-document.js';

let api: OpenApiTestServer;
let dir: string;
const open = { policy: webAddressPolicy(['127.0.0.1']), allowSetting: 'agent.web.allow_hosts' };
const closed = { policy: webAddressPolicy([]), allowSetting: 'agent.web.allow_hosts' };

const config = (fields: Record<string, unknown>) =>
  openApiToolSchema.parse({ type: 'openapi', name: 'shop', ...fields });

beforeAll(async () => {
  api = await startOpenApiServer();
  dir = mkdtempSync(join(tmpdir(), 'mnemos-openapi-doc-'));
});

afterAll(async () => {
  await api.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('loadOpenApiDocument', () => {
  it('fetches a document and resolves its relative server against the address', async () => {
    const entry = config({ spec_url: `${api.origin}/openapi.json` });
    const loaded = await loadOpenApiDocument(entry, dir, open);
    expect(loaded.document.openapi).toBe('3.1.0');
    expect(loaded.location).toBe(`${api.origin}/openapi.json`);
    expect(openApiBaseUrl(entry, loaded).href).toBe(`${api.origin}/v1`);
  });

  it('reads YAML and JSON files relative to the base folder', async () => {
    writeFileSync(join(dir, 'a.yaml'), stringify(api.document));
    writeFileSync(join(dir, 'b.json'), JSON.stringify(api.document));
    const yaml = await loadOpenApiDocument(config({ spec_file: 'a.yaml' }), dir, closed);
    const json = await loadOpenApiDocument(config({ spec_file: join(dir, 'b.json') }), '/', closed);
    expect(yaml.document).toEqual(json.document);
    expect(yaml.location).toBe(join(dir, 'a.yaml'));
  });

  it('asks for base_url when a file has only a relative server', async () => {
    writeFileSync(join(dir, 'rel.json'), JSON.stringify(api.document));
    const entry = config({ spec_file: 'rel.json' });
    const loaded = await loadOpenApiDocument(entry, dir, closed);
    expect(() => openApiBaseUrl(entry, loaded)).toThrow(
      'openapi tool shop: the document\'s server address "/v1" is relative and the document is a file; set base_url',
    );
    const withBase = config({ spec_file: 'rel.json', base_url: 'https://api.example.com/v2' });
    expect(openApiBaseUrl(withBase, loaded).href).toBe('https://api.example.com/v2');
  });

  it('fills server variables with their defaults', () => {
    const document = parseDocument(
      JSON.stringify({
        openapi: '3.0.0',
        servers: [
          { url: 'https://{region}.example.com/api', variables: { region: { default: 'eu' } } },
        ],
        paths: {},
      }),
      'test',
    );
    const entry = config({ spec_file: 'x.json' });
    expect(openApiBaseUrl(entry, { document, location: 'x.json' }).href).toBe(
      'https://eu.example.com/api',
    );
  });

  it('names the tool and the address when the fetch fails', async () => {
    await expect(
      loadOpenApiDocument(config({ spec_url: `${api.origin}/missing.json` }), dir, open),
    ).rejects.toThrow(`openapi tool shop: spec_url ${api.origin}/missing.json answered HTTP 404`);
    await expect(
      loadOpenApiDocument(config({ spec_url: `${api.origin}/openapi.json` }), dir, closed),
    ).rejects.toThrow(/^openapi tool shop: spec_url .* 127\.0\.0\.1 is a loopback address/);
  });

  it('refuses a document over 4 MiB', async () => {
    writeFileSync(
      join(dir, 'huge.json'),
      `{"openapi":"3.1.0","x":"${'x'.repeat(4 * 1024 * 1024)}"}`,
    );
    await expect(
      loadOpenApiDocument(config({ spec_file: 'huge.json' }), dir, closed),
    ).rejects.toThrow(/huge\.json is \d+ bytes, over the 4 MiB an OpenAPI document may have/);
  });
});

describe('parseDocument', () => {
  it('refuses what is not OpenAPI 3', () => {
    expect(() => parseDocument('{"swagger":"2.0","paths":{}}', 'spec_file s.json')).toThrow(
      'spec_file s.json is not an OpenAPI 3 document (no "openapi: 3.x" field); Swagger 2.0 documents must be converted to OpenAPI 3 first',
    );
    expect(() => parseDocument('a: [', 'spec_file s.yaml')).toThrow(/neither JSON nor YAML/);
  });

  it('refuses a $ref to another document, but not a $ref-shaped example', () => {
    const remote = {
      openapi: '3.1.0',
      paths: {
        '/a': { get: { parameters: [{ $ref: 'https://example.com/common.yaml#/Limit' }] } },
      },
    };
    expect(() => parseDocument(JSON.stringify(remote), 'spec_url x')).toThrow(
      'spec_url x: $ref "https://example.com/common.yaml#/Limit" at #/paths/~1a/get/parameters/0 points outside the document; Mnemos reads only local references (#/components/...), so bundle the document into one file first',
    );
    const example = {
      openapi: '3.1.0',
      components: { schemas: { A: { type: 'object', example: { $ref: 'other.yaml' } } } },
    };
    expect(parseDocument(JSON.stringify(example), 'x').openapi).toBe('3.1.0');
  });
});

describe('dereference', () => {
  it('inlines references, keeps sibling keys and escapes pointer segments', () => {
    const document = parseDocument(
      JSON.stringify({
        openapi: '3.1.0',
        components: {
          schemas: {
            'a/b': { type: 'string', description: 'inner' },
            Pair: { type: 'array', items: { $ref: '#/components/schemas/a~1b' } },
          },
        },
      }),
      'x',
    );
    expect(
      dereference(document, { $ref: '#/components/schemas/Pair', description: 'outer' }),
    ).toEqual({
      type: 'array',
      items: { type: 'string', description: 'inner' },
      description: 'outer',
    });
  });
});
