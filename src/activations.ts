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
import {
  elu,
  eluDerivative,
  gelu,
  geluDerivative,
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
  tanhDerivative,
} from './elementwise.js';
import { exp, log, tanh } from './math.js';

export { erf, LEAKY_RELU_SLOPE, sigmoid, softplus } from './elementwise.js';
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

const records: Record<ActivationName, Activation> = {
  linear: {
    name: 'linear',
    psi: linear,
    derivative: linearDerivative,
    formula: 'psi(v) = v',
    derivativeFormula: "psi'(v) = 1",
    range: 'real',
    defaultInit: 'xavier',
    rowwise: false,
  },
  sigmoid: {
    name: 'sigmoid',
    psi: sigmoid,
    derivative: sigmoidDerivative,
    formula: 'psi(v) = 1 / (1 + e^(-v))',
    derivativeFormula: "psi'(v) = psi(v) (1 - psi(v))",
    range: 'unit-interval',
    defaultInit: 'xavier',
    rowwise: false,
  },
  tanh: {
    name: 'tanh',
    psi: tanh,
    derivative: tanhDerivative,
    formula: 'psi(v) = tanh(v)',
    derivativeFormula: "psi'(v) = 1 - psi(v)^2",
    range: 'real',
    defaultInit: 'xavier',
    rowwise: false,
  },
  relu: {
    name: 'relu',
    psi: relu,
    // PyTorch's convention: the derivative at 0 is 0.
    derivative: reluDerivative,
    formula: 'psi(v) = max(0, v)',
    derivativeFormula: "psi'(v) = 1 if v > 0, else 0",
    range: 'real',
    defaultInit: 'he',
    rowwise: false,
  },
  'leaky-relu': {
    name: 'leaky-relu',
    psi: leakyRelu,
    derivative: leakyReluDerivative,
    formula: 'psi(v) = v if v > 0, else 0.01 v',
    derivativeFormula: "psi'(v) = 1 if v > 0, else 0.01",
    range: 'real',
    defaultInit: 'he',
    rowwise: false,
  },
  elu: {
    name: 'elu',
    psi: elu,
    derivative: eluDerivative,
    formula: 'psi(v) = v if v > 0, else e^v - 1',
    derivativeFormula: "psi'(v) = 1 if v > 0, else e^v",
    range: 'above-minus-one',
    defaultInit: 'he',
    rowwise: false,
  },
  softplus: {
    name: 'softplus',
    psi: softplus,
    derivative: softplusDerivative,
    formula: 'psi(v) = ln(1 + e^v)',
    derivativeFormula: "psi'(v) = 1 / (1 + e^(-v))",
    range: 'positive',
    defaultInit: 'xavier',
    rowwise: false,
  },
  gelu: {
    name: 'gelu',
    psi: gelu,
    derivative: geluDerivative,
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
