/**
 * A stand-in for Telegram: a local Bot API server (the fake the tests use, speaking the real HTTP
 * protocol grammY talks) plus a small control API to play the user. Nothing here reaches Telegram.
 *
 *   POST /say   body: the text Ada sends to the bot; answers with the bot's reply (waits up to 60 s)
 *   GET  /chat  everything the bot has sent, oldest first, one message per paragraph
 */
import { type ServerType, serve } from '@hono/node-server';
import { Hono } from 'hono';
import { type FakeTelegram, startFakeTelegram } from '../test/support/fake-telegram.js';

/** The bot token the stand-in accepts (the walk-through exports it as TELEGRAM_BOT_TOKEN). */
export const standInBotToken = '424242:stand-in-token';

/** The user the control API speaks as: Telegram user and chat 4242. */
const ada = { id: 4242, is_bot: false, first_name: 'Ada' };

/** The fake Bot API and its control API, started; `stop` closes both. */
export interface ChatStandIn {
  /** Bot API root for `gateway.platforms.telegram.api_root`. */
  apiRoot: string;
  /** Control API (`/say`, `/chat`). */
  controlUrl: string;
  telegram: FakeTelegram;
  stop(): Promise<void>;
}

/** Starts the Telegram stand-in on `ports` (0: any free port). */
export async function startChatStandIn(
  ports: { api?: number; control?: number } = {},
): Promise<ChatStandIn> {
  const telegram = await startFakeTelegram({
    token: standInBotToken,
    username: 'mnemos_assistant_bot',
    ...(ports.api !== undefined ? { port: ports.api } : {}),
  });
  const sent = (): string[] => telegram.callsOf('sendMessage').map((call) => call.text ?? '');
  const app = new Hono();
  app.post('/say', async (c) => {
    const text = (await c.req.text()).trim();
    if (text === '') return c.text('say something: the body is the message\n', 400);
    const before = sent().length;
    telegram.injectMessage({ from: ada, chat: { id: ada.id, type: 'private' }, text });
    const deadline = Date.now() + 60_000;
    while (sent().length === before && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const reply = sent().slice(before).join('\n\n');
    return reply === ''
      ? c.text('(no reply within 60 s: is `mnemos gateway run` running?)\n', 504)
      : c.text(`${reply}\n`);
  });
  app.get('/chat', (c) => c.text(`${sent().join('\n\n')}\n`));
  const control: ServerType = await new Promise((resolve) => {
    const started = serve(
      { fetch: app.fetch, hostname: '127.0.0.1', port: ports.control ?? 0 },
      () => resolve(started),
    );
  });
  const address = control.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    apiRoot: telegram.apiRoot,
    controlUrl: `http://127.0.0.1:${port}`,
    telegram,
    stop: async () => {
      await new Promise<void>((resolve) => control.close(() => resolve()));
      await telegram.close();
    },
  };
}
