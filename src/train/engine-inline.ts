/**
 * The `js` engine: small networks trained one example at a time with plain
 * sgd, each update done inline by {@link smallStep} (no kernel dispatch), to
 * the bit what the general engine computes. It serves where the WebAssembly
 * kernel does not: streams, engines without WebAssembly, or when asked for.
 *
 * @module
 */
import { type Batch, BatchEngine } from './engine-batch.js';
import { smallStep } from './small.js';

/** Updates by the inline TypeScript path. */
export class InlineEngine extends BatchEngine {
  readonly kind = 'js';
  /** eta^(n) of each layer: the settings' rates, or a schedule's. */
  private readonly rates: number[] = [...this.ctx.settings.learningRate];

  setRates(rates: readonly number[]): void {
    for (let n = 0; n < rates.length; n++) this.rates[n] = rates[n];
  }

  protected update(b: Batch): void {
    const { net, settings, totals } = this.ctx;
    const loss = smallStep(net, b.ws, b.x, b.t, settings.loss, this.grads, this.rates);
    if (!Number.isFinite(loss)) this.ctx.diverge(loss);
    totals.loss += loss;
    this.count(b.ws.out[net.layers.length - 1], b.t, b.ws.rows);
  }
}
