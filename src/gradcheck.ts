/**
 * A gradient check for learners: every dJ/dw^(n)_mi that backpropagation
 * computes, compared with the central finite difference
 *
 *   dJ/dw ~ (J(w + h) - J(w - h)) / (2 h),
 *
 * whose error is of order h^2 (plus rounding of order eps J / h), in float64 on
 * the plain TypeScript backend, where an activation of one's own
 * ({@link registerActivation}) runs too. A psi' that does not match psi shows
 * up as a large relative error in the layer that uses it and in every layer
 * below it (delta flows down), so the layer named is the highest that fails.
 *
 * @module
 */
import { activation as activationRecord } from './activations.js';
import { jsBackend } from './backend/index.js';
import { type MatrixInput, shapeOf, toMatrix } from './data/tensor.js';
import { BackpropError } from './errors.js';
import {
  checkLossFits,
  defaultLoss,
  type LossSpec,
  type Reduction,
  reductionScale,
  resolveLoss,
} from './losses.js';
import { Network } from './network.js';
import { backward, createGradients, createWorkspace, forward, freeWorkspace } from './propagation.js';

/** Options of {@link gradientCheck}. */
export interface GradientCheckOptions {
  /** Loss name or `sse`/`mse`; default the one the output activation suggests. */
  loss?: LossSpec;
  /** `mean` (default) or `sum`. */
  reduction?: Reduction;
  /** The step h of the finite differences; default 1e-5. */
  step?: number;
  /** The largest relative error that passes; default 1e-5 (a wrong psi' gives errors of order 1). */
  tolerance?: number;
}

/** One weight's two derivatives. `m` is 0 for the bias w^(n)_0i, else the input m (1-based); `i` is the node (1-based). */
export interface WeightCheck {
  m: number;
  i: number;
  /** dJ/dw by backpropagation. */
  backprop: number;
  /** dJ/dw by central finite differences. */
  numeric: number;
  /** |backprop - numeric| / max(|backprop|, |numeric|, 1e-3 g_max), g_max the largest |dJ/dw| of the network. */
  relativeError: number;
}

/** The check of layer n: its worst weight. */
export interface LayerCheck {
  /** n, 1-based. */
  layer: number;
  activation: string;
  /** The weight (or bias) with the largest relative error. */
  worst: WeightCheck;
  passed: boolean;
}

/** What {@link gradientCheck} found. */
export interface GradientCheckResult {
  /** J at the network's weights. */
  cost: number;
  loss: string;
  reduction: Reduction;
  step: number;
  tolerance: number;
  layers: LayerCheck[];
  passed: boolean;
  /** The highest layer that fails (1-based), where a wrong psi' or loss gradient sits; null when all pass. */
  culprit: number | null;
}

/**
 * A derivative this small next to the network's largest counts as zero in the
 * relative error: finite differences resolve a derivative only to about
 * eps J / h, whatever its size.
 */
const FLOOR = 1e-3;

/**
 * Compares every backpropagated dJ/dw and dJ/db of `net` on `inputs` (n x m_0)
 * and `targets` (n x m_N) with central finite differences, in float64 on the
 * TypeScript backend (the network itself is not changed). Costs two forward
 * passes over the examples per weight.
 *
 * @example
 * const result = gradientCheck(net, [[0, 1], [1, 0]], [[1], [1]], { loss: 'half-squared' });
 * console.log(formatGradientCheck(result)); // per layer: max |rel. error| of dJ/dw^(n)_mi, and a verdict
 */
export function gradientCheck(
  net: Network,
  inputs: MatrixInput,
  targets: MatrixInput,
  options: GradientCheckOptions = {},
): GradientCheckResult {
  const { loss, reduction } = resolveLoss(
    options.loss ?? defaultLoss(net.outputActivation),
    options.reduction,
  );
  checkLossFits(loss, net.outputActivation);
  const step = options.step ?? 1e-5;
  const tolerance = options.tolerance ?? 1e-5;
  if (!(step > 0) || !Number.isFinite(step))
    throw new BackpropError(`step: expected a positive number, got ${String(step)}`);
  if (!(tolerance > 0))
    throw new BackpropError(`tolerance: expected a positive number, got ${String(tolerance)}`);
  const [rows] = shapeOf(inputs, 'inputs');
  const [targetRows] = shapeOf(targets, 'targets');
  if (rows === 0) throw new BackpropError('inputs: no examples');
  if (targetRows !== rows) throw new BackpropError(`targets: ${targetRows} rows for ${rows} rows of inputs`);

  const backend = jsBackend;
  const copy = Network.fromJSON(net.toJSON({}), { dtype: 'float64', backend });
  const x = toMatrix(inputs, backend, 'float64', 'inputs', copy.inputs);
  const t = toMatrix(targets, backend, 'float64', 'targets', copy.outputs);
  const ws = createWorkspace(copy, rows);
  const grads = createGradients(copy);
  const scale = reductionScale(reduction, rows);
  const last = copy.layers.length - 1;
  const cost = (): number => {
    const out = forward(copy, ws, x);
    return backend.lossSum(loss, copy.outputActivation, ws.v[last], out, t) * scale;
  };
  try {
    const J = cost();
    backward(copy, ws, x, t, loss, scale, grads);
    let largest = Number.MIN_VALUE;
    for (const g of [...grads.weights, ...grads.biases])
      for (let k = 0; k < g.data.length; k++) largest = Math.max(largest, Math.abs(g.data[k]));
    const floor = FLOOR * largest;
    const layers = copy.layers.map((layer, n): LayerCheck => {
      let worst: WeightCheck | undefined;
      const visit = (params: Float64Array, g: Float64Array, k: number, m: number, i: number) => {
        const w = params[k];
        params[k] = w + step;
        const plus = cost();
        params[k] = w - step;
        const minus = cost();
        params[k] = w;
        const numeric = (plus - minus) / (2 * step);
        const analytic = g[k];
        const relativeError =
          Math.abs(analytic - numeric) / Math.max(Math.abs(analytic), Math.abs(numeric), floor);
        if (!worst || !(relativeError <= worst.relativeError))
          worst = { m, i, backprop: analytic, numeric, relativeError };
      };
      const W = layer.weights.data as Float64Array;
      const B = layer.biases.data as Float64Array;
      for (let i = 0; i < layer.units; i++) {
        visit(B, grads.biases[n].data as Float64Array, i, 0, i + 1);
        for (let m = 0; m < layer.fanIn; m++)
          visit(W, grads.weights[n].data as Float64Array, m * layer.units + i, m + 1, i + 1);
      }
      const found = worst as WeightCheck;
      return {
        layer: n + 1,
        activation: layer.activation,
        worst: found,
        passed: found.relativeError <= tolerance,
      };
    });
    let culprit: number | null = null;
    for (const l of layers) if (!l.passed) culprit = l.layer;
    return { cost: J, loss, reduction, step, tolerance, layers, passed: culprit === null, culprit };
  } finally {
    freeWorkspace(backend, ws);
    for (const m of [x, t, ...grads.weights, ...grads.biases]) backend.free(m);
    for (const l of copy.layers) {
      backend.free(l.weights);
      backend.free(l.biases);
    }
  }
}

function num(x: number): string {
  return Number(x.toPrecision(6)).toString();
}

/** A small setting as 1e-6 rather than 0.000001. */
function small(x: number): string {
  return x !== 0 && Math.abs(x) < 1e-3 ? x.toExponential() : String(x);
}

/**
 * The result of {@link gradientCheck} in the notes' notation: per layer the
 * largest relative error of dJ/dw^(n)_mi (w^(n)_0i the bias), then a verdict
 * that names the layer where the disagreement starts.
 */
export function formatGradientCheck(result: GradientCheckResult): string {
  const lines = [
    `Gradient check: backpropagation against central differences (J(w + h) - J(w - h)) / 2h, h = ${small(result.step)}, float64`,
    `J = ${num(result.cost)} (${result.loss}, ${result.reduction}); rel. error = |backprop - numeric| / max(|backprop|, |numeric|, 1e-3 max |dJ/dw|)`,
    `A layer passes when its largest rel. error is at most ${small(result.tolerance)}.`,
    '',
  ];
  for (const l of result.layers) {
    const w = l.worst;
    const n = l.layer;
    lines.push(
      `  layer ${n} (${l.activation}): max rel. error ${w.relativeError.toExponential(2)} at dJ/dw^(${n})_${w.m},${w.i}` +
        ` (backprop ${num(w.backprop)}, numeric ${num(w.numeric)})  ${l.passed ? 'ok' : 'FAIL'}`,
    );
  }
  lines.push('');
  if (result.passed) {
    lines.push('Verdict: PASS. Every backpropagated dJ/dw agrees with the finite differences.');
  } else {
    const n = result.culprit as number;
    const bad = result.layers[n - 1];
    const last = n === result.layers.length;
    const psi = activationRecord(bad.activation as Parameters<typeof activationRecord>[0]);
    const below = n > 1 ? ` (and so every layer below it, which its delta^(${n}) feeds)` : '';
    lines.push(
      `Verdict: FAIL in layer ${n}${below}. Check psi'(v) of its activation '${bad.activation}' (${psi.derivativeFormula})` +
        `${last ? `, or the gradient of the loss ${result.loss}` : ''}: it does not match psi(v).`,
    );
  }
  return lines.join('\n');
}
