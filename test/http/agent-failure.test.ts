import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeHome, removeHomes, runCli } from '../support/cli.js';
import { type ServeChild, startServe } from '../support/serve.js';
import { parseSse } from './helpers.js';

/**
 * A failing agent turn never takes `mnemos serve` down: on a server with no chat model, a tenant's
 * message gets its 503 (or a failed `done` event) and the process goes on answering, with no
 * unhandled rejection in its log.
 */

const children = new Set<ChildProcess>();

afterAll(() => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  removeHomes();
});

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('mnemos serve with no chat model', () => {
  it('answers a message with 503 and a failed done, and stays up', async () => {
    const home = makeHome();
    writeFileSync(join(home, 'config.yaml'), 'extractor: passthrough\n');
    const created = await runCli(
      ['keys', 'create', '--app', 'shop', '--tenant', 'u1', '--name', 'no model', '--json'],
      { home },
    );
    expect(created.code, created.stderr).toBe(0);
    const { key } = created.json<{ key: string }>();
    const server: ServeChild = await startServe(home, { timeoutMs: 20_000 });
    children.add(server.child);
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const post = (path: string, body: unknown): Promise<Response> =>
      fetch(`${server.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });

    const session = (await (await post('/v1/sessions', { title: 't' })).json()) as { id: string };
    const plain = await post(`/v1/sessions/${session.id}/messages`, { content: 'hello' });
    const plainBody = (await plain.json()) as { error: { code: string; message: string } };
    expect(plain.status, JSON.stringify(plainBody)).toBe(503);
    expect(plainBody.error.code).toBe('config_error');
    expect(plainBody.error.message).toMatch(/chat model/);

    const streamed = await post(`/v1/sessions/${session.id}/messages`, {
      content: 'hello again',
      stream: true,
    });
    expect(streamed.status).toBe(200);
    const events = parseSse(await streamed.text());
    const done = events.find((event) => event.event === 'done');
    expect(done?.data).toMatchObject({ reason: 'failed' });
    expect(String(done?.data.error)).toMatch(/chat model/);

    // An unhandled rejection would end the process on the next ticks; give it time to.
    await pause(500);
    expect(server.child.exitCode, server.stderr()).toBeNull();
    expect(server.child.signalCode).toBeNull();
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
    expect(server.stderr()).not.toMatch(/unhandled/i);
    await server.stop();
    expect(server.child.exitCode, server.stderr()).toBe(0);
  }, 60_000);
});
