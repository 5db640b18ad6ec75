import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStandIns } from '../../examples/stand-ins.js';
import { runCli } from '../support/cli.js';
import { startServe } from '../support/serve.js';
import { tempHome } from '../support/temp-home.js';

/** examples/README.md, step by step: the example home against the stand-ins, CLI and HTTP. */
let standIns: Awaited<ReturnType<typeof startStandIns>>;
let home: ReturnType<typeof tempHome>;
const env = { ORDER_API_TOKEN: 'demo-token' };

beforeAll(async () => {
  standIns = await startStandIns();
  home = tempHome();
  cpSync(new URL('../../examples/acme', import.meta.url), home.home, { recursive: true });
  // The example names the stand-ins' default ports; these run on ephemeral ones.
  const modelPort = new URL(standIns.modelUrl).port;
  const ordersPort = new URL(standIns.ordersUrl).port;
  const files = [
    'config.yaml',
    ...readdirSync(join(home.home, 'agents')).map((file) => join('agents', file)),
  ];
  for (const file of files) {
    const path = join(home.home, file);
    writeFileSync(
      path,
      readFileSync(path, 'utf8')
        .replaceAll(':8700', `:${modelPort}`)
        .replaceAll(':8701', `:${ordersPort}`),
    );
  }
});
afterAll(async () => {
  await standIns.stop();
  home.remove();
});

describe('the ACME walk-through', () => {
  it('lists the agent and answers from the orders API through its OpenAPI tool', async () => {
    const list = await runCli(['agents', 'list', '--json'], { home: home.home, env });
    expect(list.code).toBe(0);
    expect(JSON.stringify(list.json())).toContain('customer-support');
    const chat = await runCli(
      ['chat', '--agent', 'customer-support', '-q', 'Where is my order 12345?'],
      { home: home.home, env },
    );
    expect(chat.stdout + chat.stderr).toContain('orders_get_order');
    expect(chat.stdout).toContain('Order 12345 is shipped with SF Express');
  });

  it('runs the research team, the two middle steps in parallel, approved by the critic', async () => {
    const run = await runCli(['team', 'run', 'research-team', '--input', 'AI agent trends'], {
      home: home.home,
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('REPORT: AI agent trends');
    const lines = run.stderr.split('\n');
    const searcherStart = lines.findIndex((line) => line.startsWith('[searcher] started'));
    const analystStart = lines.findIndex((line) => line.startsWith('[analyst] started'));
    const firstDone = lines.findIndex(
      (line) => line.startsWith('[searcher] done') || line.startsWith('[analyst] done'),
    );
    expect(searcherStart).toBeGreaterThan(-1);
    expect(analystStart).toBeGreaterThan(-1);
    expect(Math.max(searcherStart, analystStart)).toBeLessThan(firstDone);
    expect(run.stderr).toContain('approved by critic');
  });

  it('serves both over HTTP with the hermes-agent request bodies', async () => {
    const created = await runCli(['keys', 'create', '--tenant', 'u1', '--json'], {
      home: home.home,
    });
    const key = created.json<{ key: string }>().key;
    const serve = await startServe(home.home, { env });
    try {
      const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
      const session = await fetch(`${serve.url}/v1/sessions`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ agent: 'customer-support', user_id: 'u1' }),
      });
      expect(session.status).toBe(201);
      const { session_id: sessionId } = (await session.json()) as { session_id: string };
      const turn = await fetch(`${serve.url}/v1/sessions/${sessionId}/messages`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ input: '我的订单 12345 到哪了？', stream: true }),
      });
      const events = await turn.text();
      expect(events).toContain('event: tool_call');
      expect(events).toContain('SF Express');
      expect(events).toContain('event: done');
      const team = await fetch(`${serve.url}/v1/teams/research-team/run`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ topic: '2024年AI Agent技术趋势', depth: 3 }),
      });
      const teamEvents = await team.text();
      expect(teamEvents).toContain('event: step_start');
      expect(teamEvents).toMatch(/event: done\ndata: \{"status":"succeeded"/);
      expect(teamEvents).toContain('REPORT: 2024年AI Agent技术趋势');
    } finally {
      await serve.stop();
    }
  });
});
