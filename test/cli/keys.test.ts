import { afterAll, describe, expect, it } from 'vitest';
import { cliFor, makeHome, removeHomes } from '../support/cli.js';

afterAll(() => removeHomes());

interface KeyJson {
  key: string;
  record: { id: string; appId: string; tenantId: string; admin: boolean; revokedAt: string | null };
}

describe('mnemos keys', () => {
  it('creates a key for the configured app by default, lists it without the secret, and revokes it', async () => {
    const cli = cliFor(makeHome());
    expect((await cli(['config', 'set', 'app_id', 'shop'])).code).toBe(0);
    const created = await cli(['keys', 'create', '--tenant', 'u1', '--name', 'ci', '--json']);
    expect(created.code, created.stderr).toBe(0);
    const { key, record } = created.json<KeyJson>();
    expect(key).toMatch(/^mn_/);
    expect(record).toMatchObject({ appId: 'shop', tenantId: 'u1', admin: false });
    const other = await cli(['keys', 'create', '--app', 'crm', '--tenant', 'u2', '--json']);
    expect(other.json<KeyJson>().record.appId).toBe('crm');

    const listed = await cli(['keys', 'list', '--json']);
    expect(listed.stdout).not.toContain(key);
    const { keys } = listed.json<{ keys: KeyJson['record'][] }>();
    expect(keys.map((entry) => `${entry.appId}/${entry.tenantId}`).sort()).toEqual([
      'crm/u2',
      'shop/u1',
    ]);
    expect((await cli(['keys', 'revoke', record.id])).code).toBe(0);
    const after = (await cli(['keys', 'list', '--json'])).json<{ keys: KeyJson['record'][] }>();
    expect(after.keys.find((entry) => entry.id === record.id)?.revokedAt).not.toBeNull();
  });

  it('needs a tenant', async () => {
    const result = await cliFor(makeHome())(['keys', 'create', '--json']);
    expect(result.code).toBe(2);
    expect(result.errorJson().error.message).toContain('--tenant');
  });
});
