import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempHome } from '../../test/support/temp-home.js';
import { MnemosError } from '../core/errors.js';
import { Mnemos } from '../mnemos.js';

const alice = { appId: 'app', tenantId: 'alice' };
const bob = { appId: 'app', tenantId: 'bob' };

let home: ReturnType<typeof tempHome>;
let mnemos: Mnemos;

beforeEach(async () => {
  home = tempHome();
  mnemos = await Mnemos.open({ home: home.home });
});

afterEach(async () => {
  await mnemos.close();
  home.remove();
});

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (MnemosError.isInstance(error)) return error.code;
    throw error;
  }
  throw new Error('expected a failure');
}

describe('sessions', () => {
  it('creates, appends in order, pages, updates and deletes', async () => {
    const session = await mnemos.sessions.create(
      { ...alice, agentId: 'planner' },
      { title: 'Trip' },
    );
    expect(session).toMatchObject({
      title: 'Trip',
      agentId: 'planner',
      messageCount: 0,
      parentId: null,
    });
    const first = await mnemos.sessions.append(alice, session.id, [
      { role: 'user', content: 'Plan a trip to Kyoto' },
      { role: 'assistant', content: 'Sure, when?' },
    ]);
    expect(first.map((message) => message.seq)).toEqual([1, 2]);
    await mnemos.sessions.append(alice, session.id, [{ role: 'user', content: 'In April' }]);
    const page = await mnemos.sessions.messages(alice, session.id, { limit: 2, offset: 1 });
    expect(page.map((message) => [message.seq, message.content])).toEqual([
      [2, 'Sure, when?'],
      [3, 'In April'],
    ]);
    expect((await mnemos.sessions.get(alice, session.id)).messageCount).toBe(3);
    const renamed = await mnemos.sessions.update(alice, session.id, {
      title: 'Kyoto trip',
      metadata: { channel: 'web' },
    });
    expect(renamed).toMatchObject({ title: 'Kyoto trip', metadata: { channel: 'web' } });
    await mnemos.sessions.delete(alice, session.id);
    expect(await codeOf(mnemos.sessions.get(alice, session.id))).toBe('not_found');
    expect(await mnemos.sessions.search(alice, 'Kyoto')).toEqual([]);
  });

  it('lists sessions most recently active first, with lineage', async () => {
    const older = await mnemos.sessions.create(alice, { id: 'older' });
    const newer = await mnemos.sessions.create(alice, { id: 'newer', parentId: 'older' });
    await new Promise((resolve) => setTimeout(resolve, 5));
    await mnemos.sessions.append(alice, older.id, [
      { role: 'user', content: 'back to the old one' },
    ]);
    const list = await mnemos.sessions.list(alice);
    expect(list.map((session) => session.id)).toEqual(['older', 'newer']);
    expect(newer.parentId).toBe('older');
    expect(await codeOf(mnemos.sessions.create(alice, { id: 'older' }))).toBe('already_exists');
  });

  it('searches Chinese and English messages across sessions or inside one', async () => {
    const one = await mnemos.sessions.create(alice);
    const two = await mnemos.sessions.create(alice);
    await mnemos.sessions.append(alice, one.id, [
      { role: 'user', content: '我喜欢用TypeScript写后端服务' },
    ]);
    await mnemos.sessions.append(alice, two.id, [
      { role: 'user', content: '数据库迁移失败了，需要回滚' },
      { role: 'assistant', content: 'Rolling back the database migration now' },
    ]);
    const zh = await mnemos.sessions.search(alice, '数据库');
    expect(zh.map((hit) => hit.content)).toEqual(['数据库迁移失败了，需要回滚']);
    const mixed = await mnemos.sessions.search(alice, 'typescript');
    expect(mixed[0]?.sessionId).toBe(one.id);
    const inside = await mnemos.sessions.search(alice, 'migration', { sessionId: one.id });
    expect(inside).toEqual([]);
    expect((await mnemos.sessions.search(alice, 'migration', { sessionId: two.id }))[0]?.seq).toBe(
      2,
    );
  });

  it('keeps tenants apart, even with the same session id', async () => {
    await mnemos.sessions.create(alice, { id: 'shared-id' });
    await mnemos.sessions.create(bob, { id: 'shared-id' });
    await mnemos.sessions.append(alice, 'shared-id', [
      { role: 'user', content: 'alice private words' },
    ]);
    expect(
      (await mnemos.sessions.messages(bob, 'shared-id')).map((message) => message.content),
    ).toEqual([]);
    expect(await mnemos.sessions.search(bob, 'private')).toEqual([]);
    expect((await mnemos.sessions.list(bob)).map((session) => session.messageCount)).toEqual([0]);
    await mnemos.sessions.delete(bob, 'shared-id');
    expect(
      (await mnemos.sessions.messages(alice, 'shared-id')).map((message) => message.content),
    ).toEqual(['alice private words']);
  });

  it('redacts secrets in titles, metadata and messages, and says how many', async () => {
    const session = await mnemos.sessions.create(alice, {
      title: 'deploy with PGPASSWORD=Pg-s3cret-77',
      metadata: { note: 'key AKIAQWERTYUIOPASDFGH' },
    });
    expect(session.title).toBe('deploy with PGPASSWORD=[REDACTED:password]');
    expect(session.metadata.note).toBe('key [REDACTED:aws_access_key]');
    const updated = await mnemos.sessions.update(alice, session.id, { title: '我的密码abc123' });
    expect(updated.title).toBe('我的密码[REDACTED:password]');
    const appended = await mnemos.sessions.appendReporting(alice, session.id, [
      {
        role: 'user',
        content: 'password=hunter2 and mn_8Hq2kP0zX9vLmN3bQ4rT5yU6wE7sA1dF2gH3jK4lZ5x',
      },
      {
        role: 'assistant',
        content: 'noted',
        metadata: { source: 'Authorization: Basic YWxhZGRpbjpvcGVu' },
      },
    ]);
    expect(appended.redacted).toBe(3);
    expect(appended.warnings).toEqual([
      'redacted 3 secrets before storing (authorization, mnemos_key, password)',
    ]);
    const stored = await mnemos.sessions.messages(alice, session.id);
    expect(stored[0]!.content).toBe('password=[REDACTED:password] and [REDACTED:mnemos_key]');
    expect(stored[1]!.metadata.source).toBe('Authorization: Basic [REDACTED:authorization]');
    expect(await mnemos.sessions.search(alice, 'hunter2')).toEqual([]);
  });

  it('redacts secrets inside tool calls and results, keeping their shape', async () => {
    const session = await mnemos.sessions.create(alice, { title: 'tools' });
    const appended = await mnemos.sessions.appendReporting(alice, session.id, [
      {
        role: 'assistant',
        content: '',
        parts: [
          {
            type: 'tool-call',
            toolCallId: 'call-1',
            toolName: 'terminal',
            input: { command: 'psql postgres://app:Pg-s3cret-77@db/app', timeout: 5 },
          },
        ],
      },
      {
        role: 'tool',
        content: 'ok',
        parts: [
          {
            type: 'tool-result',
            toolCallId: 'call-1',
            toolName: 'read_file',
            output: {
              lines: ['AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY', 'x'],
            },
            isError: false,
          },
        ],
      },
    ]);
    expect(appended.redacted).toBe(2);
    const stored = JSON.stringify(await mnemos.sessions.messages(alice, session.id));
    expect(stored).not.toContain('Pg-s3cret-77');
    expect(stored).not.toContain('wJalrXUtnFEMI');
    const [call, result] = await mnemos.sessions.messages(alice, session.id);
    expect(call!.parts[0]).toMatchObject({
      type: 'tool-call',
      input: { command: 'psql postgres://app:[REDACTED:url_password]@db/app', timeout: 5 },
    });
    expect(result!.parts[0]).toMatchObject({ output: { lines: [expect.any(String), 'x'] } });
  });

  it('stores secrets as given when redaction is off', async () => {
    const off = await Mnemos.open({
      home: tempHome().home,
      config: { redaction: { enabled: false } },
    });
    try {
      const session = await off.sessions.create(alice);
      const appended = await off.sessions.appendReporting(alice, session.id, [
        { role: 'user', content: 'password=hunter2' },
      ]);
      expect(appended).toMatchObject({ redacted: 0, warnings: [] });
      expect(appended.messages[0]!.content).toBe('password=hunter2');
    } finally {
      await off.close();
    }
  });

  it('rejects bad input before writing', async () => {
    const session = await mnemos.sessions.create(alice);
    expect(await codeOf(mnemos.sessions.append(alice, session.id, []))).toBe('invalid_input');
    expect(
      await codeOf(
        mnemos.sessions.append(alice, session.id, [{ role: 'robot' as 'user', content: 'x' }]),
      ),
    ).toBe('invalid_input');
    expect(
      await codeOf(mnemos.sessions.append(alice, 'missing', [{ role: 'user', content: 'x' }])),
    ).toBe('not_found');
    expect(await codeOf(mnemos.sessions.create(alice, { id: 'bad id with spaces' }))).toBe(
      'invalid_input',
    );
    expect(await codeOf(mnemos.sessions.create({ appId: 'app', tenantId: '*' }))).toBe(
      'invalid_scope',
    );
    expect(await codeOf(mnemos.sessions.list(alice, { limit: 0 }))).toBe('invalid_input');
    expect(await codeOf(mnemos.sessions.search(alice, '  '))).toBe('invalid_input');
    expect((await mnemos.sessions.get(alice, session.id)).messageCount).toBe(0);
  });
});
