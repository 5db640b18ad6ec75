/**
 * Writes docs/openapi.json from the zod schemas of the HTTP routes (`npm run docs:openapi`); a test
 * fails when the committed file is stale.
 */
import { writeFileSync } from 'node:fs';
import { openApiDocument } from '../src/http/openapi-document.js';

const target = new URL('../docs/openapi.json', import.meta.url);
writeFileSync(target, `${JSON.stringify(await openApiDocument(), null, 2)}\n`);
process.stdout.write(`wrote ${target.pathname}\n`);
