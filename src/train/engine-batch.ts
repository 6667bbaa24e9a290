/**
 * What the `general` and `js` engines share: updates on batches of examples
 * gathered into buffers made once per batch size, from in-memory data or from
 * a stream. Each engine supplies its own {@link BatchEngine.update}.
 *
 * @module
 */
import type { Matrix } from '../backend/backend.js';
import { countCorrect } from '../classification.js';
import { reductionScale } from '../losses.js';
import type { Optimizer } from '../optimizers.js';
import {
  type backward,
  createWorkspace,
  freeWorkspace,
  type Gradients,
  type Workspace,
} from '../propagation.js';
import type { EngineContext, Examples, UpdateEngine, WholeEpochs } from './engine.js';

/** The buffers of one batch size. */
export interface Batch {
  ws: Workspace;
  x: Matrix;
  t: Matrix;
  /** w_i of the batch's examples, gathered in the same order, or null when unweighted. */
  w: Float64Array | null;
  /**
   * The arguments of this batch's backward pass, its scale among them. Computed
   * per update or read from a field, the scale (a double) would be boxed on the
   * heap at every call V8 does not inline; in an array that also holds objects
   * V8 keeps it as a heap number made once, which is passed on as it is.
   */
  backward: Parameters<typeof backward>;
}

/** An engine that updates from batches of examples in buffers. */
export abstract class BatchEngine implements UpdateEngine {
  abstract readonly kind: 'general' | 'js';
  readonly order: Uint32Array;
  readonly stride: number;
  readonly snapshots = true;
  readonly epochs: WholeEpochs | null = null;
  private readonly batches = new Map<number, Batch>();
  private lastBatch: Batch | null = null;

  constructor(
    protected readonly ctx: EngineContext,
    private readonly examples: Examples | null,
    protected readonly grads: Gradients,
  ) {
    const { net, settings } = ctx;
    this.order = new Uint32Array(examples?.n ?? 0);
    // About 2^18 multiply-adds between looks at the clock, in whole batches.
    const updates = Math.max(1, Math.floor(2 ** 18 / (net.parameterCount * settings.batchSize)));
    this.stride = updates * settings.batchSize;
  }

  abstract setRates(rates: readonly number[]): void;

  /** The optimizer that steps during backpropagation (see propagation's backward), or null. */
  protected descent(): Optimizer | null {
    return null;
  }

  /** One update from the examples in `b` (all its rows), adding to the epoch's totals. */
  protected abstract update(b: Batch): void;

  /** The buffers for batches of `rows` rows, made on first use. */
  batch(rows: number): Batch {
    const last = this.lastBatch;
    if (last !== null && last.ws.rows === rows) return last;
    let b = this.batches.get(rows);
    if (!b) {
      const { net, settings } = this.ctx;
      const { backend, dtype } = net;
      const ws = createWorkspace(net, rows, this.ctx.dropout !== null);
      const x = backend.matrix(rows, net.inputs, dtype);
      const t = backend.matrix(rows, net.outputs, dtype);
      const scale = reductionScale(settings.reduction, rows);
      const w = this.examples?.w ? new Float64Array(rows) : null;
      b = { ws, x, t, w, backward: [net, ws, x, t, settings.loss, scale, this.grads, w, this.descent()] };
      this.batches.set(rows, b);
    }
    this.lastBatch = b;
    return b;
  }

  train(cursor: number, end: number): number {
    const { x, t, n } = this.examples as Examples;
    const { backend } = this.ctx.net;
    const size = this.ctx.settings.batchSize;
    const order = this.order;
    while (cursor < end) {
      const count = Math.min(size, n - cursor);
      const b = this.batch(count);
      backend.gatherRows(x, order, cursor, count, b.x);
      backend.gatherRows(t, order, cursor, count, b.t);
      const bw = b.w;
      if (bw !== null) {
        const w = (this.examples as Examples).w as Float64Array;
        for (let i = 0; i < count; i++) bw[i] = w[order[cursor + i]];
      }
      this.update(b);
      cursor += count;
    }
    return cursor;
  }

  /**
   * One update from the first `rows` rows of the full batch's buffers (a
   * stream fills them): all of them, or the last, smaller batch of an epoch.
   */
  updateFrom(full: Batch, rows: number): void {
    if (rows === full.ws.rows) {
      this.update(full);
      return;
    }
    const rest = this.batch(rows);
    const identity = Uint32Array.from({ length: rows }, (_, i) => i);
    const { backend } = this.ctx.net;
    backend.gatherRows(full.x, identity, 0, rows, rest.x);
    backend.gatherRows(full.t, identity, 0, rows, rest.t);
    this.update(rest);
  }

  /** Adds an update's right answers and examples to the epoch's totals (the caller adds its loss). */
  protected count(out: Matrix, t: Matrix, rows: number): void {
    const { totals, classification } = this.ctx;
    if (classification) totals.correct += countCorrect(out.data, t.data, out.cols, rows);
    totals.seen += rows;
    totals.updates++;
  }

  free(): void {
    const b = this.ctx.net.backend;
    for (const batch of this.batches.values()) {
      freeWorkspace(b, batch.ws);
      b.free(batch.x);
      b.free(batch.t);
    }
    this.batches.clear();
    this.lastBatch = null;
  }
}
