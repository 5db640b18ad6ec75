import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { parse } from 'yaml';
import { MnemosError } from '../core/errors.js';
import { describeIssues } from '../core/schemas.js';
import { type TeamDefinition, teamDefinitionSchema } from '../core/team-definition.js';
import { type TeamFlow, teamFlow } from './team-flow.js';

/** A team read from its file, with its checked flow. */
export interface TeamFile {
  definition: TeamDefinition;
  flow: TeamFlow;
  path: string;
}

/**
 * Parses and validates a team's YAML (`teams/<name>.yaml`): the name defaults to the file stem and
 * must equal it when given. Errors name the file and the field path.
 */
export function parseTeamFile(text: string, path: string, shown = path): TeamFile {
  const stem = basename(path, extname(path));
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (error) {
    throw new MnemosError(
      'invalid_input',
      `${shown}: not valid YAML: ${error instanceof Error ? error.message : String(error)}`,
      { details: { path } },
    );
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new MnemosError(
      'invalid_input',
      `${shown}: a team file holds a mapping (name, agents, flow, ...)`,
      {
        details: { path },
      },
    );
  }
  const fields = raw as Record<string, unknown>;
  if (fields.name !== undefined && fields.name !== stem) {
    throw new MnemosError(
      'invalid_input',
      `${shown}: name: '${String(fields.name)}' differs from the file name; name the file ${String(fields.name)}.yaml or drop the name`,
      { details: { path, field: 'name' } },
    );
  }
  const result = teamDefinitionSchema.safeParse({ ...fields, name: stem });
  if (!result.success) {
    const { issues, summary } = describeIssues(result.error.issues);
    throw new MnemosError('invalid_input', `${shown}: ${summary}`, { details: { path, issues } });
  }
  try {
    return { definition: result.data, flow: teamFlow(result.data), path };
  } catch (error) {
    if (MnemosError.isInstance(error))
      throw new MnemosError(error.code, `${shown}: ${error.message}`, {
        details: { path, ...error.details },
      });
    throw error;
  }
}

/** Reads and validates one team file. */
export function readTeamFile(path: string, shown = path): TeamFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new MnemosError(
      'not_found',
      `${shown}: cannot read the team file (${(error as Error).message})`,
      {
        details: { path },
      },
    );
  }
  return parseTeamFile(text, path, shown);
}
