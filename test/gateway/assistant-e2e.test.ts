import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { dovecotAvailable, type PrivateDovecot, startDovecot } from '../support/dovecot.js';
import { type FakeSmtp, startFakeSmtp } from '../support/fake-smtp.js';
import { type FakeTelegram, startFakeTelegram } from '../support/fake-telegram.js';
import { startGatewayChild, until } from '../support/gateway-child.js';
import { type ChatRequest, type ModelServer, startModelServer } from '../support/model-server.js';
import { type ServeChild, startServe } from '../support/serve.js';
import { tempHome } from '../support/temp-home.js';

// The 24/7 assistant end to end, every part a real process or a server on 127.0.0.1: the built
// CLI runs `mnemos gateway run` (Telegram and email, and the cron scheduler) and a second replica
// `mnemos serve` on the same database; the platforms are the fake Bot API, a real Dovecot and a
// fake SMTP server; the model is the scripted OpenAI-compatible server.

const token = '424242:assistant-e2e_token';
const ada = { id: 4242, is_bot: false, first_name: 'Ada' };
const dm = { id: 4242, type: 'private' };

function allText(request: ChatRequest): string {
  return JSON.stringify(request.messages ?? []);
}

function lastUser(request: ChatRequest): string {
  const last = [...(request.messages ?? [])].reverse().find((message) => message.role === 'user');
  return typeof last?.content === 'string' ? last.content : JSON.stringify(last?.content ?? '');
}

/** The scripted model: extraction keeps "I like …" as a preference; chat answers from what it sees. */
function reply(request: ChatRequest) {
  const system = JSON.stringify(request.messages?.[0]?.content ?? '');
  if (system.includes('You extract')) {
    const liked = /I like ([\w ]+?) tea/u.exec(lastUser(request))?.[1];
    return {
      json: {
        facts: liked ? [{ text: `Ada likes ${liked} tea`, kind: 'preference', salience: 0.8 }] : [],
      },
    };
  }
  if (/reconcile|decisions/u.test(system)) return { json: { decisions: [] } };
  if (system.includes('You maintain the skills')) return { text: 'Nothing to save.' };
  const user = lastUser(request);
  if (user.includes('morning digest'))
    return { text: '**Digest**: 3 new mails, 1 meeting at 10:00.' };
  if (user.includes('What tea')) {
    const tea = /Ada likes ([\w ]+?) tea/u.exec(allText(request))?.[1];
    return { text: tea ? `You like ${tea} tea.` : 'I do not know yet.' };
  }
  return { text: 'Noted.' };
}

const haveDovecot = dovecotAvailable();
if (!haveDovecot)
  console.warn(
    '[assistant e2e] SKIPPED: /usr/sbin/dovecot is missing (apt-get install dovecot-imapd)',
  );

describe.skipIf(!haveDovecot)(
  'the 24/7 assistant: gateway, memory and cron across two replicas',
  () => {
    const home = tempHome('mnemos-assistant-');
    let model: ModelServer;
    let telegram: FakeTelegram;
    let smtp: FakeSmtp;
    let dovecot: PrivateDovecot;
    let gateway: Awaited<ReturnType<typeof startGatewayChild>>;
    let replica: ServeChild;

    beforeAll(async () => {
      model = await startModelServer({ defaultReply: reply });
      telegram = await startFakeTelegram({ token });
      smtp = await startFakeSmtp({ user: 'agent@example.org', password: 'mail-secret' });
      dovecot = await startDovecot([{ user: 'agent@example.org', password: 'mail-secret' }]);
      writeFileSync(
        join(home.home, '.env'),
        `TELEGRAM_BOT_TOKEN=${token}\nEMAIL_PASSWORD=mail-secret\n`,
      );
      writeFileSync(
        join(home.home, 'config.yaml'),
        [
          `llm: { base_url: "${model.url}", model: scripted, max_retries: 0 }`,
          'cron: { tick_ms: 250 }',
          'gateway:',
          '  platforms:',
          '    telegram:',
          '      enabled: true',
          `      api_root: "${telegram.apiRoot}"`,
          '      poll_timeout_s: 1',
          '      home_chat: 4242',
          '    email:',
          '      enabled: true',
          '      address: agent@example.org',
          '      allowed_users: [ada@example.org]',
          `      imap: { host: 127.0.0.1, port: ${dovecot.port}, secure: false }`,
          `      smtp: { host: 127.0.0.1, port: ${smtp.port}, secure: false }`,
          '      poll_interval_s: 1',
          '',
        ].join('\n'),
      );
      gateway = await startGatewayChild(home.home);
      replica = await startServe(home.home);
    }, 90_000);

    afterAll(async () => {
      await replica?.stop();
      await gateway?.stop();
      await Promise.all([model?.close(), telegram?.close(), smtp?.close(), dovecot?.stop()]);
      home.remove();
    });

    const sent = (): string[] => telegram.callsOf('sendMessage').map((call) => call.text ?? '');
    const say = async (text: string): Promise<string> => {
      const before = sent().length;
      telegram.injectMessage({ from: ada, chat: dm, text });
      return until(`a reply to ${JSON.stringify(text)}`, () => sent()[before]);
    };

    it('refuses Ada until the owner pairs her, then remembers her across sessions', async () => {
      const refusal = await say('hi');
      const code = /pairing code is ([A-Z2-9]{8})/u.exec(refusal)?.[1];
      expect(code, refusal).toBeDefined();
      expect(model.requestsTo('/v1/chat/completions')).toHaveLength(0);

      const paired = await runCli(['--json', 'gateway', 'pair', code!, '--as', 'ada'], {
        home: home.home,
      });
      expect(paired.code, paired.stderr).toBe(0);

      expect(await say('I like oolong tea')).toBe('Noted.');
      // The turn's memory is extracted in the gateway's process; wait until it is stored.
      await until('the preference in long-term memory', async () => {
        const listed = await runCli(['--json', 'mem', 'list', '--tenant', 'ada', '--agent', '*'], {
          home: home.home,
        });
        return listed.stdout.includes('Ada likes oolong tea') ? true : undefined;
      });
      expect(await say('/new')).toMatch(/new conversation/iu);
      // A fresh session: only long-term memory can tell the model.
      expect(await say('What tea do I like?')).toBe('You like oolong tea.');
    }, 90_000);

    it('runs a digest every second once per slot, delivered to Telegram and by email', async () => {
      const added = await runCli(
        [
          '--json',
          'cron',
          'add',
          'every 1s',
          'Write my morning digest',
          '--name',
          'digest',
          '--tenant',
          'ada',
          '--deliver',
          'telegram:4242,email:ada@example.org',
        ],
        { home: home.home },
      );
      expect(added.code, added.stderr).toBe(0);
      const digests = () => sent().filter((text) => text.includes('3 new mails'));
      await until('three digests in the chat', () => (digests().length >= 3 ? true : undefined));
      await until('three digests by email', () =>
        smtp.received.filter((mail) => mail.parsed.text?.includes('3 new mails')).length >= 3
          ? true
          : undefined,
      );
      const paused = await runCli(['cron', 'pause', 'digest', '--tenant', 'ada'], {
        home: home.home,
      });
      expect(paused.code, paused.stderr).toBe(0);
      type Run = { scheduledFor: string; worker: string; status: string };
      const runs = await until('the last run to finish', async () => {
        const history = await runCli(
          ['--json', 'cron', 'history', 'digest', '--tenant', 'ada', '--limit', '1000'],
          { home: home.home },
        );
        const all = history.json<{ runs: Run[] }>().runs;
        return all.some((run) => run.status === 'running') ? undefined : all;
      });
      const ran = runs.filter((run) => run.status !== 'skipped');
      expect(ran.length).toBeGreaterThanOrEqual(3);
      expect(ran.every((run) => run.status === 'ok')).toBe(true);
      // Each slot ran once, and only on the replica running the gateway: the one that reaches the chat.
      const slots = ran.map((run) => run.scheduledFor);
      expect(new Set(slots).size).toBe(slots.length);
      for (const run of ran) expect(run.worker).toContain(`:${gateway.child.pid}:`);
      await until('every run delivered', () =>
        digests().length === ran.length ? true : undefined,
      );
      const mails = smtp.received.filter((mail) => mail.parsed.text?.includes('3 new mails'));
      expect(mails[0]!.envelope.to).toEqual(['ada@example.org']);
      expect(mails[0]!.parsed.subject).toContain('digest');
    }, 90_000);
  },
);
