/**
 * The `general` engine: every mode and optimizer, on any backend. An update is
 * the notes' forward pass, the loss, the backward pass (dJ/dw into the
 * gradients) and the optimizer's step.
 *
 * @module
 */
import { drawMasks } from '../dropout.js';
import type { Optimizer } from '../optimizers.js';
import { backward, forward, type Gradients } from '../propagation.js';
import type { EngineContext, Examples } from './engine.js';
import { type Batch, BatchEngine } from './engine-batch.js';

/** Updates by the backend's kernels and the optimizer. */
export class GeneralEngine extends BatchEngine {
  readonly kind = 'general';
  /** sum_i L(i) of the update under way, from the backend's lossSumInto. */
  private readonly lossOut = new Float64Array(1);

  constructor(
    ctx: EngineContext,
    examples: Examples | null,
    grads: Gradients,
    private readonly optimizer: Optimizer,
  ) {
    super(ctx, examples, grads);
  }

  /** eta of each parameter (weights, biases, layer by layer), for the optimizer's rates. */
  private readonly paramRates: number[] = [];

  setRates(rates: readonly number[]): void {
    const r = this.paramRates;
    for (let n = 0; n < rates.length; n++) r[2 * n] = r[2 * n + 1] = rates[n];
    this.optimizer.setRates(r);
  }

  protected update(b: Batch): void {
    const { net, settings, totals } = this.ctx;
    const { backend } = net;
    const last = net.layers.length - 1;
    // No double is computed here and passed into a call, or returned from one:
    // V8 boxes such a double on the heap (16 bytes of garbage) at every call it
    // does not inline. The loss comes back in a Float64Array; the backward
    // pass's scale and the learning rates wait in arrays of arguments (see
    // Batch.backward and Optimizer.bind).
    const masks = b.ws.masks;
    if (masks && this.ctx.dropout) drawMasks(net.layers, masks, this.ctx.dropout);
    const out = forward(net, b.ws, b.x);
    const sum = this.lossOut;
    if (backend.lossSumInto)
      backend.lossSumInto(settings.loss, net.outputActivation, b.ws.v[last], out, b.t, sum, b.w);
    else sum[0] = backend.lossSum(settings.loss, net.outputActivation, b.ws.v[last], out, b.t, b.w);
    const loss = sum[0];
    if (!Number.isFinite(loss)) this.ctx.diverge(loss);
    totals.loss += loss;
    this.count(out, b.t, b.ws.rows);
    const a = b.backward;
    if (a[8] !== null) {
      this.optimizer.beginStep();
      backward(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8]);
    } else {
      backward(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]);
      this.optimizer.step();
    }
  }

  protected override descent(): Optimizer | null {
    return this.optimizer.plain ? this.optimizer : null;
  }
}
