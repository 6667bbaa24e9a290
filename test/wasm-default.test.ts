// The default backend: WebAssembly SIMD on every core in Node, chosen without
// an await or a setBackend, plain SIMD (no fused multiply-add) so that results
// are the same bits as the single-thread wasm backend and as in a browser;
// float64 stays on the TypeScript kernels; a process exits promptly.
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { jsBackend } from '../src/backend/js.js';
import { createWasmBackendSync, WasmBackend } from '../src/backend/wasm/index.js';
import { backend, getBackend, Network, Trainer } from '../src/index.js';

function trainDigitsLike(net: Network): Float32Array[] {
  const x = Array.from({ length: 96 }, (_, i) => Array.from({ length: 64 }, (_, j) => Math.cos(i * 0.7 + j)));
  const t = x.map((_, i) => Array.from({ length: 10 }, (_, k) => (i % 10 === k ? 1 : 0)));
  const trainer = new Trainer(net, x, t, {
    mode: 'minibatch',
    batchSize: 32,
    optimizer: 'adam',
    learningRate: 0.01,
    epochs: 3,
  });
  while (!trainer.stopReason) trainer.runEpoch();
  trainer.dispose();
  return net.layers.map((l) => Float32Array.from(l.weights.data));
}

const layers = [
  { units: 64, activation: 'relu' as const },
  { units: 10, activation: 'softmax' as const },
];

describe('the default backend', () => {
  it('is WebAssembly SIMD on every core, without relaxed SIMD, and says so', () => {
    expect(getBackend()).toBeInstanceOf(WasmBackend);
    expect(backend()).toEqual({ name: 'wasm-simd', threads: availableParallelism(), relaxed: false });
  });

  it('trains float32 to the same bits as the single-thread wasm backend, and not as the js one', () => {
    const byDefault = trainDigitsLike(new Network({ inputs: 64, layers, seed: 2 }));
    const single = trainDigitsLike(
      new Network({ inputs: 64, layers, seed: 2, backend: createWasmBackendSync({ threads: 1 }) }),
    );
    const js = trainDigitsLike(new Network({ inputs: 64, layers, seed: 2, backend: jsBackend }));
    for (let n = 0; n < 2; n++) expect(byDefault[n]).toEqual(single[n]);
    // The float32 sums run in another order on SIMD lanes: the low bits differ from the plain loops.
    expect(byDefault.some((w, n) => w.some((v, i) => v !== js[n][i]))).toBe(true);
  });

  it('keeps float64 networks on the TypeScript kernels', () => {
    const net = new Network({ inputs: 64, layers, seed: 2, dtype: 'float64' });
    expect(net.layers[0].weights.data).toBeInstanceOf(Float64Array);
    const ref = new Network({ inputs: 64, layers, seed: 2, dtype: 'float64', backend: jsBackend });
    const x = [Array.from({ length: 64 }, (_, j) => Math.sin(j))];
    expect(net.predict(x)).toEqual(ref.predict(x));
  });

  it('lets a process exit as soon as its work is done (the workers do not hold it)', () => {
    const t0 = Date.now();
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'test/wasm-default/exit.fixture.ts'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
    expect(out.name).toBe('wasm-simd');
    expect(out.threads).toBe(availableParallelism());
    expect(Number.isFinite(out.cost)).toBe(true);
    // Bounded by the training, not by a worker's timeout.
    expect(Date.now() - t0).toBeLessThan(30_000);
  }, 60_000);
});
