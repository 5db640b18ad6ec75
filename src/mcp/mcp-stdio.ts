import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type {
  Transport,
  TransportSendOptions,
} from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  isJSONRPCErrorResponse,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  type JSONRPCMessage,
  type RequestId,
} from '@modelcontextprotocol/sdk/types.js';
import type { TenantKey } from '../core/scope.js';
import type { Mnemos } from '../mnemos.js';
import { createMcpServer, type McpServerOptions } from './mcp-server.js';

/** Options of {@link serveStdio}. */
export interface StdioServeOptions extends McpServerOptions {
  /** Longest wait at shutdown for calls still being answered; default 10 s. */
  answerGraceMs?: number;
  /** Where diagnostics go; never stdout, which belongs to the protocol. Default: stderr. */
  log?: (message: string) => void;
}

/**
 * Serves the MCP server over this process' stdin and stdout until stdin ends or SIGTERM/SIGINT
 * arrives, then answers the calls already received (bounded by `answerGraceMs`) and closes the server.
 * It leaves Mnemos open; the caller closes it.
 */
export async function serveStdio(
  mnemos: Mnemos,
  tenant: () => TenantKey,
  options: StdioServeOptions = {},
): Promise<void> {
  const log =
    options.log ?? ((message: string) => process.stderr.write(`mnemos mcp: ${message}\n`));
  const server = createMcpServer(mnemos, tenant, options);
  const transport = new TrackingTransport(new StdioServerTransport());
  transport.onerror = (error) => log(error.message);
  let stop: (reason: string) => void = () => {};
  const stopped = new Promise<string>((resolve) => {
    stop = resolve;
  });
  const onEnd = (): void => stop('stdin closed');
  const onSignal = (signal: NodeJS.Signals): void => {
    stop(signal);
    process.once(signal, () => process.exit(1)); // a second signal does not wait
  };
  process.stdin.once('end', onEnd);
  process.stdin.once('close', onEnd);
  process.stdout.once('error', onEnd); // the client went away (EPIPE)
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  await server.connect(transport);
  try {
    const reason = await stopped;
    if (transport.pending.size > 0) {
      log(`${reason}: finishing ${transport.pending.size} call(s)`);
      await transport.settled(options.answerGraceMs ?? 10_000);
    }
  } finally {
    process.stdin.off('end', onEnd);
    process.stdin.off('close', onEnd);
    process.stdout.off('error', onEnd);
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    await server.close();
    process.stdin.destroy();
  }
}

/** A transport wrapper that knows which requests are still unanswered, so shutdown can wait for them. */
class TrackingTransport implements Transport {
  /** Ids of requests received and not answered yet. */
  readonly pending = new Set<RequestId>();
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  onmessage?: Transport['onmessage'];
  private idle: Array<() => void> = [];

  constructor(private readonly inner: Transport) {
    inner.onmessage = (message, extra) => {
      if (isJSONRPCRequest(message)) this.pending.add(message.id);
      this.onmessage?.(message, extra);
    };
    inner.onclose = () => this.onclose?.();
    inner.onerror = (error) => this.onerror?.(error);
  }

  start(): Promise<void> {
    return this.inner.start();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    try {
      await this.inner.send(message, options);
    } finally {
      if (isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message)) {
        if (message.id !== undefined) this.pending.delete(message.id);
        if (this.pending.size === 0) for (const resolve of this.idle.splice(0)) resolve();
      }
    }
  }

  /** Resolves when every received request is answered, or after `timeoutMs`. */
  settled(timeoutMs: number): Promise<void> {
    if (this.pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.idle.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
