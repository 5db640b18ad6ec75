import { MnemosError } from '../core/errors.js';
import type { TeamDefinition } from '../core/team-definition.js';

/** The steps of a team in order: each role with the roles whose outputs it waits for. */
export interface TeamFlow {
  /** Stages as written: one role, or a bracketed group that may run in parallel. */
  stages: string[][];
  /** Each role of the flow → the roles it waits for (every role of the stage before). */
  predecessors: Map<string, string[]>;
  /** Roles in flow order (the order steps are started in when several are ready). */
  order: string[];
}

interface Token {
  kind: 'name' | 'arrow' | 'open' | 'close' | 'comma';
  text: string;
  /** 1-based column of the token's first character. */
  column: number;
}

/** Splits a flow into tokens; any other character is a syntax error at its column. */
function tokenize(flow: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  while (at < flow.length) {
    const char = flow[at] as string;
    if (/\s/.test(char)) {
      at++;
      continue;
    }
    const column = at + 1;
    if (flow.startsWith('->', at)) {
      tokens.push({ kind: 'arrow', text: '->', column });
      at += 2;
      continue;
    }
    const single = { '[': 'open', ']': 'close', ',': 'comma' } as const;
    if (char in single) {
      tokens.push({ kind: single[char as keyof typeof single], text: char, column });
      at++;
      continue;
    }
    const name = /^[A-Za-z0-9_-]+/.exec(flow.slice(at));
    if (!name) throw flowError(`unexpected character '${char}'`, column);
    // A name may not swallow the `-` of a following `->`.
    let text = name[0];
    if (text.endsWith('-') && flow.startsWith('->', at + text.length - 1)) text = text.slice(0, -1);
    if (text === '') throw flowError(`unexpected character '${char}'`, column);
    tokens.push({ kind: 'name', text, column });
    at += text.length;
  }
  return tokens;
}

function flowError(message: string, column: number): MnemosError {
  return new MnemosError('invalid_input', `flow: column ${column}: ${message}`, {
    details: { field: 'flow', column },
  });
}

/**
 * Parses a flow, `a -> b -> c` or `planner -> [searcher, checker] -> writer`, into stages. Names
 * are checked against `roles` (the members that may appear) and may appear once each.
 */
export function parseFlow(flow: string, roles: readonly string[]): TeamFlow {
  const tokens = tokenize(flow);
  const end = flow.length + 1;
  const stages: string[][] = [];
  const seen = new Set<string>();
  let index = 0;
  const next = (): Token | undefined => tokens[index];
  const role = (token: Token): string => {
    if (!roles.includes(token.text)) {
      throw flowError(
        `unknown role '${token.text}' (members: ${roles.join(', ') || 'none'})`,
        token.column,
      );
    }
    if (seen.has(token.text))
      throw flowError(`role '${token.text}' is used twice; a role runs once`, token.column);
    seen.add(token.text);
    return token.text;
  };
  for (;;) {
    const token = next();
    if (!token) throw flowError('expected a role or [ here', end);
    if (token.kind === 'name') {
      stages.push([role(token)]);
      index++;
    } else if (token.kind === 'open') {
      index++;
      const group: string[] = [];
      if (next()?.kind === 'close') throw flowError('empty group []', token.column);
      for (;;) {
        const member = next();
        if (member?.kind !== 'name')
          throw flowError('expected a role in the group', member?.column ?? end);
        group.push(role(member));
        index++;
        const after = next();
        if (after?.kind === 'comma') {
          index++;
          continue;
        }
        if (after?.kind === 'close') {
          index++;
          break;
        }
        throw flowError(
          `expected , or ] to close the group opened at column ${token.column}`,
          after?.column ?? end,
        );
      }
      stages.push(group);
    } else {
      throw flowError(`expected a role or [, found '${token.text}'`, token.column);
    }
    const after = next();
    if (!after) break;
    if (after.kind !== 'arrow') throw flowError(`expected ->, found '${after.text}'`, after.column);
    index++;
  }
  return flowOf(stages);
}

function flowOf(stages: string[][]): TeamFlow {
  const predecessors = new Map<string, string[]>();
  stages.forEach((stage, at) => {
    for (const role of stage) predecessors.set(role, at === 0 ? [] : [...(stages[at - 1] ?? [])]);
  });
  return { stages, predecessors, order: stages.flat() };
}

/**
 * The flow of a team, checked against its members and critic: the written flow, or the members in
 * order (the critic left out). The critic must review a role of the flow and not be in it.
 */
export function teamFlow(team: TeamDefinition): TeamFlow {
  const roles = team.agents.map((member) => member.role);
  const duplicate = roles.find((role, at) => roles.indexOf(role) !== at);
  if (duplicate !== undefined) {
    throw new MnemosError(
      'invalid_input',
      `agents: role '${duplicate}' is defined twice; give each member its own role`,
      { details: { field: 'agents' } },
    );
  }
  const critic = team.critic;
  if (critic && !roles.includes(critic.role)) {
    throw new MnemosError(
      'invalid_input',
      `critic.role: '${critic.role}' is not a member (members: ${roles.join(', ')})`,
      { details: { field: 'critic.role' } },
    );
  }
  const flow =
    team.flow !== undefined
      ? parseFlow(team.flow, roles)
      : flowOf(roles.filter((role) => role !== critic?.role).map((role) => [role]));
  if (flow.order.length === 0) {
    throw new MnemosError('invalid_input', 'agents: the team needs a member besides the critic', {
      details: { field: 'agents' },
    });
  }
  if (critic) {
    if (flow.predecessors.has(critic.role)) {
      throw new MnemosError(
        'invalid_input',
        `flow: the critic '${critic.role}' must not be in the flow; it runs after the step it reviews (critic.reviews)`,
        { details: { field: 'flow' } },
      );
    }
    if (!flow.predecessors.has(critic.reviews)) {
      throw new MnemosError(
        'invalid_input',
        `critic.reviews: '${critic.reviews}' is not a role of the flow (${flow.order.join(', ')})`,
        { details: { field: 'critic.reviews' } },
      );
    }
  }
  return flow;
}

/** A flow as one line, `planner -> [searcher, checker] -> writer`. */
export function flowText(flow: TeamFlow): string {
  return flow.stages
    .map((stage) => (stage.length === 1 ? stage[0] : `[${stage.join(', ')}]`))
    .join(' -> ');
}
