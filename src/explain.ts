/**
 * The step trace (docs/design.md, "Step trace"): one step of plain gradient descent on a set
 * of examples, with every intermediate value in the notes' terms, and its
 * rendering as text a learner can follow by hand.
 *
 * @module
 */
import { activation as activationRecord } from './activations.js';
import type { Matrix } from './backend/backend.js';
import { type MatrixInput, shapeOf, toMatrix, toRows } from './data/tensor.js';
import { drawMasks, dropoutRandom } from './dropout.js';
import { BackpropError } from './errors.js';
import {
  checkLossFits,
  fusedPair,
  type LossSpec,
  loss as lossRecord,
  type Reduction,
  reductionScale,
  resolveLoss,
} from './losses.js';
import type { Network } from './network.js';
import { backward, createGradients, createWorkspace, forward, freeWorkspace } from './propagation.js';
import { checkSampleWeights } from './weights.js';

/** Options of {@link explain}. */
export interface ExplainOptions {
  /** Loss name or `sse`/`mse`. */
  loss: LossSpec;
  /** Default `mean` (implied by `sse`/`mse`). */
  reduction?: Reduction;
  /** eta: one number or one per layer. */
  learningRate: number | readonly number[];
  /**
   * Dropout (layers with a `dropout` rate): the seed of the masks, drawn as the
   * first update of a training run with this seed draws them (see `dropout.ts`);
   * default the network's seed (0 for a loaded network).
   */
  seed?: number;
  /**
   * Dropout masks to use instead of drawing them: per layer, examples x units
   * of 1 (kept) and 0 (dropped), or null for a layer without dropout.
   */
  masks?: readonly (readonly (readonly number[])[] | null)[];
  /**
   * w_i of each example: J = (1/n) sum_i w_i L(i) for `mean`, sum_i w_i L(i)
   * for `sum`, so each example's delta carries its weight.
   */
  sampleWeights?: readonly number[];
}

/** Layer n of a step trace; rows are examples, columns are nodes. */
export interface LayerTrace {
  /** v^(n): examples x units. */
  v: number[][];
  /** x^(n)_out = psi(v^(n)), or m psi(v^(n))/(1-p) under dropout: examples x units. */
  out: number[][];
  /** Under dropout only: the mask m (1 kept, 0 dropped), examples x units. */
  mask?: number[][];
  /** Under dropout only: psi(v^(n)) before the mask, examples x units. */
  activated?: number[][];
  /** delta^(n) = -dJ/dv^(n) (carrying the 1/n of a mean): examples x units. */
  delta: number[][];
  /** dJ/dw^(n): fan-in x units. */
  gradWeights: number[][];
  /** dJ/db^(n): units. */
  gradBiases: number[];
  /** w^(n) - eta^(n) dJ/dw^(n): fan-in x units. */
  weights: number[][];
  /** b^(n) - eta^(n) dJ/db^(n): units. */
  biases: number[];
}

/** The step trace (docs/design.md, "Step trace"). */
export interface StepTrace {
  /** J, with the chosen loss and reduction, before the step. */
  loss: number;
  /** w_i of each example, when weighted. */
  weights?: number[];
  layers: LayerTrace[];
}

function rates(net: Network, learningRate: number | readonly number[]): number[] {
  const layers = net.layers.length;
  const list =
    typeof learningRate === 'number' ? new Array(layers).fill(learningRate) : [...(learningRate ?? [])];
  if (list.length !== layers) {
    throw new BackpropError(
      `learningRate: expected one number or ${layers} (one per layer), got ${list.length}`,
    );
  }
  list.forEach((eta, i) => {
    if (typeof eta !== 'number' || !Number.isFinite(eta) || eta <= 0) {
      throw new BackpropError(
        `learningRate[${i}] (eta^(${i + 1})): expected a positive number, got ${String(eta)}`,
      );
    }
  });
  return list;
}

/**
 * One step of plain gradient descent on `inputs` (n x m_0) and `targets`
 * (n x m_N), without changing the network: the cost J before the step, and per
 * layer v, out, delta, the gradients and the weights after
 * w - eta^(n) dJ/dw.
 */
export function explain(
  net: Network,
  inputs: MatrixInput,
  targets: MatrixInput,
  options: ExplainOptions,
): StepTrace {
  if (typeof options !== 'object' || options === null) throw new BackpropError('explain: expected options');
  const { loss, reduction } = resolveLoss(options.loss, options.reduction);
  checkLossFits(loss, net.outputActivation);
  const eta = rates(net, options.learningRate);
  const [rows] = shapeOf(inputs, 'inputs');
  const [targetRows] = shapeOf(targets, 'targets');
  if (rows === 0) throw new BackpropError('inputs: no examples');
  if (targetRows !== rows) throw new BackpropError(`targets: ${targetRows} rows for ${rows} rows of inputs`);
  const { backend, dtype } = net;
  const x = toMatrix(inputs, backend, dtype, 'inputs', net.inputs);
  const t = toMatrix(targets, backend, dtype, 'targets', net.outputs);
  const weights = options.sampleWeights ? checkSampleWeights(options.sampleWeights, rows) : null;
  const ws = createWorkspace(net, rows, true);
  const grads = createGradients(net);
  try {
    if (ws.masks) fillMasks(net, ws.masks, options);
    const out = forward(net, ws, x);
    const last = net.layers.length - 1;
    const sum = backend.lossSum(loss, net.outputActivation, ws.v[last], out, t, weights);
    const scale = reductionScale(reduction, rows);
    backward(net, ws, x, t, loss, scale, grads, weights);
    const round = dtype === 'float32' ? Math.fround : (a: number) => a;
    return {
      loss: sum * scale,
      ...(weights ? { weights: Array.from(weights) } : {}),
      layers: net.layers.map((layer, n) => {
        const w = layer.weights.data;
        const b = layer.biases.data;
        const gw = grads.weights[n].data;
        const gb = grads.biases[n].data;
        const units = layer.units;
        const kept = ws.kept?.[n];
        const dropout = kept
          ? {
              mask: toRows(ws.masks?.[n] as Matrix).map((r) => r.map((m) => (m === 0 ? 0 : 1))),
              activated: toRows(ws.out[n]),
            }
          : {};
        return {
          v: toRows(ws.v[n]),
          out: toRows(kept ?? ws.out[n]),
          ...dropout,
          delta: toRows(ws.delta[n]),
          gradWeights: toRows(grads.weights[n]),
          gradBiases: Array.from(gb),
          weights: Array.from({ length: layer.fanIn }, (_, m) =>
            Array.from({ length: units }, (_, i) => round(w[m * units + i] - eta[n] * gw[m * units + i])),
          ),
          biases: Array.from({ length: units }, (_, i) => round(b[i] - eta[n] * gb[i])),
        };
      }),
    };
  } finally {
    freeWorkspace(backend, ws);
    for (const m of [x, t, ...grads.weights, ...grads.biases]) backend.free(m);
  }
}

/** The masks of the step: given (checked against the layers and examples), or drawn from the seed. */
function fillMasks(net: Network, masks: readonly (Matrix | null)[], options: ExplainOptions): void {
  if (options.masks === undefined) {
    drawMasks(net.layers, masks, dropoutRandom(options.seed ?? net.seed ?? 0));
    return;
  }
  if (!Array.isArray(options.masks) || options.masks.length !== net.layers.length) {
    throw new BackpropError(
      `masks: expected one entry per layer (${net.layers.length}), null where no dropout`,
    );
  }
  masks.forEach((mask, n) => {
    const given = options.masks?.[n];
    if (!mask) {
      if (given != null) throw new BackpropError(`masks[${n}]: layer ${n + 1} has no dropout; expected null`);
      return;
    }
    const p = net.layers[n].dropout;
    const data = mask.data;
    const ok =
      Array.isArray(given) &&
      given.length === mask.rows &&
      given.every((r) => Array.isArray(r) && r.length === mask.cols && r.every((m) => m === 0 || m === 1));
    if (!ok) {
      throw new BackpropError(
        `masks[${n}]: expected ${mask.rows} rows of ${mask.cols} zeros (dropped) and ones (kept)`,
      );
    }
    (given as readonly (readonly number[])[]).forEach((r, i) => {
      for (let j = 0; j < r.length; j++) data[i * mask.cols + j] = r[j] / (1 - p);
    });
  });
}

/** Formatting of numbers in the text trace: 6 significant digits unless asked otherwise. */
function fmt(x: number, digits: number): string {
  if (x === 0) return '0';
  const s = Number(x.toPrecision(digits)).toString();
  return x < 0 ? `(${s})` : s;
}

/**
 * The step trace as text in the notes' notation, for a learner to follow by
 * hand: the forward pass node by node, each delta with its formula, each
 * gradient and each update with its layer's eta.
 */
export function formatExplain(
  net: Network,
  inputs: MatrixInput,
  targets: MatrixInput,
  options: ExplainOptions,
  { digits = 6, trace = explain(net, inputs, targets, options) }: { digits?: number; trace?: StepTrace } = {},
): string {
  const { loss, reduction } = resolveLoss(options.loss, options.reduction);
  const eta = rates(net, options.learningRate);
  const x = toMatrix(inputs, net.backend, 'float64', 'inputs', net.inputs);
  const d = toMatrix(targets, net.backend, 'float64', 'targets', net.outputs);
  const X = toRows(x);
  const D = toRows(d);
  net.backend.free(x);
  net.backend.free(d);
  const f = (v: number) => fmt(v, digits);
  const list = (values: number[]) => values.map((v) => Number(v.toPrecision(digits)).toString()).join(', ');
  const n = X.length;
  const N = net.layers.length;
  const lines: string[] = [];
  const record = lossRecord(loss);
  const scaleText = reduction === 'mean' ? `(1/${n}) ` : '';
  lines.push(
    `One step of gradient descent on ${n} example${n === 1 ? '' : 's'}; loss ${loss}: ${record.formula}; ` +
      `cost J = ${reduction === 'mean' ? '(1/n) ' : ''}sum_i L(i) (${reduction}).`,
  );
  lines.push('');
  lines.push('Forward pass');
  for (let i = 0; i < n; i++) {
    const weight = trace.weights ? `, weight w_${i + 1} = ${f(trace.weights[i])}` : '';
    lines.push(`  example ${i + 1}: x = [${list(X[i])}], d = [${list(D[i])}]${weight}`);
    let below = X[i];
    net.layers.forEach((layer, li) => {
      const L = li + 1;
      const w = layer.weights.data;
      const b = layer.biases.data;
      const act = activationRecord(layer.activation);
      const lt = trace.layers[li];
      const mask = lt.mask?.[i];
      if (mask)
        lines.push(`    dropout mask m^(${L}) = [${mask.join(', ')}] (p = ${layer.dropout}; 0 = dropped)`);
      for (let j = 0; j < layer.units; j++) {
        const terms = below.map((xm, m) => `${f(w[m * layer.units + j])}*${f(xm)}`).join(' + ');
        lines.push(
          `    v^(${L})_${j + 1} = w^(${L})_0,${j + 1} + sum_m w^(${L})_m,${j + 1} x_m = ${f(b[j])} + ${terms} = ${f(lt.v[i][j])}`,
        );
        const psi = lt.activated?.[i][j];
        lines.push(
          mask && psi !== undefined
            ? `    x^(${L})_out,${j + 1} = m_${j + 1} psi(v^(${L})_${j + 1}) / (1-p) = ${mask[j]} * ${f(psi)} / ${f(1 - layer.dropout)} = ${f(lt.out[i][j])}   [${act.formula}]`
            : `    x^(${L})_out,${j + 1} = psi(v^(${L})_${j + 1}) = ${f(lt.out[i][j])}   [${act.formula}]`,
        );
      }
      below = lt.out[i];
    });
  }
  lines.push('');
  lines.push(`Cost J = ${trace.weights ? `${scaleText}sum_i w_i L(i) = ` : ''}${f(trace.loss)}`);
  lines.push('');
  lines.push('Backward pass (delta = -dJ/dv)');
  const output = net.layers[N - 1];
  const fused = fusedPair(loss, output.activation);
  for (let i = 0; i < n; i++) {
    lines.push(`  example ${i + 1}`);
    const lt = trace.layers[N - 1];
    // A weighted example's delta carries its weight: w_i times the reduction's scale.
    const sw = trace.weights ? `${scaleText}w_${i + 1} ` : scaleText;
    const sv = trace.weights ? `${scaleText}${f(trace.weights[i])} * ` : scaleText;
    for (let j = 0; j < output.units; j++) {
      const dj = D[i][j];
      const yj = lt.out[i][j];
      let formula: string;
      if (fused) formula = `${sw}(d_${j + 1} - y_${j + 1}) = ${sv}(${f(dj)} - ${f(yj)})`;
      else if (output.activation === 'softmax')
        formula = `${sw}sum_k (-dL/dy_k) d y_k / d v_${j + 1} (softmax Jacobian)`;
      else {
        const factor = loss === 'squared' ? '2 ' : '';
        const dpsi = activationRecord(output.activation).derivative(lt.v[i][j], yj);
        formula =
          loss === 'squared' || loss === 'half-squared'
            ? `${sw}${factor}(d_${j + 1} - y_${j + 1}) psi'(v^(${N})_${j + 1}) = ${sv}${factor}(${f(dj)} - ${f(yj)}) * ${f(dpsi)}`
            : `${sw}(-dL/dy_${j + 1}) psi'(v^(${N})_${j + 1}) = ${sv}${f(-record.gradient(dj, yj))} * ${f(dpsi)}`;
      }
      lines.push(`    delta^(${N})_${j + 1} = ${formula} = ${f(lt.delta[i][j])}`);
    }
    for (let L = N - 1; L >= 1; L--) {
      const layer = net.layers[L - 1];
      const above = net.layers[L];
      const wa = above.weights.data;
      const la = trace.layers[L];
      const lh = trace.layers[L - 1];
      for (let h = 0; h < layer.units; h++) {
        const sum = la.delta[i].map((dj, j) => `${f(dj)}*${f(wa[h * above.units + j])}`).join(' + ');
        const psi = lh.activated?.[i][h] ?? lh.out[i][h];
        const dpsi =
          layer.activation === 'softmax'
            ? NaN
            : activationRecord(layer.activation).derivative(lh.v[i][h], psi);
        const factor = layer.activation === 'softmax' ? '(softmax Jacobian)' : f(dpsi);
        const m = lh.mask?.[i][h];
        lines.push(
          m === undefined
            ? `    delta^(${L})_${h + 1} = psi'(v^(${L})_${h + 1}) sum_j delta^(${L + 1})_j w^(${L + 1})_${h + 1},j = ${factor} * (${sum}) = ${f(lh.delta[i][h])}`
            : m === 0
              ? `    delta^(${L})_${h + 1} = psi'(v^(${L})_${h + 1}) m_${h + 1}/(1-p) sum_j delta^(${L + 1})_j w^(${L + 1})_${h + 1},j = 0   (dropped: m_${h + 1} = 0)`
              : `    delta^(${L})_${h + 1} = psi'(v^(${L})_${h + 1}) m_${h + 1}/(1-p) sum_j delta^(${L + 1})_j w^(${L + 1})_${h + 1},j = ${factor} * 1/${f(1 - layer.dropout)} * (${sum}) = ${f(lh.delta[i][h])}`,
        );
      }
    }
  }
  lines.push('');
  lines.push(
    'Gradients and updates: w <- w - eta^(n) dJ/dw, with dJ/dw^(n)_mi = -sum_i delta^(n)_i x^(n-1)_out,m',
  );
  net.layers.forEach((layer, li) => {
    const L = li + 1;
    const lt = trace.layers[li];
    const w = layer.weights.data;
    const b = layer.biases.data;
    lines.push(`  layer ${L} (${layer.activation}, eta^(${L}) = ${f(eta[li])})`);
    for (let j = 0; j < layer.units; j++) {
      lines.push(
        `    w^(${L})_0,${j + 1}: dJ/dw = ${f(lt.gradBiases[j])}; ${f(b[j])} - ${f(eta[li])} * ${f(lt.gradBiases[j])} = ${f(lt.biases[j])}`,
      );
      for (let m = 0; m < layer.fanIn; m++) {
        const g = lt.gradWeights[m][j];
        lines.push(
          `    w^(${L})_${m + 1},${j + 1}: dJ/dw = ${f(g)}; ${f(w[m * layer.units + j])} - ${f(eta[li])} * ${f(g)} = ${f(lt.weights[m][j])}`,
        );
      }
    }
  });
  return lines.join('\n');
}
