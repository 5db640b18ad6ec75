import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentDefinitionRecord } from '../core/agent-definition.js';
import { MnemosError } from '../core/errors.js';
import {
  type DefinitionIssue,
  definitionStem,
  isDefinitionFileName,
  readAgentDefinitionFile,
} from './agent-definition-file.js';

/** A definition file of the home that does not load, with why. */
export interface BrokenAgentFile {
  /** The agent name the file would define (its stem). */
  name: string;
  /** The file. */
  path: string;
  /** `agents/<file>: <field>: <problem>`, every problem. */
  error: string;
  issues: DefinitionIssue[];
}

/** What the home's `agents/` folder holds: the definitions that load and the files that do not. */
export interface HomeAgents {
  records: AgentDefinitionRecord[];
  broken: BrokenAgentFile[];
}

/** The folder of the home's agent definitions. */
export function homeAgentsDir(home: string): string {
  return join(home, 'agents');
}

/**
 * Reads every `<home>/agents/*.yaml|*.yml`, by name. A file that does not load is reported in
 * `broken` and the others still load; so is a second file of one name (`x.yaml` and `x.yml`).
 */
export function readHomeAgents(home: string): HomeAgents {
  const dir = homeAgentsDir(home);
  let names: string[];
  try {
    names = readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isFile() && isDefinitionFileName(entry.name))
      .map((entry) => entry.name)
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], broken: [] };
    throw new MnemosError('storage_error', `cannot read ${dir}: ${(error as Error).message}`, {
      category: 'system',
      cause: error,
      details: { path: dir },
    });
  }
  const records: AgentDefinitionRecord[] = [];
  const broken: BrokenAgentFile[] = [];
  const seen = new Map<string, string>();
  for (const name of names) {
    const path = join(dir, name);
    const label = `agents/${name}`;
    const stem = definitionStem(name);
    const earlier = seen.get(stem);
    if (earlier !== undefined) {
      const message = `another file defines agent ${stem} (${earlier}); keep one of them`;
      broken.push({
        name: stem,
        path,
        error: `${label}: ${message}`,
        issues: [{ path: '', message }],
      });
      continue;
    }
    seen.set(stem, label);
    try {
      const definition = readAgentDefinitionFile(path, label);
      const stat = statSync(path);
      records.push({
        definition,
        origin: 'home',
        path,
        version: 1,
        createdAt: new Date(stat.birthtimeMs || stat.mtimeMs).toISOString(),
        updatedAt: new Date(stat.mtimeMs).toISOString(),
      });
    } catch (error) {
      if (!MnemosError.isInstance(error)) throw error;
      const issues = (error.details.issues as DefinitionIssue[] | undefined) ?? [
        { path: '', message: error.message },
      ];
      broken.push({ name: stem, path, error: error.message, issues });
    }
  }
  return { records, broken };
}
