import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../config/config.js';
import { surfaceToolsets } from '../surface-toolsets.js';
import { mcpServersForSurface } from './mcp-servers-for-surface.js';

const configWith = (agent: Record<string, unknown>) =>
  validateConfig(
    {
      agent,
      mcp_servers: {
        fx: { command: 'fx' },
        off: { command: 'off', enabled: false },
        web: { url: 'http://127.0.0.1:1/mcp' },
      },
    },
    'test',
  );

const offered = (config: ReturnType<typeof configWith>, surface: 'local' | 'http', agent = 'a') =>
  Object.keys(mcpServersForSurface(config, surface, surfaceToolsets(config.agent, surface, agent)));

describe('MCP servers per surface', () => {
  it('locally every enabled server is offered', () => {
    expect(offered(configWith({}), 'local')).toEqual(['fx', 'web']);
  });

  it('on HTTP none by default, even when agent.toolsets lists them', () => {
    expect(offered(configWith({}), 'http')).toEqual([]);
    expect(offered(configWith({ toolsets: ['web', 'mcp_fx'] }), 'http')).toEqual([]);
  });

  it('on HTTP the servers listed for the surface or the agent, if enabled', () => {
    const config = configWith({
      surfaces: {
        http: {
          toolsets: ['web', 'mcp_fx', 'mcp_off'],
          agents: { coder: { toolsets: ['mcp_web'] } },
        },
      },
    });
    expect(offered(config, 'http')).toEqual(['fx']);
    expect(offered(config, 'http', 'coder')).toEqual(['web']);
  });
});
