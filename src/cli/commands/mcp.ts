import { Command } from 'commander';
import { tenantOf, writeScope } from '../../core/scope.js';
import { homeOf, type ScopeOptions, tenantFlags, tenantOwner } from '../support/context.js';

interface McpOptions extends Pick<ScopeOptions, 'app' | 'tenant' | 'store'> {
  agent: string;
  run: string;
  readOnly?: boolean;
}

/** How long a closing server waits for queued ingestion; what is left resumes on the next start. */
const drainGraceMs = 3_000;

/** `mnemos mcp`: the home's memory as an MCP server over stdio, for Claude Desktop, Cursor and the like. */
export function mcpCommand(): Command {
  return tenantFlags(
    new Command('mcp').description(
      'serve memory to an MCP client over stdio (memory_search, memory_remember, … session_search)',
    ),
  )
    .option('--agent <id>', 'agent id of the memories the client writes', 'mcp')
    .option('--run <id>', 'run id of written memories unless a call names one', 'mcp')
    .option('--store <name>', 'memory store (default: config memory_store_name)')
    .option('--read-only', 'refuse memory_remember and memory_forget')
    .action(async (options: McpOptions, command: Command) => {
      // stdout carries only the protocol: anything a library logs goes to stderr instead.
      console.log = console.error;
      console.info = console.error;
      console.debug = console.error;
      const home = homeOf(command);
      // The MCP SDK and the engine load only when the server starts, never for --help.
      const [{ Mnemos }, { serveStdio }] = await Promise.all([
        import('../../mnemos.js'),
        import('../../mcp/mcp-stdio.js'),
      ]);
      const mnemos = await Mnemos.open({ home });
      try {
        // Checked now, so a bad flag fails at start instead of at every write.
        const scope = writeScope({
          ...tenantOwner(mnemos, options),
          agentId: options.agent,
          runId: options.run,
        });
        const tenant = tenantOf(scope);
        await serveStdio(mnemos, () => tenant, {
          agentId: options.agent,
          runId: options.run,
          ...(options.store ? { store: options.store } : {}),
          ...(options.readOnly ? { readOnly: true } : {}),
        });
        await Promise.race([
          mnemos.drain(),
          new Promise((resolve) => setTimeout(resolve, drainGraceMs).unref()),
        ]);
      } finally {
        await mnemos.close();
      }
    });
}
