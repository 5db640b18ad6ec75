import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MnemosError } from '../../core/errors.js';
import { int64Tensor, loadOnnxRuntime, openSession } from './runtime.js';

const fixtures = fileURLToPath(new URL('../../../test/fixtures/onnx', import.meta.url));

async function failure(promise: Promise<unknown>): Promise<MnemosError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(MnemosError.isInstance(error)).toBe(true);
  return error as MnemosError;
}

describe('onnx runtime loading', () => {
  it('an absent onnxruntime-node is a config_error with the pinned install command', async () => {
    const error = await failure(loadOnnxRuntime('onnxruntime-node-absent-for-this-test'));
    expect(error.code).toBe('config_error');
    expect(error.message).toContain('npm install onnxruntime-node@1.14.0');
  });

  it('loads the installed runtime once and opens a fixture model', async () => {
    const first = loadOnnxRuntime();
    expect(loadOnnxRuntime()).toBe(first);
    const session = await openSession(`${fixtures}/embedder/onnx/model.onnx`, 1);
    expect([...session.inputNames].sort()).toEqual([
      'attention_mask',
      'input_ids',
      'token_type_ids',
    ]);
    expect(session.outputNames).toEqual(['last_hidden_state']);
  });

  it('a file that is not an ONNX model is a config_error naming it', async () => {
    const path = `${fixtures}/embedder/tokenizer.json`;
    const error = await failure(openSession(path));
    expect(error.code).toBe('config_error');
    expect(error.message).toContain(path);
  });

  it('packs ragged rows into a padded int64 tensor', async () => {
    const ort = await loadOnnxRuntime();
    const tensor = int64Tensor(ort, [[1, 2, 3], [4]], 3, 9);
    expect(tensor.dims).toEqual([2, 3]);
    expect(Array.from(tensor.data as BigInt64Array, Number)).toEqual([1, 2, 3, 4, 9, 9]);
  });
});
