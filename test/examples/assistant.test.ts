import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ChatStandIn,
  standInBotToken,
  startChatStandIn,
} from '../../examples/chat-stand-in.js';
import { startStandIns } from '../../examples/stand-ins.js';
import { runCli } from '../support/cli.js';
import { type GatewayChild, startGatewayChild, until } from '../support/gateway-child.js';
import { tempHome } from '../support/temp-home.js';

/** examples/README.md, "The 24/7 assistant", step by step against the stand-ins. */
let standIns: Awaited<ReturnType<typeof startStandIns>>;
let chat: ChatStandIn;
let gateway: GatewayChild;
let home: ReturnType<typeof tempHome>;
const env = { TELEGRAM_BOT_TOKEN: standInBotToken };

/** What `curl -s -X POST localhost:8703/say -d TEXT` prints. */
async function say(text: string): Promise<string> {
  const response = await fetch(`${chat.controlUrl}/say`, { method: 'POST', body: text });
  expect(response.status).toBe(200);
  return (await response.text()).trim();
}

beforeAll(async () => {
  standIns = await startStandIns();
  chat = await startChatStandIn();
  home = tempHome('mnemos-assistant-example-');
  cpSync(new URL('../../examples/assistant', import.meta.url), home.home, { recursive: true });
  // The example names the stand-ins' default ports; these run on ephemeral ones.
  const config = join(home.home, 'config.yaml');
  writeFileSync(
    config,
    readFileSync(config, 'utf8')
      .replaceAll('127.0.0.1:8700', new URL(standIns.modelUrl).host)
      .replaceAll('http://127.0.0.1:8702', chat.apiRoot),
  );
  gateway = await startGatewayChild(home.home, env);
}, 60_000);
afterAll(async () => {
  await gateway?.stop();
  await chat?.stop();
  await standIns?.stop();
  home.remove();
});

describe('the 24/7 assistant walk-through', () => {
  it('pairs Ada, remembers what she likes across sessions, and sends her the digest', async () => {
    const refusal = await say('hi');
    const code = /pairing code is ([A-Z2-9]{8})/u.exec(refusal)?.[1];
    expect(code, refusal).toBeDefined();
    const paired = await runCli(['gateway', 'pair', code!, '--as', 'ada'], {
      home: home.home,
      env,
    });
    expect(paired.code, paired.stderr).toBe(0);

    expect(await say('I like oolong tea')).toBe('Noted.');
    await until('the preference stored', async () => {
      const listed = await runCli(['--json', 'mem', 'list', '--tenant', 'ada', '--agent', '*'], {
        home: home.home,
      });
      return listed.stdout.includes('The user likes oolong tea') ? true : undefined;
    });
    expect(await say('/new')).toMatch(/new conversation/iu);
    expect(await say('What tea do I like?')).toBe('You like oolong tea.');

    const added = await runCli(
      [
        'cron',
        'add',
        '0 8 * * *',
        'Write my morning digest',
        '--name',
        'digest',
        '--tz',
        'Asia/Shanghai',
        '--tenant',
        'ada',
        '--deliver',
        'telegram',
      ],
      { home: home.home },
    );
    expect(added.code, added.stderr).toBe(0);
    // `cron run` makes it due; the gateway's process runs it (it reaches the chat) and it waits.
    const run = await runCli(['cron', 'run', 'digest', '--tenant', 'ada'], {
      home: home.home,
      timeoutMs: 60_000,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('ok');
    expect(run.stdout).toContain('Morning digest');
    const seen = await (await fetch(`${chat.controlUrl}/chat`)).text();
    // The title once, as the message's bold first line, then the reply.
    expect(seen.match(/Cronjob Response: digest/gu)).toHaveLength(1);
    expect(seen).toContain('3 new mails');
  }, 120_000);
});
