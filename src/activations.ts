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
  /** The range of psi: its infimum and supremum (infinite when unbounded). */
  readonly range: readonly [number, number];
  /** True for softmax: its outputs are the probabilities of classes, whatever the loss. */
  readonly classes: boolean;
  /** TeX forms for the playground's trace: the symbol of psi, psi(v) and psi'(v) (right-hand sides). */
  readonly tex: { readonly symbol: string; readonly psi: string; readonly derivative: string };
  /** The initialisation that suits it: He for the rectifiers, Xavier/Glorot otherwise. */
  readonly defaultInit: 'xavier' | 'he';
  /** True for softmax, whose output node i depends on every v of its row. */
  readonly rowwise: boolean;
}

/** The least value of GELU, at v = -0.75179...: GELU is bounded below, not above. */
const GELU_MINIMUM = -0.1699712074799037;

const records: Record<ActivationName, Activation> = {
  linear: {
    name: 'linear',
    psi: linear,
    derivative: linearDerivative,
    formula: 'psi(v) = v',
    derivativeFormula: "psi'(v) = 1",
    range: [-Infinity, Infinity],
    defaultInit: 'xavier',
    rowwise: false,
    classes: false,
    tex: { symbol: '\\mathrm{id}', psi: 'v', derivative: '1' },
  },
  sigmoid: {
    name: 'sigmoid',
    psi: sigmoid,
    derivative: sigmoidDerivative,
    formula: 'psi(v) = 1 / (1 + e^(-v))',
    derivativeFormula: "psi'(v) = psi(v) (1 - psi(v))",
    range: [0, 1],
    defaultInit: 'xavier',
    rowwise: false,
    classes: false,
    tex: { symbol: '\\sigma', psi: '\\frac{1}{1 + e^{-v}}', derivative: '\\psi(v)\\,(1 - \\psi(v))' },
  },
  tanh: {
    name: 'tanh',
    psi: tanh,
    derivative: tanhDerivative,
    formula: 'psi(v) = tanh(v)',
    derivativeFormula: "psi'(v) = 1 - psi(v)^2",
    range: [-1, 1],
    defaultInit: 'xavier',
    rowwise: false,
    classes: false,
    tex: { symbol: '\\tanh', psi: '\\tanh v', derivative: '1 - \\psi(v)^2' },
  },
  relu: {
    name: 'relu',
    psi: relu,
    // PyTorch's convention: the derivative at 0 is 0.
    derivative: reluDerivative,
    formula: 'psi(v) = max(0, v)',
    derivativeFormula: "psi'(v) = 1 if v > 0, else 0",
    range: [0, Infinity],
    defaultInit: 'he',
    rowwise: false,
    classes: false,
    tex: { symbol: '\\mathrm{relu}', psi: '\\max(0, v)', derivative: '[v > 0]' },
  },
  'leaky-relu': {
    name: 'leaky-relu',
    psi: leakyRelu,
    derivative: leakyReluDerivative,
    formula: 'psi(v) = v if v > 0, else 0.01 v',
    derivativeFormula: "psi'(v) = 1 if v > 0, else 0.01",
    range: [-Infinity, Infinity],
    defaultInit: 'he',
    rowwise: false,
    classes: false,
    tex: {
      symbol: '\\mathrm{lrelu}',
      psi: '\\max(0.01\\,v, v)',
      derivative: '1 \\text{ if } v > 0 \\text{ else } 0.01',
    },
  },
  elu: {
    name: 'elu',
    psi: elu,
    derivative: eluDerivative,
    formula: 'psi(v) = v if v > 0, else e^v - 1',
    derivativeFormula: "psi'(v) = 1 if v > 0, else e^v",
    range: [-1, Infinity],
    defaultInit: 'he',
    rowwise: false,
    classes: false,
    tex: {
      symbol: '\\mathrm{elu}',
      psi: 'v \\text{ if } v > 0 \\text{ else } e^v - 1',
      derivative: '1 \\text{ if } v > 0 \\text{ else } e^v',
    },
  },
  softplus: {
    name: 'softplus',
    psi: softplus,
    derivative: softplusDerivative,
    formula: 'psi(v) = ln(1 + e^v)',
    derivativeFormula: "psi'(v) = 1 / (1 + e^(-v))",
    range: [0, Infinity],
    defaultInit: 'xavier',
    rowwise: false,
    classes: false,
    tex: { symbol: '\\mathrm{softplus}', psi: '\\ln(1 + e^v)', derivative: '\\frac{1}{1 + e^{-v}}' },
  },
  gelu: {
    name: 'gelu',
    psi: gelu,
    derivative: geluDerivative,
    formula: 'psi(v) = v Phi(v), Phi the standard normal CDF',
    derivativeFormula: "psi'(v) = Phi(v) + v phi(v)",
    range: [GELU_MINIMUM, Infinity],
    defaultInit: 'he',
    rowwise: false,
    classes: false,
    tex: { symbol: '\\mathrm{gelu}', psi: 'v\\,\\Phi(v)', derivative: '\\Phi(v) + v\\,\\varphi(v)' },
  },
  softmax: {
    name: 'softmax',
    psi: () => Number.NaN,
    derivative: () => Number.NaN,
    formula: 'psi(v)_i = e^(v_i) / sum_k e^(v_k)',
    derivativeFormula: 'd psi_i / d v_j = psi_i (1[i = j] - psi_j)',
    range: [0, 1],
    defaultInit: 'xavier',
    rowwise: true,
    classes: true,
    tex: {
      symbol: '\\mathrm{softmax}',
      psi: '\\frac{e^{v_i}}{\\sum_k e^{v_k}}',
      derivative: '\\psi_i\\,([i = j] - \\psi_j)',
    },
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

/** The range of activation `name`'s outputs: [infimum, supremum], infinite where unbounded. */
export function outputRange(name: ActivationName): readonly [number, number] {
  return activation(name).range;
}

/** Whether activation `name`'s outputs are bounded on both sides: sigmoid, tanh and softmax. */
export function isBounded(name: ActivationName): boolean {
  const [lo, hi] = activation(name).range;
  return Number.isFinite(lo) && Number.isFinite(hi);
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

/** What {@link registerActivation} needs: a name, psi and psi'; the rest is optional. */
export interface ActivationSpec {
  name: string;
  /** psi(v) of one node. */
  psi: (v: number) => number;
  /** psi'(v), given v and out = psi(v). */
  derivative: (v: number, out: number) => number;
  formula?: string;
  derivativeFormula?: string;
  range?: readonly [number, number];
}

/**
 * Adds an activation of one's own, element by element, for a learner to try:
 * a network may then name it as a layer's activation. It runs on the plain
 * TypeScript backend only (`jsBackend`); `gradientCheck` tells whether
 * its psi' matches its psi. A built-in name cannot be replaced; registering a
 * name again replaces the earlier registration.
 *
 * @example
 * registerActivation({ name: 'cube', psi: (v) => v ** 3, derivative: (v) => 3 * v ** 2 });
 */
export function registerActivation(spec: ActivationSpec): ActivationName {
  const { name, psi, derivative } = spec;
  if (typeof name !== 'string' || name === '' || ACTIVATION_NAMES.includes(name as ActivationName)) {
    throw new Error(
      `registerActivation: '${String(name)}' is empty or a built-in activation; choose a new name`,
    );
  }
  if (typeof psi !== 'function' || typeof derivative !== 'function') {
    throw new Error(`registerActivation: '${name}' needs psi and derivative as functions`);
  }
  (records as Record<string, Activation>)[name] = {
    name: name as ActivationName,
    psi,
    derivative,
    formula: spec.formula ?? `psi(v) = ${name}(v)`,
    derivativeFormula: spec.derivativeFormula ?? `psi'(v) = ${name}'(v)`,
    range: spec.range ?? [-Infinity, Infinity],
    defaultInit: 'xavier',
    rowwise: false,
    classes: false,
    tex: { symbol: `\\mathrm{${name}}`, psi: `\\mathrm{${name}}(v)`, derivative: `\\mathrm{${name}}'(v)` },
  };
  return name as ActivationName;
}
