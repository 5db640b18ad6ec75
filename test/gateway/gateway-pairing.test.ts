import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Mnemos } from '../../src/mnemos.js';
import { runCli } from '../support/cli.js';
import { type ModelServer, startModelServer } from '../support/model-server.js';
import { tempHome } from '../support/temp-home.js';
import { gatewayConfig, lastUserText, openEngine, startGateway } from './gateway-support.js';

let server: ModelServer;
beforeAll(async () => {
  server = await startModelServer({
    defaultReply: (request) => ({ text: `echo: ${lastUserText(request)}` }),
  });
});
afterAll(async () => {
  await server.close();
});

let home: ReturnType<typeof tempHome>;
let mnemos: Mnemos;
beforeEach(async () => {
  home = tempHome('mnemos-gateway-pair-');
  server.reset();
  mnemos = await openEngine(home.home, server);
});
afterEach(async () => {
  await mnemos.close();
  home.remove();
});

/** The code in a pairing reply. */
function codeIn(text: string): string {
  const code = /pairing code is ([A-Z2-9]{8})/.exec(text)?.[1];
  if (!code) throw new Error(`no code in ${JSON.stringify(text)}`);
  return code;
}

describe('gateway pairing', () => {
  it('refuses an unknown user with a code; after `mnemos gateway pair CODE` they are answered', async () => {
    const { adapters } = await startGateway(mnemos, gatewayConfig());
    const [telegram] = adapters;
    await telegram!.push({ userId: '777', userName: 'Mei', text: 'hi' });
    expect(telegram!.texts).toHaveLength(1);
    expect(telegram!.texts[0]).toContain('ask the owner to run `mnemos gateway pair ');
    const code = codeIn(telegram!.texts[0]!);
    expect(server.requestsTo('/v1/chat/completions')).toHaveLength(0);
    await telegram!.push({ userId: '777', text: 'hello?' });
    expect(telegram!.texts[1]).toContain('already sent');
    expect(telegram!.texts[1]).not.toContain(code);
    await telegram!.push({ userId: '777', text: 'hello??' });
    expect(telegram!.texts).toHaveLength(2);

    const status = await runCli(['--json', 'gateway', 'status'], { home: home.home });
    expect(status.json<{ pending: Array<Record<string, string>> }>().pending).toEqual([
      expect.objectContaining({ account: 'telegram:777', user_name: 'Mei' }),
    ]);
    expect(status.stdout).not.toContain(code);

    const wrong = await runCli(['--json', 'gateway', 'pair', 'AAAAAAAA'], { home: home.home });
    expect(wrong.code).toBe(2);
    expect(wrong.errorJson().error.code).toBe('not_found');
    const paired = await runCli(['--json', 'gateway', 'pair', code, '--as', 'mei'], {
      home: home.home,
    });
    expect(paired.code, paired.stderr).toBe(0);
    expect(paired.json<{ account: Record<string, string> }>().account).toMatchObject({
      account: 'telegram:777',
      tenant_id: 'mei',
      approved_by: 'pairing',
      status: 'approved',
    });
    await telegram!.push({ userId: '777', text: 'now?' });
    expect(telegram!.texts[2]).toBe('echo: now?');
    const accounts = await runCli(['--json', 'gateway', 'accounts'], { home: home.home });
    expect(accounts.json<{ count: number }>().count).toBe(1);
  });

  it('emails from unknown senders get a code only when platforms.email.pairing is on', async () => {
    const off = await startGateway(mnemos, gatewayConfig(), ['email']);
    await off.adapters[0]!.push({ userId: 'x@example.com', text: 'hi' });
    expect(off.adapters[0]!.sent).toEqual([]);
    await off.gateway.stop();
    const on = await startGateway(
      mnemos,
      gatewayConfig({ platforms: { email: { pairing: true } } }),
      ['email'],
    );
    await on.adapters[0]!.push({ userId: 'x@example.com', text: 'hi' });
    expect(on.adapters[0]!.texts[0]).toContain('mnemos gateway pair');
  });
});
