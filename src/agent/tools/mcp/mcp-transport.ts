import { isAbsolute, resolve } from 'node:path';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { McpServerConfig } from '../../../config/config.js';
import { MnemosError } from '../../../core/errors.js';

/** Most characters of a stdio server's stderr kept to explain why it failed. */
const stderrTailCharacters = 2_000;

/** A transport to one server, and the last lines a stdio server wrote to stderr. */
export interface McpTransport {
  transport: Transport;
  stderrTail(): string;
}

/**
 * The transport of a configured server: a child process for `command` (minimal default
 * environment plus `env` and `env_from`, working in `cwd` relative to the home) or Streamable HTTP
 * for `url` (with `headers` and `headers_from_env`). Variables named in `env_from` or
 * `headers_from_env` must be set, else a `config_error` naming the field.
 */
export function mcpTransport(
  name: string,
  server: McpServerConfig,
  home: string,
  environment: NodeJS.ProcessEnv = process.env,
): McpTransport {
  const fromEnvironment = (field: string, mapping: Record<string, string>) =>
    Object.fromEntries(
      Object.entries(mapping).map(([key, variable]) => {
        const value = environment[variable];
        if (value === undefined || value === '') {
          throw new MnemosError(
            'config_error',
            `mcp_servers.${name}.${field}.${key}: environment variable ${variable} is not set (environment or .env)`,
            { details: { server: name, field: `${field}.${key}`, variable } },
          );
        }
        return [key, value];
      }),
    );
  if (server.url !== undefined) {
    const headers = {
      ...server.headers,
      ...fromEnvironment('headers_from_env', server.headers_from_env),
    };
    return {
      transport: new StreamableHTTPClientTransport(new URL(server.url), {
        requestInit: { headers },
      }),
      stderrTail: () => '',
    };
  }
  const env = { ...server.env, ...fromEnvironment('env_from', server.env_from) };
  const transport = new StdioClientTransport({
    command: server.command as string,
    args: server.args,
    env,
    ...(server.cwd ? { cwd: isAbsolute(server.cwd) ? server.cwd : resolve(home, server.cwd) } : {}),
    stderr: 'pipe',
  });
  let tail = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    tail = `${tail}${chunk.toString('utf8')}`.slice(-stderrTailCharacters);
  });
  return { transport, stderrTail: () => tail.trim() };
}
