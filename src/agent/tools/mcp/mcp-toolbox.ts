import type { McpServerConfig } from '../../../config/config.js';
import type { AnyTool } from '../tool.js';
import { McpServerConnection } from './mcp-server-connection.js';
import { mcpServerTools } from './mcp-server-tools.js';

/** What a toolbox connects to and how it reports servers it could not reach. */
export interface McpToolboxOptions {
  /** The servers to offer, by configured name (already filtered to the enabled and allowed ones). */
  servers: Record<string, McpServerConfig>;
  /** The home: relative `cwd` of stdio servers starts here. */
  home: string;
  /** Non-fatal problems: a server that could not connect or list its tools. */
  warn?: (message: string) => void;
}

/**
 * The tools of external MCP servers for an agent. `tools()` connects to every server in parallel
 * (each bounded by its `connect_timeout_ms`); a server that fails is reported through `warn` and
 * its tools are absent, never blocking the others. `close()` ends every connection; a later
 * `tools()` connects again.
 *
 * @example
 * const toolbox = new McpToolbox({ servers: config.mcp_servers, home });
 * const tools = await toolbox.tools(); // mcp_<server>_<tool>, …
 * await toolbox.close();
 */
export class McpToolbox {
  private connections: McpServerConnection[] = [];
  private listed: Promise<AnyTool[]> | null = null;

  constructor(private readonly options: McpToolboxOptions) {}

  /** The agent tools of every reachable server; connects on first use. */
  tools(): Promise<AnyTool[]> {
    this.listed ??= this.connectAll();
    return this.listed;
  }

  /** Ends every connection (stdio servers' processes end). */
  async close(): Promise<void> {
    const pending = this.listed;
    this.listed = null;
    // A close during connecting waits for it, so no server started meanwhile outlives the toolbox.
    await pending?.catch(() => {});
    const connections = this.connections;
    this.connections = [];
    await Promise.all(connections.map((connection) => connection.close()));
  }

  private async connectAll(): Promise<AnyTool[]> {
    const entries = Object.entries(this.options.servers);
    this.connections = entries.map(
      ([name, config]) => new McpServerConnection(name, config, this.options.home),
    );
    const listed = await Promise.all(
      this.connections.map(async (connection) => {
        try {
          await connection.connect();
          return { connection, tools: await connection.listTools() };
        } catch (error) {
          await connection.close();
          this.options.warn?.(
            `${error instanceof Error ? error.message : String(error)}; its tools are not offered`,
          );
          return { connection, tools: [] };
        }
      }),
    );
    const taken = new Set<string>();
    return listed.flatMap(({ connection, tools }) => mcpServerTools(connection, tools, taken));
  }
}
