import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import type { McpServerConfig } from '../../../config/config.js';
import { MnemosError } from '../../../core/errors.js';
import { mcpTransport } from './mcp-transport.js';

/** A tool as a server lists it. */
export interface McpListedTool {
  name: string;
  description?: string | undefined;
  inputSchema: unknown;
}

/** A `tools/call` result as the server returned it. */
export interface McpCallResult {
  content?: unknown;
  structuredContent?: unknown;
  isError?: boolean | undefined;
  toolResult?: unknown;
}

const clientInfo = { name: 'mnemos', version: '1' };

/**
 * The client side of one configured server. `connect` is bounded by `connect_timeout_ms`; a call
 * is bounded by `timeout_ms` and the caller's signal. When the server goes away, the call in flight
 * fails naming the server, and the next call reconnects once before it runs.
 */
export class McpServerConnection {
  private client: Client | null = null;
  private stderrTail: () => string = () => '';

  constructor(
    readonly name: string,
    readonly config: McpServerConfig,
    private readonly home: string,
  ) {}

  /** Whether the server is connected now. */
  get connected(): boolean {
    return this.client !== null;
  }

  /** Starts (or reaches) the server and completes the handshake. */
  async connect(): Promise<void> {
    if (this.client) return;
    const { transport, stderrTail } = mcpTransport(this.name, this.config, this.home);
    this.stderrTail = stderrTail;
    const client = new Client(clientInfo);
    const limit = this.config.connect_timeout_ms;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        client.connect(transport, { timeout: limit }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no handshake within ${limit} ms (connect_timeout_ms)`)),
            limit,
          );
        }),
      ]);
    } catch (error) {
      await client.close().catch(() => {});
      await transport.close().catch(() => {});
      throw this.failure('could not connect', error);
    } finally {
      clearTimeout(timer);
    }
    client.onclose = () => {
      if (this.client === client) this.client = null;
    };
    this.client = client;
  }

  /** Every tool the server lists (all pages). */
  async listTools(): Promise<McpListedTool[]> {
    const client = await this.ready();
    const tools: McpListedTool[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor ? { cursor } : undefined, {
        timeout: this.config.timeout_ms,
      });
      tools.push(...page.tools);
      cursor = page.nextCursor;
    } while (cursor);
    return tools;
  }

  /** Calls one tool (by the server's name). */
  async callTool(
    tool: string,
    args: Record<string, unknown>,
    signal: AbortSignal,
  ): Promise<McpCallResult> {
    const client = await this.ready();
    try {
      return (await client.callTool({ name: tool, arguments: args }, undefined, {
        signal,
        timeout: this.config.timeout_ms,
      })) as McpCallResult;
    } catch (error) {
      if (signal.aborted) throw error;
      // A transport failure (HTTP server gone, process dead) drops the connection so the next call
      // reconnects; an error the server answered with leaves it as it is.
      const answered = error instanceof McpError && error.code !== ErrorCode.ConnectionClosed;
      if (!answered && this.client === client) {
        this.client = null;
        await client.close().catch(() => {});
      }
      throw this.failure(`tool ${tool} failed`, error);
    }
  }

  /** Closes the connection (a stdio server's process ends). */
  async close(): Promise<void> {
    const client = this.client;
    this.client = null;
    await client?.close().catch(() => {});
  }

  private async ready(): Promise<Client> {
    if (!this.client) await this.connect();
    return this.client as Client;
  }

  private failure(what: string, error: unknown): MnemosError {
    if (MnemosError.isInstance(error) && error.code === 'config_error') return error;
    const reason =
      error instanceof McpError && error.code === ErrorCode.RequestTimeout
        ? `no answer within ${this.config.timeout_ms} ms (timeout_ms)`
        : error instanceof Error
          ? error.message
          : String(error);
    const closed = /connection closed/i.test(reason) || !this.client;
    const stderr = this.stderrTail();
    const message = [
      `MCP server ${this.name}: ${what}: ${reason}`,
      closed && what !== 'could not connect'
        ? 'the server went away; the next call reconnects'
        : '',
      stderr ? `stderr: ${stderr.split('\n').slice(-5).join(' | ')}` : '',
    ]
      .filter(Boolean)
      .join('; ');
    return new MnemosError('upstream_error', message, {
      category: 'upstream',
      details: { server: this.name },
      cause: error,
    });
  }
}
