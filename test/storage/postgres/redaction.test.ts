import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { Mnemos } from '../../../src/mnemos.js';
import { PostgresStorage } from '../../../src/storage/postgres/postgres-storage.js';
import {
  dropSchema,
  skipReason,
  testDatabaseUrl,
  uniqueSchema,
  withClient,
} from '../../support/postgres.js';
import { tempHome } from '../../support/temp-home.js';

const url = testDatabaseUrl ?? '';
const schema = uniqueSchema('mnemos_redaction');
const owner = { appId: 'app', tenantId: 'a' };
const secrets = [
  'sk-proj-Q1w2E3r4T5y6U7i8O9p0AsDfGhJk',
  'AKIAQWERTYUIOPASDFGH',
  'Pg-s3cret-77',
  'DbPa55word',
  'abc123xyz',
  'YWxhZGRpbjpvcGVuc2VzYW1l',
  'QyNTUxOQAAACBmoreKeyBody',
];
const secretText = [
  `key ${secrets[0]} and id ${secrets[1]}`,
  `PGPASSWORD=${secrets[2]} psql postgres://app:${secrets[3]}@db/app`,
  `我的密码${secrets[4]}`,
  `Authorization: Basic ${secrets[5]}`,
  `-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAE\n${secrets[6]}`,
].join('\n');

afterAll(async () => {
  if (testDatabaseUrl) await dropSchema(url, schema);
});

describe.skipIf(!testDatabaseUrl)(`redaction on Postgres (${skipReason})`, () => {
  it('stores no secret verbatim in any table of the schema', async () => {
    const home = tempHome();
    const mnemos = await Mnemos.open({
      home: home.home,
      storage: await PostgresStorage.open(url, { schema }),
      config: { extractor: 'passthrough', ingest: { near_duplicate_threshold: 1.01 } },
    });
    try {
      const text = await mnemos.memories.add({ scope: owner, text: secretText, sync: true });
      expect(text.redacted).toBeGreaterThanOrEqual(secrets.length);
      await mnemos.memories.addMany(
        [
          { scope: owner, messages: [{ role: 'user', content: secretText }] },
          { scope: owner, text: `import ${secretText}`, metadata: { note: secretText } },
        ],
        { sync: true },
      );
      await mnemos.memories.update({ scope: owner, id: text.memoryIds[0]! }, { text: secretText });
      const session = await mnemos.sessions.create(owner, { title: `PGPASSWORD=${secrets[2]}` });
      const appended = await mnemos.sessions.appendReporting(owner, session.id, [
        { role: 'user', content: secretText },
        { role: 'assistant', content: secretText, metadata: { tool: secretText } },
      ]);
      expect(appended.redacted).toBeGreaterThanOrEqual(secrets.length * 3);
      await mnemos.drain();
    } finally {
      await mnemos.close();
      home.remove();
    }
    const stored = await withClient(url, async (client) => {
      const tables = await client.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'`,
        [schema],
      );
      expect(tables.rows.length).toBeGreaterThan(5);
      const parts: string[] = [];
      for (const { table_name } of tables.rows) {
        const rows = await client.query<{ row: string }>(
          `SELECT row_to_json(t)::text AS row FROM ${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(table_name)} t`,
        );
        for (const row of rows.rows) parts.push(row.row);
      }
      return parts.join('\n');
    });
    expect(stored).toContain('[REDACTED:');
    expect(secrets.filter((secret) => stored.includes(secret))).toEqual([]);
  }, 60_000);
});
