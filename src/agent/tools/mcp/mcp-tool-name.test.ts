import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../config/config.js';
import { mcpToolName } from './mcp-tool-name.js';
import { mcpToolStatus } from './mcp-tool-policy.js';

describe('mcpToolName', () => {
  it('namespaces, sanitises to [a-zA-Z0-9_] and cuts at 64 characters', () => {
    expect(mcpToolName('my-server', 'read.file/v2', new Set())).toBe('mcp_my_server_read_file_v2');
    const long = mcpToolName('s', 'x'.repeat(100), new Set());
    expect(long).toHaveLength(64);
    expect(long.startsWith('mcp_s_xxx')).toBe(true);
  });

  it('makes colliding names unique, still within 64 characters', () => {
    const taken = new Set(['mcp_a_b_c']);
    expect(mcpToolName('a', 'b.c', taken)).toBe('mcp_a_b_c_2');
    taken.add('mcp_a_b_c_2');
    expect(mcpToolName('a', 'b-c', taken)).toBe('mcp_a_b_c_3');
    const long = 'y'.repeat(80);
    const first = mcpToolName('s', long, new Set());
    const second = mcpToolName('s', long, new Set([first]));
    expect(second).toHaveLength(64);
    expect(second.endsWith('_2')).toBe(true);
  });
});

describe('mcpToolStatus', () => {
  const server = (settings: Record<string, unknown>) =>
    validateConfig({ mcp_servers: { s: { command: 'x', ...settings } } }, 'test').mcp_servers
      .s as never;

  it('denied wins, then allowed (when set), then confirmation (names or *)', () => {
    const config = server({
      allowed_tools: ['a', 'b', 'c'],
      denied_tools: ['b'],
      require_confirmation: ['c'],
    });
    expect(mcpToolStatus(config, 'a')).toBe('allowed');
    expect(mcpToolStatus(config, 'b')).toBe('denied');
    expect(mcpToolStatus(config, 'c')).toBe('confirm');
    expect(mcpToolStatus(config, 'd')).toBe('not_allowed');
    expect(mcpToolStatus(server({ require_confirmation: ['*'] }), 'any')).toBe('confirm');
  });
});

describe('mcp_servers configuration', () => {
  const problems = (servers: unknown): string => {
    try {
      validateConfig({ mcp_servers: servers }, 'config.yaml');
      return '';
    } catch (error) {
      return (error as Error).message;
    }
  };

  it('fills defaults', () => {
    const config = validateConfig({ mcp_servers: { s: { url: 'http://127.0.0.1:1/mcp' } } }, 't');
    expect(config.mcp_servers.s).toMatchObject({
      timeout_ms: 30_000,
      connect_timeout_ms: 10_000,
      enabled: true,
      denied_tools: [],
      require_confirmation: [],
    });
    expect(validateConfig({}, 't').mcp_servers).toEqual({});
  });

  it('rejects bad servers with errors naming the field', () => {
    expect(problems({ s: {} })).toContain('mcp_servers.s: set exactly one of command and url');
    expect(problems({ s: { command: 'x', url: 'http://a' } })).toContain(
      'set exactly one of command and url',
    );
    expect(problems({ 'Bad Name': { command: 'x' } })).toContain(
      'mcp_servers.Bad Name: server name must be 1-32 lowercase letters',
    );
    expect(problems({ ['a'.repeat(33)]: { command: 'x' } })).toContain('server name must be');
    expect(problems({ s: { command: 'x', bogus: 1 } })).toContain(
      'mcp_servers.s: Unrecognized key',
    );
    expect(problems({ s: { command: 'x', env_from: { X: 'lower' } } })).toContain(
      'mcp_servers.s.env_from.X: must be an environment variable name',
    );
    expect(problems({ s: { url: 'http://a', env: { X: '1' } } })).toContain(
      'mcp_servers.s.env: env needs command',
    );
    expect(problems({ s: { command: 'x', headers: { A: 'b' } } })).toContain(
      'mcp_servers.s.headers: headers needs url',
    );
    expect(problems({ s: { command: 'x', timeout_ms: 5 } })).toContain('mcp_servers.s.timeout_ms');
  });
});
