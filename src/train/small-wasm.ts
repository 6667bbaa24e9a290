/**
 * The small-network path in WebAssembly: whole runs of one-example updates in
 * one call into the kernel of `assembly/small.ts`, which computes exactly what
 * {@link smallStep} computes (and so what the plain kernels compute), to the bit,
 * several times faster. It serves every backend: the kernel works on its own
 * memory, into which the training data is copied once and the weights at the
 * start of every run; they are copied back when the run ends well, so the
 * network's matrices stay the truth between calls and a run that meets a
 * non-finite loss leaves them as they were.
 *
 * Where WebAssembly cannot compile (an engine without it, a page whose content
 * security policy forbids it), {@link SmallKernel.create} returns null and the
 * trainer keeps the TypeScript inline path, with the same results.
 *
 * @module
 */

import type { Matrix } from '../backend/backend.js';
import { decodeBase64 } from '../backend/base64.js';
import { activationCode, lossCode } from '../backend/codes.js';
import type { LossName } from '../losses.js';
import type { Network } from '../network.js';
import type { Random } from '../random.js';
import { SMALL_WASM } from './small-wasm.generated.js';

/** A kernel entry over the plan, rates, result block, data, order and two whole numbers. */
type KernelEntry = (
  plan: number,
  rates: number,
  res: number,
  X: number,
  D: number,
  order: number,
  a: number,
  b: number,
) => number;

interface SmallExports {
  heapBase(): number;
  /** (..., start, count): examples used. */
  trainF32: KernelEntry;
  trainF64: KernelEntry;
  /** (..., ctl, epochs): epochs completed. */
  epochsF32: KernelEntry;
  epochsF64: KernelEntry;
  finite(p: number, n: number): number;
  elementary(f: number, x: number): number;
}

let compiled: WebAssembly.Module | null | undefined;

/** The compiled kernel, or null where this engine cannot compile it. */
function kernelModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try {
      compiled = new WebAssembly.Module(decodeBase64(SMALL_WASM));
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

const ELEMENTARY = [
  'exp',
  'log',
  'expm1',
  'log1p',
  'tanh',
  'erf',
  'sigmoid',
  'softplus',
  'exp2Lane0',
  'exp2Lane1',
  'sigmoid2Lane0',
  'sigmoid2Lane1',
] as const;

/**
 * The kernel's elementary functions, by name, for tests that hold them to
 * src/math.ts (`exp2Lane0` is exp computed in lane 0 of the two-lane form).
 */
export function kernelElementary(): Record<(typeof ELEMENTARY)[number], (x: number) => number> | null {
  const module = kernelModule();
  if (!module) return null;
  const instance = new WebAssembly.Instance(module, {
    env: { memory: new WebAssembly.Memory({ initial: 1 }) },
  });
  const f = (instance.exports as unknown as SmallExports).elementary;
  const entries = ELEMENTARY.map((name, i) => [name, (x: number) => f(i, x)]);
  return Object.fromEntries(entries) as Record<(typeof ELEMENTARY)[number], (x: number) => number>;
}

/** Whether the WebAssembly small-network kernel runs in this engine. */
export function smallKernelAvailable(): boolean {
  return kernelModule() !== null;
}

/** What a run did (its sums of L(i) are in {@link SmallKernel.sums}). */
export interface SmallRun {
  /** Right answers among the examples used (when counting). */
  correct: number;
  /**
   * Examples used: all asked for, or fewer when one had a non-finite L(i), or
   * -1 when the weights or the sum came out non-finite at the end.
   */
  used: number;
}

/** What a call of {@link SmallKernel.epochs} did. */
export interface SmallEpochs {
  /** Epochs completed; their sums of L(i) and right answers are in {@link SmallKernel.epochLoss} and {@link SmallKernel.epochCorrect}. */
  completed: number;
  /** Why it stopped: it ran them all, an epoch's cost met the tolerance, or the next epoch diverged. */
  status: 'done' | 'tolerance' | 'diverged';
  /** When diverged: the non-finite L(i) of an example, or the epoch's cost (NaN when the cost was finite but a weight was not). */
  cost: number;
}

const PLAN_WORDS = 8;
const LAYER_WORDS = 8;
const STATUS: SmallEpochs['status'][] = ['done', 'tolerance', 'diverged', 'diverged'];

/**
 * The kernel bound to one network and one training set. Build it with
 * {@link SmallKernel.create}; {@link SmallKernel.order} is where the trainer
 * writes the order of the examples.
 */
export class SmallKernel {
  /** The order of the examples, in the kernel's memory: the trainer shuffles it in place. */
  readonly order: Uint32Array;
  private readonly train: KernelEntry;
  private readonly finite: SmallExports['finite'];
  /** Every weight and bias of the network, layer by layer (weights, then biases). */
  private readonly params: Float64Array;
  private readonly paramsPtr: number;
  /**
   * [0] the running sum of L(i), which {@link SmallKernel.run} adds to (set it
   * before, read it after); [1] the non-finite L(i) that stopped a run. Numbers
   * pass through this memory rather than as arguments or results: V8 boxes a
   * double on the heap at every call it does not inline.
   */
  readonly sums: Float64Array;
  private readonly correct: Int32Array;
  private readonly epochsRun: KernelEntry;
  private readonly ctlWords: Int32Array;
  private readonly ctlReals: Float64Array;
  private readonly perEpoch: Float64Array;
  private readonly perEpochCorrect: Int32Array;
  /** The most epochs one call of {@link SmallKernel.epochs} can run. */
  readonly maxEpochs: number;
  /** eta^(n) of each layer, in the kernel's memory. */
  private readonly rates: Float64Array;

  private constructor(
    private readonly net: Network,
    exports: SmallExports,
    memory: WebAssembly.Memory,
    private readonly layout: Layout,
    x: Matrix,
    t: Matrix,
    eta: readonly number[],
    loss: LossName,
    counting: boolean,
  ) {
    const f64 = net.dtype === 'float64';
    this.train = f64 ? exports.trainF64 : exports.trainF32;
    this.epochsRun = f64 ? exports.epochsF64 : exports.epochsF32;
    this.finite = exports.finite;
    const buffer = memory.buffer;
    // The kernel keeps every number as float64 (float32 values convert exactly).
    const view = (ptr: number, n: number) => new Float64Array(buffer, ptr, n);
    const plan = new Int32Array(buffer, layout.plan, PLAN_WORDS + LAYER_WORDS * net.layers.length);
    plan[0] = net.layers.length;
    plan[1] = net.inputs;
    plan[2] = net.outputs;
    plan[3] = lossCode(loss);
    plan[4] = counting ? 1 : 0;
    net.layers.forEach((layer, n) => {
      const l = PLAN_WORDS + LAYER_WORDS * n;
      const at = layout.layers[n];
      plan.set(
        [layer.fanIn, layer.units, activationCode(layer.activation), at.w, at.b, at.v, at.out, at.delta],
        l,
      );
    });
    this.rates = view(layout.rates, eta.length);
    this.rates.set(eta);
    this.paramsPtr = layout.layers[0].w;
    this.params = view(this.paramsPtr, net.parameterCount);
    view(layout.x, x.rows * x.cols).set(x.data);
    view(layout.t, t.rows * t.cols).set(t.data);
    this.order = new Uint32Array(buffer, layout.order, x.rows);
    this.sums = new Float64Array(buffer, layout.result, 2);
    this.correct = new Int32Array(buffer, layout.result + 16, 1);
    this.maxEpochs = layout.maxEpochs;
    this.ctlWords = new Int32Array(buffer, layout.ctl, 12);
    this.ctlReals = new Float64Array(buffer, layout.ctl + 48, 2);
    this.perEpoch = new Float64Array(buffer, layout.epochs, 2 * layout.maxEpochs);
    this.perEpochCorrect = new Int32Array(buffer, layout.epochs, 4 * layout.maxEpochs);
    const ctl = this.ctlWords;
    ctl[0] = x.rows;
    ctl[3] = net.parameterCount;
    ctl[4] = this.paramsPtr;
    ctl[5] = layout.snapshot;
    ctl[6] = layout.epochs;
  }

  /**
   * The kernel for training `net` on `x`, `t` (the examples, one per row) with
   * rates `eta` per layer, or null where WebAssembly cannot compile.
   */
  static create(
    net: Network,
    x: Matrix,
    t: Matrix,
    eta: readonly number[],
    loss: LossName,
    counting: boolean,
    maxEpochs: number,
  ): SmallKernel | null {
    const module = kernelModule();
    if (!module) return null;
    const memory = new WebAssembly.Memory({ initial: 1 });
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    const exports = instance.exports as unknown as SmallExports;
    const layout = planLayout(net, x.rows, Math.max(1, maxEpochs), exports.heapBase());
    // Grown once, before any view of it exists: the memory never grows again.
    const missing = layout.bytes - memory.buffer.byteLength;
    if (missing > 0) memory.grow(Math.ceil(missing / 65536));
    return new SmallKernel(net, exports, memory, layout, x, t, eta, loss, counting);
  }

  /** New eta^(n) for the updates from now on (a schedule's, between epochs). */
  setRates(eta: readonly number[]): void {
    this.rates.set(eta);
  }

  /** Calls a kernel entry on this kernel's plan, data and order. */
  private enter(entry: KernelEntry, a: number, b: number): number {
    const l = this.layout;
    return entry(l.plan, l.rates, l.result, l.x, l.t, l.order, a, b);
  }

  /** Copies the network's weights and biases into the kernel. */
  private load(): void {
    const P = this.params;
    let o = 0;
    for (const layer of this.net.layers) {
      const W = layer.weights.data;
      for (let i = 0; i < W.length; i++) P[o + i] = W[i];
      o += W.length;
      const b = layer.biases.data;
      for (let i = 0; i < b.length; i++) P[o + i] = b[i];
      o += b.length;
    }
  }

  /** Copies the kernel's weights and biases back into the network. */
  private save(): void {
    const P = this.params;
    let o = 0;
    for (const layer of this.net.layers) {
      const W = layer.weights.data;
      for (let i = 0; i < W.length; i++) W[i] = P[o + i];
      o += W.length;
      const b = layer.biases.data;
      for (let i = 0; i < b.length; i++) b[i] = P[o + i];
      o += b.length;
    }
  }

  /**
   * One update per example for examples `order[start .. start + count - 1]`,
   * adding each L(i) to `sums[0]`. The network gets the new weights only if
   * every L(i) was finite and, when `checkFinite`, the sum and every new weight
   * are finite too; otherwise it keeps the weights it had.
   */
  run(start: number, count: number, checkFinite: boolean, into: SmallRun): SmallRun {
    this.load();
    const used = this.enter(this.train, start, count);
    into.correct = this.correct[0];
    into.used = used;
    if (used < count) return into;
    if (
      checkFinite &&
      (!Number.isFinite(this.sums[0]) || this.finite(this.paramsPtr, this.params.length) === 0)
    ) {
      into.used = -1;
      return into;
    }
    this.save();
    return into;
  }

  /**
   * Up to `count` whole epochs (at most {@link SmallKernel.maxEpochs}) of one
   * update per example, as the trainer's epochs: the order reset to 0..n-1 and
   * shuffled by `random` (whose state advances as Random.shuffle's would), the
   * cost J reduced with `mean`, a stop after an epoch whose cost is at or below
   * `tolerance`. An epoch that meets a non-finite L(i), cost or weight is
   * undone: the network ends with the weights it had when that epoch began.
   */
  epochs(
    count: number,
    shuffle: boolean,
    mean: boolean,
    tolerance: number,
    random: Random,
    into: SmallEpochs,
  ): SmallEpochs {
    this.load();
    const ctl = this.ctlWords;
    ctl[1] = shuffle ? 1 : 0;
    ctl[2] = mean ? 1 : 0;
    ctl.set(random.getState(), 8);
    this.ctlReals[0] = tolerance;
    into.completed = this.enter(this.epochsRun, this.layout.ctl, Math.min(count, this.maxEpochs));
    random.setState(ctl.subarray(8, 12));
    into.status = STATUS[ctl[7]];
    into.cost = into.status === 'diverged' ? this.ctlReals[1] : 0;
    this.save();
    return into;
  }

  /** The sum of L(i) over epoch `e` (from 0) of the last {@link SmallKernel.epochs} call. */
  epochLoss(e: number): number {
    return this.perEpoch[2 * e];
  }

  /** The right answers in epoch `e` (from 0) of the last {@link SmallKernel.epochs} call. */
  epochCorrect(e: number): number {
    return this.perEpochCorrect[4 * e + 2];
  }
}

interface Layout {
  plan: number;
  ctl: number;
  snapshot: number;
  epochs: number;
  maxEpochs: number;
  rates: number;
  result: number;
  layers: { w: number; b: number; v: number; out: number; delta: number }[];
  x: number;
  t: number;
  order: number;
  bytes: number;
}

/** Byte offsets of everything, from `base` on; every array starts on 8 bytes. */
function planLayout(net: Network, rows: number, maxEpochs: number, base: number): Layout {
  const size = 8;
  let at = Math.ceil(base / 16) * 16;
  const take = (bytes: number): number => {
    const p = at;
    at += Math.ceil(bytes / 8) * 8;
    return p;
  };
  const plan = take(4 * (PLAN_WORDS + LAYER_WORDS * net.layers.length));
  const rates = take(8 * net.layers.length);
  const result = take(24);
  const ctl = take(64);
  // Weights and biases back to back, so that one view holds all of them; the kernel
  // updates each layer's biases as the last row of its weights.
  const params = net.layers.map((l) => {
    const w = at;
    at += size * l.fanIn * l.units;
    const b = at;
    at += size * l.units;
    return { w, b };
  });
  at = Math.ceil(at / 8) * 8;
  const layers = net.layers.map((l, n) => ({
    ...params[n],
    v: take(size * l.units),
    out: take(size * l.units),
    delta: take(size * l.units),
  }));
  const x = take(size * rows * net.inputs);
  const t = take(size * rows * net.outputs);
  const order = take(4 * rows);
  const snapshot = take(size * net.parameterCount);
  const epochs = take(16 * maxEpochs);
  return { plan, ctl, snapshot, epochs, maxEpochs, rates, result, layers, x, t, order, bytes: at };
}
