import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionMessage, ToolResultPart } from '../../src/core/session-record.js';
import { type ChatRequest, type ModelServer, startModelServer } from '../support/model-server.js';
import { baseConfig, call, startTestServer, type TestServer } from './helpers.js';

/**
 * What an agent turn over HTTP leaves in the session: tool calls and results of any size in the
 * transcript (cut at 64 Ki with a marker), rebuilt on the next turn, and no echoed recall block.
 */

let model: ModelServer;
let app: TestServer;
let key = '';
const owner = { appId: 'app', tenantId: 'transcript' };

beforeAll(async () => {
  model = await startModelServer();
  app = await startTestServer({
    config: `${baseConfig}llm:\n  base_url: ${model.url}\n  model: scripted\nagent:\n  toolsets: [memory]\n`,
  });
  key = (await app.mnemos.keys.create({ ...owner, name: 'transcript test' })).key;
});

afterAll(async () => {
  await app?.remove();
  await model?.close();
});

async function newSession(): Promise<string> {
  const created = await call(app.url, key, 'POST', '/v1/sessions', { title: 'tools' });
  expect(created.status, created.text).toBe(201);
  return created.json<{ id: string }>().id;
}

async function turn(sessionId: string, content: string): Promise<{ text: string; reason: string }> {
  const answer = await call(app.url, key, 'POST', `/v1/sessions/${sessionId}/messages`, {
    content,
  });
  expect(answer.status, answer.text).toBe(200);
  return answer.json();
}

async function history(sessionId: string): Promise<SessionMessage[]> {
  const answer = await call(app.url, key, 'GET', `/v1/sessions/${sessionId}/messages`);
  expect(answer.status, answer.text).toBe(200);
  return answer.json<{ messages: SessionMessage[] }>().messages;
}

function toolContents(request: ChatRequest): string[] {
  return (request.messages ?? [])
    .filter((message) => message.role === 'tool')
    .map((message) => String(message.content));
}

describe('agent turns over HTTP keep their tools in the transcript', () => {
  it('completes a turn whose memory_profile result passes 1 KiB; the history holds call, full result and answer, and the next turn gets them back', async () => {
    for (let index = 0; index < 10; index++) {
      await app.mnemos.memories.add({
        scope: owner,
        text: `Memory number ${index}: the user mentioned a detail about their week, their plans and their tea.`,
        sync: true,
      });
    }
    const sessionId = await newSession();
    const seen: string[] = [];
    model.script(
      { toolCalls: [{ id: 'p1', name: 'memory_profile', arguments: {} }] },
      (request) => {
        seen.push(...toolContents(request));
        return { text: 'I know ten things about you.' };
      },
    );
    const done = await turn(sessionId, 'What do you know about me?');
    expect(done).toMatchObject({ text: 'I know ten things about you.', reason: 'answered' });

    const messages = await history(sessionId);
    expect(messages.map((message) => message.role)).toEqual([
      'user',
      'assistant',
      'tool',
      'assistant',
    ]);
    expect(messages[0]!.content).toBe('What do you know about me?');
    expect(messages[1]!.parts).toEqual([
      { type: 'tool-call', toolCallId: 'p1', toolName: 'memory_profile', input: { limit: 10 } },
    ]);
    const result = messages[2]!.parts[0] as ToolResultPart;
    expect(result).toMatchObject({ type: 'tool-result', toolCallId: 'p1', isError: false });
    expect((result.output as { memories: unknown[] }).memories).toHaveLength(10);
    expect(JSON.stringify(result.output).length).toBeGreaterThan(1_024);
    expect(seen).toEqual([JSON.stringify(result.output)]);
    expect(messages[3]).toMatchObject({ content: 'I know ten things about you.', parts: [] });

    let rebuilt: ChatRequest['messages'] = [];
    model.script((request) => {
      rebuilt = request.messages ?? [];
      return { text: 'Still ten.' };
    });
    await turn(sessionId, 'And now?');
    const call = rebuilt.find((message) => message.role === 'assistant' && message.tool_calls);
    expect(JSON.stringify(call?.tool_calls)).toContain('memory_profile');
    const tool = rebuilt.find((message) => message.role === 'tool');
    expect(tool).toMatchObject({ tool_call_id: 'p1', content: JSON.stringify(result.output) });
    expect((await history(sessionId)).map((message) => message.role)).toHaveLength(6);
  });

  it('stores a result over 64 Ki cut, with a marker the model saw too', async () => {
    const sentence = (index: number) =>
      `Long note ${index} keeps going with many words about the garden, the river and the hills. `;
    for (let batch = 0; batch < 4; batch++) {
      const text = Array.from({ length: 300 }, (_, index) => sentence(batch * 300 + index)).join(
        '',
      );
      await app.mnemos.memories.add({ scope: owner, text: text.slice(0, 31_000), sync: true });
    }
    const sessionId = await newSession();
    const seen: string[] = [];
    model.script(
      { toolCalls: [{ id: 'p2', name: 'memory_profile', arguments: { limit: 100 } }] },
      (request) => {
        seen.push(...toolContents(request));
        return { text: 'That is a lot.' };
      },
    );
    expect(await turn(sessionId, 'Show me everything')).toMatchObject({ reason: 'answered' });
    const messages = await history(sessionId);
    const result = messages[2]!.parts[0] as ToolResultPart;
    expect(result.truncatedFrom).toBeGreaterThan(65_536);
    const output = result.output as string;
    expect(output.length).toBeLessThanOrEqual(65_536);
    expect(output).toMatch(
      new RegExp(
        `\\n\\[truncated by Mnemos: ${result.truncatedFrom} characters, the first \\d+ kept\\]$`,
      ),
    );
    expect(output.startsWith('{"profile":')).toBe(true);
    expect(seen).toEqual([output]);
    expect(messages[3]!.content).toBe('That is a lot.');
  });

  it('never stores or syncs a <memory-context> block the model echoes', async () => {
    const sessionId = await newSession();
    const echoed =
      'Your cat is called Nian Gao.\n\n<memory-context>\n[Recalled from long-term memory about this user.]\n- RECALLED-SECRET the cat is Nian Gao\n</memory-context>';
    model.script({ text: echoed });
    const done = await turn(sessionId, 'What is my cat called?');
    expect(done.text).toBe('Your cat is called Nian Gao.');
    const messages = await history(sessionId);
    expect(messages.map((message) => message.content)).toEqual([
      'What is my cat called?',
      'Your cat is called Nian Gao.',
    ]);

    // The turn's sync reaches ingestion: its job input and the memories it made hold no block.
    let texts: string[] = [];
    for (let attempt = 0; attempt < 200; attempt++) {
      await app.mnemos.drain();
      texts = (await app.mnemos.memories.list({ scope: owner, limit: 1000 })).memories.map(
        (memory) => memory.text,
      );
      if (texts.some((text) => text.includes('Nian Gao'))) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(texts).toContain('Your cat is called Nian Gao.');
    const jobs = await app.mnemos.memories.jobs({ scope: owner, limit: 1000 });
    const synced = jobs.filter((job) => JSON.stringify(job.input).includes('Nian Gao'));
    expect(synced.length).toBeGreaterThan(0);
    for (const job of synced) {
      expect(JSON.stringify(job.input)).not.toMatch(/memory-context|RECALLED-SECRET/);
    }
    for (const text of texts) expect(text).not.toMatch(/memory-context|RECALLED-SECRET/);
  });
});
