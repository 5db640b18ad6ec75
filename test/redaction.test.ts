import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseConfig, call, startTestServer, type TestServer } from './http/helpers.js';
import { childEnv, cliFor, cliPath, makeHome, removeHomes } from './support/cli.js';
import { type ModelServer, startModelServer } from './support/model-server.js';

/** Secrets, each as it would be pasted, with the part that must never be stored. */
const mnemosKey = `mn_${randomBytes(32).toString('base64url')}`;
const corpus: Array<{ text: string; secret: string }> = [
  {
    text: 'my OpenAI key is sk-proj-Q1w2E3r4T5y6U7i8O9p0AsDfGhJk',
    secret: 'sk-proj-Q1w2E3r4T5y6U7i8O9p0AsDfGhJk',
  },
  { text: 'AWS key id AKIAQWERTYUIOPASDFGH', secret: 'AKIAQWERTYUIOPASDFGH' },
  {
    text: 'aws_secret_access_key=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',
    secret: 'Zx9vLmN3bQ4rT5yU6wE7sA1dF2gH3jK4lZ5xQw8e',
  },
  { text: 'run PGPASSWORD=Pg-s3cret-77 psql -h db', secret: 'Pg-s3cret-77' },
  { text: 'dsn postgres://app:DbPa55word@db.internal:5432/app', secret: 'DbPa55word' },
  { text: 'password=hunter2-Secret', secret: 'hunter2-Secret' },
  { text: '我的密码abc123xyz', secret: 'abc123xyz' },
  { text: '数据库密码是Mima2024!，别忘了', secret: 'Mima2024!' },
  { text: 'Authorization: Basic YWxhZGRpbjpvcGVuc2VzYW1l', secret: 'YWxhZGRpbjpvcGVuc2VzYW1l' },
  { text: `my Mnemos key ${mnemosKey}`, secret: mnemosKey.slice(3) },
  {
    text: 'token ghp_Zx9vLmN3bQ4rT5yU6wE7sA1dF2gH3jK4lZ5x',
    secret: 'ghp_Zx9vLmN3bQ4rT5yU6wE7sA1dF2gH3jK4lZ5x',
  },
  {
    text: '-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAq7BFUpkGp3+XQwErTy\n-----END RSA PRIVATE KEY-----',
    secret: 'MIIEpAIBAAKCAQEAq7BFUpkGp3+XQwErTy',
  },
  {
    text: 'cut: -----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAE\nQyNTUxOQAAACBmoreKeyBody',
    secret: 'QyNTUxOQAAACBmoreKeyBody',
  },
];
const secrets = corpus.map((item) => item.secret);
const secretText = corpus.map((item) => item.text).join('\n');

function verbatim(text: string): string[] {
  return secrets.filter((secret) => text.includes(secret));
}

let model: ModelServer;
let app: TestServer;
let key = '';
const cliHome = makeHome();

beforeAll(async () => {
  model = await startModelServer();
});

afterAll(async () => {
  await app?.remove();
  await model?.close();
  removeHomes();
});

/** Every text value of every table of a SQLite file, plus the raw bytes of the file and its WAL. */
function databaseText(path: string): string {
  const db = new Database(path, { readonly: true });
  const parts: string[] = [];
  try {
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
      .all() as Array<{ name: string }>;
    expect(tables.length).toBeGreaterThan(5);
    for (const { name } of tables) {
      for (const row of db
        .prepare(`SELECT * FROM "${name.replaceAll('"', '""')}"`)
        .raw()
        .all()) {
        for (const value of row as unknown[]) {
          if (typeof value === 'string') parts.push(value);
          else if (Buffer.isBuffer(value)) parts.push(value.toString('utf8'));
        }
      }
    }
  } finally {
    db.close();
  }
  for (const file of [path, `${path}-wal`])
    if (existsSync(file)) parts.push(readFileSync(file).toString('utf8'));
  return parts.join('\n');
}

describe('secrets never reach memory or transcripts', () => {
  it('redacts on all eight write paths and stores no secret verbatim', async () => {
    // The corpus holds every kind the issue lists.
    expect(secrets).toHaveLength(13);
    const cli = cliFor(cliHome);
    writeFileSync(join(cliHome, 'config.yaml'), baseConfig);

    // 3. CLI mem add: a notice in text mode, the count in --json.
    const added = await cli(['mem', 'add', '--sync', '-'], { input: secretText });
    expect(added.code, added.stderr).toBe(0);
    expect(added.stderr).toMatch(/notice: redacted \d+ secrets before storing \(.*aws_access_key/);
    expect(verbatim(added.stdout + added.stderr)).toEqual([]);
    const addedJson = await cli(['mem', 'add', '--sync', '--json', '-'], { input: secretText });
    expect(addedJson.code, addedJson.stderr).toBe(0);
    const job = addedJson.json<{ redacted: number; warnings: string[] }>();
    expect(job.redacted).toBeGreaterThanOrEqual(secrets.length);
    expect(job.warnings[0]).toMatch(/mnemos_key/);

    // 4. CLI mem import.
    const file = join(cliHome, 'import.jsonl');
    writeFileSync(
      file,
      `${corpus.map((item) => JSON.stringify({ text: item.text })).join('\n')}\n${JSON.stringify({ messages: [{ role: 'user', content: secretText }] })}\n`,
    );
    const imported = await cli(['mem', 'import', '--json', file], {});
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.json<{ redacted: number }>().redacted).toBeGreaterThanOrEqual(
      secrets.length * 2,
    );

    // 5. MCP memory_remember.
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [cliPath, 'mcp'],
      env: childEnv(cliHome) as Record<string, string>,
      stderr: 'pipe',
    });
    const client = new Client({ name: 'redaction-test', version: '1.0.0' });
    await client.connect(transport);
    try {
      const result = await client.callTool({
        name: 'memory_remember',
        arguments: { content: secretText, sync: true },
      });
      expect(result.isError ?? false).toBe(false);
      const text = (result.content as Array<{ text: string }>)[0]!.text;
      const remembered = JSON.parse(text) as { redacted: number; warnings: string[] };
      expect(remembered.redacted).toBeGreaterThanOrEqual(secrets.length);
      expect(remembered.warnings[0]).toMatch(/^redacted \d+ secrets before storing/);
      expect(verbatim(text)).toEqual([]);
    } finally {
      await client.close();
    }

    // The server runs on the same home, after the CLI children are done with it.
    app = await startTestServerOn(cliHome, model);
    key = (await app.mnemos.keys.create({ appId: 'app', tenantId: 'a' })).key;

    // 1. HTTP add, text.
    const text = await call(app.url, key, 'POST', '/v1/memories', { text: secretText, sync: true });
    expect(text.status, text.text).toBe(200);
    const textJob = text.json<{ redacted: number; warnings: string[] }>();
    expect(textJob.redacted).toBeGreaterThanOrEqual(secrets.length);
    expect(textJob.warnings[0]).toMatch(/private_key/);
    expect(verbatim(text.text)).toEqual([]);

    // 2. HTTP add, messages.
    const messages = await call(app.url, key, 'POST', '/v1/memories', {
      messages: [
        { role: 'user', content: secretText },
        { role: 'assistant', content: `noted: ${corpus[0]!.text}` },
      ],
      sync: true,
    });
    expect(messages.status, messages.text).toBe(200);
    expect(messages.json<{ redacted: number }>().redacted).toBeGreaterThan(secrets.length);

    // 6. HTTP session history append.
    await call(app.url, key, 'POST', '/v1/sessions', { id: 'history' });
    const history = await call(app.url, key, 'POST', '/v1/sessions/history/history', {
      messages: [{ role: 'user', content: secretText, metadata: { note: corpus[5]!.text } }],
    });
    expect(history.status, history.text).toBe(200);
    const appended = history.json<{ redacted: number; warnings: string[] }>();
    expect(appended.redacted).toBeGreaterThan(secrets.length);
    expect(verbatim(history.text)).toEqual([]);

    // 7. The agent's own transcript of a turn whose scripted model repeats the secrets.
    model.script({ text: `Got it, I will keep these safe:\n${secretText}` });
    await call(app.url, key, 'POST', '/v1/sessions', { id: 'turn' });
    const turn = await call(app.url, key, 'POST', '/v1/sessions/turn/messages', {
      content: `Please remember:\n${secretText}`,
    });
    expect(turn.status, turn.text).toBe(200);
    const transcript = await app.mnemos.sessions.messages({ appId: 'app', tenantId: 'a' }, 'turn');
    expect(transcript.map((message) => message.role)).toEqual(['user', 'assistant']);
    for (const message of transcript) {
      expect(verbatim(message.content)).toEqual([]);
      expect(message.content).toContain('[REDACTED:');
    }
    await app.mnemos.drain();

    // 8. Raw job input: every queued job of both tenants is already redacted.
    for (const scope of [
      { appId: 'app', tenantId: 'a' },
      { appId: 'mnemos', tenantId: 'default' },
    ]) {
      const jobs = await app.mnemos.memories.jobs({ scope, limit: 100 });
      expect(jobs.length).toBeGreaterThan(0);
      for (const stored of jobs) expect(verbatim(JSON.stringify(stored.input))).toEqual([]);
    }

    await app.stop();
    const files = readdirSync(cliHome).filter((name) => name.startsWith('mnemos.db'));
    expect(files).toContain('mnemos.db');
    const stored = databaseText(join(cliHome, 'mnemos.db'));
    expect(stored).toContain('[REDACTED:mnemos_key]');
    expect(verbatim(stored)).toEqual([]);
  }, 120_000);
});

/** The HTTP test server over an existing home, with the scripted model as its chat model. */
async function startTestServerOn(home: string, chat: ModelServer): Promise<TestServer> {
  writeFileSync(
    join(home, 'config.yaml'),
    `${baseConfig}llm:\n  base_url: ${chat.url}\n  model: scripted\nagent:\n  toolsets: [memory]\n`,
  );
  return startTestServer({ home });
}
