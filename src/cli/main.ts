import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { MnemosError } from '../core/errors.js';
import { agentsCommand } from './commands/agents.js';
import { chatCommand } from './commands/chat.js';
import { configCommand } from './commands/config.js';
import { cronCommand } from './commands/cron.js';
import { gatewayCommand } from './commands/gateway.js';
import { keysCommand } from './commands/keys.js';
import { mcpCommand } from './commands/mcp.js';
import { mcpServersCommand } from './commands/mcp-servers.js';
import { memCommand } from './commands/mem.js';
import { migrateCommand } from './commands/migrate.js';
import { profileCommand } from './commands/profile.js';
import { serveCommand } from './commands/serve.js';
import { sessionsCommand } from './commands/sessions.js';
import { setupCommand } from './commands/setup.js';
import { skillsCommand } from './commands/skills.js';
import { statusCommand } from './commands/status.js';
import { storesCommand } from './commands/stores.js';
import { teamCommand } from './commands/team.js';
import { exitCodeOf, printError } from './support/output.js';

const packageJson = JSON.parse(
  readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
) as { version: string };

/** Builds the `mnemos` command tree; with `json`, usage errors are left to `run` to print as JSON. */
export function program(json = false): Command {
  const root = new Command('mnemos')
    .description('Mnemos: memory for agents. Embedded, offline, no API key needed.')
    .version(packageJson.version)
    .option('--home <dir>', 'Mnemos home (default: $MNEMOS_HOME or ~/.mnemos)')
    .option('-p, --profile <name>', 'isolated profile: its own config, memory and sessions')
    .option('--json', 'machine-readable JSON output')
    .exitOverride();
  if (!json) root.showHelpAfterError('(run with --help for usage)');
  for (const command of [
    chatCommand(),
    memCommand(),
    storesCommand(),
    configCommand(),
    sessionsCommand(),
    profileCommand(),
    skillsCommand(),
    teamCommand(),
    cronCommand(),
    agentsCommand(),
    statusCommand(),
    setupCommand(),
    serveCommand(),
    gatewayCommand(),
    keysCommand(),
    mcpCommand(),
    mcpServersCommand(),
    migrateCommand(),
  ])
    root.addCommand(command);
  const exitOverride = (command: Command): void => {
    command.exitOverride();
    if (json) command.configureOutput({ outputError: () => {} });
    for (const child of command.commands) exitOverride(child);
  };
  exitOverride(root);
  return root;
}

/** Runs the CLI and returns the exit code: 0 ok, 1 failure, 2 bad usage or input. */
export async function run(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const root = program(json);
  try {
    await root.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return 0;
      if (json)
        printError(
          new MnemosError('invalid_input', error.message.replace(/^error: /, ''), {
            details: { usage: error.code },
          }),
          true,
        );
      return 2;
    }
    printError(error, argv.includes('--json'));
    return exitCodeOf(error);
  }
}
