import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

const require = createRequire(import.meta.url);
const url = (module: string): string => pathToFileURL(require.resolve(module)).href;
const folders: string[] = [];

/**
 * Writes a stdio MCP server script (the SDK's `McpServer`) to a temp folder and returns its path.
 * Tools: `echo` (text back), `slow` (sleeps `ms`), `fail` (an isError result), `secret_env` (the
 * value of variable `name`), `pid` (its process id), `big` (`size` characters), `dash-name`.
 */
export function writeFixtureServer(): string {
  const folder = mkdtempSync(join(tmpdir(), 'mnemos-mcp-fixture-'));
  folders.push(folder);
  const path = join(folder, 'server.mjs');
  writeFileSync(
    path,
    `import { McpServer } from ${JSON.stringify(url('@modelcontextprotocol/sdk/server/mcp.js'))};
import { StdioServerTransport } from ${JSON.stringify(url('@modelcontextprotocol/sdk/server/stdio.js'))};
import { z } from ${JSON.stringify(url('zod'))};
const server = new McpServer({ name: 'fixture', version: '1.0.0' });
const text = (value) => ({ content: [{ type: 'text', text: String(value) }] });
server.registerTool('echo', { description: 'Echoes the text', inputSchema: { text: z.string() } }, ({ text: value }) => text(value));
server.registerTool('slow', { description: 'Sleeps', inputSchema: { ms: z.number().int() } }, async ({ ms }) => { await new Promise((r) => setTimeout(r, ms)); return text('woke'); });
server.registerTool('fail', { description: 'Always fails' }, () => ({ isError: true, content: [{ type: 'text', text: 'it broke on purpose' }] }));
server.registerTool('secret_env', { description: 'Reads a variable', inputSchema: { name: z.string() } }, ({ name }) => text(process.env[name] ?? '(unset)'));
server.registerTool('pid', { description: 'Process id' }, () => text(process.pid));
server.registerTool('big', { description: 'Long text', inputSchema: { size: z.number().int() } }, ({ size }) => ({ content: [{ type: 'text', text: 'x'.repeat(size) }, { type: 'image', mimeType: 'image/png', data: 'AAAA' }] }));
server.registerTool('dash-name', { description: 'A name with a dash' }, () => text('dash'));
process.stderr.write('fixture server ready\\n');
await server.connect(new StdioServerTransport());
`,
  );
  return path;
}

/** Removes the fixture scripts written so far. */
export function removeFixtureServers(): void {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
}

/**
 * A Streamable HTTP MCP server on 127.0.0.1 (stateless, one `whoami` tool) that answers only
 * requests carrying `x-fixture-token: <token>`; `port` 0 picks a free one.
 */
export async function startHttpFixtureServer(
  token: string,
  port = 0,
): Promise<{ url: string; port: number; close(): Promise<void> }> {
  const server: Server = createServer(async (request, response) => {
    if (request.headers['x-fixture-token'] !== token) {
      response.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"no token"}');
      return;
    }
    const mcp = new McpServer({ name: 'http-fixture', version: '1.0.0' });
    mcp.registerTool(
      'whoami',
      { description: 'Says who answers', inputSchema: { greeting: z.string().optional() } },
      ({ greeting }) => ({
        content: [{ type: 'text', text: `${greeting ?? 'hello'} from http-fixture` }],
      }),
    );
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    response.on('close', () => {
      void transport.close();
      void mcp.close();
    });
    await mcp.connect(transport);
    await transport.handleRequest(request, response);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}/mcp`,
    port: bound,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
