// Every kernel of the wasm backend against the plain TypeScript reference, on
// random shapes (odd sizes, sizes past the cache blocks) and random values.
import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ActivationName, Backend, LossName, Matrix } from '../src/backend/backend.js';
import { jsBackend } from '../src/backend/js.js';
import { createWasmBackend, type WasmBackend, wasmFeatures } from '../src/backend/wasm/index.js';
import { Random } from '../src/random.js';

const ACTIVATIONS: ActivationName[] = [
  'linear',
  'sigmoid',
  'tanh',
  'relu',
  'leaky-relu',
  'elu',
  'softplus',
  'gelu',
  'softmax',
];

let wasm: Backend;
const rng = new Random(42);

function pair(rows: number, cols: number, fill: (i: number) => number): [Matrix, Matrix] {
  const j = jsBackend.matrix(rows, cols, 'float32');
  const w = wasm.matrix(rows, cols, 'float32');
  for (let i = 0; i < rows * cols; i++) {
    const x = fill(i);
    j.data[i] = x;
    w.data[i] = x;
  }
  return [j, w];
}

const uniform = (low: number, high: number) => (): number => rng.uniform(low, high);

/** Asserts |expected - actual| <= tol * (scale + |expected|) element by element. */
function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, scale = 1): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i];
    const a = actual[i];
    if (Number.isNaN(e)) {
      expect(a, `element ${i}`).toBeNaN();
      continue;
    }
    if (Math.abs(a - e) > tol * (scale + Math.abs(e))) {
      expect.fail(`element ${i}: ${a} where the reference has ${e}`);
    }
  }
}

beforeAll(async () => {
  // Every kernel through wasm, tiny shapes included.
  wasm = await createWasmBackend({ delegateSmall: false, relaxedSimd: true });
});

describe('wasm backend', () => {
  it('detects SIMD and names the build it runs', () => {
    const features = wasmFeatures();
    expect(features.simd).toBe(true);
    expect(wasm.name).toBe(features.relaxedSimd ? 'wasm-relaxed-simd' : 'wasm-simd');
  });

  it('gemm matches the reference for every transpose combination and odd shapes', () => {
    // Shapes straddle the 4x8 register block, the 256-deep cache block and the 128-row A block.
    const shapes: [number, number, number][] = [
      [1, 1, 1],
      [1, 8, 3],
      [2, 13, 7],
      [5, 7, 3],
      [4, 8, 256],
      [9, 17, 257],
      [64, 10, 128],
      [131, 9, 20],
      [3, 130, 300],
      [1, 128, 784],
      [37, 41, 600],
    ];
    for (let r = 0; r < 6; r++) shapes.push([1 + rng.int(70), 1 + rng.int(70), 1 + rng.int(300)]);
    for (const [m, n, k] of shapes) {
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          for (const [alpha, beta] of [
            [1, 0],
            [-0.5, 1],
            [2, 0.25],
          ]) {
            const [aj, aw] = transA ? pair(k, m, uniform(-1, 1)) : pair(m, k, uniform(-1, 1));
            const [bj, bw] = transB ? pair(n, k, uniform(-1, 1)) : pair(k, n, uniform(-1, 1));
            // beta = 0 must ignore NaN in C.
            const [cj, cw] = pair(m, n, beta === 0 ? () => Number.NaN : uniform(-1, 1));
            jsBackend.gemm(transA, transB, alpha, aj, bj, beta, cj);
            wasm.gemm(transA, transB, alpha, aw, bw, beta, cw);
            // float32 sums of k products of size <= 1: error grows like sqrt(k) ulps.
            close(cw.data, cj.data, 2e-6 * Math.sqrt(k), 1);
          }
        }
      }
    }
  });

  it('gemm refuses shapes that do not chain', () => {
    const a = wasm.matrix(2, 3, 'float32');
    const b = wasm.matrix(4, 5, 'float32');
    const c = wasm.matrix(2, 5, 'float32');
    expect(() => wasm.gemm(false, false, 1, a, b, 0, c)).toThrow(/do not chain/);
    expect(() => wasm.gemm(false, false, 1, a, jsBackend.matrix(3, 5, 'float32'), 0, c)).toThrow(
      /not allocated by this backend/,
    );
  });

  it('biasActivate and activationBackward match the reference for every activation', () => {
    for (const act of ACTIVATIONS) {
      for (const [rows, cols] of [
        [1, 1],
        [3, 5],
        [7, 13],
        [16, 10],
      ]) {
        // Whole numbers included, so that relu and leaky-relu meet v = 0 exactly.
        const values = (i: number) => (i % 5 === 0 ? rng.int(5) - 2 : rng.uniform(-6, 6));
        const [vj, vw] = pair(rows, cols, values);
        const [bj, bw] = pair(1, cols, (i) => (i % 3 === 0 ? 0 : rng.uniform(-1, 1)));
        const [oj, ow] = pair(rows, cols, () => Number.NaN);
        jsBackend.biasActivate(act, vj, bj, oj);
        wasm.biasActivate(act, vw, bw, ow);
        close(vw.data, vj.data, 1e-7);
        close(ow.data, oj.data, 2e-6);

        const [uj, uw] = pair(rows, cols, uniform(-2, 2));
        const [dj, dw] = pair(rows, cols, () => Number.NaN);
        jsBackend.activationBackward(act, vj, oj, uj, dj);
        wasm.activationBackward(act, vw, ow, uw, dw);
        close(dw.data, dj.data, 1e-5);
        // In place: delta aliasing upstream.
        jsBackend.activationBackward(act, vj, oj, uj, uj);
        wasm.activationBackward(act, vw, ow, uw, uw);
        close(uw.data, uj.data, 1e-5);
      }
    }
  });

  it('lossSum and lossDelta match the reference, fused pairs included', () => {
    const cases: [LossName, ActivationName][] = [];
    for (const act of ACTIVATIONS) cases.push(['squared', act], ['half-squared', act]);
    cases.push(
      ['binary-cross-entropy', 'sigmoid'],
      ['binary-cross-entropy', 'softmax'],
      ['cross-entropy', 'softmax'],
      ['cross-entropy', 'sigmoid'],
    );
    for (const [loss, act] of cases) {
      for (const [rows, cols] of [
        [1, 1],
        [5, 3],
        [9, 10],
      ]) {
        if (act === 'softmax' && cols === 1) continue;
        const [vj, vw] = pair(rows, cols, uniform(-4, 4));
        const [bj, bw] = pair(1, cols, () => 0);
        const [oj, ow] = pair(rows, cols, () => 0);
        jsBackend.biasActivate(act, vj, bj, oj);
        wasm.biasActivate(act, vw, bw, ow);
        // One-hot targets for the cross-entropies, values in [0, 1] otherwise.
        const hot = (i: number) => (i % cols === (Math.floor(i / cols) * 7) % cols ? 1 : 0);
        const [tj, tw] = pair(rows, cols, loss === 'cross-entropy' ? hot : uniform(0, 1));
        const sj = jsBackend.lossSum(loss, act, vj, oj, tj);
        const sw = wasm.lossSum(loss, act, vw, ow, tw);
        expect(Math.abs(sw - sj), `${loss} on ${act}`).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(sj)));
        const scale = 1 / rows;
        const [dj, dw] = pair(rows, cols, () => Number.NaN);
        jsBackend.lossDelta(loss, act, vj, oj, tj, scale, dj);
        wasm.lossDelta(loss, act, vw, ow, tw, scale, dw);
        close(dw.data, dj.data, 1e-4, 1e-3);
      }
    }
  });

  it('sumRows matches the reference, beta = 0 ignoring NaN', () => {
    for (const [rows, cols] of [
      [1, 1],
      [7, 13],
      [64, 128],
    ]) {
      const [aj, aw] = pair(rows, cols, uniform(-1, 1));
      for (const [alpha, beta] of [
        [-1, 0],
        [0.5, 1],
      ]) {
        const [oj, ow] = pair(1, cols, beta === 0 ? () => Number.NaN : uniform(-1, 1));
        jsBackend.sumRows(alpha, aj, beta, oj);
        wasm.sumRows(alpha, aw, beta, ow);
        close(ow.data, oj.data, 1e-5, 1);
      }
    }
  });

  it('the optimizer updates match the reference over several steps', () => {
    for (const n of [1, 7, 130]) {
      for (const lambda of [0, 0.01]) {
        const rows = 1;
        const [wj, ww] = pair(rows, n, uniform(-1, 1));
        const [gj, gw] = pair(rows, n, uniform(-1, 1));
        const state = () => pair(rows, n, () => 0);
        const [b1j, b1w] = state();
        const [b2j, b2w] = state();
        const [mj, mw] = state();
        const [sj, sw] = state();
        const [rj, rw] = state();
        for (let t = 1; t <= 5; t++) {
          for (let i = 0; i < n; i++) gj.data[i] = gw.data[i] = rng.uniform(-1, 1);
          jsBackend.sgd(wj, gj, 0.1, lambda);
          wasm.sgd(ww, gw, 0.1, lambda);
          jsBackend.momentum(wj, gj, b1j, 0.05, 0.9, false, lambda);
          wasm.momentum(ww, gw, b1w, 0.05, 0.9, false, lambda);
          jsBackend.momentum(wj, gj, b2j, 0.05, 0.9, true, lambda);
          wasm.momentum(ww, gw, b2w, 0.05, 0.9, true, lambda);
          jsBackend.adam(wj, gj, mj, sj, 0.01, 0.9, 0.999, 1e-8, t, lambda);
          wasm.adam(ww, gw, mw, sw, 0.01, 0.9, 0.999, 1e-8, t, lambda);
          jsBackend.rmsprop(wj, gj, rj, 0.01, 0.9, 1e-8, lambda);
          wasm.rmsprop(ww, gw, rw, 0.01, 0.9, 1e-8, lambda);
        }
        for (const [a, b] of [
          [ww, wj],
          [b1w, b1j],
          [b2w, b2j],
          [mw, mj],
          [sw, sj],
          [rw, rj],
        ]) {
          close(a.data, b.data, 1e-5, 1);
        }
      }
    }
  });

  it('copy, fill and gatherRows move the same values as the reference', () => {
    const [sj, sw] = pair(9, 5, uniform(-1, 1));
    const indices = new Uint32Array([8, 0, 3, 3, 7, 1]);
    const [dj, dw] = pair(4, 5, () => 0);
    jsBackend.gatherRows(sj, indices, 1, 4, dj);
    wasm.gatherRows(sw, indices, 1, 4, dw);
    expect(Array.from(dw.data)).toEqual(Array.from(dj.data));
    const cw = wasm.matrix(9, 5, 'float32');
    wasm.copy(sw, cw);
    expect(Array.from(cw.data)).toEqual(Array.from(sw.data));
    wasm.fill(cw, 2.5);
    expect(Array.from(cw.data)).toEqual(new Array(45).fill(2.5));
    expect(() => wasm.gatherRows(sw, new Uint32Array([9]), 0, 1, dw)).toThrow(/row 9/);
  });

  it('keeps float64 on the reference path, bit for bit', () => {
    const a = wasm.matrix(3, 4, 'float64');
    const b = wasm.matrix(4, 2, 'float64');
    const c = wasm.matrix(3, 2, 'float64');
    expect(a.data).toBeInstanceOf(Float64Array);
    const aj = jsBackend.matrix(3, 4, 'float64');
    const bj = jsBackend.matrix(4, 2, 'float64');
    const cj = jsBackend.matrix(3, 2, 'float64');
    for (let i = 0; i < 12; i++) a.data[i] = aj.data[i] = rng.normal();
    for (let i = 0; i < 8; i++) b.data[i] = bj.data[i] = rng.normal();
    wasm.gemm(false, false, 1, a, b, 0, c);
    jsBackend.gemm(false, false, 1, aj, bj, 0, cj);
    expect(Array.from(c.data)).toEqual(Array.from(cj.data));
  });

  it('grows its memory without losing matrices, and reuses freed storage', async () => {
    const small = (await createWasmBackend({ initialMemoryMiB: 1 })) as WasmBackend;
    const first = small.matrix(3, 3, 'float32');
    first.data.set([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const big = small.matrix(1000, 1000, 'float32'); // 4 MB: past the first MiB
    expect(big.data.length).toBe(1e6);
    expect(Array.from(first.data)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const reserved = small.reservedBytes;
    small.free(big);
    const again = small.matrix(1000, 1000, 'float32');
    expect(small.reservedBytes).toBe(reserved);
    // Storage comes back zero-filled, as matrix() promises.
    expect(again.data[123]).toBe(0);
  });

  it('by default runs tiny kernels on the plain loops, with the same answers', async () => {
    const mixed = await createWasmBackend();
    for (const [m, n, k] of [
      [1, 4, 2],
      [1, 40, 30],
    ]) {
      const a = mixed.matrix(m, k, 'float32');
      const b = mixed.matrix(k, n, 'float32');
      const c = mixed.matrix(m, n, 'float32');
      const [aj] = pair(m, k, uniform(-1, 1));
      const [bj] = pair(k, n, uniform(-1, 1));
      a.data.set(aj.data);
      b.data.set(bj.data);
      const cj = jsBackend.matrix(m, n, 'float32');
      mixed.gemm(false, false, 1, a, b, 0, c);
      jsBackend.gemm(false, false, 1, aj, bj, 0, cj);
      close(c.data, cj.data, 1e-5, 1);
      mixed.biasActivate('sigmoid', c, mixed.matrix(1, n, 'float32'), c);
      jsBackend.biasActivate('sigmoid', cj, jsBackend.matrix(1, n, 'float32'), cj);
      close(c.data, cj.data, 1e-6);
    }
  });

  it('the plain SIMD build gives the same answers when relaxed SIMD is turned off', async () => {
    const plain = await createWasmBackend({ relaxedSimd: false, delegateSmall: false });
    expect(plain.name).toBe('wasm-simd');
    const a = plain.matrix(5, 6, 'float32');
    const b = plain.matrix(6, 7, 'float32');
    const c = plain.matrix(5, 7, 'float32');
    const [aj] = pair(5, 6, uniform(-1, 1));
    const [bj] = pair(6, 7, uniform(-1, 1));
    a.data.set(aj.data);
    b.data.set(bj.data);
    const cj = jsBackend.matrix(5, 7, 'float32');
    plain.gemm(false, false, 1, a, b, 0, c);
    jsBackend.gemm(false, false, 1, aj, bj, 0, cj);
    close(c.data, cj.data, 1e-5, 1);
  });
});

describe('wasm build', () => {
  it('picks the relaxed-SIMD build where the engine has it, with the same answers', () => {
    const out = execFileSync(
      process.execPath,
      ['--experimental-wasm-relaxed-simd', '--import', 'tsx', 'test/wasm-relaxed.fixture.ts'],
      { encoding: 'utf8' },
    );
    const result = JSON.parse(out.trim().split('\n').at(-1)!);
    expect(result.relaxedSimd).toBe(true);
    expect(result.name).toBe('wasm-relaxed-simd');
    expect(result.worst).toBeLessThan(2e-6);
    expect(result.threadedName).toBe('wasm-relaxed-simd-threads-2');
    expect(result.threadsAgree).toBe(true);
  });
});
