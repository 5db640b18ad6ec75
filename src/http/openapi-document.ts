import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Mnemos } from '../mnemos.js';
import { createApp } from './app.js';
import { jsonLogger } from './logger.js';

/** The OpenAPI 3.1 document of the HTTP API, as `/openapi.json` serves it (built on a throwaway home). */
export async function openApiDocument(): Promise<unknown> {
  const home = mkdtempSync(join(tmpdir(), 'mnemos-openapi-'));
  const mnemos = await Mnemos.open({ home, processJobs: false });
  try {
    const { app } = createApp({ mnemos, log: jsonLogger(process.stderr, true) });
    const response = await app.request('/openapi.json');
    return (await response.json()) as unknown;
  } finally {
    await mnemos.close();
    rmSync(home, { recursive: true, force: true });
  }
}
