import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SessionMessage, ToolResultPart } from '../../src/core/session-record.js';
import { cliFor, cliPath, makeHome, removeHomes } from '../support/cli.js';
import {
  type ChatRequest,
  type ModelServer,
  type ScriptedReply,
  startModelServer,
} from '../support/model-server.js';

let server: ModelServer;
/** Replies of agent chat calls, in order; others (extraction) are routed. */
const replies: Array<ScriptedReply | ((request: ChatRequest) => ScriptedReply)> = [];

function system(request: ChatRequest): string {
  const first = request.messages?.[0];
  return first?.role === 'system' && typeof first.content === 'string' ? first.content : '';
}

function lastUser(request: ChatRequest): string {
  const content = (request.messages ?? [])
    .filter((message) => message.role === 'user')
    .at(-1)?.content;
  return typeof content === 'string' ? content : JSON.stringify(content ?? '');
}

beforeAll(async () => {
  server = await startModelServer({
    defaultReply: (request) => {
      const prompt = system(request);
      if (prompt.startsWith('You extract')) {
        const facts = lastUser(request)
          .split('\n')
          .filter((line) => line.startsWith('{"n"'))
          .map((line) => JSON.parse(line) as { role: string; text: string })
          .filter((line) => line.role === 'user')
          .map((line) => ({ text: `用户说：${line.text}`, kind: 'fact', salience: 0.8 }));
        return { json: { facts } };
      }
      if (!prompt.startsWith('You are Mnemos')) return { json: { decisions: [] } };
      const next = replies.shift();
      if (!next) return { text: `echo: ${lastUser(request).split('\n')[0]}` };
      return typeof next === 'function' ? next(request) : next;
    },
  });
});
beforeEach(() => {
  server.reset();
  replies.length = 0;
});
afterAll(async () => {
  await server.close();
  removeHomes();
});

/** The scripted server as the user's Ollama, found through OLLAMA_HOST like a real one. */
function env(): Record<string, string> {
  return { OLLAMA_HOST: new URL(server.url).host };
}

function agentRequests(): ChatRequest[] {
  return server
    .requestsTo('/v1/chat/completions')
    .map((request) => request.body as ChatRequest)
    .filter((request) => system(request).startsWith('You are Mnemos'));
}

describe('mnemos chat', () => {
  it('remembers, in a new session, something said in an earlier one, on the first turn it matters', async () => {
    const cli = cliFor(makeHome());
    replies.push({ text: '好的，记住了：你最喜欢龙井茶。' });
    const first = await cli(['chat', '-q', '我叫李雷，我最喜欢喝龙井茶'], { env: env() });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('好的，记住了');
    replies.push((request) => ({
      text: lastUser(request).includes('龙井茶') ? '你最喜欢龙井茶。' : '我不知道。',
    }));
    const second = await cli(['chat', '-q', '我最喜欢喝什么茶？', '--json'], { env: env() });
    expect(second.code, second.stderr).toBe(0);
    const answer = second.json<{ text: string; session: string; usage: { inputTokens: number } }>();
    expect(answer.text).toBe('你最喜欢龙井茶。');
    expect(answer.usage.inputTokens).toBeGreaterThan(0);
    const request = agentRequests().at(-1)!;
    expect(lastUser(request)).toMatch(
      /^我最喜欢喝什么茶？\n\n<memory-context>[\s\S]*龙井茶[\s\S]*<\/memory-context>$/,
    );
    // Two separate sessions.
    const sessions = await cli(['sessions', 'list', '--json']);
    expect(sessions.json<{ count: number }>().count).toBe(2);
  });

  it('runs the REPL with its slash commands and a short chat', async () => {
    const cli = cliFor(makeHome());
    replies.push({ text: '你好，李雷！' });
    const input = [
      '/help',
      '/tools',
      '你好，我是李雷',
      '/remember 我养了一只猫叫年糕',
      '/memories',
      '/history',
      '/sessions',
      '/new',
      '/history',
      '/model',
      '/nonsense',
      '/quit',
      '',
    ].join('\n');
    const result = await cli(['chat'], { env: env(), input });
    expect(result.code, result.stderr).toBe(0);
    const out = result.stdout;
    expect(out).toContain('/remember <text>');
    for (const tool of [
      'memory_search',
      'memory_remember',
      'memory_forget',
      'memory_profile',
      'memory',
      'session_search',
      'read_file',
      'terminal',
      'web_fetch',
      'todo',
    ]) {
      expect(out).toMatch(new RegExp(`^${tool}\\s`, 'm'));
    }
    expect(out).toContain('你好，李雷！');
    expect(out).toMatch(/remembered \(/);
    expect(out).toContain('我养了一只猫叫年糕');
    expect(out).toContain('user: 你好，我是李雷');
    expect(out).toMatch(/new session [0-9a-f-]{36}/);
    expect(out).toContain('no messages in this session yet');
    expect(out).toContain('primary  ollama/qwen2.5:7b (native)');
    expect(out).toContain('unknown command /nonsense');
  });

  it('cancels a slow answer on Ctrl-C and keeps going', async () => {
    const home = makeHome();
    server.delayNext(1, 10_000, { path: '/v1/chat/completions' });
    const child = spawn(process.execPath, [cliPath, 'chat'], {
      env: { ...process.env, ...env(), MNEMOS_HOME: home, NO_COLOR: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stdin.write('tell me a long story\n');
    await waitFor(() => server.requestsTo('/v1/chat/completions').length > 0);
    const started = performance.now();
    child.kill('SIGINT');
    await waitFor(() => out.includes('(cancelled)'));
    expect(performance.now() - started).toBeLessThan(5_000);
    replies.push({ text: 'still here' });
    child.stdin.write('are you there?\n/quit\n');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect(out).toContain('still here');
  });

  it('refuses a dangerous command from the model when nobody can confirm, and the model sees why', async () => {
    const cli = cliFor(makeHome());
    replies.push(
      { toolCalls: [{ id: 't1', name: 'terminal', arguments: { command: 'sudo rm -rf /' } }] },
      (request) => {
        const tool = (request.messages ?? []).find((message) => message.role === 'tool');
        return { text: `tool said: ${JSON.stringify(tool?.content)}` };
      },
    );
    const result = await cli(['chat', '-q', 'clean up my disk'], { env: env() });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('✗ terminal');
    expect(result.stdout).toMatch(/tool said: .*(refus|confirm)/i);
  });

  it('keeps profiles apart (-p) and is configured by mnemos setup', async () => {
    const home = makeHome();
    const cli = cliFor(home);
    const setup = await cli([
      '-p',
      'work',
      'setup',
      '--provider',
      'ollama',
      '--model',
      'qwen2.5:14b',
      '--yes',
    ]);
    expect(setup.code, setup.stderr).toBe(0);
    expect(readFileSync(join(home, 'profiles', 'work', 'config.yaml'), 'utf8')).toContain(
      'model: qwen2.5:14b',
    );
    replies.push({ text: 'noted' });
    expect((await cli(['-p', 'work', 'chat', '-q', 'I use Go at work'], { env: env() })).code).toBe(
      0,
    );
    expect((agentRequests().at(-1) as ChatRequest).model).toBe('qwen2.5:14b');
    const work = await cli(['-p', 'work', 'mem', 'list', '--json']);
    const personal = await cli(['mem', 'list', '--json']);
    expect(work.json<{ total: number }>().total).toBe(1);
    expect(personal.json<{ total: number }>().total).toBe(0);
    const bad = await cli(['-p', '../x', 'status']);
    expect(bad.code).toBe(2);
  });

  it('continues a session with --resume and /load', async () => {
    const cli = cliFor(makeHome());
    replies.push({ text: '第一个回答' });
    const first = (await cli(['chat', '-q', '第一个问题', '--json'], { env: env() })).json<{
      session: string;
    }>();
    replies.push({ text: '第二个回答' });
    const resumed = await cli(['chat', '--resume', first.session, '-q', '第二个问题', '--json'], {
      env: env(),
    });
    expect(resumed.json<{ session: string }>().session).toBe(first.session);
    const contents = (agentRequests().at(-1)!.messages ?? []).map((message) => message.content);
    expect(contents).toContain('第一个问题');
    expect(contents).toContain('第一个回答');
    const repl = await cli(['chat'], {
      env: env(),
      input: `/load ${first.session}\n/history\n/quit\n`,
    });
    expect(repl.stdout).toContain(`continuing session ${first.session} (4 messages)`);
    expect(repl.stdout).toContain('assistant: 第二个回答');
    const missing = await cli(['chat', '--resume', 'no-such-session', '-q', 'x'], { env: env() });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no-such-session');
  });

  it('keeps a turn whose tool results pass 1 KiB and the 64 Ki cap: the transcript holds call, result (cut with a marker) and answer, and --resume rebuilds them', async () => {
    const home = makeHome();
    const cli = cliFor(home);
    const workspace = join(home, 'workspace');
    mkdirSync(workspace);
    const notes = Array.from(
      { length: 60 },
      (_, index) => `笔记 ${index}: the user likes tea`,
    ).join('\n');
    const huge = 'a line of a very large log file\n'.repeat(3_000);
    writeFileSync(join(workspace, 'notes.txt'), notes);
    writeFileSync(join(workspace, 'huge.log'), huge);
    writeFileSync(join(home, 'config.yaml'), `agent:\n  workspace: ${JSON.stringify(workspace)}\n`);
    const seen: string[] = [];
    replies.push(
      {
        toolCalls: [
          { id: 'r1', name: 'read_file', arguments: { path: 'notes.txt' } },
          { id: 'r2', name: 'read_file', arguments: { path: 'huge.log' } },
        ],
      },
      (request) => {
        for (const message of request.messages ?? [])
          if (message.role === 'tool') seen.push(String(message.content));
        return { text: '两个文件都读完了。' };
      },
    );
    const turn = await cli(['chat', '-q', '读一下这两个文件', '--json'], { env: env() });
    expect(turn.code, turn.stderr).toBe(0);
    const answer = turn.json<{ text: string; session: string }>();
    expect(answer.text).toBe('两个文件都读完了。');

    const shown = await cli(['sessions', 'show', answer.session, '--json']);
    expect(shown.code, shown.stderr).toBe(0);
    const messages = shown.json<{ messages: SessionMessage[] }>().messages;
    expect(messages.map((message) => message.role)).toEqual([
      'user',
      'assistant',
      'tool',
      'assistant',
    ]);
    expect(messages[0]!.content).toBe('读一下这两个文件');
    expect(messages[1]!.parts).toEqual([
      { type: 'tool-call', toolCallId: 'r1', toolName: 'read_file', input: { path: 'notes.txt' } },
      { type: 'tool-call', toolCallId: 'r2', toolName: 'read_file', input: { path: 'huge.log' } },
    ]);
    const [small, big] = messages[2]!.parts as ToolResultPart[];
    expect(small).toMatchObject({ toolCallId: 'r1', isError: false });
    expect(JSON.stringify(small!.output).length).toBeGreaterThan(1_024);
    expect(JSON.stringify(small!.output)).toContain('笔记 59: the user likes tea');
    expect(small!.truncatedFrom).toBeUndefined();
    expect(big).toMatchObject({ toolCallId: 'r2', isError: false });
    expect(big!.truncatedFrom).toBeGreaterThan(65_536);
    expect(big!.output).toMatch(/\n\[truncated by Mnemos: \d+ characters, the first \d+ kept\]$/);
    expect((big!.output as string).length).toBeLessThanOrEqual(65_536);
    expect(messages[3]!.content).toBe('两个文件都读完了。');
    // The model saw what the transcript keeps.
    expect(seen).toEqual([small!.output, big!.output]);

    const plain = await cli(['sessions', 'show', answer.session]);
    expect(plain.stdout).toMatch(/→ read_file \{"path":"huge.log"\}/);
    expect(plain.stdout).toMatch(/← read_file: .*\(truncated from \d+ characters\)/);

    replies.push((request) => {
      const history = request.messages ?? [];
      const calls = history.find((message) => message.role === 'assistant' && message.tool_calls);
      const results = history.filter((message) => message.role === 'tool');
      return {
        text: `calls=${JSON.stringify(calls?.tool_calls).includes('huge.log')} results=${results.map((message) => message.tool_call_id).join(',')} same=${results[0]?.content === seen[0] && results[1]?.content === seen[1]}`,
      };
    });
    const resumed = await cli(['chat', '--resume', answer.session, '-q', '还记得吗？', '--json'], {
      env: env(),
    });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.json<{ text: string }>().text).toBe('calls=true results=r1,r2 same=true');
  });

  it('says how to configure a model when none is set', async () => {
    const result = await cliFor(makeHome())(['chat', '-q', 'hi']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('DASHSCOPE_API_KEY');
    expect(result.stderr).toContain('mnemos setup');
  });
});

async function waitFor(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
