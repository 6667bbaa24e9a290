/**
 * Activation functions psi, one record each: the function, its derivative, and
 * the formulas the step trace prints. The forward pass, the backward pass, the
 * model file and the playground's drawings all read these records.
 *
 * Softmax is the one activation that is not element by element: its Jacobian
 * is not diagonal, so its backward pass is J^T times the upstream gradient of
 * each row (see {@link softmaxBackwardRow}), whatever the loss.
 *
 * @module
 */
import type { ActivationName } from './backend/backend.js';
import { exp, expm1, log, log1p, tanh } from './math.js';

export type { ActivationName };

/** One activation function psi and what is needed to differentiate and print it. */
export interface Activation {
  readonly name: ActivationName;
  /** psi(v) of one node; unused for softmax, which works on a whole row. */
  readonly psi: (v: number) => number;
  /** psi'(v), given v and out = psi(v) (whichever is cheaper); unused for softmax. */
  readonly derivative: (v: number, out: number) => number;
  /** psi(v) in the notes' notation, for the step trace. */
  readonly formula: string;
  /** psi'(v) in the notes' notation. */
  readonly derivativeFormula: string;
  /** The range of psi, used to refuse a loss that cannot fit it. */
  readonly range: 'real' | 'positive' | 'unit-interval' | 'above-minus-one';
  /** The initialisation that suits it: He for the rectifiers, Xavier/Glorot otherwise. */
  readonly defaultInit: 'xavier' | 'he';
  /** True for softmax, whose output node i depends on every v of its row. */
  readonly rowwise: boolean;
}

/** The slope of leaky-relu for v <= 0 (SPEC section 4). */
export const LEAKY_RELU_SLOPE = 0.01;

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** The standard logistic function, computed so that it never overflows. */
export function sigmoid(v: number): number {
  if (v >= 0) return 1 / (1 + exp(-v));
  const e = exp(v);
  return e / (1 + e);
}

/** log(1 + e^v) without overflow or loss of precision. */
export function softplus(v: number): number {
  return Math.max(v, 0) + log1p(exp(-Math.abs(v)));
}

/**
 * The error function to about 1e-16, for the exact (not tanh-approximated)
 * GELU that PyTorch's `nn.GELU()` computes. Uses the series
 * erf(x) = 2/sqrt(pi) e^(-x^2) sum_n 2^n x^(2n+1) / (1*3*...*(2n+1)),
 * whose terms are all positive, so no precision is lost to cancellation.
 */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax >= 6) return Math.sign(x);
  let term = ax;
  let sum = ax;
  const x2 = 2 * ax * ax;
  for (let n = 1; n < 200; n++) {
    term *= x2 / (2 * n + 1);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * exp(-ax * ax) * sum;
}

const records: Record<ActivationName, Activation> = {
  linear: {
    name: 'linear',
    psi: (v) => v,
    derivative: () => 1,
    formula: 'psi(v) = v',
    derivativeFormula: "psi'(v) = 1",
    range: 'real',
    defaultInit: 'xavier',
    rowwise: false,
  },
  sigmoid: {
    name: 'sigmoid',
    psi: sigmoid,
    derivative: (_v, out) => out * (1 - out),
    formula: 'psi(v) = 1 / (1 + e^(-v))',
    derivativeFormula: "psi'(v) = psi(v) (1 - psi(v))",
    range: 'unit-interval',
    defaultInit: 'xavier',
    rowwise: false,
  },
  tanh: {
    name: 'tanh',
    psi: tanh,
    derivative: (_v, out) => 1 - out * out,
    formula: 'psi(v) = tanh(v)',
    derivativeFormula: "psi'(v) = 1 - psi(v)^2",
    range: 'real',
    defaultInit: 'xavier',
    rowwise: false,
  },
  relu: {
    name: 'relu',
    psi: (v) => (v > 0 ? v : 0),
    // PyTorch's convention: the derivative at 0 is 0.
    derivative: (v) => (v > 0 ? 1 : 0),
    formula: 'psi(v) = max(0, v)',
    derivativeFormula: "psi'(v) = 1 if v > 0, else 0",
    range: 'real',
    defaultInit: 'he',
    rowwise: false,
  },
  'leaky-relu': {
    name: 'leaky-relu',
    psi: (v) => (v > 0 ? v : LEAKY_RELU_SLOPE * v),
    derivative: (v) => (v > 0 ? 1 : LEAKY_RELU_SLOPE),
    formula: 'psi(v) = v if v > 0, else 0.01 v',
    derivativeFormula: "psi'(v) = 1 if v > 0, else 0.01",
    range: 'real',
    defaultInit: 'he',
    rowwise: false,
  },
  elu: {
    name: 'elu',
    psi: (v) => (v > 0 ? v : expm1(v)),
    derivative: (v) => (v > 0 ? 1 : exp(v)),
    formula: 'psi(v) = v if v > 0, else e^v - 1',
    derivativeFormula: "psi'(v) = 1 if v > 0, else e^v",
    range: 'above-minus-one',
    defaultInit: 'he',
    rowwise: false,
  },
  softplus: {
    name: 'softplus',
    psi: softplus,
    derivative: (v) => sigmoid(v),
    formula: 'psi(v) = ln(1 + e^v)',
    derivativeFormula: "psi'(v) = 1 / (1 + e^(-v))",
    range: 'positive',
    defaultInit: 'xavier',
    rowwise: false,
  },
  gelu: {
    name: 'gelu',
    psi: (v) => 0.5 * v * (1 + erf(v * SQRT1_2)),
    derivative: (v) => 0.5 * (1 + erf(v * SQRT1_2)) + v * INV_SQRT_2PI * exp(-0.5 * v * v),
    formula: 'psi(v) = v Phi(v), Phi the standard normal CDF',
    derivativeFormula: "psi'(v) = Phi(v) + v phi(v)",
    range: 'real',
    defaultInit: 'he',
    rowwise: false,
  },
  softmax: {
    name: 'softmax',
    psi: () => Number.NaN,
    derivative: () => Number.NaN,
    formula: 'psi(v)_i = e^(v_i) / sum_k e^(v_k)',
    derivativeFormula: 'd psi_i / d v_j = psi_i (1[i = j] - psi_j)',
    range: 'unit-interval',
    defaultInit: 'xavier',
    rowwise: true,
  },
};

/** Every activation name, in the order the docs list them. */
export const ACTIVATION_NAMES = Object.keys(records) as ActivationName[];

/** Whether `name` is a known activation. */
export function isActivationName(name: unknown): name is ActivationName {
  return typeof name === 'string' && Object.hasOwn(records, name);
}

/** The record of activation `name`; throws naming the known ones otherwise. */
export function activation(name: ActivationName): Activation {
  const record = records[name];
  if (record !== undefined && record.name === name) return record;
  if (!isActivationName(name)) {
    throw new Error(`unknown activation '${String(name)}': expected one of ${ACTIVATION_NAMES.join(', ')}`);
  }
  return records[name];
}

/**
 * Softmax of one row, v[offset .. offset+n-1] into out[...], shifted by the
 * row's maximum so that no exponential overflows.
 */
export function softmaxRow(
  v: ArrayLike<number>,
  out: { [i: number]: number },
  offset: number,
  n: number,
): void {
  let max = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < n; j++) if (v[offset + j] > max) max = v[offset + j];
  let sum = 0;
  for (let j = 0; j < n; j++) {
    const e = exp(v[offset + j] - max);
    out[offset + j] = e;
    sum += e;
  }
  for (let j = 0; j < n; j++) out[offset + j] /= sum;
}

/**
 * The softmax Jacobian product of one row: delta_j = sum_i (d out_i / d v_j) u_i
 * = out_j (u_j - sum_i out_i u_i). `delta` may alias `u`.
 */
export function softmaxBackwardRow(
  out: ArrayLike<number>,
  u: ArrayLike<number>,
  delta: { [i: number]: number },
  offset: number,
  n: number,
): void {
  let dot = 0;
  for (let i = 0; i < n; i++) dot += out[offset + i] * u[offset + i];
  for (let j = 0; j < n; j++) delta[offset + j] = out[offset + j] * (u[offset + j] - dot);
}

/** log sum_k e^(v_k) of one row, shifted by its maximum. */
export function logSumExpRow(v: ArrayLike<number>, offset: number, n: number): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < n; j++) if (v[offset + j] > max) max = v[offset + j];
  if (!Number.isFinite(max)) return max;
  let sum = 0;
  for (let j = 0; j < n; j++) sum += exp(v[offset + j] - max);
  return max + log(sum);
}
