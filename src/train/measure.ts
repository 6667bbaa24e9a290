/**
 * The cost J and the accuracy of a network on a set of examples, without
 * training: validation after each epoch, and {@link Trainer.evaluate}.
 *
 * @module
 */
import type { Matrix } from '../backend/backend.js';
import { countCorrect } from '../classification.js';
import type { Network } from '../network.js';
import { FORWARD_CHUNK, forwardInChunks } from '../propagation.js';
import type { ResolvedSettings } from '../settings.js';

/** What {@link measure} found. */
export interface Measured {
  cost: number;
  accuracy?: number;
}

/**
 * J of `net` on inputs `x` and targets `t` with the training loss and
 * reduction (weighted by `weights`, w_i per row, when given), and (for
 * classification) the share of rows classified right, unweighted.
 * Forward passes of FORWARD_CHUNK rows at a time.
 */
export function measure(
  net: Network,
  settings: ResolvedSettings,
  classification: boolean,
  x: Matrix,
  t: Matrix,
  weights: Float64Array | null = null,
): Measured {
  const { backend } = net;
  let total = 0;
  let correct = 0;
  const last = net.layers.length - 1;
  const targetChunk = new Map<number, Matrix>();
  const order = Uint32Array.from({ length: x.rows }, (_, i) => i);
  forwardInChunks(net, x, FORWARD_CHUNK, (out, start, ws) => {
    let tc = targetChunk.get(out.rows);
    if (!tc) {
      tc = backend.matrix(out.rows, t.cols, t.dtype);
      targetChunk.set(out.rows, tc);
    }
    backend.gatherRows(t, order, start, out.rows, tc);
    const w = weights ? weights.subarray(start, start + out.rows) : null;
    total += backend.lossSum(settings.loss, net.outputActivation, ws.v[last], out, tc, w);
    if (classification) correct += countCorrect(out.data, tc.data, out.cols, out.rows);
  });
  for (const m of targetChunk.values()) backend.free(m);
  const cost = settings.reduction === 'mean' ? total / x.rows : total;
  return classification ? { cost, accuracy: correct / x.rows } : { cost };
}
