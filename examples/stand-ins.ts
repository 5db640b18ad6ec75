/**
 * Local stand-ins for the example: a scripted model (OpenAI wire protocol) and the ACME orders API
 * (which serves its own OpenAPI document). Nothing here is a real model: the replies are rules on
 * the request, so the walk-through in examples/README.md runs offline and the same every time.
 *
 *   npx tsx examples/stand-ins.ts   # model :8700, orders API :8701, Telegram :8702 (+ chat :8703)
 */
import { type ServerType, serve } from '@hono/node-server';
import { Hono } from 'hono';
import {
  type ChatRequest,
  type ScriptedReply,
  startModelServer,
} from '../test/support/model-server.js';
import { standInBotToken, startChatStandIn } from './chat-stand-in.js';

/** Orders the stand-in API knows. */
const orders: Record<string, { id: string; status: string; carrier: string; eta: string }> = {
  '12345': { id: '12345', status: 'shipped', carrier: 'SF Express', eta: '2026-12-04' },
  '67890': { id: '67890', status: 'processing', carrier: 'pending', eta: '2026-12-09' },
};

/** The orders API's own OpenAPI 3 document. */
function ordersDocument(origin: string): unknown {
  return {
    openapi: '3.0.3',
    info: { title: 'ACME orders', version: '1.0.0' },
    servers: [{ url: origin }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    },
    security: [{ bearer: [] }],
    paths: {
      '/orders/{id}': {
        get: {
          operationId: 'get_order',
          summary: 'Look up an order by its number: status, carrier and expected delivery date.',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { '200': { description: 'The order' }, '404': { description: 'Unknown' } },
        },
      },
    },
  };
}

/** The ACME orders API: bearer token required, as a real one would. */
export function ordersApi(
  token: string,
  origin: () => string,
  onOrder: () => void = () => {},
): Hono {
  const app = new Hono();
  app.get('/openapi.json', (c) => c.json(ordersDocument(origin()) as object));
  app.get('/orders/:id', (c) => {
    onOrder();
    if (c.req.header('authorization') !== `Bearer ${token}`) {
      return c.json({ error: 'missing or wrong bearer token' }, 401);
    }
    const order = orders[c.req.param('id')];
    return order ? c.json(order) : c.json({ error: `no order ${c.req.param('id')}` }, 404);
  });
  return app;
}

function text(content: unknown): string {
  if (typeof content === 'string') return content;
  return JSON.stringify(content ?? '');
}

/** The scripted model's rules: extraction, the support agent, and the research team's roles. */
export function scriptedReply(request: ChatRequest): ScriptedReply {
  const messages = request.messages ?? [];
  const system = text(messages[0]?.role === 'system' ? messages[0].content : '');
  const last = messages.at(-1);
  const lastUser = text(messages.filter((message) => message.role === 'user').at(-1)?.content);
  if (system.startsWith('You extract')) {
    // The assistant walk-through: "I like oolong tea" is worth remembering.
    const liked = /I like ([\w ]+?) tea/u.exec(lastUser)?.[1];
    return {
      json: {
        facts: liked
          ? [{ text: `The user likes ${liked} tea`, kind: 'preference', salience: 0.8 }]
          : [],
      },
    };
  }
  if (/reconcile|decisions/.test(system)) return { json: { decisions: [] } };
  if (system.startsWith('You maintain the skills')) return { text: 'Nothing to save.' };
  if (system.includes('ACME')) {
    if (last?.role === 'tool') {
      const result = text(last.content);
      const order = /"id":"(\d+)".*"status":"(\w+)".*"carrier":"([^"]+)".*"eta":"([\d-]+)"/.exec(
        result.replaceAll('\\"', '"'),
      );
      return order
        ? {
            text: `Order ${order[1]} is ${order[2]} with ${order[3]}; expected delivery ${order[4]}.`,
          }
        : { text: `I could not find that order (${result.slice(0, 120)}).` };
    }
    const id = /\d{4,}/.exec(lastUser)?.[0];
    if (id) return { toolCalls: [{ name: 'orders_get_order', arguments: { id } }] };
    return { text: 'I can look up an ACME order for you: what is its number?' };
  }
  const assistant = assistantReply(messages, lastUser);
  if (assistant) return assistant;
  const role = /^You are the (\w+)/.exec(system)?.[1];
  const topic = /topic: (.+)/.exec(lastUser)?.[1] ?? lastUser.split('\n')[0] ?? '';
  switch (role) {
    case 'planner':
      return { text: `PLAN for "${topic}":\n1. Survey recent work.\n2. Compare approaches.` };
    case 'searcher':
      return { text: `FINDINGS on "${topic}": memory layers, tool protocols, multi-agent flows.` };
    case 'analyst':
      return {
        text: `ANALYSIS of "${topic}": memory-first designs beat stateless ones on recall.`,
      };
    case 'critic':
      return { text: 'Checked the findings against the plan. APPROVED' };
    case 'writer':
      return { text: `REPORT: ${topic}. Agents gained memory, tools and teams.` };
    default:
      return { text: 'ok' };
  }
}

/** The 24/7 assistant's rules: the morning digest, and answers from what recall put in the prompt. */
function assistantReply(messages: ChatRequest['messages'], lastUser: string): ScriptedReply | null {
  if (lastUser.includes('morning digest')) {
    return { text: '**Morning digest**: 3 new mails, 1 meeting at 10:00, rain after 16:00.' };
  }
  if (/what tea/iu.test(lastUser)) {
    const tea = /The user likes ([\w ]+?) tea/u.exec(JSON.stringify(messages ?? []))?.[1];
    return { text: tea ? `You like ${tea} tea.` : 'I do not know yet: tell me!' };
  }
  if (/I like [\w ]+ tea/u.test(lastUser)) return { text: 'Noted.' };
  return null;
}

/** Starts both stand-ins; returns their addresses and a stop function. */
export async function startStandIns(ports: { model?: number; orders?: number } = {}): Promise<{
  modelUrl: string;
  ordersUrl: string;
  /** Order lookups the API has answered. */
  orderRequests: () => number;
  stop: () => Promise<void>;
}> {
  const model = await startModelServer({
    ...(ports.model !== undefined ? { port: ports.model } : {}),
    defaultReply: scriptedReply,
  });
  let ordersOrigin = '';
  const token = process.env.ORDER_API_TOKEN ?? 'demo-token';
  let lookups = 0;
  const api = ordersApi(
    token,
    () => ordersOrigin,
    () => lookups++,
  );
  const server: ServerType = await new Promise((resolve) => {
    const started = serve(
      { fetch: api.fetch, hostname: '127.0.0.1', port: ports.orders ?? 0 },
      () => resolve(started),
    );
  });
  const address = server.address();
  ordersOrigin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return {
    modelUrl: model.url,
    ordersUrl: ordersOrigin,
    orderRequests: () => lookups,
    stop: async () => {
      await model.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const isMain = process.argv[1]?.endsWith('stand-ins.ts');
if (isMain) {
  const running = await startStandIns({
    model: Number(process.env.STANDIN_MODEL_PORT ?? 8700),
    orders: Number(process.env.STANDIN_ORDERS_PORT ?? 8701),
  });
  console.log(`scripted model: ${running.modelUrl}`);
  console.log(`ACME orders API: ${running.ordersUrl} (spec at /openapi.json)`);
  const chat = await startChatStandIn({
    api: Number(process.env.STANDIN_TELEGRAM_PORT ?? 8702),
    control: Number(process.env.STANDIN_CHAT_PORT ?? 8703),
  });
  console.log(`Telegram Bot API: ${chat.apiRoot} (token ${standInBotToken})`);
  console.log(`chat as Ada: POST ${chat.controlUrl}/say, GET ${chat.controlUrl}/chat`);
  const stop = (): void => {
    void Promise.all([running.stop(), chat.stop()]).then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
