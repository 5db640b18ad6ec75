import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { Command } from 'commander';
import type { AgentCatalog } from '../../agents/agent-catalog.js';
import type { DefinitionIssue } from '../../agents/agent-definition-file.js';
import type { AgentDefinitionRecord } from '../../core/agent-definition.js';
import { MnemosError } from '../../core/errors.js';
import { defaultPart, tenantScope } from '../../core/scope.js';
import { globals, homeOf, tenantOwner, withMnemos } from '../support/context.js';
import { clip, printJson, printTable } from '../support/output.js';

/** Flags of `agents list` and `agents show`: a tenant's view instead of the home's agents. */
interface AgentPlaceOptions {
  tenant?: string;
  app?: string;
}

function placeFlags(command: Command): Command {
  return command
    .option(
      '--tenant <id>',
      "this tenant's view: its own definitions in the database, then the home's",
    )
    .option('--app <id>', 'application of --tenant (default: config app_id)');
}

/**
 * Runs `work` on the catalog the flags name: with `--tenant`, that tenant's view (the engine is
 * opened around it); otherwise the home's `agents/` folder, which needs no engine.
 */
async function withCatalog<T>(
  command: Command,
  options: AgentPlaceOptions,
  work: (catalog: AgentCatalog) => Promise<T>,
): Promise<T> {
  if (options.tenant === undefined) {
    if (options.app !== undefined) {
      throw new MnemosError('invalid_input', '--app needs --tenant: home agents have no app', {
        details: { field: 'app' },
      });
    }
    const { localAgents } = await import('../../agents/agent-service.js');
    return work(localAgents(homeOf(command)));
  }
  // Checked before the engine opens (and creates a database), like every other bad input.
  tenantScope({ appId: options.app ?? defaultPart, tenantId: options.tenant });
  return withMnemos(
    command,
    (mnemos) => work(mnemos.agents.forTenant(tenantScope(tenantOwner(mnemos, options)))),
    { processJobs: false },
  );
}

/** A record as `--json` lists it: the summary fields, then where it comes from. */
async function summaryOf(record: AgentDefinitionRecord): Promise<Record<string, unknown>> {
  const { definitionModel, definitionToolsets } = await import('../../agents/agent-summary.js');
  const { definition } = record;
  return {
    name: definition.name,
    origin: record.origin,
    description: definition.description,
    model: definitionModel(definition),
    tools: definitionToolsets(definition),
    version: record.version,
    ...(record.path !== undefined ? { path: record.path } : {}),
    updatedAt: record.updatedAt,
  };
}

/** `mnemos agents …`: agents as configuration, from `<home>/agents/*.yaml` or a tenant's database rows. */
export function agentsCommand(): Command {
  const agents = new Command('agents').description(
    'agents as configuration (<home>/agents/NAME.yaml): list, show, validate',
  );

  placeFlags(agents.command('list'))
    .description('list agents: name, origin, description, model, tools (broken files as warnings)')
    .action(async (options: AgentPlaceOptions, command: Command) => {
      await withCatalog(command, options, async (catalog) => {
        const records = await catalog.list();
        const broken = catalog.broken();
        const list = await Promise.all(records.map(summaryOf));
        if (globals(command).json) return printJson({ agents: list, broken, count: list.length });
        for (const file of broken) process.stderr.write(`warning: ${file.error}\n`);
        printTable(
          ['name', 'origin', 'description', 'model', 'tools'],
          list.map((entry) => [
            String(entry.name),
            String(entry.origin),
            clip(String(entry.description), 60),
            (entry.model as string | null) ?? '(config llm)',
            entry.tools === null
              ? '(config toolsets)'
              : (entry.tools as string[]).join(', ') || '(none)',
          ]),
          'no agents yet: write <home>/agents/NAME.yaml (see docs/agents.md)',
        );
      });
    });

  placeFlags(agents.command('show'))
    .description('print an agent definition (as YAML) with where it comes from')
    .argument('<name>')
    .action(async (name: string, options: AgentPlaceOptions, command: Command) => {
      await withCatalog(command, options, async (catalog) => {
        const record = await catalog.require(name);
        if (globals(command).json) return printJson({ agent: record });
        const { stringify } = await import('yaml');
        const where = record.path ?? 'database';
        process.stdout.write(
          `# ${record.definition.name}: ${record.origin} (${where}), version ${record.version}, updated ${record.updatedAt}\n`,
        );
        process.stdout.write(stringify(record.definition, { lineWidth: 0 }));
      });
    });

  agents
    .command('validate')
    .description(
      'check agent definition files (default: every file of <home>/agents); exit 1 on errors',
    )
    .argument('[paths...]', 'definition files, or folders of them')
    .action(async (paths: string[], _options: unknown, command: Command) => {
      const { checkAgentDefinitionFile, isDefinitionFileName, issueText } = await import(
        '../../agents/agent-definition-file.js'
      );
      const home = homeOf(command);
      const files =
        paths.length > 0
          ? paths.flatMap((path) => filesAt(path, isDefinitionFileName))
          : filesAt(join(home, 'agents'), isDefinitionFileName, true).map((file) => ({
              ...file,
              label: relative(home, file.path),
            }));
      const results = files.map((file) => {
        const checked = checkAgentDefinitionFile(file.path);
        const issues: DefinitionIssue[] = checked.issues;
        return {
          path: file.path,
          label: file.label,
          name: checked.definition?.name ?? null,
          valid: issues.length === 0,
          issues,
        };
      });
      const valid = results.every((result) => result.valid);
      // Exit 1: the check ran and found errors; 2 stays for a bad path or usage.
      if (!valid) process.exitCode = 1;
      if (globals(command).json) {
        return printJson({
          valid,
          files: results.map(({ label: _label, ...result }) => result),
        });
      }
      if (results.length === 0) process.stdout.write('no agent definition files found\n');
      for (const result of results) {
        if (result.valid) process.stdout.write(`${result.label}: valid\n`);
        for (const issue of result.issues)
          process.stdout.write(`${result.label}: ${issueText(issue)}\n`);
      }
      const failed = results.filter((result) => !result.valid).length;
      if (failed > 0)
        process.stdout.write(
          `${failed} of ${results.length} file${results.length === 1 ? '' : 's'} with errors\n`,
        );
    });

  return agents;
}

/** Definition files at a path: the file itself, or a folder's `*.yaml|*.yml` files by name. */
function filesAt(
  path: string,
  keep: (name: string) => boolean,
  missingIsEmpty = false,
): Array<{ path: string; label: string }> {
  const full = resolve(path);
  let isFolder: boolean;
  try {
    isFolder = statSync(full).isDirectory();
  } catch {
    if (missingIsEmpty) return [];
    throw new MnemosError('invalid_input', `${path}: no such file or folder`, {
      details: { path },
    });
  }
  if (!isFolder) return [{ path: full, label: path }];
  return readdirSync(full, { withFileTypes: true })
    .filter((entry) => entry.isFile() && keep(entry.name))
    .map((entry) => entry.name)
    .sort()
    .map((name) => ({ path: join(full, name), label: join(path, name) }));
}
