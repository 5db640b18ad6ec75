import { resolve } from 'node:path';
import type { Command } from 'commander';
import { MnemosError } from '../../core/errors.js';
import { defaultPart, tenantScope } from '../../core/scope.js';
import type { SkillManager } from '../../skills/skill-manager.js';
import { homeOf, tenantOwner, withMnemos } from '../support/context.js';

/** Flags every `mnemos skills` subcommand takes: a tenant's database skills, or local ones. */
export interface SkillPlaceOptions {
  tenant?: string;
  app?: string;
  workspace?: string;
}

/** The skills a command acts on, and the home it runs in (for the install quarantine). */
export interface SkillPlace {
  manager: SkillManager;
  home: string;
}

/** Adds `--tenant`, `--app` and `--workspace` to a skills subcommand. */
export function skillPlaceFlags(command: Command): Command {
  return command
    .option('--tenant <id>', "act on this tenant's skills in the database instead of local ones")
    .option('--app <id>', 'application of --tenant (default: config app_id)')
    .option('--workspace <dir>', 'project whose .agents/skills are read (default: current folder)');
}

/**
 * Runs `work` on the skills the flags name: with `--tenant`, that tenant's database skills (the
 * engine is opened and closed around it); otherwise the project's `.agents/skills` and
 * `<home>/skills`, which need no engine.
 */
export async function withSkills<T>(
  command: Command,
  options: SkillPlaceOptions,
  work: (place: SkillPlace) => Promise<T>,
): Promise<T> {
  if (options.tenant === undefined) {
    if (options.app !== undefined) {
      throw new MnemosError('invalid_input', '--app needs --tenant: local skills have no app', {
        details: { field: 'app' },
      });
    }
    const home = homeOf(command);
    const { localSkills } = await import('../../skills/skill-service.js');
    const workspace = resolve(options.workspace ?? process.cwd());
    return work({ manager: localSkills(home, { workspace }), home });
  }
  if (options.workspace !== undefined) {
    throw new MnemosError(
      'invalid_input',
      '--workspace names where local project skills are; it does not go with --tenant',
      { details: { field: 'workspace' } },
    );
  }
  // Checked before the engine opens (and creates a database), like every other bad input.
  tenantScope({ appId: options.app ?? defaultPart, tenantId: options.tenant });
  return withMnemos(
    command,
    (mnemos) => {
      const owner = tenantScope(tenantOwner(mnemos, options));
      return work({ manager: mnemos.skills.forTenant(owner), home: mnemos.home });
    },
    { processJobs: false },
  );
}
