import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CronJobRecord } from '../../src/core/cron-record.js';
import type { TenantKey } from '../../src/core/scope.js';
import type { Mnemos } from '../../src/mnemos.js';

/** A local webhook receiver: every POST body it got, answering with `status`. */
export interface WebhookServer {
  url: string;
  bodies: unknown[];
  status: number;
  close(): Promise<void>;
}

/** Starts a webhook receiver on 127.0.0.1 (port 0). */
export async function startWebhookServer(): Promise<WebhookServer> {
  const bodies: unknown[] = [];
  const state = { status: 204 };
  const server: Server = createServer((request: IncomingMessage, response) => {
    let raw = '';
    request.on('data', (chunk: Buffer) => {
      raw += chunk.toString('utf8');
    });
    request.on('end', () => {
      bodies.push(JSON.parse(raw));
      response.writeHead(state.status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    bodies,
    get status() {
      return state.status;
    },
    set status(value: number) {
      state.status = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Makes a stored job due now (its next slot a second ago), as if its time had come. */
export async function makeDue(
  mnemos: Mnemos,
  tenant: TenantKey,
  name: string,
): Promise<CronJobRecord> {
  const job = await mnemos.cron.get(tenant, name);
  const due = { ...job, nextRunAt: new Date(Date.now() - 1_000).toISOString() };
  await mnemos.storage.cron.update(tenant, due);
  return due;
}

/** Resolves after `ms` without holding the process open. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
