import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Mnemos } from '../../src/mnemos.js';
import { makeHome, removeHomes, runCli } from '../support/cli.js';
import {
  type ChatRequest,
  type ModelServer,
  type ScriptedReply,
  startModelServer,
} from '../support/model-server.js';
import { type ServeChild, startServe } from '../support/serve.js';
import { parseSse } from './helpers.js';

/**
 * Graceful shutdown of `mnemos serve` (the built CLI, `npm run build` first) as a child process:
 * SIGTERM while agent turns are in flight and ingestion jobs are queued. The in-flight requests
 * complete, new connections are refused, the process exits 0, and every acknowledged job is still
 * there when Mnemos opens the home again, and gets done.
 */

let model: ModelServer;

beforeAll(async () => {
  model = await startModelServer({ dimensions: 64 });
});

/** Children still running when a test fails are killed, so a failure never hangs the run. */
const children = new Set<ChildProcess>();

afterAll(async () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await model?.close();
  removeHomes();
});

/** Starts `mnemos serve --port 0` (request logs on) and keeps it for the cleanup. */
async function serve(home: string): Promise<ServeChild> {
  const server = await startServe(home, { timeoutMs: 20_000 });
  children.add(server.child);
  return server;
}

/** Resolves true when a new TCP connection to the port is refused. */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

async function until(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('mnemos serve: graceful shutdown on SIGTERM', () => {
  it('finishes in-flight turns, refuses new connections, exits 0 and loses no acknowledged job', async () => {
    const home = makeHome();
    writeFileSync(
      join(home, 'config.yaml'),
      [
        'extractor: passthrough',
        'ingest:',
        '  near_duplicate_threshold: 1.01',
        '  batch_size: 1',
        'embedder:',
        '  provider: openai-compatible',
        `  base_url: ${model.url}`,
        '  model: scripted-embedding',
        '  dimensions: 64',
        'llm:',
        `  base_url: ${model.url}`,
        '  model: scripted',
        'agent:',
        '  toolsets: [memory]',
        '',
      ].join('\n'),
    );
    const created = await runCli(
      ['keys', 'create', '--app', 'shop', '--tenant', 'u1', '--name', 'shutdown', '--json'],
      { home },
    );
    expect(created.code, created.stderr).toBe(0);
    const { key, record } = created.json<{
      key: string;
      record: { appId: string; tenantId: string };
    }>();
    expect(key).toMatch(/^mn_/);
    expect(record).toMatchObject({ appId: 'shop', tenantId: 'u1' });

    const { child, url, stderr } = await serve(home);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const port = Number(new URL(url).port);
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const post = (path: string, body: unknown): Promise<Response> =>
      fetch(`${url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });

    const sessions: string[] = [];
    for (const title of ['json turn', 'sse turn']) {
      const answer = await post('/v1/sessions', { title });
      expect(answer.status).toBe(201);
      sessions.push(((await answer.json()) as { id: string }).id);
    }

    // Slow model answers and slow embeddings: turns stay in flight and jobs stay queued.
    model.delayNext(2, 2_500, { path: '/v1/chat/completions' });
    model.delayNext(50, 700, { path: '/v1/embeddings' });
    const reply = (request: ChatRequest): ScriptedReply => ({
      text: JSON.stringify(request.messages ?? []).includes('Take your time')
        ? 'The slow JSON answer.'
        : 'The slow streamed answer.',
    });
    model.script(reply, reply);
    let turnsDoneAt = 0;
    const jsonTurn = post(`/v1/sessions/${sessions[0]}/messages`, {
      content: 'Take your time',
    }).then(async (response) => {
      const body = { status: response.status, json: (await response.json()) as { text: string } };
      turnsDoneAt = Math.max(turnsDoneAt, Date.now());
      return body;
    });
    const sseTurn = post(`/v1/sessions/${sessions[1]}/messages`, {
      content: 'Stream it slowly',
      stream: true,
    }).then(async (response) => {
      const body = { status: response.status, events: parseSse(await response.text()) };
      turnsDoneAt = Math.max(turnsDoneAt, Date.now());
      return body;
    });

    const acknowledged = new Map<string, string>();
    for (let index = 0; index < 6; index++) {
      const text = `Queued before shutdown, note ${index}`;
      const answer = await post('/v1/memories', { text, scope: { agentId: 'notes' } });
      expect(answer.status).toBe(202);
      acknowledged.set(((await answer.json()) as { id: string }).id, text);
    }
    await until(() => model.requestsTo('/v1/chat/completions').length >= 2, 10_000);
    expect(turnsDoneAt).toBe(0);

    const signalledAt = Date.now();
    child.kill('SIGTERM');
    // New connections are refused while the in-flight turns are still running.
    await until(() => refused(port), 5_000);
    const refusedAt = Date.now();

    const [json, sse] = await Promise.all([jsonTurn, sseTurn]);
    expect(refusedAt).toBeLessThan(turnsDoneAt);
    expect(json.status).toBe(200);
    expect(json.json.text).toBe('The slow JSON answer.');
    expect(sse.status).toBe(200);
    expect(sse.events.at(-1)).toMatchObject({
      event: 'done',
      data: { text: 'The slow streamed answer.', reason: 'answered' },
    });

    const [code, signal] = await exited;
    const exitMs = Date.now() - signalledAt;
    expect({ code, signal }, stderr()).toEqual({ code: 0, signal: null });
    expect(exitMs).toBeLessThan(15_000);
    const logged = stderr()
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as { msg: string; signal?: string });
    expect(logged.map((entry) => entry.msg)).toEqual(
      expect.arrayContaining(['listening', 'stopping', 'stopped']),
    );
    expect(logged.find((entry) => entry.msg === 'stopping')?.signal).toBe('SIGTERM');

    // Every acknowledged job is still there, queued or done; none failed, none lost.
    const scope = { appId: 'shop', tenantId: 'u1' };
    const states = new Map<string, number>();
    const reopened = await Mnemos.open({ home, processJobs: false });
    try {
      for (const id of acknowledged.keys()) {
        const job = await reopened.memories.job({ scope, id });
        expect(['running', 'succeeded']).toContain(job.status);
        states.set(job.status, (states.get(job.status) ?? 0) + 1);
      }
      // Both turns were saved to their sessions.
      for (const [index, sessionId] of sessions.entries()) {
        const messages = await reopened.sessions.messages(scope, sessionId);
        expect(messages.map((message) => message.role)).toEqual(['user', 'assistant']);
        expect(messages[1]?.content).toBe(
          index === 0 ? 'The slow JSON answer.' : 'The slow streamed answer.',
        );
      }
    } finally {
      await reopened.close();
    }
    console.log(
      `shutdown: exit ${code} ${exitMs} ms after SIGTERM; acknowledged jobs on reopen: ${[...states]
        .map(([state, n]) => `${state} ${n}`)
        .join(', ')}`,
    );

    // Opened to work, the queue finishes: every acknowledged text becomes a memory.
    const worker = await Mnemos.open({ home });
    try {
      await worker.drain();
      for (const [id, text] of acknowledged) {
        const job = await worker.memories.job({ scope, id });
        expect(job.status, job.error ?? '').toBe('succeeded');
        const memory = await worker.memories.get({ scope, id: job.memoryIds[0]! });
        expect(memory.text).toBe(text);
      }
    } finally {
      await worker.close();
    }
  }, 90_000);
});
