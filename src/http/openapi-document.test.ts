import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openApiDocument } from './openapi-document.js';

describe('docs/openapi.json', () => {
  it('is the document the server generates from its zod schemas (run `npm run docs:openapi` when this fails)', async () => {
    const committed = JSON.parse(
      readFileSync(new URL('../../docs/openapi.json', import.meta.url), 'utf8'),
    ) as unknown;
    expect(committed).toEqual(await openApiDocument());
  });
});
