import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { MnemosConfig } from '../../config/config.js';
import { MnemosError } from '../../core/errors.js';
import { defaultPart, tenantScope } from '../../core/scope.js';
import type { SkillManager } from '../../skills/skill-manager.js';
import { configOf, homeOf, tenantOwner, withMnemos } from '../support/context.js';

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
  /** Default of `archive --stale --days`: `agent.skills.archive_after_days` when above 0, else 30. */
  staleDays: number;
}

/** The `agent.skills` settings this command reads, in a config that has them. */
interface SkillSettings {
  project?: boolean;
  archive_after_days?: number;
}

/** Days without use before `archive --stale` archives a skill when the config sets none. */
const defaultStaleDays = 30;

function skillSettings(config: MnemosConfig): SkillSettings {
  // Read structurally: configs written before these settings existed have no `agent.skills`.
  return (config.agent as unknown as { skills?: SkillSettings }).skills ?? {};
}

function staleDaysOf(settings: SkillSettings): number {
  const days = settings.archive_after_days;
  // 0 there means "never archive automatically"; asking for --stale still needs a number of days.
  return days !== undefined && days > 0 ? days : defaultStaleDays;
}

/** Adds `--tenant`, `--app` and `--workspace` to a skills subcommand. */
export function skillPlaceFlags(command: Command): Command {
  return command
    .option('--tenant <id>', "act on this tenant's skills in the database instead of local ones")
    .option('--app <id>', 'application of --tenant (default: config app_id)')
    .option(
      '--workspace <dir>',
      'project whose .agents/skills are read (default: the current folder, unless agent.skills.project is false)',
    );
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
    const settings = skillSettings(await configOf(command));
    const { localSkills } = await import('../../skills/skill-service.js');
    // A named workspace is always read; the current folder only when the agent would read it too.
    const workspace =
      options.workspace !== undefined
        ? resolve(options.workspace)
        : settings.project === false
          ? undefined
          : process.cwd();
    return work({
      manager: localSkills(home, { workspace }),
      home,
      staleDays: staleDaysOf(settings),
    });
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
      return work({
        manager: mnemos.skills.forTenant(owner),
        home: mnemos.home,
        staleDays: staleDaysOf(skillSettings(mnemos.config)),
      });
    },
    { processJobs: false },
  );
}
