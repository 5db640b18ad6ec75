import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempHome } from '../../test/support/temp-home.js';
import { Mnemos } from '../mnemos.js';

const alice = { appId: 'app', tenantId: 'alice' };

let home: ReturnType<typeof tempHome>;
let mnemos: Mnemos;

beforeEach(async () => {
  home = tempHome();
  mnemos = await Mnemos.open({
    home: home.home,
    config: { extractor: 'passthrough', ingest: { near_duplicate_threshold: 1.01 } },
  });
});

afterEach(async () => {
  await mnemos.close();
  home.remove();
});

describe('MemoryService redaction', () => {
  it('stores job input, memories and metadata with secrets replaced, and says so', async () => {
    const job = await mnemos.memories.add({
      scope: alice,
      text: 'deploy key AKIAQWERTYUIOPASDFGH, db postgres://app:DbPa55word@db/app',
      metadata: { source: 'password=hunter2' },
      sync: true,
    });
    expect(job).toMatchObject({
      status: 'succeeded',
      redacted: 3,
      warnings: ['redacted 3 secrets before storing (aws_access_key, password, url_password)'],
    });
    const [stored] = await mnemos.memories.jobs({ scope: alice });
    expect(stored!.input).toMatchObject({
      text: 'deploy key [REDACTED:aws_access_key], db postgres://app:[REDACTED:url_password]@db/app',
      metadata: { source: 'password=[REDACTED:password]' },
    });
    const memory = await mnemos.memories.get({ scope: alice, id: job.memoryIds[0]! });
    expect(memory.text).not.toContain('AKIAQWERTYUIOPASDFGH');
    expect(memory.metadata.source).toBe('password=[REDACTED:password]');
  });

  it('redacts each request of addMany on its own count and messages too', async () => {
    const jobs = await mnemos.memories.addMany(
      [
        { scope: alice, text: 'nothing secret here' },
        { scope: alice, messages: [{ role: 'user', content: '我的密码是abc12345，记住了' }] },
      ],
      { sync: true },
    );
    expect(jobs.map((job) => job.redacted)).toEqual([0, 1]);
    expect(jobs[0]!.warnings).toEqual([]);
    const found = await mnemos.memories.search({ scope: alice, query: '密码' });
    expect(found.results.length).toBeGreaterThan(0);
    expect(found.results.map((result) => result.memory.text).join('\n')).not.toContain('abc12345');
  });

  it('redacts an updated text', async () => {
    const job = await mnemos.memories.add({ scope: alice, text: 'my cat is Mochi', sync: true });
    const updated = await mnemos.memories.update(
      { scope: alice, id: job.memoryIds[0]! },
      { text: 'my cat is Mochi; token: a1b2c3d4e5' },
    );
    expect(updated.text).toBe('my cat is Mochi; token: [REDACTED:password]');
  });
});

describe('ProfileService redaction', () => {
  it('stores a profile value set by the user with its secret replaced, also in history', async () => {
    const entry = await mnemos.profile.set(alice, 'wifi', '我的密码abc123');
    expect(entry.value).toBe('我的密码[REDACTED:password]');
    expect(JSON.stringify(await mnemos.profile.history(alice))).not.toContain('abc123');
  });
});
