import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentDefinitionSchema } from '../../src/core/agent-definition.js';
import { Mnemos } from '../../src/mnemos.js';
import { childEnv, cliFor, cliPath, makeHome, removeHomes } from '../support/cli.js';
import { type ChatRequest, type ModelServer, startModelServer } from '../support/model-server.js';

let model: ModelServer;
beforeAll(async () => {
  model = await startModelServer();
});
afterAll(async () => {
  removeHomes();
  await model.close();
});

const support = `name: support
description: Answers customers of the shop
llm: openai/gpt-4o-mini
system_prompt: You are the support desk of the shop.
tools:
  - web
  - type: mcp
    server: tickets
  - type: openapi
    name: orders
    spec_url: https://shop.example/openapi.json
`;

/** A home with `agents/` holding these files. */
function homeWith(files: Record<string, string>): string {
  const home = makeHome();
  writeFileSync(join(home, 'config.yaml'), 'extractor: passthrough\n');
  mkdirSync(join(home, 'agents'), { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(home, 'agents', name), text);
  return home;
}

interface ListJson {
  agents: Array<{
    name: string;
    origin: string;
    description: string;
    model: string | null;
    tools: string[] | null;
    version: number;
    path?: string;
  }>;
  broken: Array<{ name: string; path: string; error: string }>;
  count: number;
}

describe('mnemos agents', () => {
  it('list shows each agent with origin, model and tools, and a broken file beside them', async () => {
    const home = homeWith({
      'support.yaml': support,
      'writer.yaml': 'description: Writes drafts\ntools: []\n',
      'broken.yaml': 'name: broken\nmax_iter: 500\n',
    });
    const cli = cliFor(home);
    const listed = await cli(['agents', 'list', '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    const body = listed.json<ListJson>();
    expect(body.count).toBe(2);
    expect(
      body.agents.map((agent) => [agent.name, agent.origin, agent.model, agent.tools]),
    ).toEqual([
      ['support', 'home', 'openai/gpt-4o-mini', ['web', 'mcp_tickets', 'openapi_orders']],
      ['writer', 'home', null, []],
    ]);
    expect(body.agents[0]?.path).toBe(join(home, 'agents', 'support.yaml'));
    expect(body.broken).toEqual([
      {
        name: 'broken',
        path: join(home, 'agents', 'broken.yaml'),
        error: expect.stringMatching(/^agents\/broken\.yaml: max_iter: /),
        issues: [expect.objectContaining({ path: 'max_iter' })],
      },
    ]);

    const table = await cli(['agents', 'list']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/support.*home.*Answers customers.*openai\/gpt-4o-mini/);
    expect(table.stdout).toContain('web, mcp_tickets, openapi_orders');
    expect(table.stdout).toContain('(config llm)');
    expect(table.stderr).toMatch(/^warning: agents\/broken\.yaml: max_iter: /);
  });

  it('show prints the definition with defaults, or says which agents exist', async () => {
    const home = homeWith({ 'support.yaml': support });
    const cli = cliFor(home);
    const shown = await cli(['agents', 'show', 'support']);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/^# support: home \(.*support\.yaml\), version 1/);
    expect(shown.stdout).toContain('system_prompt: You are the support desk of the shop.');
    expect(shown.stdout).toContain('timeout_ms: 15000');
    const json = await cli(['agents', 'show', 'support', '--json']);
    expect(json.json<{ agent: { definition: unknown; origin: string } }>().agent).toMatchObject({
      origin: 'home',
      definition: { name: 'support', memory: { enabled: true, notes: true } },
    });
    const missing = await cli(['agents', 'show', 'nobody', '--json']);
    expect(missing.code).toBe(2);
    expect(missing.errorJson().error).toMatchObject({
      code: 'not_found',
      message: 'no agent named nobody; known agents: support',
    });
  });

  it('validate checks every home file by default, prints every error and exits 1', async () => {
    const home = homeWith({
      'support.yaml': support,
      'bad.yaml':
        'name: other\ntools:\n  - type: openapi\n    name: orders\n    spec_url: not a url\n',
    });
    const cli = cliFor(home);
    const checked = await cli(['agents', 'validate']);
    expect(checked.code).toBe(1);
    expect(checked.stdout.split('\n')).toEqual([
      'agents/bad.yaml: name: "other" differs from the file name: name the file other.yaml or set name: bad',
      'agents/bad.yaml: tools.0.spec_url: Invalid URL',
      'agents/support.yaml: valid',
      '1 of 2 files with errors',
      '',
    ]);
    const json = await cli(['agents', 'validate', '--json']);
    expect(json.code).toBe(1);
    const body = json.json<{
      valid: boolean;
      files: Array<{ name: string | null; valid: boolean }>;
    }>();
    expect(body.valid).toBe(false);
    expect(body.files.map((file) => [file.name, file.valid])).toEqual([
      [null, false],
      ['support', true],
    ]);
  });

  it('validate takes files and folders, exits 0 when all are valid, 2 for a missing path', async () => {
    const home = homeWith({ 'support.yaml': support });
    const cli = cliFor(home);
    const file = join(home, 'agents', 'support.yaml');
    const one = await cli(['agents', 'validate', file]);
    expect(one.code, one.stdout).toBe(0);
    expect(one.stdout).toBe(`${file}: valid\n`);
    const folder = await cli(['agents', 'validate', join(home, 'agents'), '--json']);
    expect(folder.code).toBe(0);
    expect(folder.json<{ valid: boolean }>().valid).toBe(true);
    const missing = await cli(['agents', 'validate', join(home, 'nope.yaml')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no such file or folder');
  });

  it("--tenant shows that tenant's definitions over the home's", async () => {
    const home = homeWith({ 'support.yaml': support });
    const mnemos = await Mnemos.open({ home, processJobs: false });
    try {
      await mnemos.storage.agents.save(
        { appId: 'shop', tenantId: 'alice' },
        {
          definition: agentDefinitionSchema.parse({
            name: 'support',
            description: 'Alice support',
            tools: [],
          }),
        },
        Date.now(),
      );
    } finally {
      await mnemos.close();
    }
    const cli = cliFor(home);
    const alice = await cli(['agents', 'list', '--tenant', 'alice', '--app', 'shop', '--json']);
    expect(alice.code, alice.stderr).toBe(0);
    expect(alice.json<ListJson>().agents.map((agent) => [agent.origin, agent.description])).toEqual(
      [['tenant', 'Alice support']],
    );
    const bob = await cli([
      'agents',
      'show',
      'support',
      '--tenant',
      'bob',
      '--app',
      'shop',
      '--json',
    ]);
    expect(bob.json<{ agent: { origin: string } }>().agent.origin).toBe('home');
    const noTenant = await cli(['agents', 'list', '--app', 'shop']);
    expect(noTenant.code).toBe(2);
    expect(noTenant.stderr).toContain('--app needs --tenant');
  });
});

describe('mnemos chat --agent', () => {
  it('runs the agent of <home>/agents: its system_prompt and tools reach the model', async () => {
    const home = homeWith({
      'support.yaml':
        'name: support\nsystem_prompt: You are the SUPPORT-DESK-9 agent.\ntools: [todo]\nmemory: { enabled: false, notes: false }\n',
    });
    writeFileSync(
      join(home, 'config.yaml'),
      `extractor: passthrough\nllm:\n  base_url: ${model.url}\n  model: scripted\n  max_retries: 0\n`,
    );
    model.reset();
    model.script({ text: 'desk here' });
    const cli = cliFor(home);
    const answer = await cli(['chat', '--agent', 'support', '-q', 'hello', '--json']);
    expect(answer.code, answer.stderr).toBe(0);
    expect(answer.json<{ text: string }>().text).toBe('desk here');
    const request = model.requestsTo('/v1/chat/completions')[0]?.body as ChatRequest;
    const system = (request.messages ?? []).filter((message) => message.role === 'system');
    expect(JSON.stringify(system)).toContain('You are the SUPPORT-DESK-9 agent.');
    const tools = (request.tools ?? []).map(
      (tool) => (tool as { function: { name: string } }).function.name,
    );
    expect(tools.length).toBeGreaterThan(0);
    expect(tools.every((name) => name.startsWith('todo'))).toBe(true);

    const unknown = await cli(['chat', '--agent', 'nobody', '-q', 'hello']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('error: no agent named nobody; known agents: support\n');
    expect(model.requestsTo('/v1/chat/completions')).toHaveLength(1);
  });
});

describe('mnemos agents --help', () => {
  it('loads commander and nothing else', () => {
    const home = makeHome();
    const trace = join(home, 'modules.txt');
    const preload = fileURLToPath(new URL('../support/module-trace.mjs', import.meta.url));
    const result = spawnSync(
      process.execPath,
      ['--import', preload, cliPath, 'agents', 'validate', '--help'],
      {
        env: childEnv(home, { MNEMOS_MODULE_TRACE: trace }),
        encoding: 'utf8',
      },
    );
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('definition files, or folders of them');
    const packages = new Set(
      readFileSync(trace, 'utf8')
        .split('\n')
        .map((url) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1])
        .filter((name) => name !== undefined),
    );
    expect([...packages]).toEqual(['commander']);
  });
});
