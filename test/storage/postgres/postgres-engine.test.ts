import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Mnemos } from '../../../src/mnemos.js';
import { databaseUrlVariable } from '../../../src/storage/choose-storage.js';
import { PostgresStorage } from '../../../src/storage/postgres/postgres-storage.js';
import { dropSchema, skipReason, testDatabaseUrl, uniqueSchema } from '../../support/postgres.js';
import { tempHome } from '../../support/temp-home.js';

const url = testDatabaseUrl ?? '';
const schemas: string[] = [];
const alice = { appId: 'app', tenantId: 'alice' };
const bob = { appId: 'app', tenantId: 'bob' };

describe.skipIf(!testDatabaseUrl)(`Mnemos over PostgresStorage (${skipReason})`, () => {
  const cleanups: Array<() => Promise<void> | void> = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    delete process.env[databaseUrlVariable];
  });

  afterAll(async () => {
    for (const schema of schemas) await dropSchema(url, schema);
  });

  async function engine(): Promise<Mnemos> {
    const schema = uniqueSchema('mnemos_pg_engine');
    schemas.push(schema);
    const home = tempHome('mnemos-pg-engine-');
    cleanups.push(home.remove);
    const storage = await PostgresStorage.open(url, { schema });
    const mnemos = await Mnemos.open({ home: home.home, storage });
    cleanups.push(() => mnemos.close());
    return mnemos;
  }

  it('adds, searches, updates and deletes Chinese memories end to end', async () => {
    const mnemos = await engine();
    const texts = [
      '用户希望回答风格更加正式，不要使用表情符号',
      '用户的猫叫小白，今年三岁',
      '用户住在杭州，喜欢喝龙井茶',
      'The user prefers TypeScript over Python for backend services',
    ];
    for (const text of texts) {
      const job = await mnemos.memories.add({ scope: alice, text, sync: true });
      expect(job.status).toBe('succeeded');
    }
    await mnemos.memories.add({ scope: bob, text: '用户希望回答简短', sync: true });

    const style = await mnemos.memories.search({ scope: alice, query: '回答风格' });
    expect(style.results[0]!.memory.text).toBe(texts[0]);
    expect(style.results[0]!.matched).toEqual(expect.arrayContaining(['keyword', 'vector']));
    for (const result of style.results) expect(result.memory.scope.tenantId).toBe('alice');

    const cat = await mnemos.memories.search({ scope: alice, query: '猫' });
    expect(cat.results[0]!.memory.text).toBe(texts[1]);
    const english = await mnemos.memories.search({ scope: alice, query: 'TypeScript backend' });
    expect(english.results[0]!.memory.text).toBe(texts[3]);

    const id = style.results[0]!.memory.id;
    const address = { scope: alice, id };
    await mnemos.memories.update(address, { text: '用户希望回答风格随意一些' });
    const history = await mnemos.memories.history(address);
    expect(history.map((entry) => entry.event)).toEqual(['ADD', 'UPDATE']);
    const after = await mnemos.memories.search({ scope: alice, query: '随意' });
    expect(after.results[0]!.memory.id).toBe(id);

    await mnemos.memories.delete(address);
    const gone = await mnemos.memories.search({ scope: alice, query: '回答风格' });
    expect(gone.results.map((result) => result.memory.id)).not.toContain(id);
  });

  it('turns a near-duplicate into an update of the existing memory', async () => {
    const mnemos = await engine();
    const first = await mnemos.memories.add({
      scope: alice,
      text: '用户住在杭州，喜欢喝龙井茶。',
      sync: true,
    });
    const second = await mnemos.memories.add({
      scope: alice,
      text: '用户住在杭州，喜欢喝龙井茶!',
      sync: true,
    });
    expect(second.memoryIds).toEqual(first.memoryIds);
    const listed = await mnemos.memories.search({ scope: alice, query: '龙井茶' });
    expect(listed.results).toHaveLength(1);
  });

  it('reports postgres and a URL without the password in doctor', async () => {
    const mnemos = await engine();
    await mnemos.memories.add({
      scope: { appId: mnemos.config.app_id, tenantId: mnemos.config.tenant_id },
      text: '你好',
      sync: true,
    });
    const report = await mnemos.doctor();
    expect(report).toMatchObject({ ok: true, storage: 'postgres' });
    expect(report.database).toMatch(/^postgres(ql)?:\/\//);
    const password = new URL(url).password;
    if (password) expect(report.database).not.toContain(`:${password}@`);
  });

  it('opens PostgreSQL from MNEMOS_DATABASE_URL in .env, and refuses storage: postgres without it', async () => {
    const schema = uniqueSchema('mnemos_pg_engine');
    schemas.push(schema);
    const home = tempHome('mnemos-pg-engine-');
    cleanups.push(home.remove);
    const withSchema = `${url}${url.includes('?') ? '&' : '?'}schema=${schema}`;
    writeFileSync(join(home.home, '.env'), `${databaseUrlVariable}=${withSchema}\n`);
    const mnemos = await Mnemos.open({ home: home.home });
    cleanups.push(() => mnemos.close());
    expect(mnemos.storage.kind).toBe('postgres');
    await mnemos.memories.add({ scope: alice, text: '用户喜欢爬山', sync: true });
    expect((await mnemos.memories.search({ scope: alice, query: '爬山' })).results).toHaveLength(1);

    delete process.env[databaseUrlVariable];
    const bare = tempHome('mnemos-pg-engine-');
    cleanups.push(bare.remove);
    writeFileSync(join(bare.home, 'config.yaml'), 'storage: postgres\n');
    await expect(Mnemos.open({ home: bare.home })).rejects.toMatchObject({
      code: 'config_error',
      message: expect.stringContaining(`${databaseUrlVariable}=postgres://`),
    });
  });
});
