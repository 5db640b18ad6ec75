import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../config/config.js';
import { ollamaBaseURL } from './providers.js';
import { resolveChatModel } from './resolve-chat-model.js';

const config = (raw: Record<string, unknown> = {}) => validateConfig(raw, 'test');

describe('resolveChatModel', () => {
  it('finds nothing without configuration or provider variables', () => {
    const resolution = resolveChatModel(config(), 'chat', { PATH: '/bin' });
    expect(resolution.status).toBe('none');
    expect(resolution.status === 'none' && resolution.reason).toContain('DASHSCOPE_API_KEY');
  });

  it('auto-detects DashScope first, with its compatible-mode endpoint and key', () => {
    const resolution = resolveChatModel(config(), 'chat', {
      OPENAI_API_KEY: 'sk-openai',
      DASHSCOPE_API_KEY: 'sk-dash',
    });
    expect(resolution).toEqual({
      status: 'resolved',
      model: expect.objectContaining({
        provider: 'dashscope',
        model: 'qwen3-max',
        baseURL: 'https://dashscope.aliyuncs.com/compatible-mode/v1',
        apiKeyEnv: 'DASHSCOPE_API_KEY',
        apiKey: 'sk-dash',
        chosenBy: 'DASHSCOPE_API_KEY',
      }),
    });
  });

  it.each([
    ['OPENAI_API_KEY', 'openai', 'https://api.openai.com/v1'],
    ['OPENROUTER_API_KEY', 'openrouter', 'https://openrouter.ai/api/v1'],
    ['ANTHROPIC_API_KEY', 'anthropic', 'https://api.anthropic.com/v1'],
    ['OLLAMA_HOST', 'ollama', 'http://gpu-box:11434/v1'],
  ])('auto-detects %s', (variable, provider, baseURL) => {
    const value = variable === 'OLLAMA_HOST' ? 'gpu-box' : 'key';
    const resolution = resolveChatModel(config(), 'chat', { [variable]: value });
    expect(resolution.status === 'resolved' && resolution.model).toMatchObject({
      provider,
      baseURL,
      chosenBy: variable,
    });
  });

  it('ignores empty variables', () => {
    const resolution = resolveChatModel(config(), 'chat', {
      DASHSCOPE_API_KEY: ' ',
      OPENAI_API_KEY: 'k',
    });
    expect(resolution.status === 'resolved' && resolution.model.provider).toBe('openai');
  });

  it('lets an explicit provider in config.yaml win over the environment', () => {
    const resolution = resolveChatModel(
      config({ llm: { provider: 'openrouter', model: 'qwen/qwen3-max' } }),
      'chat',
      { DASHSCOPE_API_KEY: 'sk-dash', OPENROUTER_API_KEY: 'sk-or' },
    );
    expect(resolution.status === 'resolved' && resolution.model).toMatchObject({
      provider: 'openrouter',
      model: 'qwen/qwen3-max',
      apiKey: 'sk-or',
      chosenBy: 'config.yaml llm.provider',
    });
  });

  it('treats a bare base_url as an OpenAI-compatible server', () => {
    const resolution = resolveChatModel(
      config({ llm: { base_url: 'http://127.0.0.1:8000/v1', model: 'qwen2.5' } }),
      'chat',
      { DASHSCOPE_API_KEY: 'sk-dash' },
    );
    expect(resolution.status === 'resolved' && resolution.model).toMatchObject({
      provider: 'openai-compatible',
      baseURL: 'http://127.0.0.1:8000/v1',
      chosenBy: 'config.yaml llm.base_url',
    });
  });

  it('keeps a configured model with a detected provider', () => {
    const resolution = resolveChatModel(config({ llm: { model: 'qwen-plus' } }), 'chat', {
      DASHSCOPE_API_KEY: 'k',
    });
    expect(resolution.status === 'resolved' && resolution.model).toMatchObject({
      provider: 'dashscope',
      model: 'qwen-plus',
    });
  });

  it('gives extraction its own cheaper model, inheriting the rest from llm', () => {
    const settings = config({
      llm: { provider: 'dashscope', model: 'qwen3-max' },
      extraction_llm: { model: 'qwen-turbo' },
    });
    const chat = resolveChatModel(settings, 'chat', { DASHSCOPE_API_KEY: 'k' });
    const extraction = resolveChatModel(settings, 'extraction', { DASHSCOPE_API_KEY: 'k' });
    expect(chat.status === 'resolved' && chat.model.model).toBe('qwen3-max');
    expect(extraction.status === 'resolved' && extraction.model).toMatchObject({
      provider: 'dashscope',
      model: 'qwen-turbo',
      chosenBy: 'config.yaml llm.provider (model settings from config.yaml extraction_llm)',
    });
  });

  it('lets extraction use another provider altogether', () => {
    const settings = config({
      llm: { provider: 'anthropic' },
      extraction_llm: { provider: 'ollama', model: 'qwen2.5:3b' },
    });
    const extraction = resolveChatModel(settings, 'extraction', { ANTHROPIC_API_KEY: 'k' });
    expect(extraction.status === 'resolved' && extraction.model).toMatchObject({
      provider: 'ollama',
      model: 'qwen2.5:3b',
      baseURL: 'http://127.0.0.1:11434/v1',
      apiKeyEnv: null,
      chosenBy: 'config.yaml extraction_llm.provider',
    });
  });

  it('reports a generic OpenAI-compatible provider without base_url as invalid', () => {
    const resolution = resolveChatModel(
      config({ llm: { provider: 'openai-compatible' } }),
      'chat',
      {},
    );
    expect(resolution).toEqual({
      status: 'invalid',
      reason: expect.stringContaining('needs llm.base_url'),
    });
  });

  it('rejects a secret-looking value where a variable name belongs', () => {
    expect(() => config({ llm: { api_key_env: 'sk-123' } })).toThrow(/environment variable name/);
  });
});

describe('ollamaBaseURL', () => {
  it.each([
    ['', 'http://127.0.0.1:11434/v1'],
    ['gpu-box', 'http://gpu-box:11434/v1'],
    ['0.0.0.0:9999', 'http://127.0.0.1:9999/v1'],
    ['https://ollama.example.com', 'https://ollama.example.com/v1'],
  ])('reads OLLAMA_HOST %j', (host, expected) => {
    expect(ollamaBaseURL({ OLLAMA_HOST: host })).toBe(expected);
  });
});
