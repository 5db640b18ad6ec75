import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MnemosError } from '../../src/core/errors.js';
import { teamDefinitionSchema } from '../../src/core/team-definition.js';
import { homeTeams, requireHomeTeam } from '../../src/teams/home-teams.js';
import { parseTeamFile } from '../../src/teams/team-file.js';
import { parseFlow, teamFlow } from '../../src/teams/team-flow.js';
import { tempHome } from '../support/temp-home.js';

const roles = ['planner', 'searcher', 'checker', 'writer'];

function messageOf(work: () => unknown): string {
  try {
    work();
  } catch (error) {
    if (MnemosError.isInstance(error)) return error.message;
    throw error;
  }
  throw new Error('expected a failure');
}

describe('team flow', () => {
  it('parses a chain and a DAG with parallel groups into predecessors', () => {
    const chain = parseFlow('planner -> searcher->writer', roles);
    expect(chain.stages).toEqual([['planner'], ['searcher'], ['writer']]);
    expect(Object.fromEntries(chain.predecessors)).toEqual({
      planner: [],
      searcher: ['planner'],
      writer: ['searcher'],
    });
    const dag = parseFlow('planner -> [searcher, checker] -> writer', roles);
    expect(dag.stages).toEqual([['planner'], ['searcher', 'checker'], ['writer']]);
    expect(dag.predecessors.get('writer')).toEqual(['searcher', 'checker']);
    expect(dag.predecessors.get('checker')).toEqual(['planner']);
    expect(parseFlow('[planner,writer]', roles).predecessors.get('writer')).toEqual([]);
  });

  it('names the column of every mistake', () => {
    expect(messageOf(() => parseFlow('planner -> editor', roles))).toBe(
      "flow: column 12: unknown role 'editor' (members: planner, searcher, checker, writer)",
    );
    expect(messageOf(() => parseFlow('planner -> [writer, planner]', roles))).toBe(
      "flow: column 21: role 'planner' is used twice; a role runs once",
    );
    expect(messageOf(() => parseFlow('planner -> [] -> writer', roles))).toBe(
      'flow: column 12: empty group []',
    );
    expect(messageOf(() => parseFlow('planner writer', roles))).toBe(
      "flow: column 9: expected ->, found 'writer'",
    );
    expect(messageOf(() => parseFlow('planner ->', roles))).toBe(
      'flow: column 11: expected a role or [ here',
    );
    expect(messageOf(() => parseFlow('planner -> [searcher checker]', roles))).toBe(
      'flow: column 22: expected , or ] to close the group opened at column 12',
    );
    expect(messageOf(() => parseFlow('planner => writer', roles))).toBe(
      "flow: column 9: unexpected character '='",
    );
  });

  it('defaults to the members in order without the critic, and checks the critic', () => {
    const team = (fields: Record<string, unknown>) =>
      teamDefinitionSchema.parse({
        name: 't',
        agents: [{ role: 'writer' }, { role: 'critic' }, { role: 'editor' }],
        ...fields,
      });
    expect(teamFlow(team({ critic: { role: 'critic', reviews: 'writer' } })).order).toEqual([
      'writer',
      'editor',
    ]);
    expect(
      messageOf(() =>
        teamFlow(team({ flow: 'writer -> critic', critic: { role: 'critic', reviews: 'writer' } })),
      ),
    ).toMatch(/^flow: the critic 'critic' must not be in the flow/);
    expect(
      messageOf(() =>
        teamFlow(team({ flow: 'writer', critic: { role: 'critic', reviews: 'editor' } })),
      ),
    ).toBe("critic.reviews: 'editor' is not a role of the flow (writer)");
    expect(
      messageOf(() => teamFlow(team({ critic: { role: 'boss', reviews: 'writer' } }))),
    ).toMatch(/^critic.role: 'boss' is not a member/);
  });
});

describe('team files', () => {
  const homes: Array<{ remove: () => void }> = [];
  afterEach(() => {
    for (const home of homes.splice(0)) home.remove();
  });

  it('errors name the file and the field path; the name is the file stem', () => {
    expect(
      messageOf(() =>
        parseTeamFile('agents:\n  - role: Writer\n', '/x/teams/t.yaml', 'teams/t.yaml'),
      ),
    ).toMatch(/^teams\/t\.yaml: agents\.0\.role: must be 1-64 of a-z/);
    expect(
      messageOf(() => parseTeamFile('name: other\nagents: [{role: a}]\n', '/x/t.yaml', 't.yaml')),
    ).toMatch(/^t\.yaml: name: 'other' differs from the file name/);
    expect(
      messageOf(() => parseTeamFile('agents: [{role: a}]\nflow: a -> b\n', '/x/t.yaml', 't.yaml')),
    ).toBe("t.yaml: flow: column 6: unknown role 'b' (members: a)");
    expect(messageOf(() => parseTeamFile('agents: [', '/x/t.yaml', 't.yaml'))).toMatch(
      /^t\.yaml: not valid YAML/,
    );
    const parsed = parseTeamFile('agents: [{role: a}, {role: b}]\n', '/x/pair.yml');
    expect(parsed.definition.name).toBe('pair');
    expect(parsed.definition.limits.max_parallel).toBe(3);
    expect(parsed.flow.order).toEqual(['a', 'b']);
  });

  it('lists the home teams with broken files and their errors', () => {
    const home = tempHome();
    homes.push(home);
    mkdirSync(join(home.home, 'teams'));
    writeFileSync(join(home.home, 'teams', 'good.yaml'), 'agents: [{role: a}]\n');
    writeFileSync(join(home.home, 'teams', 'bad.yaml'), 'agents: []\n');
    writeFileSync(join(home.home, 'teams', 'notes.txt'), 'not a team');
    const entries = homeTeams(home.home);
    expect(entries.map((entry) => [entry.name, entry.error === undefined])).toEqual([
      ['bad', false],
      ['good', true],
    ]);
    expect(entries[0]?.error).toMatch(/^teams\/bad\.yaml: agents:/);
    expect(requireHomeTeam(home.home, 'good').definition.agents).toHaveLength(1);
    expect(messageOf(() => requireHomeTeam(home.home, 'nope'))).toMatch(
      /^no team named nope in .*\(known: bad, good\)/,
    );
  });
});
