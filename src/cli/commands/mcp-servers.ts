import { Command } from 'commander';
import type { McpServerConfig } from '../../config/config.js';
import { MnemosError } from '../../core/errors.js';
import { globals, homeOf } from '../support/context.js';
import { clip, printJson, printTable } from '../support/output.js';

interface ServerRow {
  name: string;
  transport: 'stdio' | 'http';
  target: string;
  enabled: boolean;
  tools?: number;
  offered?: number;
  error?: string;
}

/** `mnemos mcp-servers …`: the external MCP servers of `mcp_servers` whose tools the agent may call. */
export function mcpServersCommand(): Command {
  const servers = new Command('mcp-servers').description(
    'external MCP servers the agent uses (config mcp_servers): list, test',
  );

  servers
    .command('list')
    .description('list the configured MCP servers')
    .option('--connect', 'connect to each enabled server and count its tools')
    .action(async (options: { connect?: boolean }, command: Command) => {
      const { home, configured } = await serversOf(command);
      const rows: ServerRow[] = Object.entries(configured).map(([name, server]) => ({
        name,
        transport: server.url === undefined ? 'stdio' : 'http',
        target: server.url ?? [server.command, ...server.args].join(' '),
        enabled: server.enabled,
      }));
      if (options.connect) {
        await Promise.all(
          rows
            .filter((row) => row.enabled)
            .map(async (row) => {
              try {
                const tools = await probe(row.name, configured[row.name] as McpServerConfig, home);
                row.tools = tools.length;
                row.offered = tools.filter((tool) => isOffered(tool.status)).length;
              } catch (error) {
                row.error = (error as Error).message;
              }
            }),
        );
      }
      if (globals(command).json) return printJson({ servers: rows, count: rows.length });
      printTable(
        ['name', 'transport', 'enabled', ...(options.connect ? ['tools'] : []), 'command / url'],
        rows.map((row) => [
          row.name,
          row.transport,
          row.enabled ? 'yes' : 'no',
          ...(options.connect
            ? [
                row.error
                  ? `error: ${clip(row.error, 60)}`
                  : row.tools === undefined
                    ? '-'
                    : `${row.offered} of ${row.tools} offered`,
              ]
            : []),
          clip(row.target, 60),
        ]),
        'no MCP servers configured (add them under mcp_servers in config.yaml)',
      );
    });

  servers
    .command('test')
    .description('connect to a server and list its tools with what the configuration allows')
    .argument('<name>', 'server name under mcp_servers')
    .action(async (name: string, _options: unknown, command: Command) => {
      const { home, configured } = await serversOf(command);
      const server = configured[name];
      if (!server) {
        const known = Object.keys(configured);
        throw new MnemosError(
          'not_found',
          `no MCP server ${name} in mcp_servers${known.length > 0 ? `; configured: ${known.join(', ')}` : ''}`,
          { details: { server: name, known } },
        );
      }
      const tools = await probe(name, server, home);
      if (globals(command).json) {
        return printJson({ server: name, enabled: server.enabled, tools, count: tools.length });
      }
      process.stdout.write(
        `MCP server ${name} connected${server.enabled ? '' : ' (disabled: enabled is false)'}: ${tools.length} tool${tools.length === 1 ? '' : 's'}\n`,
      );
      printTable(
        ['tool', 'agent name', 'status', 'description'],
        tools.map((tool) => [tool.tool, tool.name ?? '-', tool.status, clip(tool.description, 60)]),
        'the server lists no tools',
      );
    });

  return servers;
}

interface ProbedTool {
  tool: string;
  /** The agent's name of the tool, when it is offered. */
  name: string | null;
  status: string;
  description: string;
}

function isOffered(status: string): boolean {
  return status === 'allowed' || status === 'confirm';
}

async function serversOf(
  command: Command,
): Promise<{ home: string; configured: Record<string, McpServerConfig> }> {
  const home = homeOf(command);
  const { loadConfig, loadDotenv } = await import('../../config/config.js');
  const config = loadConfig(home);
  loadDotenv(home);
  return { home, configured: config.mcp_servers };
}

/** Connects to a server, lists its tools with their status, and closes. */
async function probe(name: string, server: McpServerConfig, home: string): Promise<ProbedTool[]> {
  // The MCP SDK loads only when a server is reached, never for --help or a plain list.
  const [{ McpServerConnection }, { mcpToolStatus }, { mcpToolName }] = await Promise.all([
    import('../../agent/tools/mcp/mcp-server-connection.js'),
    import('../../agent/tools/mcp/mcp-tool-policy.js'),
    import('../../agent/tools/mcp/mcp-tool-name.js'),
  ]);
  const connection = new McpServerConnection(name, server, home);
  try {
    await connection.connect();
    const listed = await connection.listTools();
    const taken = new Set<string>();
    return listed.map((tool) => {
      const status = mcpToolStatus(server, tool.name);
      const agentName = isOffered(status) ? mcpToolName(name, tool.name, taken) : null;
      if (agentName) taken.add(agentName);
      return { tool: tool.name, name: agentName, status, description: tool.description ?? '' };
    });
  } finally {
    await connection.close();
  }
}
