// The plain TypeScript kernels against naive loops written here: gemm in all
// four transpose combinations with alpha and beta on odd shapes, row gathering,
// row sums, and the activations with their derivatives.
import { describe, expect, it } from 'vitest';
import { type ActivationName, type DType, jsBackend, type Matrix } from '../src/index.js';
import { expectClose, lcg } from './support/core.js';

const B = jsBackend;
const next = lcg(3);

function filled(rows: number, cols: number, dtype: DType, value = () => next() * 2 - 1): Matrix {
  const m = B.matrix(rows, cols, dtype);
  for (let i = 0; i < rows * cols; i++) m.data[i] = value();
  return m;
}

/** C = alpha op(A) op(B) + beta C by the textbook triple loop, in float64. */
function naiveGemm(
  transA: boolean,
  transB: boolean,
  alpha: number,
  a: Matrix,
  b: Matrix,
  beta: number,
  c: Matrix,
): number[] {
  const m = transA ? a.cols : a.rows;
  const k = transA ? a.rows : a.cols;
  const n = transB ? b.rows : b.cols;
  const at = (i: number, p: number) => (transA ? a.data[p * a.cols + i] : a.data[i * a.cols + p]);
  const bt = (p: number, j: number) => (transB ? b.data[j * b.cols + p] : b.data[p * b.cols + j]);
  const out: number[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) sum += at(i, p) * bt(p, j);
      out.push(alpha * sum + (beta === 0 ? 0 : beta * c.data[i * n + j]));
    }
  }
  return out;
}

describe('gemm', () => {
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [3, 5, 7],
    [7, 1, 3],
    [1, 9, 4],
    [13, 17, 11],
    [33, 2, 65],
  ];
  for (const dtype of ['float64', 'float32'] as const) {
    for (const [m, k, n] of shapes) {
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          it(`${dtype} ${m}x${k} times ${k}x${n}, transA ${transA}, transB ${transB}, with alpha and beta`, () => {
            const a = transA ? filled(k, m, dtype) : filled(m, k, dtype);
            const b = transB ? filled(n, k, dtype) : filled(k, n, dtype);
            for (const [alpha, beta] of [
              [1, 0],
              [-0.7, 1],
              [2.5, -0.3],
              [0, 0.5],
            ]) {
              const c = filled(m, n, dtype);
              const expected = naiveGemm(transA, transB, alpha, a, b, beta, c);
              B.gemm(transA, transB, alpha, a, b, beta, c);
              // float32 storage rounds each sum (about 1e-7 relative to the terms' size).
              const tol = dtype === 'float64' ? { rel: 1e-13, abs: 1e-14 } : { rel: 1e-5, abs: 1e-5 };
              expectClose(c.data, expected, { ...tol, what: `C (alpha ${alpha}, beta ${beta})` });
            }
          });
        }
      }
    }
  }

  it('beta = 0 ignores NaN and Infinity in C, in every transpose combination', () => {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        const a = filled(4, 4, 'float64');
        const b = filled(4, 4, 'float64');
        const c = filled(4, 4, 'float64', () => Number.NaN);
        c.data[3] = Number.POSITIVE_INFINITY;
        B.gemm(transA, transB, 1, a, b, 0, c);
        expect(Array.from(c.data).every(Number.isFinite)).toBe(true);
        expectClose(c.data, naiveGemm(transA, transB, 1, a, b, 0, c), { rel: 1e-13, abs: 1e-15 });
      }
    }
  });

  it('alpha = 0 with beta = 0 gives zeros; shapes that do not chain are refused', () => {
    const c = filled(2, 3, 'float64', () => Number.NaN);
    B.gemm(false, false, 0, filled(2, 4, 'float64'), filled(4, 3, 'float64'), 0, c);
    expect(Array.from(c.data)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(() => B.gemm(false, false, 1, filled(2, 4, 'float64'), filled(3, 3, 'float64'), 0, c)).toThrow(
      /do not chain/,
    );
    expect(() =>
      B.gemm(false, true, 1, filled(2, 4, 'float64'), filled(3, 4, 'float64'), 0, filled(3, 2, 'float64')),
    ).toThrow(/do not chain/);
  });
});

describe('gatherRows', () => {
  it('copies rows indices[start..start+count-1] of src, in that order, into rows 0..count-1', () => {
    const src = filled(6, 3, 'float64');
    const indices = Uint32Array.from([5, 0, 3, 3, 1, 2]);
    const dst = filled(3, 3, 'float64', () => -9);
    B.gatherRows(src, indices, 2, 3, dst);
    const row = (r: number) => Array.from(src.data.subarray(r * 3, r * 3 + 3));
    expect(Array.from(dst.data)).toEqual([...row(3), ...row(3), ...row(1)]);
    // A shorter gather leaves the rows after it alone.
    const wide = filled(4, 3, 'float32', () => 7);
    B.gatherRows(src, indices, 0, 2, wide);
    expect(Array.from(wide.data)).toEqual([...row(5), ...row(0), 7, 7, 7, 7, 7, 7].map(Math.fround));
  });
});

describe('sumRows', () => {
  it('out <- alpha * (sum of the rows of a) + beta * out', () => {
    const a = filled(5, 4, 'float64');
    const sums = [0, 1, 2, 3].map((j) => [0, 1, 2, 3, 4].reduce((s, r) => s + a.data[r * 4 + j], 0));
    const out = filled(1, 4, 'float64');
    const old = Array.from(out.data);
    B.sumRows(-1.5, a, 0.25, out);
    expectClose(
      out.data,
      sums.map((s, j) => -1.5 * s + 0.25 * old[j]),
      { rel: 1e-14, abs: 1e-15 },
    );
    const nan = filled(1, 4, 'float64', () => Number.NaN);
    B.sumRows(1, a, 0, nan);
    expectClose(nan.data, sums, { rel: 1e-14, abs: 1e-15, what: 'beta = 0 over NaN' });
  });
});

describe('activations', () => {
  const ELEMENTWISE: ActivationName[] = [
    'linear',
    'sigmoid',
    'tanh',
    'relu',
    'leaky-relu',
    'elu',
    'softplus',
    'gelu',
  ];
  // psi written out here, independently of the library.
  const erf = (x: number) => {
    // Abramowitz-Stegun 7.1.26 is too coarse; integrate exp(-t^2) by Simpson's rule instead.
    const steps = 2000;
    const h = x / steps;
    let s = 0;
    for (let i = 0; i <= steps; i++) {
      const w = i === 0 || i === steps ? 1 : i % 2 ? 4 : 2;
      s += w * Math.exp(-((i * h) ** 2));
    }
    return ((2 / Math.sqrt(Math.PI)) * s * h) / 3;
  };
  const psi: Record<string, (v: number) => number> = {
    linear: (v) => v,
    sigmoid: (v) => 1 / (1 + Math.exp(-v)),
    tanh: Math.tanh,
    relu: (v) => Math.max(0, v),
    'leaky-relu': (v) => (v > 0 ? v : 0.01 * v),
    elu: (v) => (v > 0 ? v : Math.exp(v) - 1),
    softplus: (v) => Math.log(1 + Math.exp(v)),
    gelu: (v) => 0.5 * v * (1 + erf(v / Math.SQRT2)),
  };
  const values = [-3.1, -1.2, -0.4, -0.05, 0.07, 0.5, 1.3, 2.9];

  for (const name of ELEMENTWISE) {
    it(`${name}: biasActivate adds the biases and applies psi; activationBackward multiplies by psi'`, () => {
      const v = B.matrix(2, 4, 'float64');
      v.data.set(values);
      const biases = B.matrix(1, 4, 'float64');
      biases.data.set([0.1, -0.2, 0.3, 0]);
      const out = B.matrix(2, 4, 'float64');
      B.biasActivate(name, v, biases, out);
      const shifted = values.map((x, i) => x + biases.data[i % 4]);
      expectClose(v.data, shifted, { rel: 1e-15, what: 'v' });
      expectClose(out.data, shifted.map(psi[name]), { rel: 1e-12, abs: 1e-14, what: 'out' });
      const upstream = B.matrix(2, 4, 'float64');
      upstream.data.set(values.map((_, i) => 0.5 + i / 8));
      const delta = B.matrix(2, 4, 'float64');
      B.activationBackward(name, v, out, upstream, delta);
      const h = 1e-6;
      const derivative = shifted.map((x) => (psi[name](x + h) - psi[name](x - h)) / (2 * h));
      expectClose(
        delta.data,
        derivative.map((d, i) => d * upstream.data[i]),
        { rel: 1e-6, abs: 1e-9, what: 'delta' },
      );
    });
  }

  it('softmax: rows sum to 1, stay finite for huge v, and the backward pass is J^T upstream', () => {
    const v = B.matrix(2, 3, 'float64');
    v.data.set([1, 2, 3, 1000, 1001, -1000]);
    const out = B.matrix(2, 3, 'float64');
    B.biasActivate('softmax', v, B.matrix(1, 3, 'float64'), out);
    expect(Array.from(out.data).every(Number.isFinite)).toBe(true);
    const e = [1, 2, 3].map(Math.exp);
    const total = e[0] + e[1] + e[2];
    expectClose(
      out.data.subarray(0, 3),
      e.map((x) => x / total),
      { rel: 1e-15 },
    );
    expectClose([out.data[3] + out.data[4] + out.data[5]], [1], { rel: 1e-15 });
    const u = B.matrix(2, 3, 'float64');
    u.data.set([0.3, -1, 2, 1, 0.5, -0.25]);
    const delta = B.matrix(2, 3, 'float64');
    B.activationBackward('softmax', v, out, u, delta);
    // delta_j = sum_i (d y_i / d v_j) u_i with d y_i / d v_j = y_i (1[i = j] - y_j).
    const expected: number[] = [];
    for (let r = 0; r < 2; r++) {
      const y = Array.from(out.data.subarray(3 * r, 3 * r + 3));
      const ur = Array.from(u.data.subarray(3 * r, 3 * r + 3));
      for (let j = 0; j < 3; j++) {
        expected.push(y.reduce((s, yi, i) => s + yi * ((i === j ? 1 : 0) - y[j]) * ur[i], 0));
      }
    }
    expectClose(delta.data, expected, { rel: 1e-13, abs: 1e-16 });
  });

  it('the fused losses stay finite where the outputs saturate', () => {
    const v = B.matrix(1, 2, 'float64');
    v.data.set([800, -800]);
    const sig = B.matrix(1, 2, 'float64');
    B.biasActivate('sigmoid', v, B.matrix(1, 2, 'float64'), sig);
    const t = B.matrix(1, 2, 'float64');
    t.data.set([0, 1]);
    // -[0 ln sigma(800) + 1 ln(1 - sigma(800))] - [1 ln sigma(-800)] = 800 + 800.
    expect(B.lossSum('binary-cross-entropy', 'sigmoid', v, sig, t)).toBeCloseTo(1600, 9);
    const soft = B.matrix(1, 2, 'float64');
    B.biasActivate('softmax', v, B.matrix(1, 2, 'float64'), soft);
    expect(B.lossSum('cross-entropy', 'softmax', v, soft, t)).toBeCloseTo(1600, 9);
  });
});
