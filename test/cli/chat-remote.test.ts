import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliFor, makeHome, removeHomes } from '../support/cli.js';
import { startTestService, type TestService } from '../support/http-service.js';
import type { ChatRequest } from '../support/model-server.js';

let service: TestService;

beforeAll(async () => {
  service = await startTestService();
});
afterAll(async () => {
  await service.close();
  removeHomes();
});

/** A machine of its own: a home whose agent keeps its long-term memory in the shared service. */
function machine(agent: string): ReturnType<typeof cliFor> {
  const home = makeHome();
  writeFileSync(
    join(home, 'config.yaml'),
    `agent_id: ${agent}\nllm:\n  base_url: ${service.model.url}\n  model: chat-model\nagent:\n  memory_service:\n    url: ${service.server.url}\n`,
  );
  return cliFor(home);
}

describe('mnemos chat with agent.memory_service', () => {
  it('shares what one machine learns with another through the service', async () => {
    const env = { MNEMOS_API_KEY: service.keys.alice };
    const laptop = machine('laptop');
    const server = machine('server');
    service.chat.push({ text: '记住了。' });
    const first = await laptop(['chat', '-q', '我们的生产数据库是 PostgreSQL 16'], { env });
    expect(first.code, first.stderr).toBe(0);
    await service.mnemos.drain();
    const stored = await service.mnemos.memories.list({
      scope: { appId: 'app', tenantId: 'alice' },
    });
    expect(stored.memories.map((memory) => [memory.text, memory.scope.agentId])).toContainEqual([
      '我们的生产数据库是 PostgreSQL 16',
      'laptop',
    ]);
    service.chat.push({ text: 'PostgreSQL 16。' });
    const second = await server(['chat', '-q', '生产数据库是什么版本？'], { env });
    expect(second.code, second.stderr).toBe(0);
    const requests = service.model
      .requestsTo('/v1/chat/completions')
      .map((request) => request.body as ChatRequest);
    const last = requests
      .filter((request) => JSON.stringify(request.messages?.[0]).includes('You are Mnemos'))
      .at(-1)!;
    const user = (last.messages ?? []).filter((message) => message.role === 'user').at(-1)?.content;
    expect(String(user)).toContain('<memory-context>');
    expect(String(user)).toContain('PostgreSQL 16');
    // Another tenant's key recalls nothing of alice's.
    service.chat.push({ text: '不知道。' });
    await machine('other')(['chat', '-q', '生产数据库是什么版本？'], {
      env: { MNEMOS_API_KEY: service.keys.bob },
    });
    const bobs = service.model
      .requestsTo('/v1/chat/completions')
      .map((request) => request.body as ChatRequest)
      .at(-1)!;
    expect(JSON.stringify(bobs.messages)).not.toContain('PostgreSQL 16');
  });

  it('asks for the API key when it is missing', async () => {
    const result = await machine('laptop')(['chat', '-q', 'hi']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('MNEMOS_API_KEY');
  });
});
