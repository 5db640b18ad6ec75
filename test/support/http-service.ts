/**
 * A real Mnemos HTTP service for client tests: the engine on a temporary home, `startServer` on an
 * ephemeral port, API keys made with `mnemos.keys.create`, and a scripted model server for the
 * agent's chat and for extraction (routed by system prompt, as `src/agent/agent.test.ts` does).
 */
import { jsonLogger } from '../../src/http/logger.js';
import { type RunningServer, startServer } from '../../src/http/server.js';
import { Mnemos } from '../../src/mnemos.js';
import {
  type ChatRequest,
  type ModelServer,
  type ScriptedReply,
  startModelServer,
} from './model-server.js';
import { tempHome } from './temp-home.js';

/** A running service and what a test drives it with. */
export interface TestService {
  mnemos: Mnemos;
  server: RunningServer;
  model: ModelServer;
  /** Replies of the agent's chat calls, in order; `好的。` when empty. */
  chat: ScriptedReply[];
  home: string;
  /** Secrets: an admin key (app `app`, tenant `ops`) and tenant keys of `alice` and `bob`. */
  keys: { admin: string; alice: string; bob: string };
  /** Stops the HTTP server and closes the engine; the home stays. */
  stop(): Promise<void>;
  /** Opens the engine on the same home again and listens on the same port. */
  restart(): Promise<void>;
  /** Stops everything and removes the home. */
  close(): Promise<void>;
}

function systemPrompt(request: ChatRequest): string {
  const first = request.messages?.[0];
  return first?.role === 'system' && typeof first.content === 'string' ? first.content : '';
}

/** Extraction: one fact per user line of the batch, with the user's own words. */
function extract(request: ChatRequest): ScriptedReply {
  const users = (request.messages ?? []).filter((message) => message.role === 'user');
  const prompt = users.at(-1)?.content;
  const lines = (typeof prompt === 'string' ? prompt : '')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { role: string; text: string })
    .filter((line) => line.role === 'user');
  return {
    json: {
      facts: lines.map((line) => ({ text: line.text, kind: 'fact', salience: 0.8, sources: [0] })),
    },
  };
}

/** Starts the model server, the engine and the HTTP API. */
export async function startTestService(): Promise<TestService> {
  const chat: ScriptedReply[] = [];
  const model = await startModelServer({
    defaultReply: (request) => {
      const prompt = systemPrompt(request);
      if (prompt.startsWith('You extract')) return extract(request);
      if (prompt.startsWith('Summarise the conversation')) return { text: '- earlier: small talk' };
      if (prompt.startsWith("You keep a user's long-term memory"))
        return { json: { decisions: [] } };
      return chat.shift() ?? { text: '好的。' };
    },
  });
  const temp = tempHome('mnemos-client-');
  const open = (): Promise<Mnemos> =>
    Mnemos.open({
      home: temp.home,
      config: {
        llm: { base_url: model.url, model: 'm', max_retries: 0 },
        agent: { toolsets: ['memory', 'session_search'] },
        ingest: { retry_base_ms: 10 },
      },
    });
  const listen = (mnemos: Mnemos, port: number): Promise<RunningServer> =>
    startServer(mnemos, { port, log: jsonLogger(process.stderr, true), rateLimitPerMinute: 0 });

  const mnemos = await open();
  const server = await listen(mnemos, 0);
  let running = true;
  const key = async (tenantId: string, admin = false): Promise<string> =>
    (await mnemos.keys.create({ appId: 'app', tenantId, admin, name: `test ${tenantId}` })).key;
  const service: TestService = {
    mnemos,
    server,
    model,
    chat,
    home: temp.home,
    keys: { admin: await key('ops', true), alice: await key('alice'), bob: await key('bob') },
    async stop() {
      if (!running) return;
      running = false;
      await service.server.stop(1_000);
      await service.mnemos.close();
    },
    async restart() {
      service.mnemos = await open();
      service.server = await listen(service.mnemos, server.port);
      running = true;
    },
    async close() {
      await service.stop();
      await model.close();
      temp.remove();
    },
  };
  return service;
}
