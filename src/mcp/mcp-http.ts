import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { TenantContext } from '../http/tenant-context.js';
import type { Mnemos } from '../mnemos.js';
import { createMcpServer, type McpServerOptions } from './mcp-server.js';

/** A Web-standard request handler, mountable in Hono with `app.all('/mcp', (c) => handler(c.req.raw))`. */
export type McpHttpHandler = (request: Request) => Promise<Response>;

/**
 * Streamable HTTP for the Mnemos MCP server, stateless: each POST gets its own server and transport
 * bound to the tenant its API key resolves to, and gets a JSON answer. No session is kept, so GET
 * (a server-to-client stream) and DELETE (ending a session) answer 405. A request whose tenant does
 * not resolve gets 401 before any MCP work. Errors thrown by `resolveTenant` propagate.
 */
export function mcpHttpHandler(
  mnemos: Mnemos,
  resolveTenant: (request: Request) => Promise<TenantContext | null>,
  options: McpServerOptions = {},
): McpHttpHandler {
  return async (request) => {
    const tenant = await resolveTenant(request);
    if (!tenant) {
      return Response.json(
        {
          error: {
            code: 'unauthorized',
            message: 'a valid API key is required: send Authorization: Bearer <key>',
          },
        },
        { status: 401, headers: { 'WWW-Authenticate': 'Bearer' } },
      );
    }
    if (request.method === 'GET' || request.method === 'DELETE') {
      return Response.json(
        {
          jsonrpc: '2.0',
          error: { code: -32000, message: 'method not allowed: this MCP endpoint is stateless' },
          id: null,
        },
        { status: 405, headers: { Allow: 'POST' } },
      );
    }
    const bound = { appId: tenant.appId, tenantId: tenant.tenantId };
    const server = createMcpServer(mnemos, () => bound, options);
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    await server.connect(transport);
    try {
      // With JSON responses the answer is complete once this resolves, so closing cannot cut it.
      return await transport.handleRequest(request);
    } finally {
      await server.close();
    }
  };
}
