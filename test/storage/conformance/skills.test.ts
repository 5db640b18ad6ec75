import { describe, expect } from 'vitest';
import { MnemosError } from '../../../src/core/errors.js';
import type { SkillFiles, SkillProvenance } from '../../../src/core/skill-record.js';
import type { SkillWrite, Storage } from '../../../src/spec/storage.js';
import { backends } from './backends.js';
import { conformance } from './conformance.js';
import { alice, aliceElsewhere, bob, codeOf, t0 } from './fixtures.js';

const iso = (ms: number): string => new Date(ms).toISOString();

const provenance: SkillProvenance = {
  sessionId: 's1',
  task: 'deploy the app',
  tools: ['shell', 'read_file'],
  outcome: 'deployed',
  tokens: { input: 1200, output: 300 },
  action: 'create',
  at: iso(t0),
};

/** A first version of a skill; override fields for later ones. */
function write(name: string, changes: Partial<SkillWrite> = {}): SkillWrite {
  return {
    name,
    description: `How to ${name}`,
    origin: 'agent',
    status: 'active',
    files: { 'SKILL.md': `---\nname: ${name}\n---\nSteps.\n` },
    provenance: [],
    expectedVersion: null,
    action: 'create',
    actor: 'agent',
    note: 'learned it',
    ...changes,
  };
}

/** The error a promise rejects with, which must be a MnemosError. */
async function errorOf(promise: Promise<unknown>): Promise<MnemosError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a failure, but it succeeded');
    },
    (caught: unknown) => caught,
  );
  if (!MnemosError.isInstance(error)) throw error;
  return error;
}

async function versions(storage: Storage, name: string): Promise<number[]> {
  const history = await storage.skills.history(alice, name, { limit: 100, offset: 0 });
  return history.map((entry) => entry.version);
}

describe.each(backends)('skills on $name', (backend) => {
  const { it, context } = conformance(backend, 'skills');

  it('saves a new skill as version 1 and reads it back whole', async () => {
    const { storage } = context;
    expect(await storage.skills.get(alice, 'deploy')).toBeNull();
    const saved = await storage.skills.save(
      alice,
      write('deploy', { provenance: [provenance] }),
      t0,
    );
    const expected = {
      name: 'deploy',
      description: 'How to deploy',
      origin: 'agent',
      status: 'active',
      version: 1,
      files: { 'SKILL.md': '---\nname: deploy\n---\nSteps.\n' },
      provenance: [provenance],
      createdAt: iso(t0),
      updatedAt: iso(t0),
      lastUsedAt: null,
    };
    expect(saved).toEqual(expected);
    expect(await storage.skills.get(alice, 'deploy')).toEqual(expected);
    expect(await storage.skills.history(alice, 'deploy', { limit: 10, offset: 0 })).toEqual([
      {
        name: 'deploy',
        version: 1,
        action: 'create',
        actor: 'agent',
        note: 'learned it',
        files: expected.files,
        createdAt: iso(t0),
      },
    ]);
  });

  it('refuses to create a skill that exists, changing nothing', async () => {
    const { storage } = context;
    await storage.skills.save(alice, write('deploy'), t0);
    const error = await errorOf(
      storage.skills.save(alice, write('deploy', { description: 'other' }), t0 + 1),
    );
    expect(error.code).toBe('already_exists');
    expect(error.details).toEqual({ name: 'deploy', version: 1 });
    expect((await storage.skills.get(alice, 'deploy'))?.description).toBe('How to deploy');
    expect(await versions(storage, 'deploy')).toEqual([1]);
  });

  it('saves changes made from the stored version, keeping the creation and last-use times', async () => {
    const { storage } = context;
    await storage.skills.save(alice, write('deploy'), t0);
    await storage.skills.markUsed(alice, 'deploy', t0 + 5);
    const patched = await storage.skills.save(
      alice,
      write('deploy', {
        expectedVersion: 1,
        files: { 'SKILL.md': 'v2', 'scripts/run.sh': 'echo hi\n' },
        action: 'patch',
        actor: 'review',
        note: 'patched the retry step',
      }),
      t0 + 10,
    );
    expect(patched).toMatchObject({
      version: 2,
      createdAt: iso(t0),
      updatedAt: iso(t0 + 10),
      lastUsedAt: iso(t0 + 5),
      files: { 'SKILL.md': 'v2', 'scripts/run.sh': 'echo hi\n' },
    });
    expect(await storage.skills.get(alice, 'deploy')).toEqual(patched);
    const archived = await storage.skills.save(
      alice,
      write('deploy', { expectedVersion: 2, status: 'archived', action: 'archive', actor: 'user' }),
      t0 + 20,
    );
    expect(archived.version).toBe(3);
    const history = await storage.skills.history(alice, 'deploy', { limit: 10, offset: 0 });
    expect(history.map(({ version, action, actor }) => [version, action, actor])).toEqual([
      [3, 'archive', 'user'],
      [2, 'patch', 'review'],
      [1, 'create', 'agent'],
    ]);
    expect(
      (await storage.skills.history(alice, 'deploy', { limit: 1, offset: 1 })).map(
        (entry) => entry.note,
      ),
    ).toEqual(['patched the retry step']);
    expect(await storage.skills.version(alice, 'deploy', 2)).toEqual(history[1]);
    expect(await storage.skills.version(alice, 'deploy', 9)).toBeNull();
    expect(await storage.skills.version(alice, 'other', 1)).toBeNull();
  });

  it('refuses a change made from another version, naming the stored one', async () => {
    const { storage } = context;
    await storage.skills.save(alice, write('deploy'), t0);
    await storage.skills.save(alice, write('deploy', { expectedVersion: 1 }), t0 + 1);
    const stale = await errorOf(
      storage.skills.save(alice, write('deploy', { expectedVersion: 1, note: 'stale' }), t0 + 2),
    );
    expect(stale.code).toBe('conflict');
    expect(stale.message).toContain('stored version is 2');
    expect(stale.details).toEqual({ name: 'deploy', version: 2 });
    const missing = await errorOf(
      storage.skills.save(alice, write('never', { expectedVersion: 1 }), t0 + 2),
    );
    expect(missing.code).toBe('conflict');
    expect(missing.details).toEqual({ name: 'never', version: null });
    expect(await storage.skills.get(alice, 'never')).toBeNull();
    expect(await versions(storage, 'deploy')).toEqual([2, 1]);
    expect(
      await codeOf(
        storage.skills.delete(
          alice,
          'deploy',
          { expectedVersion: 1, actor: 'user', note: '' },
          t0 + 3,
        ),
      ),
    ).toBe('conflict');
    expect((await storage.skills.get(alice, 'deploy'))?.version).toBe(2);
  });

  it('lets exactly one of two concurrent changes from the same version win', async () => {
    const { storage } = context;
    const other = await context.openAnother();
    await storage.skills.save(alice, write('deploy'), t0);
    const outcomes = await Promise.allSettled([
      storage.skills.save(alice, write('deploy', { expectedVersion: 1, note: 'a' }), t0 + 1),
      other.skills.save(alice, write('deploy', { expectedVersion: 1, note: 'b' }), t0 + 1),
    ]);
    const won = outcomes.filter((outcome) => outcome.status === 'fulfilled');
    const lost = outcomes.flatMap((outcome) =>
      outcome.status === 'rejected' ? [outcome.reason as MnemosError] : [],
    );
    expect(won).toHaveLength(1);
    expect(lost.map((error) => [error.code, error.details])).toEqual([
      ['conflict', { name: 'deploy', version: 2 }],
    ]);
    expect(await versions(storage, 'deploy')).toEqual([2, 1]);
  });

  it('lets exactly one of two concurrent creates of a name win, after a delete too', async () => {
    const { storage } = context;
    const other = await context.openAnother();
    for (const round of [0, 1]) {
      const outcomes = await Promise.allSettled([
        storage.skills.save(alice, write('deploy', { note: 'a' }), t0 + round * 10),
        other.skills.save(alice, write('deploy', { note: 'b' }), t0 + round * 10),
      ]);
      expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
      expect(
        outcomes.flatMap((outcome) =>
          outcome.status === 'rejected' ? [(outcome.reason as MnemosError).code] : [],
        ),
      ).toEqual(['already_exists']);
      if (round === 0)
        await storage.skills.delete(
          alice,
          'deploy',
          { expectedVersion: 1, actor: 'user', note: 'gone' },
          t0 + 5,
        );
    }
    expect(await versions(storage, 'deploy')).toEqual([3, 2, 1]);
  });

  it('deletes with a history row of no files, and versions keep counting after it', async () => {
    const { storage } = context;
    expect(
      await storage.skills.delete(
        alice,
        'deploy',
        { expectedVersion: 1, actor: 'user', note: '' },
        t0,
      ),
    ).toBe(false);
    expect(await versions(storage, 'deploy')).toEqual([]);
    await storage.skills.save(alice, write('deploy'), t0);
    await storage.skills.save(alice, write('deploy', { expectedVersion: 1 }), t0 + 1);
    expect(
      await storage.skills.delete(
        alice,
        'deploy',
        { expectedVersion: 2, actor: 'user', note: 'not needed' },
        t0 + 2,
      ),
    ).toBe(true);
    expect(await storage.skills.get(alice, 'deploy')).toBeNull();
    expect(await storage.skills.list(alice, { includeArchived: true })).toEqual([]);
    expect(await storage.skills.version(alice, 'deploy', 3)).toEqual({
      name: 'deploy',
      version: 3,
      action: 'delete',
      actor: 'user',
      note: 'not needed',
      files: null,
      createdAt: iso(t0 + 2),
    });
    const again = await storage.skills.save(alice, write('deploy'), t0 + 3);
    expect(again).toMatchObject({ version: 4, createdAt: iso(t0 + 3), lastUsedAt: null });
    expect(await versions(storage, 'deploy')).toEqual([4, 3, 2, 1]);
  });

  it('lists by name without files, hiding archived skills unless asked', async () => {
    const { storage } = context;
    for (const name of ['zeta', 'alpha', 'mid-step', 'beta'])
      await storage.skills.save(alice, write(name), t0);
    await storage.skills.save(
      alice,
      write('beta', { expectedVersion: 1, status: 'archived', action: 'archive' }),
      t0 + 1,
    );
    const active = await storage.skills.list(alice);
    expect(active.map((skill) => skill.name)).toEqual(['alpha', 'mid-step', 'zeta']);
    expect(active[0]).not.toHaveProperty('files');
    expect(active[0]).toEqual({
      name: 'alpha',
      description: 'How to alpha',
      origin: 'agent',
      status: 'active',
      version: 1,
      provenance: [],
      createdAt: iso(t0),
      updatedAt: iso(t0),
      lastUsedAt: null,
    });
    expect(
      (await storage.skills.list(alice, { includeArchived: false })).map((skill) => skill.name),
    ).toEqual(['alpha', 'mid-step', 'zeta']);
    const all = await storage.skills.list(alice, { includeArchived: true });
    expect(all.map((skill) => [skill.name, skill.status])).toEqual([
      ['alpha', 'active'],
      ['beta', 'archived'],
      ['mid-step', 'active'],
      ['zeta', 'active'],
    ]);
    expect(await storage.skills.get(alice, 'beta')).toMatchObject({ status: 'archived' });
  });

  it('marks a skill used without making a version', async () => {
    const { storage } = context;
    await storage.skills.save(alice, write('deploy'), t0);
    await storage.skills.markUsed(alice, 'deploy', t0 + 100);
    await storage.skills.markUsed(alice, 'absent', t0 + 100);
    expect(await storage.skills.get(alice, 'deploy')).toMatchObject({
      version: 1,
      updatedAt: iso(t0),
      lastUsedAt: iso(t0 + 100),
    });
    expect(await storage.skills.get(alice, 'absent')).toBeNull();
    expect(await versions(storage, 'deploy')).toEqual([1]);
    expect((await storage.skills.list(alice))[0]?.lastUsedAt).toBe(iso(t0 + 100));
  });

  it('keeps tenants with the same skill name apart', async () => {
    const { storage } = context;
    await storage.skills.save(alice, write('deploy', { files: { 'SKILL.md': 'alice' } }), t0);
    await storage.skills.save(
      alice,
      write('deploy', { expectedVersion: 1, files: { 'SKILL.md': 'alice 2' } }),
      t0 + 1,
    );
    // Each tenant counts its own versions, from 1, and never conflicts with another's.
    await storage.skills.save(bob, write('deploy', { files: { 'SKILL.md': 'bob' } }), t0 + 2);
    await storage.skills.save(aliceElsewhere, write('deploy', { status: 'archived' }), t0 + 3);
    expect((await storage.skills.get(bob, 'deploy'))?.files).toEqual({ 'SKILL.md': 'bob' });
    expect((await storage.skills.get(alice, 'deploy'))?.files).toEqual({ 'SKILL.md': 'alice 2' });
    expect(await storage.skills.history(bob, 'deploy', { limit: 10, offset: 0 })).toHaveLength(1);
    expect(await storage.skills.version(bob, 'deploy', 2)).toBeNull();
    expect((await storage.skills.list(aliceElsewhere)).map((skill) => skill.name)).toEqual([]);
    expect(
      await codeOf(storage.skills.save(bob, write('deploy', { expectedVersion: 2 }), t0 + 4)),
    ).toBe('conflict');

    await storage.skills.markUsed(bob, 'deploy', t0 + 5);
    expect((await storage.skills.get(alice, 'deploy'))?.lastUsedAt).toBeNull();
    expect(
      await storage.skills.delete(
        bob,
        'deploy',
        { expectedVersion: 1, actor: 'user', note: '' },
        t0 + 6,
      ),
    ).toBe(true);
    expect((await storage.skills.get(alice, 'deploy'))?.version).toBe(2);
    expect(await versions(storage, 'deploy')).toEqual([2, 1]);
    expect((await storage.skills.list(alice)).map((skill) => skill.name)).toEqual(['deploy']);
    expect(await storage.skills.get(aliceElsewhere, 'deploy')).toMatchObject({ version: 1 });
  });

  it('round-trips files and provenance exactly: unicode, newlines, quotes, key order', async () => {
    const { storage } = context;
    const files: SkillFiles = {
      'SKILL.md':
        '---\nname: 部署\n---\r\n步骤 1：\t"引号" \\ 反斜杠\n\n😀 emoji, e\u0301, \u2028 sep\n',
      'scripts/z-last.sh': '#!/bin/sh\necho "$1"\n',
      'references/a-first.md': '',
      'données/ключ.txt': 'العربية ‏\u0000 nul stays escaped',
    };
    const learned: SkillProvenance = {
      ...provenance,
      task: '把 "日志" 清理干净\n第二行',
      tools: ['终端'],
    };
    await storage.skills.save(alice, write('deploy', { files, provenance: [learned] }), t0);
    const stored = await storage.skills.get(alice, 'deploy');
    expect(stored?.files).toEqual(files);
    expect(Object.keys(stored?.files ?? {})).toEqual(Object.keys(files));
    expect(stored?.provenance).toEqual([learned]);
    expect((await storage.skills.version(alice, 'deploy', 1))?.files).toEqual(files);
    expect(Object.keys((await storage.skills.version(alice, 'deploy', 1))?.files ?? {})).toEqual(
      Object.keys(files),
    );
  });

  it('refuses a NUL character in a name, description or note before writing', async () => {
    const { storage } = context;
    expect(await codeOf(storage.skills.save(alice, write('dep\u0000loy'), t0))).toBe(
      'invalid_input',
    );
    expect(
      await codeOf(storage.skills.save(alice, write('deploy', { description: 'a\u0000b' }), t0)),
    ).toBe('invalid_input');
    expect(await storage.skills.list(alice, { includeArchived: true })).toEqual([]);
    await storage.skills.save(alice, write('deploy'), t0);
    expect(
      await codeOf(
        storage.skills.delete(
          alice,
          'deploy',
          { expectedVersion: 1, actor: 'user', note: '\u0000' },
          t0,
        ),
      ),
    ).toBe('invalid_input');
    expect((await storage.skills.get(alice, 'deploy'))?.version).toBe(1);
  });
});
