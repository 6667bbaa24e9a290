/**
 * The per-example update of a small network, inline. A 2-4-1 network trained
 * one example at a time spends most of its time dispatching some sixteen kernel
 * calls of a few flops each; this path does the same arithmetic, in the same
 * order, on the same buffers as {@link forward}, {@link backward} and the
 * plain-TypeScript kernels, so its results are bit-identical to theirs (a test
 * holds it to that), only without the dispatch. It serves plain `sgd` without
 * weight decay, on any backend, since every backend's matrices are plain
 * typed-array views of its storage (on the WebAssembly backend the inline path
 * gives what the plain kernels would, not the SIMD kernels' last bits).
 *
 * @module
 */
import { activation as activationRecord, softmaxBackwardRow, softmaxRow } from '../activations.js';
import type { FloatArray, Matrix } from '../backend/backend.js';
import { jsBackend } from '../backend/js.js';
import type { LossName } from '../losses.js';
import type { Network } from '../network.js';
import type { Gradients, Workspace } from '../propagation.js';

/** Networks with at most this many weights and biases take the inline path. */
export const SMALL_NETWORK_PARAMETERS = 4096;

/** Whether the inline path applies. */
export function useSmallPath(net: Network, batchSize: number, optimizer: string, decay: number): boolean {
  return (
    batchSize === 1 && optimizer === 'sgd' && decay === 0 && net.parameterCount <= SMALL_NETWORK_PARAMETERS
  );
}

/**
 * One update of `net` from the single example in row 0 of `x` and `t`: forward,
 * loss, backpropagation and w <- w - eta^(n) dJ/dw. Returns L of the example.
 */
export function smallStep(
  net: Network,
  ws: Workspace,
  x: Matrix,
  t: Matrix,
  loss: LossName,
  grads: Gradients,
  eta: readonly number[],
): number {
  const layers = net.layers;
  const N = layers.length;
  // Forward: v = x W (the gemm kernel's loop order), then v += b and out = psi(v).
  let input: FloatArray = x.data;
  for (let n = 0; n < N; n++) {
    const layer = layers[n];
    const k = layer.fanIn;
    const units = layer.units;
    const W = layer.weights.data;
    const b = layer.biases.data;
    const V = ws.v[n].data;
    const O = ws.out[n].data;
    for (let j = 0; j < units; j++) V[j] = 0;
    for (let p = 0; p < k; p++) {
      const s = input[p];
      if (s === 0) continue;
      const row = p * units;
      for (let j = 0; j < units; j++) V[j] += s * W[row + j];
    }
    for (let j = 0; j < units; j++) V[j] += b[j];
    const act = activationRecord(layer.activation);
    if (act.rowwise) softmaxRow(V, O, 0, units);
    else {
      const psi = act.psi;
      for (let j = 0; j < units; j++) O[j] = psi(V[j]);
    }
    input = O;
  }
  const last = N - 1;
  const output = layers[last];
  const value = jsBackend.lossSum(loss, output.activation, ws.v[last], ws.out[last], t);
  if (!Number.isFinite(value)) return value;
  jsBackend.lossDelta(loss, output.activation, ws.v[last], ws.out[last], t, 1, ws.delta[last]);
  // Backward and update, layer by layer from the output: each layer's delta
  // below is computed from its weights before they change.
  for (let n = last; n >= 0; n--) {
    const layer = layers[n];
    const k = layer.fanIn;
    const units = layer.units;
    const below: FloatArray = n === 0 ? x.data : ws.out[n - 1].data;
    const D = ws.delta[n].data;
    const W = layer.weights.data;
    const GW = grads.weights[n].data;
    const GB = grads.biases[n].data;
    // dJ/dW = -x_out^T delta
    for (let i = 0; i < k * units; i++) GW[i] = 0;
    for (let i = 0; i < k; i++) {
      const s = -1 * below[i];
      if (s === 0) continue;
      const row = i * units;
      for (let j = 0; j < units; j++) GW[row + j] += s * D[j];
    }
    for (let j = 0; j < units; j++) {
      GB[j] = 0;
      GB[j] += -1 * D[j];
    }
    if (n > 0) {
      // delta^(n-1) = psi'(v) * (delta W^T)
      const Db = ws.delta[n - 1].data;
      for (let j = 0; j < k; j++) {
        let sum = 0;
        const row = j * units;
        for (let p = 0; p < units; p++) sum += D[p] * W[row + p];
        Db[j] = 0;
        Db[j] += 1 * sum;
      }
      const act = activationRecord(layers[n - 1].activation);
      const Vb = ws.v[n - 1].data;
      const Ob = ws.out[n - 1].data;
      if (act.rowwise) softmaxBackwardRow(Ob, Db, Db, 0, k);
      else {
        const derivative = act.derivative;
        for (let j = 0; j < k; j++) Db[j] = derivative(Vb[j], Ob[j]) * Db[j];
      }
    }
  }
  for (let n = 0; n < N; n++) {
    const e = eta[n];
    const W = layers[n].weights.data;
    const GW = grads.weights[n].data;
    for (let i = 0; i < W.length; i++) W[i] -= e * GW[i];
    const b = layers[n].biases.data;
    const GB = grads.biases[n].data;
    for (let i = 0; i < b.length; i++) b[i] -= e * GB[i];
  }
  return value;
}
