/**
 * The plain TypeScript backend: every kernel of {@link Backend} as a loop over
 * typed arrays. It is the fallback wherever WebAssembly is missing, the only
 * path for `float64`, and the reference the fast kernels are tested against.
 *
 * @module
 */
import {
  activation as activationRecord,
  logSumExpRow,
  softmaxBackwardRow,
  softmaxRow,
} from '../activations.js';
import {
  binaryCrossEntropyGradient,
  binaryCrossEntropyValue,
  crossEntropyGradient,
  crossEntropyValue,
  elu,
  eluDerivative,
  gelu,
  geluDerivative,
  halfSquaredGradient,
  halfSquaredValue,
  leakyRelu,
  leakyReluDerivative,
  linear,
  linearDerivative,
  relu,
  reluDerivative,
  sigmoid,
  sigmoidDerivative,
  softplus,
  softplusDerivative,
  squaredGradient,
  squaredValue,
  tanhDerivative,
} from '../elementwise.js';
import { fusedPair, loss as lossRecord } from '../losses.js';
import { powInt, tanh } from '../math.js';
import type { ActivationName, Backend, DType, FloatArray, LossName, Matrix } from './backend.js';

class JsMatrix implements Matrix {
  readonly data: FloatArray;
  constructor(
    readonly rows: number,
    readonly cols: number,
    readonly dtype: DType,
    shared?: FloatArray,
  ) {
    const n = rows * cols;
    this.data = shared
      ? shared.subarray(0, n)
      : dtype === 'float64'
        ? new Float64Array(n)
        : new Float32Array(n);
  }
}

// The checks that run on every call keep their error messages out of line:
// inlined into a kernel, a template literal would spend the caller's inlining
// budget, which the calls that pass numbers need.
function sameShape(a: Matrix, b: Matrix, what: string): void {
  if (a.rows !== b.rows || a.cols !== b.cols) shapesDiffer(a, b, what);
}

function shapesDiffer(a: Matrix, b: Matrix, what: string): never {
  throw new Error(`${what}: shapes ${a.rows}x${a.cols} and ${b.rows}x${b.cols} differ`);
}

/** The index of the first of a[start, end) that is NaN or infinite (x - x is then not 0), or -1. */
export function firstNonFiniteIn(a: ArrayLike<number>, start: number, end: number): number {
  for (let i = start; i < end; i++) if (a[i] - a[i] !== 0) return i;
  return -1;
}

/** Throws unless rows x cols fits within `m` (see Backend.view). */
export function checkView(m: Matrix, rows: number, cols: number): void {
  if (
    !Number.isInteger(rows) ||
    !Number.isInteger(cols) ||
    rows < 0 ||
    cols < 0 ||
    rows * cols > m.rows * m.cols
  ) {
    throw new Error(`view: ${rows}x${cols} does not fit in a ${m.rows}x${m.cols} matrix`);
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

// psi and psi' over n elements, one loop per activation, each calling its
// function by name so that V8 inlines it there: a call through a variable
// (act.psi) stays a call, and the double it returns is boxed on the heap, 16
// bytes of garbage an element. The kernels reach the loops through these maps
// rather than a switch: once two activations have run, V8 no longer inlines a
// loop into the kernel, so each is compiled on its own with a whole inlining
// budget for its function (tanh, sigmoid and gelu in one body would exhaust it,
// and a call left out boxes its result element by element).
type ForwardLoop = (V: FloatArray, O: FloatArray, n: number) => void;
type BackwardLoop = (V: FloatArray, O: FloatArray, U: FloatArray, D: FloatArray, n: number) => void;

const FORWARD = new Map<ActivationName, ForwardLoop>([
  [
    'linear',
    (V, O, n) => {
      for (let i = 0; i < n; i++) O[i] = linear(V[i]);
    },
  ],
  [
    'sigmoid',
    (V, O, n) => {
      for (let i = 0; i < n; i++) O[i] = sigmoid(V[i]);
    },
  ],
  [
    'tanh',
    (V, O, n) => {
      for (let i = 0; i < n; i++) O[i] = tanh(V[i]);
    },
  ],
  [
    'relu',
    (V, O, n) => {
      for (let i = 0; i < n; i++) O[i] = relu(V[i]);
    },
  ],
  [
    'leaky-relu',
    (V, O, n) => {
      for (let i = 0; i < n; i++) O[i] = leakyRelu(V[i]);
    },
  ],
  [
    'elu',
    (V, O, n) => {
      for (let i = 0; i < n; i++) O[i] = elu(V[i]);
    },
  ],
  [
    'softplus',
    (V, O, n) => {
      for (let i = 0; i < n; i++) O[i] = softplus(V[i]);
    },
  ],
  [
    'gelu',
    (V, O, n) => {
      for (let i = 0; i < n; i++) O[i] = gelu(V[i]);
    },
  ],
]);

const BACKWARD = new Map<ActivationName, BackwardLoop>([
  [
    'linear',
    (_V, _O, U, D, n) => {
      for (let i = 0; i < n; i++) D[i] = linearDerivative() * U[i];
    },
  ],
  [
    'sigmoid',
    (V, O, U, D, n) => {
      for (let i = 0; i < n; i++) D[i] = sigmoidDerivative(V[i], O[i]) * U[i];
    },
  ],
  [
    'tanh',
    (V, O, U, D, n) => {
      for (let i = 0; i < n; i++) D[i] = tanhDerivative(V[i], O[i]) * U[i];
    },
  ],
  [
    'relu',
    (V, _O, U, D, n) => {
      for (let i = 0; i < n; i++) D[i] = reluDerivative(V[i]) * U[i];
    },
  ],
  [
    'leaky-relu',
    (V, _O, U, D, n) => {
      for (let i = 0; i < n; i++) D[i] = leakyReluDerivative(V[i]) * U[i];
    },
  ],
  [
    'elu',
    (V, _O, U, D, n) => {
      for (let i = 0; i < n; i++) D[i] = eluDerivative(V[i]) * U[i];
    },
  ],
  [
    'softplus',
    (V, _O, U, D, n) => {
      for (let i = 0; i < n; i++) D[i] = softplusDerivative(V[i]) * U[i];
    },
  ],
  [
    'gelu',
    (V, _O, U, D, n) => {
      for (let i = 0; i < n; i++) D[i] = geluDerivative(V[i]) * U[i];
    },
  ],
]);

// An activation registered at run time (registerActivation) has no loop above:
// its record's psi and psi' run through a call each. A name that is no
// activation throws there, naming the known ones.
function recordForward(name: ActivationName): ForwardLoop {
  const act = activationRecord(name);
  return (V, O, n) => {
    for (let i = 0; i < n; i++) O[i] = act.psi(V[i]);
  };
}

function recordBackward(name: ActivationName): BackwardLoop {
  const act = activationRecord(name);
  return (V, O, U, D, n) => {
    for (let i = 0; i < n; i++) D[i] = act.derivative(V[i], O[i]) * U[i];
  };
}

// The kernels that take or give numbers other than small integers take and give
// them in a parameter block p, in the order of the WebAssembly kernels'
// (assembly/index.ts; Adam's takes eta and computes its bias corrections): V8
// boxes a double passed to or returned from a call that it does not inline on
// the heap, 16 bytes of garbage, and these bodies are too long to inline
// everywhere. The methods of jsBackend below are short wrappers that fill PARAM;
// the WebAssembly backend calls the bodies with its own block for tiny matrices.
const PARAM = new Float64Array(8);

/** sum_i L(i) into p[0] (see {@link Backend.lossSum}). */
export function lossSumKernel(
  name: LossName,
  act: ActivationName,
  v: Matrix,
  out: Matrix,
  targets: Matrix,
  p: Float64Array,
  weights: ArrayLike<number> | null = null,
): void {
  sameShape(out, targets, 'loss');
  if (weights !== null) {
    p[0] = weightedLossSum(name, act, v, out, targets, weights);
    return;
  }
  const V = v.data;
  const Y = out.data;
  const T = targets.data;
  const rows = out.rows;
  const cols = out.cols;
  let total = 0;
  if (fusedPair(name, act)) {
    if (act === 'softmax') {
      // -sum_k d_k ln y_k with ln y_k = v_k - logsumexp(v)
      for (let r = 0; r < rows; r++) {
        const o = r * cols;
        const lse = logSumExpRow(V, o, cols);
        for (let k = 0; k < cols; k++) if (T[o + k] !== 0) total += T[o + k] * (lse - V[o + k]);
      }
    } else {
      // sigmoid: -[d ln sigma(v) + (1 - d) ln(1 - sigma(v))] = softplus(v) - d v
      for (let i = 0; i < rows * cols; i++) total += softplus(V[i]) - T[i] * V[i];
    }
  } else {
    // One loop per loss, each calling its function by name (see FORWARD).
    const n = rows * cols;
    switch (name) {
      case 'squared':
        for (let i = 0; i < n; i++) total += squaredValue(T[i], Y[i]);
        break;
      case 'half-squared':
        for (let i = 0; i < n; i++) total += halfSquaredValue(T[i], Y[i]);
        break;
      case 'binary-cross-entropy':
        for (let i = 0; i < n; i++) total += binaryCrossEntropyValue(T[i], Y[i]);
        break;
      case 'cross-entropy':
        for (let i = 0; i < n; i++) total += crossEntropyValue(T[i], Y[i]);
        break;
      default:
        lossRecord(name); // throws, naming the known losses
    }
  }
  p[0] = total;
}

/** sum_i w_i L(i): each row's loss by the same formulas, times its weight. */
function weightedLossSum(
  name: LossName,
  act: ActivationName,
  v: Matrix,
  out: Matrix,
  targets: Matrix,
  weights: ArrayLike<number>,
): number {
  const V = v.data;
  const Y = out.data;
  const T = targets.data;
  const cols = out.cols;
  const fused = fusedPair(name, act);
  const value = lossRecord(name).value;
  let total = 0;
  for (let r = 0; r < out.rows; r++) {
    const o = r * cols;
    let row = 0;
    if (fused && act === 'softmax') {
      const lse = logSumExpRow(V, o, cols);
      for (let k = 0; k < cols; k++) if (T[o + k] !== 0) row += T[o + k] * (lse - V[o + k]);
    } else if (fused) for (let k = o; k < o + cols; k++) row += softplus(V[k]) - T[k] * V[k];
    else for (let k = o; k < o + cols; k++) row += value(T[k], Y[k]);
    total += weights[r] * row;
  }
  return total;
}

/** delta = -dJ/dv of the output layer, scale in p[0] (see {@link Backend.lossDelta}). */
export function lossDeltaKernel(
  name: LossName,
  act: ActivationName,
  v: Matrix,
  out: Matrix,
  targets: Matrix,
  p: Float64Array,
  delta: Matrix,
  weights: ArrayLike<number> | null = null,
): void {
  sameShape(out, targets, 'loss');
  const scale = p[0];
  const Y = out.data;
  const T = targets.data;
  const D = delta.data;
  const rows = out.rows;
  const cols = out.cols;
  if (weights !== null) {
    // Each row's delta carries its example's weight: the scale of row r is scale w_r.
    const fused = fusedPair(name, act);
    const gradient = lossRecord(name).gradient;
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      const s = scale * weights[r];
      if (fused && act === 'softmax') {
        let sumD = 0;
        for (let k = 0; k < cols; k++) sumD += T[o + k];
        for (let k = 0; k < cols; k++) D[o + k] = s * (T[o + k] - Y[o + k] * sumD);
      } else if (fused) for (let k = o; k < o + cols; k++) D[k] = s * (T[k] - Y[k]);
      else for (let k = o; k < o + cols; k++) D[k] = -s * gradient(T[k], Y[k]);
    }
    if (!fused) jsBackend.activationBackward(act, v, out, delta, delta);
    return;
  }
  if (fusedPair(name, act)) {
    if (act === 'softmax') {
      // dL/dv_k = y_k sum_j d_j - d_k, which is y_k - d_k for one-hot targets.
      for (let r = 0; r < rows; r++) {
        const o = r * cols;
        let sumD = 0;
        for (let k = 0; k < cols; k++) sumD += T[o + k];
        for (let k = 0; k < cols; k++) D[o + k] = scale * (T[o + k] - Y[o + k] * sumD);
      }
    } else {
      // sigmoid: dL/dv = y - d.
      for (let i = 0; i < rows * cols; i++) D[i] = scale * (T[i] - Y[i]);
    }
    return;
  }
  // One loop per loss, each calling its function by name (see FORWARD).
  const n = rows * cols;
  switch (name) {
    case 'squared':
      for (let i = 0; i < n; i++) D[i] = -scale * squaredGradient(T[i], Y[i]);
      break;
    case 'half-squared':
      for (let i = 0; i < n; i++) D[i] = -scale * halfSquaredGradient(T[i], Y[i]);
      break;
    case 'binary-cross-entropy':
      for (let i = 0; i < n; i++) D[i] = -scale * binaryCrossEntropyGradient(T[i], Y[i]);
      break;
    case 'cross-entropy':
      for (let i = 0; i < n; i++) D[i] = -scale * crossEntropyGradient(T[i], Y[i]);
      break;
    default:
      lossRecord(name); // throws, naming the known losses
  }
  jsBackend.activationBackward(act, v, out, delta, delta);
}

/** L1's subgradient with p = lambda1 (see {@link Backend.l1}). */
export function l1Kernel(w: Matrix, g: Matrix, p: Float64Array): void {
  // float32 adds lambda1 as a float32, as the WebAssembly kernel does: the same bits on both.
  const l = g.dtype === 'float32' ? Math.fround(p[0]) : p[0];
  const W = w.data;
  const G = g.data;
  for (let i = 0; i < W.length; i++) {
    const x = W[i];
    if (x > 0) G[i] += l;
    else if (x < 0) G[i] -= l;
  }
}

/** Steepest descent with p = eta, lambda (see {@link Backend.sgd}). */
export function sgdKernel(w: Matrix, g: Matrix, p: Float64Array): void {
  const eta = p[0];
  const lambda = p[1];
  const W = w.data;
  const G = g.data;
  for (let i = 0; i < W.length; i++) W[i] -= eta * (lambda === 0 ? G[i] : G[i] + lambda * W[i]);
}

/** Momentum with p = eta, lambda, mu (see {@link Backend.momentum}). */
export function momentumKernel(w: Matrix, g: Matrix, b: Matrix, nesterov: boolean, p: Float64Array): void {
  const eta = p[0];
  const lambda = p[1];
  const mu = p[2];
  const W = w.data;
  const G = g.data;
  const Bf = b.data;
  for (let i = 0; i < W.length; i++) {
    const gi = lambda === 0 ? G[i] : G[i] + lambda * W[i];
    Bf[i] = mu * Bf[i] + gi;
    W[i] -= eta * (nesterov ? gi + mu * Bf[i] : Bf[i]);
  }
}

/**
 * Adam at step t with p = eta, lambda, beta1, beta2, eps (see {@link Backend.adam});
 * the bias corrections are computed here.
 */
export function adamKernel(w: Matrix, g: Matrix, m: Matrix, s: Matrix, t: number, p: Float64Array): void {
  const eta = p[0];
  const lambda = p[1];
  const beta1 = p[2];
  const beta2 = p[3];
  const eps = p[4];
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
}

/** RMSProp with p = eta, lambda, rho, eps (see {@link Backend.rmsprop}). */
export function rmspropKernel(w: Matrix, g: Matrix, s: Matrix, p: Float64Array): void {
  const eta = p[0];
  const lambda = p[1];
  const rho = p[2];
  const eps = p[3];
  const W = w.data;
  const G = g.data;
  const S = s.data;
  for (let i = 0; i < W.length; i++) {
    const gi = lambda === 0 ? G[i] : G[i] + lambda * W[i];
    S[i] = rho * S[i] + (1 - rho) * gi * gi;
    W[i] -= eta * (gi / (Math.sqrt(S[i]) + eps));
  }
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

  firstNonFinite(m) {
    return firstNonFiniteIn(m.data, 0, m.rows * m.cols);
  },

  view(m, rows, cols) {
    checkView(m, rows, cols);
    return new JsMatrix(rows, cols, m.dtype, m.data);
  },

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
    if (name === 'softmax') {
      for (let r = 0; r < rows; r++) softmaxRow(V, O, r * cols, cols);
      return;
    }
    const loop = FORWARD.get(name) ?? recordForward(name);
    loop(V, O, rows * cols);
  },

  activationBackward(name, v, out, upstream, delta) {
    const V = v.data;
    const O = out.data;
    const U = upstream.data;
    const D = delta.data;
    if (name === 'softmax') {
      const cols = v.cols;
      for (let r = 0; r < v.rows; r++) softmaxBackwardRow(O, U, D, r * cols, cols);
      return;
    }
    const loop = BACKWARD.get(name) ?? recordBackward(name);
    loop(V, O, U, D, v.rows * v.cols);
  },

  lossSum(name: LossName, act: ActivationName, v, out, targets, weights = null) {
    lossSumKernel(name, act, v, out, targets, PARAM, weights);
    return PARAM[0];
  },

  lossSumInto(name, act, v, out, targets, sum, weights = null) {
    lossSumKernel(name, act, v, out, targets, sum, weights);
  },

  lossDelta(name, act, v, out, targets, scale, delta, weights = null) {
    PARAM[0] = scale;
    lossDeltaKernel(name, act, v, out, targets, PARAM, delta, weights);
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

  l1(w, g, lambda1) {
    PARAM[0] = lambda1;
    l1Kernel(w, g, PARAM);
  },

  sgd(w, g, eta, lambda) {
    PARAM[0] = eta;
    PARAM[1] = lambda;
    sgdKernel(w, g, PARAM);
  },

  momentum(w, g, b, eta, mu, nesterov, lambda) {
    PARAM[0] = eta;
    PARAM[1] = lambda;
    PARAM[2] = mu;
    momentumKernel(w, g, b, nesterov, PARAM);
  },

  adam(w, g, m, s, eta, beta1, beta2, eps, t, lambda) {
    PARAM[0] = eta;
    PARAM[1] = lambda;
    PARAM[2] = beta1;
    PARAM[3] = beta2;
    PARAM[4] = eps;
    adamKernel(w, g, m, s, t, PARAM);
  },

  rmsprop(w, g, s, eta, rho, eps, lambda) {
    PARAM[0] = eta;
    PARAM[1] = lambda;
    PARAM[2] = rho;
    PARAM[3] = eps;
    rmspropKernel(w, g, s, PARAM);
  },
};
