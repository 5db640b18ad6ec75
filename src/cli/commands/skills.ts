import { resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { MnemosError } from '../../core/errors.js';
import type { SkillRecord } from '../../core/skill-record.js';
import type { FoundSkill } from '../../skills/skill-manager.js';
import { integer } from '../support/arguments.js';
import { globals } from '../support/context.js';
import { clip, printJson, printTable } from '../support/output.js';
import { checkSkillFolders, issueLine, reportedIssues, skillFoldersAt } from './skills-check.js';
import { type SkillPlaceOptions, skillPlaceFlags, withSkills } from './skills-places.js';

/** `mnemos skills …`: agent skills (agentskills.io SKILL.md folders), local or a tenant's. */
export function skillsCommand(): Command {
  const skills = new Command('skills').description(
    'agent skills: list, show, validate, install, uninstall, history, revert, archive, restore',
  );

  skillPlaceFlags(skills.command('list'))
    .description('list skills: name, description, source, origin, version, last use')
    .option('--all', 'archived skills too')
    .action(async (options: SkillPlaceOptions & { all?: boolean }, command: Command) => {
      await withSkills(command, options, async ({ manager }) => {
        const list = await manager.catalog({ includeArchived: options.all ?? false });
        const warnings = await manager.warnings();
        if (globals(command).json) return printJson({ skills: list, warnings, count: list.length });
        for (const warning of warnings) process.stderr.write(`warning: ${warning}\n`);
        const head = ['name', 'description', 'source', 'origin', 'version', 'last used'];
        printTable(
          options.all ? [...head, 'status'] : head,
          list.map((entry) => {
            const row = [
              entry.name,
              clip(entry.description, 60),
              entry.source,
              entry.origin,
              entry.version,
              entry.lastUsedAt ?? 'never',
            ];
            return options.all ? [...row, entry.status] : row;
          }),
          'no skills yet: write <home>/skills/NAME/SKILL.md, or mnemos skills install PATH',
        );
      });
    });

  skillPlaceFlags(skills.command('show'))
    .description('print SKILL.md (or one file) with where the skill lives and its bookkeeping')
    .argument('<name>')
    .option('--file <path>', 'a file of the skill instead of SKILL.md, e.g. scripts/run.sh')
    .action(
      async (name: string, options: SkillPlaceOptions & { file?: string }, command: Command) => {
        await withSkills(command, options, async ({ manager }) => {
          const found = await manager.require(name);
          const path = options.file ?? 'SKILL.md';
          const content = found.skill.files[path];
          if (content === undefined) {
            throw new MnemosError(
              'not_found',
              `skill ${name} has no file ${path} (files: ${Object.keys(found.skill.files).join(', ')})`,
              { details: { name, path } },
            );
          }
          const { source } = found.repository;
          const location = locationOf(found);
          if (globals(command).json) {
            return printJson({ skill: found.skill, source, location, path, content });
          }
          process.stdout.write(`${describe(found.skill, source, location)}\n--- ${path}\n`);
          process.stdout.write(content.endsWith('\n') ? content : `${content}\n`);
        });
      },
    );

  skills
    .command('validate')
    .description('check a skill folder (or a folder of them) strictly: format and safety scan')
    .argument('<path>')
    .action(async (path: string, _options: unknown, command: Command) => {
      const checked = await checkSkillFolders(await skillFoldersAt(resolve(path)));
      const results = checked.map((skill) => {
        const issues = reportedIssues(skill);
        return {
          path: skill.path,
          name: skill.folderName,
          valid: !issues.some((issue) => issue.level === 'error'),
          verdict: skill.scan.verdict,
          issues,
        };
      });
      const valid = results.every((result) => result.valid);
      // Exit 1: the check ran and found errors; 2 stays for a bad path or usage.
      if (!valid) process.exitCode = 1;
      if (globals(command).json) return printJson({ valid, skills: results });
      for (const [index, skill] of checked.entries()) {
        const result = results[index];
        if (!result) continue;
        for (const issue of result.issues) process.stdout.write(`${issueLine(skill, issue)}\n`);
        const errors = result.issues.filter((issue) => issue.level === 'error').length;
        const summary = errors === 0 ? 'valid' : `${errors} error${errors === 1 ? '' : 's'}`;
        process.stdout.write(`${result.name}: ${summary} (scan: ${result.verdict})\n`);
      }
    });

  skillPlaceFlags(skills.command('install'))
    .description('install skills from a folder or a .tar.gz / .tgz / .tar (all or none)')
    .argument('<path>', 'a skill folder, a folder of skill folders, or a tarball of them')
    .option('--force', 'install even when the safety scan says caution (never when dangerous)')
    .action(
      async (
        source: string,
        options: SkillPlaceOptions & { force?: boolean },
        command: Command,
      ) => {
        await withSkills(command, options, async ({ manager, home }) => {
          const { installSkills } = await import('./skills-install.js');
          const installed = await installSkills(manager, home, source, options.force ?? false);
          if (globals(command).json) {
            return printJson({
              installed: installed.map(({ skill, verdict }) => ({
                skill: withFileNames(skill),
                verdict,
              })),
              count: installed.length,
            });
          }
          for (const { skill, verdict } of installed) {
            process.stdout.write(
              `installed ${skill.name} (version ${skill.version}, scan ${verdict}${verdict === 'safe' ? '' : ', forced'})\n`,
            );
          }
        });
      },
    );

  skillPlaceFlags(skills.command('uninstall'))
    .description('remove a skill; its history stays, so `revert` can bring it back')
    .argument('<name>')
    .action(async (name: string, options: SkillPlaceOptions, command: Command) => {
      await withSkills(command, options, async ({ manager }) => {
        await manager.delete(name, { actor: 'user', note: 'uninstalled' });
        if (globals(command).json) return printJson({ name, uninstalled: true });
        process.stdout.write(
          `uninstalled ${name} (mnemos skills history ${name} lists its versions)\n`,
        );
      });
    });

  skillPlaceFlags(skills.command('history'))
    .description('the recorded versions of a skill, newest first')
    .argument('<name>')
    .option('-n, --limit <n>', 'how many', integer, 50)
    .action(
      async (name: string, options: SkillPlaceOptions & { limit: number }, command: Command) => {
        await withSkills(command, options, async ({ manager }) => {
          const history = await manager.history(name, { limit: options.limit, offset: 0 });
          if (globals(command).json) return printJson({ history, count: history.length });
          printTable(
            ['version', 'action', 'actor', 'note', 'time'],
            history.map((entry) => [
              entry.version,
              entry.action,
              entry.actor,
              clip(entry.note, 60),
              entry.createdAt,
            ]),
          );
        });
      },
    );

  skillPlaceFlags(skills.command('revert'))
    .description('store the files of an earlier version as the newest one (undeletes too)')
    .argument('<name>')
    .argument('<version>', 'a version from `mnemos skills history`', positive)
    .action(async (name: string, version: number, options: SkillPlaceOptions, command: Command) => {
      await withSkills(command, options, async ({ manager }) => {
        const skill = await manager.revert(name, version, { actor: 'user' });
        printChange(
          command,
          skill,
          `${name} is now version ${skill.version}, the files of version ${version}`,
        );
      });
    });

  skillPlaceFlags(skills.command('archive'))
    .description('hide a skill from the catalog and the agent, keeping it (`restore` undoes it)')
    .argument('[name]')
    .option('--stale', 'archive every skill not used for --days days instead of one')
    .option(
      '--days <n>',
      'with --stale: days without use (default: agent.skills.archive_after_days, else 30)',
      positive,
    )
    .action(
      async (
        name: string | undefined,
        options: SkillPlaceOptions & { stale?: boolean; days?: number },
        command: Command,
      ) => {
        if ((name === undefined) === (options.stale !== true)) {
          throw new MnemosError('invalid_input', 'give either a skill name or --stale', {
            details: { field: 'name' },
          });
        }
        if (options.days !== undefined && !options.stale) {
          throw new MnemosError('invalid_input', '--days goes with --stale', {
            details: { field: 'days' },
          });
        }
        await withSkills(command, options, async ({ manager, staleDays }) => {
          if (name !== undefined) {
            const skill = await manager.archive(name, { actor: 'user' });
            return printChange(command, skill, `archived ${name} (version ${skill.version})`);
          }
          const days = options.days ?? staleDays;
          const archived = await manager.archiveStale(days);
          if (globals(command).json) return printJson({ archived, count: archived.length, days });
          process.stdout.write(
            archived.length === 0
              ? `no skill went unused for ${days} days\n`
              : `archived ${archived.join(', ')} (unused for ${days} days)\n`,
          );
        });
      },
    );

  skillPlaceFlags(skills.command('restore'))
    .description('bring an archived skill back')
    .argument('<name>')
    .action(async (name: string, options: SkillPlaceOptions, command: Command) => {
      await withSkills(command, options, async ({ manager }) => {
        const skill = await manager.restore(name, { actor: 'user' });
        printChange(command, skill, `restored ${name} (version ${skill.version})`);
      });
    });
  return skills;
}

/** Parses a whole number of at least 1. */
function positive(value: string): number {
  const number = integer(value);
  if (number < 1) throw new InvalidArgumentError(`expected 1 or more, got ${value}`);
  return number;
}

function printChange(command: Command, skill: SkillRecord, text: string): void {
  if (globals(command).json) {
    printJson({ skill: withFileNames(skill) });
  } else {
    process.stdout.write(`${text}\n`);
  }
}

/** A skill for JSON output after a change: its file paths, not their text. */
function withFileNames(skill: SkillRecord): Omit<SkillRecord, 'files'> & { files: string[] } {
  const { files, ...summary } = skill;
  return { ...summary, files: Object.keys(files).sort() };
}

/** Where a skill is: its folder, or the database. */
function locationOf(found: FoundSkill): string {
  const { repository, skill } = found;
  if (repository.source === 'tenant') return repository.location;
  const folder = skill.status === 'archived' ? `.archive/${skill.name}` : skill.name;
  return `${repository.location}/${folder}`;
}

function describe(skill: SkillRecord, source: string, location: string): string {
  const lines = [
    `${skill.name}: ${skill.description}`,
    `source: ${source} (${location})`,
    `version ${skill.version}, origin ${skill.origin}, ${skill.status}, last used ${skill.lastUsedAt ?? 'never'}`,
    `files: ${Object.keys(skill.files).sort().join(', ')}`,
  ];
  if (skill.provenance.length === 0) lines.push('provenance: none');
  else lines.push('provenance:');
  for (const entry of skill.provenance) {
    lines.push(
      `  ${entry.at} ${entry.action} in session ${entry.sessionId}: ${clip(entry.task, 80)} (tools: ${entry.tools.join(', ') || 'none'}) -> ${clip(entry.outcome, 80)}`,
    );
  }
  return lines.join('\n');
}
