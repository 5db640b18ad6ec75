import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../test/http/helpers.js';
import { MnemosError } from '../core/errors.js';
import { MnemosClient } from './mnemos-client.js';

let server: TestServer;
let alice: MnemosClient;
let bob: MnemosClient;

/** The MnemosError a promise rejects with. */
async function failure(promise: Promise<unknown>): Promise<MnemosError> {
  const error = await promise.then(
    () => new Error('expected a rejection'),
    (reason: unknown) => reason,
  );
  if (!MnemosError.isInstance(error)) throw error;
  return error;
}

function skillMd(description: string, body: string): string {
  return `---\nname: csv-cleanup\ndescription: ${description}\n---\n\n${body}\n`;
}

beforeAll(async () => {
  server = await startTestServer();
  const client = async (tenantId: string): Promise<MnemosClient> =>
    new MnemosClient({
      baseUrl: server.url,
      apiKey: (await server.mnemos.keys.create({ appId: 'app', tenantId })).key,
    });
  alice = await client('alice');
  bob = await client('bob');
});
afterAll(async () => {
  await server?.remove();
});

describe('MnemosClient skills', () => {
  it('round trip: create, list, get, update, patch, archive, restore, history, revert, delete', async () => {
    const first = skillMd('Clean CSV exports', '# Steps\n\n1. Trim the columns.');
    const created = await alice.createSkill({
      content: first,
      files: { 'scripts/trim.py': 'print("trim")\n' },
    });
    expect(created).toMatchObject({ name: 'csv-cleanup', version: 1, origin: 'user' });
    expect((await alice.listSkills()).map((skill) => [skill.name, skill.version])).toEqual([
      ['csv-cleanup', 1],
    ]);
    expect(await alice.getSkill('csv-cleanup')).toEqual(created);
    expect(await bob.listSkills()).toEqual([]);

    const updated = await alice.updateSkill('csv-cleanup', {
      content: skillMd('Clean CSV exports', '# Steps\n\n1. Trim the columns.\n2. Dedupe rows.'),
      expectedVersion: 1,
    });
    expect(updated.version).toBe(2);
    expect(updated.files['scripts/trim.py']).toBe('print("trim")\n');

    const patched = await alice.patchSkill('csv-cleanup', {
      oldString: 'Dedupe rows.',
      newString: 'Drop duplicate rows.',
    });
    expect(patched.version).toBe(3);

    const stale = await failure(
      alice.patchSkill('csv-cleanup', {
        oldString: 'Trim',
        newString: 'Cut',
        expectedVersion: 2,
      }),
    );
    expect(stale.code).toBe('conflict');

    expect((await alice.archiveSkill('csv-cleanup', { expectedVersion: 3 })).status).toBe(
      'archived',
    );
    expect(await alice.listSkills()).toEqual([]);
    expect(
      (await alice.listSkills({ includeArchived: true })).map((skill) => skill.status),
    ).toEqual(['archived']);
    expect((await alice.restoreSkill('csv-cleanup')).status).toBe('active');

    const history = await alice.skillHistory('csv-cleanup', { files: true, limit: 10 });
    expect(history.map((entry) => [entry.version, entry.action])).toEqual([
      [5, 'restore'],
      [4, 'archive'],
      [3, 'patch'],
      [2, 'edit'],
      [1, 'create'],
    ]);
    expect(history.at(-1)!.files?.['SKILL.md']).toBe(first);
    expect((await alice.skillHistory('csv-cleanup', { limit: 1 }))[0]).not.toHaveProperty('files');

    const reverted = await alice.revertSkill('csv-cleanup', 1);
    expect(reverted).toMatchObject({ version: 6, files: { 'SKILL.md': first } });

    await alice.deleteSkill('csv-cleanup', { expectedVersion: 6 });
    expect((await failure(alice.getSkill('csv-cleanup'))).code).toBe('not_found');
    const back = await alice.revertSkill('csv-cleanup', 6);
    expect(back).toMatchObject({ version: 8, status: 'active', files: { 'SKILL.md': first } });
  });

  it('hands back the server refusals as MnemosErrors with their details', async () => {
    const invalid = await failure(bob.createSkill({ content: 'no frontmatter here' }));
    expect(invalid.code).toBe('invalid_input');
    expect(Array.isArray(invalid.details.issues)).toBe(true);
    const missing = await failure(bob.skillHistory('never-there'));
    expect(missing.code).toBe('not_found');
    expect((await failure(bob.deleteSkill('csv-cleanup'))).code).toBe('not_found');
  });
});
