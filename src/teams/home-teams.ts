import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { MnemosError } from '../core/errors.js';
import { readTeamFile, type TeamFile } from './team-file.js';

/** A file of the teams folder: its team, or why it could not be read. */
export type TeamEntry =
  | { name: string; path: string; team: TeamFile; error?: undefined }
  | { name: string; path: string; team?: undefined; error: string };

/** The folder of the home's teams. */
export function teamsDir(home: string): string {
  return join(home, 'teams');
}

/** The teams of a home, `<home>/teams/*.yaml|*.yml`, by name; a broken file is listed with its error. */
export function homeTeams(home: string): TeamEntry[] {
  const dir = teamsDir(home);
  if (!existsSync(dir)) return [];
  const entries: TeamEntry[] = [];
  for (const file of readdirSync(dir).sort()) {
    const match = /^(.*)\.ya?ml$/.exec(file);
    if (!match) continue;
    const path = join(dir, file);
    const name = match[1] as string;
    try {
      entries.push({ name, path, team: readTeamFile(path, `teams/${file}`) });
    } catch (error) {
      entries.push({ name, path, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return entries;
}

/** The home's team of this name; `not_found` lists the known ones, a broken file fails with its error. */
export function requireHomeTeam(home: string, name: string): TeamFile {
  const entries = homeTeams(home);
  const entry = entries.find((candidate) => candidate.name === name);
  if (!entry) {
    const known = entries.map((candidate) => candidate.name);
    throw new MnemosError(
      'not_found',
      `no team named ${name} in ${teamsDir(home)} (known: ${known.join(', ') || 'none'}); add teams/${name}.yaml`,
      { details: { team: name } },
    );
  }
  if (entry.team) return entry.team;
  throw new MnemosError('invalid_input', entry.error, {
    details: { team: name, path: entry.path },
  });
}
