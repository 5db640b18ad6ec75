import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../config/config.js';
import { surfaceToolsets } from './surface-toolsets.js';

const agentOf = (raw: unknown) => validateConfig(raw, 'test').agent;

describe('surfaceToolsets', () => {
  it('keeps agent.toolsets locally and drops file, terminal, delegation and cron on HTTP by default', () => {
    const agent = agentOf({});
    expect(surfaceToolsets(agent, 'local', 'default')).toEqual([
      'file',
      'terminal',
      'web',
      'todo',
      'memory',
      'session_search',
      'skills',
      'delegation',
      'cron',
    ]);
    expect(surfaceToolsets(agent, 'http', 'default')).toEqual([
      'web',
      'todo',
      'memory',
      'session_search',
      'skills',
    ]);
    expect(
      surfaceToolsets(agentOf({ agent: { toolsets: ['terminal', 'memory'] } }), 'http', 'x'),
    ).toEqual(['memory']);
    expect(surfaceToolsets(agent, 'gateway', 'default')).not.toContain('cron');
    expect(
      surfaceToolsets(
        agentOf({ agent: { surfaces: { http: { toolsets: ['web', 'delegation'] } } } }),
        'http',
        'x',
      ),
    ).toEqual(['web', 'delegation']);
  });

  it('takes the surface list, then an agent entry, when configured', () => {
    const agent = agentOf({
      agent: {
        surfaces: {
          http: { toolsets: ['file', 'memory'], agents: { ops: { toolsets: ['terminal'] } } },
        },
      },
    });
    expect(surfaceToolsets(agent, 'http', 'default')).toEqual(['file', 'memory']);
    expect(surfaceToolsets(agent, 'http', 'ops')).toEqual(['terminal']);
    expect(surfaceToolsets(agent, 'local', 'ops')).toEqual(agentOf({}).toolsets);
  });

  it('rejects unknown settings of a surface', () => {
    expect(() => agentOf({ agent: { surfaces: { http: { tools: ['terminal'] } } } })).toThrow(
      /agent\.surfaces\.http/u,
    );
    expect(() => agentOf({ agent: { surfaces: { console: {} } } })).toThrow(/agent\.surfaces/u);
  });
});
