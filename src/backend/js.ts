/**
 * The plain TypeScript backend: every kernel of {@link Backend} as a loop over
 * typed arrays. It is the fallback wherever WebAssembly is missing, the only
 * path for `float64`, and the reference the fast kernels are tested against.
 *
 * @module
 */
import {
  type Activation,
  activation as activationRecord,
  logSumExpRow,
  softmaxBackwardRow,
  softmaxRow,
  softplus,
} from '../activations.js';
import { loss as lossRecord } from '../losses.js';
import { powInt } from '../math.js';
import type { ActivationName, Backend, DType, FloatArray, LossName, Matrix } from './backend.js';

class JsMatrix implements Matrix {
  readonly data: FloatArray;
  constructor(
    readonly rows: number,
    readonly cols: number,
    readonly dtype: DType,
  ) {
    const n = rows * cols;
    this.data = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  }
}

function sameShape(a: Matrix, b: Matrix, what: string): void {
  if (a.rows !== b.rows || a.cols !== b.cols) {
    throw new Error(`${what}: shapes ${a.rows}x${a.cols} and ${b.rows}x${b.cols} differ`);
  }
}

/** C <- beta C, treating beta = 0 as a plain overwrite (so NaN in C does not survive). */
function scaleInto(c: FloatArray, n: number, beta: number): void {
  if (beta === 0) c.fill(0, 0, n);
  else if (beta !== 1) for (let i = 0; i < n; i++) c[i] *= beta;
}

function gemm(
  transA: boolean,
  transB: boolean,
  alpha: number,
  a: Matrix,
  b: Matrix,
  beta: number,
  c: Matrix,
) {
  const m = transA ? a.cols : a.rows;
  const k = transA ? a.rows : a.cols;
  const kb = transB ? b.cols : b.rows;
  const n = transB ? b.rows : b.cols;
  if (k !== kb || c.rows !== m || c.cols !== n) {
    throw new Error(
      `gemm: op(A) is ${m}x${k}, op(B) is ${kb}x${n}, C is ${c.rows}x${c.cols}: the shapes do not chain`,
    );
  }
  const A = a.data;
  const B = b.data;
  const C = c.data;
  scaleInto(C, m * n, beta);
  if (alpha === 0 || k === 0) return;
  if (!transA && !transB) {
    // i-k-j order: the inner loop runs along rows of B and C.
    for (let i = 0; i < m; i++) {
      const ci = i * n;
      for (let p = 0; p < k; p++) {
        const s = alpha * A[i * k + p];
        if (s === 0) continue;
        const bp = p * n;
        for (let j = 0; j < n; j++) C[ci + j] += s * B[bp + j];
      }
    }
  } else if (transA && !transB) {
    // A is k x m: C[i][j] = sum_p A[p][i] B[p][j].
    for (let p = 0; p < k; p++) {
      const ap = p * m;
      const bp = p * n;
      for (let i = 0; i < m; i++) {
        const s = alpha * A[ap + i];
        if (s === 0) continue;
        const ci = i * n;
        for (let j = 0; j < n; j++) C[ci + j] += s * B[bp + j];
      }
    }
  } else if (!transA && transB) {
    // B is n x k: each C[i][j] is a dot product of two contiguous rows.
    for (let i = 0; i < m; i++) {
      const ai = i * k;
      for (let j = 0; j < n; j++) {
        const bj = j * k;
        let sum = 0;
        for (let p = 0; p < k; p++) sum += A[ai + p] * B[bj + p];
        C[i * n + j] += alpha * sum;
      }
    }
  } else {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let p = 0; p < k; p++) sum += A[p * m + i] * B[j * k + p];
        C[i * n + j] += alpha * sum;
      }
    }
  }
}

function elementwise(name: ActivationName): Activation {
  return activationRecord(name);
}

/** The plain TypeScript backend (a stateless singleton). */
export const jsBackend: Backend = {
  name: 'js',

  matrix(rows, cols, dtype) {
    if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) {
      throw new Error(`matrix: ${rows}x${cols} is not a shape`);
    }
    return new JsMatrix(rows, cols, dtype);
  },

  free() {},

  copy(src, dst) {
    sameShape(src, dst, 'copy');
    dst.data.set(src.data);
  },

  fill(m, value) {
    m.data.fill(value);
  },

  gatherRows(src, indices, start, count, dst) {
    const cols = src.cols;
    const S = src.data;
    const D = dst.data;
    // A plain loop: subarray() would allocate a view per row.
    for (let r = 0; r < count; r++) {
      const from = indices[start + r] * cols;
      const to = r * cols;
      for (let c = 0; c < cols; c++) D[to + c] = S[from + c];
    }
  },

  gemm,

  biasActivate(name, v, biases, out) {
    sameShape(v, out, 'biasActivate');
    const rows = v.rows;
    const cols = v.cols;
    const V = v.data;
    const O = out.data;
    const b = biases.data;
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      for (let j = 0; j < cols; j++) V[o + j] += b[j];
    }
    const act = elementwise(name);
    if (act.rowwise) {
      for (let r = 0; r < rows; r++) softmaxRow(V, O, r * cols, cols);
    } else {
      const psi = act.psi;
      const n = rows * cols;
      for (let i = 0; i < n; i++) O[i] = psi(V[i]);
    }
  },

  activationBackward(name, v, out, upstream, delta) {
    const act = elementwise(name);
    const V = v.data;
    const O = out.data;
    const U = upstream.data;
    const D = delta.data;
    if (act.rowwise) {
      const cols = v.cols;
      for (let r = 0; r < v.rows; r++) softmaxBackwardRow(O, U, D, r * cols, cols);
      return;
    }
    const derivative = act.derivative;
    const n = v.rows * v.cols;
    for (let i = 0; i < n; i++) D[i] = derivative(V[i], O[i]) * U[i];
  },

  lossSum(name: LossName, act: ActivationName, v, out, targets) {
    sameShape(out, targets, 'loss');
    const V = v.data;
    const Y = out.data;
    const T = targets.data;
    const rows = out.rows;
    const cols = out.cols;
    let total = 0;
    if (name === 'binary-cross-entropy' && act === 'sigmoid') {
      // -[d ln sigma(v) + (1 - d) ln(1 - sigma(v))] = softplus(v) - d v
      for (let i = 0; i < rows * cols; i++) total += softplus(V[i]) - T[i] * V[i];
    } else if (name === 'cross-entropy' && act === 'softmax') {
      // -sum_k d_k ln y_k with ln y_k = v_k - logsumexp(v)
      for (let r = 0; r < rows; r++) {
        const o = r * cols;
        const lse = logSumExpRow(V, o, cols);
        for (let k = 0; k < cols; k++) if (T[o + k] !== 0) total += T[o + k] * (lse - V[o + k]);
      }
    } else {
      const value = lossRecord(name).value;
      for (let i = 0; i < rows * cols; i++) total += value(T[i], Y[i]);
    }
    return total;
  },

  lossDelta(name, act, v, out, targets, scale, delta) {
    sameShape(out, targets, 'loss');
    const Y = out.data;
    const T = targets.data;
    const D = delta.data;
    const rows = out.rows;
    const cols = out.cols;
    if (name === 'binary-cross-entropy' && act === 'sigmoid') {
      for (let i = 0; i < rows * cols; i++) D[i] = scale * (T[i] - Y[i]);
      return;
    }
    if (name === 'cross-entropy' && act === 'softmax') {
      // dL/dv_k = y_k sum_j d_j - d_k, which is y_k - d_k for one-hot targets.
      for (let r = 0; r < rows; r++) {
        const o = r * cols;
        let sumD = 0;
        for (let k = 0; k < cols; k++) sumD += T[o + k];
        for (let k = 0; k < cols; k++) D[o + k] = scale * (T[o + k] - Y[o + k] * sumD);
      }
      return;
    }
    const gradient = lossRecord(name).gradient;
    for (let i = 0; i < rows * cols; i++) D[i] = -scale * gradient(T[i], Y[i]);
    jsBackend.activationBackward(act, v, out, delta, delta);
  },

  sumRows(alpha, a, beta, out) {
    const cols = a.cols;
    const A = a.data;
    const O = out.data;
    scaleInto(O, cols, beta);
    for (let r = 0; r < a.rows; r++) {
      const o = r * cols;
      for (let j = 0; j < cols; j++) O[j] += alpha * A[o + j];
    }
  },

  sgd(w, g, eta, lambda) {
    const W = w.data;
    const G = g.data;
    for (let i = 0; i < W.length; i++) W[i] -= eta * (lambda === 0 ? G[i] : G[i] + lambda * W[i]);
  },

  momentum(w, g, b, eta, mu, nesterov, lambda) {
    const W = w.data;
    const G = g.data;
    const Bf = b.data;
    for (let i = 0; i < W.length; i++) {
      const gi = lambda === 0 ? G[i] : G[i] + lambda * W[i];
      Bf[i] = mu * Bf[i] + gi;
      W[i] -= eta * (nesterov ? gi + mu * Bf[i] : Bf[i]);
    }
  },

  adam(w, g, m, s, eta, beta1, beta2, eps, t, lambda) {
    const W = w.data;
    const G = g.data;
    const M = m.data;
    const S = s.data;
    const stepSize = eta / (1 - powInt(beta1, t));
    const correction2 = Math.sqrt(1 - powInt(beta2, t));
    for (let i = 0; i < W.length; i++) {
      const gi = lambda === 0 ? G[i] : G[i] + lambda * W[i];
      M[i] += (1 - beta1) * (gi - M[i]);
      S[i] = beta2 * S[i] + (1 - beta2) * gi * gi;
      W[i] -= stepSize * (M[i] / (Math.sqrt(S[i]) / correction2 + eps));
    }
  },

  rmsprop(w, g, s, eta, rho, eps, lambda) {
    const W = w.data;
    const G = g.data;
    const S = s.data;
    for (let i = 0; i < W.length; i++) {
      const gi = lambda === 0 ? G[i] : G[i] + lambda * W[i];
      S[i] = rho * S[i] + (1 - rho) * gi * gi;
      W[i] -= eta * (gi / (Math.sqrt(S[i]) + eps));
    }
  },
};
