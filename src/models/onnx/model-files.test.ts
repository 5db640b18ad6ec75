import { cpSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { MnemosError } from '../../core/errors.js';
import { huggingFaceCacheDir, modelDisplayName, resolveModelFiles } from './model-files.js';

const embedderDir = fileURLToPath(new URL('../../../test/fixtures/onnx/embedder', import.meta.url));
const crossEncoderDir = fileURLToPath(
  new URL('../../../test/fixtures/onnx/cross-encoder', import.meta.url),
);

let temp: string | undefined;

afterEach(() => {
  if (temp) rmSync(temp, { recursive: true, force: true });
  temp = undefined;
});

function tempDir(): string {
  temp = mkdtempSync(join(tmpdir(), 'mnemos-onnx-'));
  return temp;
}

/** Lays out a hub cache the way huggingface_hub does: models--org--name/{refs/main, snapshots/<rev>}. */
function fakeCache(home: string, id: string, revisions: Record<string, string | null>): string {
  const repo = join(home, 'hub', `models--${id.replace('/', '--')}`);
  for (const [revision, source] of Object.entries(revisions)) {
    const folder = join(repo, 'snapshots', revision);
    mkdirSync(folder, { recursive: true });
    if (source) cpSync(source, folder, { recursive: true });
  }
  return repo;
}

function failure(run: () => unknown): MnemosError {
  try {
    run();
  } catch (error) {
    expect(MnemosError.isInstance(error)).toBe(true);
    return error as MnemosError;
  }
  throw new Error('expected a failure');
}

describe('resolveModelFiles', () => {
  it('finds tokenizer, configs and onnx/model.onnx in a local folder', () => {
    const files = resolveModelFiles(embedderDir);
    expect(files).toEqual({
      root: embedderDir,
      tokenizer: join(embedderDir, 'tokenizer.json'),
      tokenizerConfig: join(embedderDir, 'tokenizer_config.json'),
      config: join(embedderDir, 'config.json'),
      onnx: join(embedderDir, 'onnx', 'model.onnx'),
    });
  });

  it('falls back to model.onnx at the root, and takes a named variant when asked', () => {
    expect(resolveModelFiles(crossEncoderDir).onnx).toBe(join(crossEncoderDir, 'model.onnx'));
    expect(resolveModelFiles(embedderDir, { file: 'onnx/model_pooled.onnx' }).onnx).toBe(
      join(embedderDir, 'onnx', 'model_pooled.onnx'),
    );
  });

  it('refuses a variant path that leaves the model folder', () => {
    const error = failure(() =>
      resolveModelFiles(embedderDir, { file: '../cross-encoder/model.onnx' }),
    );
    expect(error.code).toBe('config_error');
  });

  it('resolves a Hugging Face id through the hub cache, preferring the refs/main snapshot', () => {
    const home = tempDir();
    const repo = fakeCache(home, 'Xenova/tiny-test', {
      aaa111: crossEncoderDir,
      bbb222: embedderDir,
    });
    // The other snapshot is newer, so only refs/main can make bbb222 win.
    utimesSync(join(repo, 'snapshots', 'aaa111'), new Date(), new Date(Date.now() + 60_000));
    mkdirSync(join(repo, 'refs'));
    writeFileSync(join(repo, 'refs', 'main'), 'bbb222\n');
    const files = resolveModelFiles('Xenova/tiny-test', { env: { HF_HOME: home } });
    expect(files.root).toBe(join(repo, 'snapshots', 'bbb222'));
    expect(files.onnx).toBe(join(repo, 'snapshots', 'bbb222', 'onnx', 'model.onnx'));
  });

  it('without refs/main, uses any snapshot that has the files', () => {
    const home = tempDir();
    const repo = fakeCache(home, 'org/model', { empty: null, full: crossEncoderDir });
    const files = resolveModelFiles('org/model', { env: { HF_HUB_CACHE: join(home, 'hub') } });
    expect(files.root).toBe(join(repo, 'snapshots', 'full'));
  });

  it('reads HF_HUB_CACHE first, then HF_HOME/hub, then ~/.cache/huggingface/hub', () => {
    expect(huggingFaceCacheDir({ HF_HUB_CACHE: '/a', HF_HOME: '/b' })).toBe('/a');
    expect(huggingFaceCacheDir({ HF_HOME: '/b' })).toBe(join('/b', 'hub'));
    expect(huggingFaceCacheDir({})).toMatch(/\.cache[\\/]huggingface[\\/]hub$/);
  });

  it('a missing id is a config_error naming the paths tried and the download command', () => {
    const home = tempDir();
    const error = failure(() =>
      resolveModelFiles('Xenova/all-MiniLM-L6-v2', {
        env: { HF_HOME: home },
        setting: 'embedder.model',
      }),
    );
    expect(error.code).toBe('config_error');
    expect(error.message).toContain(
      join(home, 'hub', 'models--Xenova--all-MiniLM-L6-v2', 'snapshots'),
    );
    expect(error.message).toContain(
      'huggingface-cli download Xenova/all-MiniLM-L6-v2 tokenizer.json tokenizer_config.json config.json onnx/model.onnx',
    );
    expect(error.message).toContain('set embedder.model to its path');
    expect(error.details.tried).toEqual(expect.arrayContaining([expect.stringContaining(home)]));
  });

  it('a cached snapshot without the requested variant lists that variant per snapshot', () => {
    const home = tempDir();
    const repo = fakeCache(home, 'org/model', { abc: embedderDir });
    const error = failure(() =>
      resolveModelFiles('org/model', { env: { HF_HOME: home }, file: 'onnx/model_quantized.onnx' }),
    );
    expect(error.message).toContain(join(repo, 'snapshots', 'abc', 'onnx', 'model_quantized.onnx'));
    expect(error.message).toContain('huggingface-cli download org/model');
    expect(error.message).toContain('onnx/model_quantized.onnx');
  });

  it('a missing folder is a config_error naming the files looked for in it', () => {
    const missing = join(tempDir(), 'nowhere');
    const error = failure(() => resolveModelFiles(missing));
    expect(error.code).toBe('config_error');
    expect(error.message).toContain(join(missing, 'tokenizer.json'));
    expect(error.message).toContain(join(missing, 'onnx', 'model.onnx'));
    expect(error.message).toContain(join(missing, 'model.onnx'));
  });
});

describe('modelDisplayName', () => {
  it('keeps hub ids whole and names folders by their last segment', () => {
    expect(modelDisplayName('Xenova/all-MiniLM-L6-v2')).toBe('Xenova/all-MiniLM-L6-v2');
    expect(modelDisplayName('/opt/models/bge-small-en-v1.5/')).toBe('bge-small-en-v1.5');
  });
});
