import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Mnemos } from '../../src/mnemos.js';
import { type ModelServer, startModelServer } from '../support/model-server.js';
import { type ServeChild, startServe } from '../support/serve.js';
import { tempHome } from '../support/temp-home.js';
import { makeDue, sleep } from './cron-support.js';

let home: ReturnType<typeof tempHome> | null = null;
let model: ModelServer | null = null;
let serve: ServeChild | null = null;

afterEach(async () => {
  await serve?.stop();
  await model?.close();
  home?.remove();
  serve = null;
  model = null;
  home = null;
});

describe('mnemos serve with cron enabled', () => {
  it('runs a due job and delivers it, and says so in its log', async () => {
    home = tempHome('mnemos-cron-serve-');
    model = await startModelServer({ defaultReply: { text: 'Good morning from the server.' } });
    writeFileSync(
      join(home.home, 'config.yaml'),
      `extractor: passthrough\nllm:\n  base_url: ${model.url}\n  model: chat-model\n  max_retries: 0\ncron:\n  tick_ms: 200\n`,
    );
    const mnemos = await Mnemos.open({ home: home.home, processJobs: false });
    const owner = { appId: mnemos.config.app_id, tenantId: mnemos.config.tenant_id };
    await mnemos.cron.add(owner, {
      name: 'morning',
      schedule: 'every 1h',
      task: { type: 'prompt', prompt: 'Say good morning.' },
      deliver: ['log', 'file:morning.md'],
    });
    await makeDue(mnemos, owner, 'morning');
    await mnemos.close();

    serve = await startServe(home.home);
    const file = join(home.home, 'morning.md');
    for (let waited = 0; waited < 20_000 && !existsSync(file); waited += 100) await sleep(100);
    expect(readFileSync(file, 'utf8')).toContain('Good morning from the server.');
    for (
      let waited = 0;
      waited < 5_000 && !serve.stderr().includes('"msg":"cron run"');
      waited += 100
    ) {
      await sleep(100);
    }
    expect(serve.stderr()).toContain('"msg":"cron run"');
  }, 60_000);
});
