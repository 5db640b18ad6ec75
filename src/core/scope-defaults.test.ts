import { describe, expect, it } from 'vitest';
import { readScope, scopeWithDefaults, tenantScope } from './scope.js';

describe('scopeWithDefaults: the one place scope defaults are decided', () => {
  const surface = { appId: 'app', tenantId: 'u1', agentId: 'cli', runId: 'r1' };

  it('writes take each part given, else the surface default, else `default`', () => {
    expect(scopeWithDefaults('write', { agentId: 'a' }, surface)).toEqual({
      appId: 'app',
      tenantId: 'u1',
      agentId: 'a',
      runId: 'r1',
    });
    expect(scopeWithDefaults('write', { appId: 'x', tenantId: 'y' })).toEqual({
      appId: 'x',
      tenantId: 'y',
      agentId: 'default',
      runId: 'default',
    });
  });

  it('reads cover every agent and run unless named, never the surface agent and run', () => {
    expect(scopeWithDefaults('read', { runId: 'r2' }, surface)).toEqual({
      appId: 'app',
      tenantId: 'u1',
      agentId: '*',
      runId: 'r2',
    });
    expect(readScope({ appId: 'app', tenantId: 'u1' })).toEqual({
      appId: 'app',
      tenantId: 'u1',
      agentId: '*',
      runId: '*',
    });
  });

  it('tenantScope checks app and tenant alone, with the scope rules and codes', () => {
    expect(tenantScope({ appId: 'app', tenantId: 'u1' })).toEqual({ appId: 'app', tenantId: 'u1' });
    expect(() => tenantScope({ appId: 'app', tenantId: '*' })).toThrow(
      /scope.tenantId may not contain/,
    );
    expect(() => tenantScope({ appId: 'app' })).toThrow(/scope.tenantId is required/);
  });
});
