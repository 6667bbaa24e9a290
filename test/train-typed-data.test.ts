// Training data given as a typed array with its shape trains to the weights
// that the same numbers given as rows of arrays give, with or without a
// validation split, in every mode, on every backend, and is left as it was.
import { describe, expect, it } from 'vitest';
import type { Backend } from '../src/backend/backend.js';
import { jsBackend } from '../src/backend/js.js';
import { createWasmBackend, type WasmBackend } from '../src/backend/wasm/index.js';
import { Network, Random, Trainer } from '../src/index.js';
import type { Mode } from '../src/train/trainer.js';

const rng = new Random(21);
const rows = 300;
const x = Array.from({ length: rows }, () => Array.from({ length: 12 }, () => rng.normal()));
const t = x.map((r) => [r[0] + r[1] > 0 ? 1 : 0, r[0] + r[1] > 0 ? 0 : 1]);

function trained(backend: Backend, inputs: unknown, targets: unknown, mode: Mode, split: number) {
  const net = new Network({
    inputs: 12,
    layers: [
      { units: 40, activation: 'tanh' },
      { units: 2, activation: 'softmax' },
    ],
    seed: 9,
    backend,
  });
  const trainer = new Trainer(net, inputs as number[][], targets as number[][], {
    mode,
    batchSize: mode === 'minibatch' ? 16 : undefined,
    optimizer: 'adam',
    learningRate: 0.01,
    validationSplit: split,
    epochs: 3,
  });
  trainer.run({ epochs: 3 });
  const costs = trainer.history.map((h) => [h.cost, h.validationCost]);
  trainer.dispose();
  return { weights: net.layers.map((l) => Array.from(l.weights.data)), costs };
}

describe('training data as a typed array', () => {
  it('train from a typed array, unchanged, to the weights that rows of arrays give', async () => {
    const wasm = (await createWasmBackend({ threads: 2 })) as WasmBackend;
    try {
      for (const backend of [wasm, jsBackend]) {
        for (const mode of ['minibatch', 'sequential', 'batch'] as const) {
          for (const split of [0, 0.25]) {
            const data = Float32Array.from(x.flat());
            const before = Float32Array.from(data);
            const targets = Float32Array.from(t.flat());
            const typed = trained(
              backend,
              { data, shape: [rows, 12] },
              { data: targets, shape: [rows, 2] },
              mode,
              split,
            );
            const arrays = trained(backend, x, t, mode, split);
            const what = `${backend.name} ${mode} split ${split}`;
            expect(typed.weights, what).toEqual(arrays.weights);
            expect(typed.costs, what).toEqual(arrays.costs);
            expect(data, what).toEqual(before);
          }
        }
      }
    } finally {
      wasm.dispose();
    }
  });
});
