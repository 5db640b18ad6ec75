import { describe, expect, it } from 'vitest';
import { embedderSectionFor } from './parse-embedder-spec.js';

const http = {
  provider: 'openai-compatible',
  base_url: 'http://localhost:8000/v1',
  model: 'old-model',
  dimensions: 1024,
  api_key_env: 'EMBED_KEY',
  max_retries: 1,
};

describe('embedderSectionFor', () => {
  it('config is the configured section, unchanged', () => {
    expect(embedderSectionFor('config', http)).toEqual({ section: http, fromConfig: true });
    expect(embedderSectionFor('config', undefined)).toEqual({ section: {}, fromConfig: true });
    expect(() => embedderSectionFor('config', http, { dimensions: 64 })).toThrow(/--to config/);
  });

  it('builtin takes its dimension from the spec or --dimensions', () => {
    expect(embedderSectionFor('builtin', http).section).toEqual({ provider: 'builtin' });
    expect(embedderSectionFor('builtin:128', http).section).toEqual({
      provider: 'builtin',
      dimensions: 128,
    });
    expect(embedderSectionFor('builtin', {}, { dimensions: 64 }).section).toEqual({
      provider: 'builtin',
      dimensions: 64,
    });
    expect(() => embedderSectionFor('builtin:big', {})).toThrow(/whole number/);
  });

  it('openai-compatible keeps the configured endpoint, with flags winning, and the model after the first colon', () => {
    expect(embedderSectionFor('openai-compatible:nomic-embed-text:latest', http).section).toEqual({
      ...http,
      model: 'nomic-embed-text:latest',
    });
    expect(
      embedderSectionFor('openai-compatible:m', http, {
        baseUrl: 'http://127.0.0.1:9/v1',
        apiKeyEnv: 'OTHER_KEY',
        dimensions: 64,
      }).section,
    ).toEqual({
      ...http,
      model: 'm',
      base_url: 'http://127.0.0.1:9/v1',
      api_key_env: 'OTHER_KEY',
      dimensions: 64,
    });
    // A builtin section's dimension says nothing about an HTTP model.
    expect(
      embedderSectionFor(
        'openai-compatible:m',
        { provider: 'builtin', dimensions: 256 },
        {
          baseUrl: 'http://127.0.0.1:9/v1',
        },
      ).section,
    ).toEqual({ provider: 'openai-compatible', model: 'm', base_url: 'http://127.0.0.1:9/v1' });
    expect(() => embedderSectionFor('openai-compatible:m', {})).toThrow(/--base-url/);
    expect(() => embedderSectionFor('openai-compatible', http)).toThrow(/name the model/);
  });

  it('onnx names the model folder or Hugging Face id', () => {
    expect(embedderSectionFor('onnx:Xenova/bge-small-zh-v1.5', http)).toEqual({
      section: { provider: 'onnx', model: 'Xenova/bge-small-zh-v1.5' },
      fromConfig: false,
    });
    expect(embedderSectionFor('onnx:/models/e5', {}, { dimensions: 384 }).section).toEqual({
      provider: 'onnx',
      model: '/models/e5',
      dimensions: 384,
    });
  });

  it('rejects an unknown spec, naming the accepted ones', () => {
    expect(() => embedderSectionFor('word2vec:x', {})).toThrow(
      /unknown embedder spec "word2vec:x": use config, builtin/,
    );
  });
});

describe('embedderSectionFor presets', () => {
  it('turns dashscope, openai and ollama into preset sections, model and flags optional', () => {
    expect(embedderSectionFor('dashscope', {}).section).toEqual({ provider: 'dashscope' });
    expect(
      embedderSectionFor('openai:text-embedding-3-large', {}, { dimensions: 1024 }).section,
    ).toEqual({
      provider: 'openai',
      model: 'text-embedding-3-large',
      dimensions: 1024,
    });
    expect(
      embedderSectionFor('ollama:bge-m3', {}, { baseUrl: 'http://gpu:11434/v1' }).section,
    ).toEqual({
      provider: 'ollama',
      model: 'bge-m3',
      base_url: 'http://gpu:11434/v1',
    });
  });
});
