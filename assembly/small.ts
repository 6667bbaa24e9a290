// Training of a small network one example at a time, whole runs of examples per
// call (src/train/small-wasm.ts drives it).
//
// A 2-4-1 network trained one example at a time does a few dozen flops per
// update; dispatching them through kernels, or even through the TypeScript
// inline path (src/train/small.ts), costs more than the arithmetic. This module
// runs the forward pass, the loss, backpropagation and w <- w - eta^(n) dJ/dw
// for a whole run of examples in one call, and computes exactly what the
// TypeScript inline path computes: the same operations on the same values in
// the same order, rounding to the storage type T (f32 or f64) where that path
// stores into a typed array of T, with the exact elementary functions of
// exact.ts. The trained weights are therefore bit-identical to those of the
// plain kernels, in Node and in every browser.
//
// Memory (laid out by the TypeScript side, which owns this module's memory):
// a plan of i32 words,
//   [0] N layers, [1] m_0 inputs, [2] outputs, [3] loss code, [4] 1 to count right answers,
//   [8 + 8n ...] layer n: fan-in, units, activation code, then byte offsets of
//                 weights, biases, v, out, delta (each an array of float64 holding
//                 values of T: see E below), and so are the examples and targets;
// an f64 block `rates` with eta^(n) per layer; and a result block `res`:
//   f64 [0] running sum of L(i) (in and out), [1] the non-finite L(i) that stopped a run,
//   i32 at byte 16: right answers in the run.
// Activation and loss codes as in index.ts, from codes.generated.ts.

import {
  BINARY_CROSS_ENTROPY,
  CROSS_ENTROPY,
  ELU,
  fused,
  GELU,
  HALF_SQUARED,
  LEAKY_RELU,
  RELU,
  SIGMOID,
  SOFTMAX,
  SOFTPLUS,
  SQUARED,
  TANH,
} from './codes.generated';
import { erf, exp, expm1, log, log1p, sigmoid, softplus, tanh } from './exact';
import { exp2, sigmoid2 } from './exact2';

const LEAKY_SLOPE: f64 = 0.01;
const SQRT1_2: f64 = 0.7071067811865476;
const INV_SQRT_2PI: f64 = 1 / Math.sqrt(2 * Math.PI);

// @ts-expect-error: decorator
@inline
function word(plan: usize, i: i32): i32 {
  return load<i32>(plan + (<usize>i << 2));
}

// Every array in this module's memory holds float64, whatever T is: a value of
// type T converts to float64 exactly, so storing the rounded value as float64
// and reading it back gives what a store into a typed array of T and a read
// give, without a conversion at every read.
const E: usize = 8;

// @ts-expect-error: decorator
@inline
function at<T>(base: usize, i: i32): usize {
  return base + (<usize>i << 3);
}

// @ts-expect-error: decorator
@inline
function get<T>(base: usize, i: i32): f64 {
  return load<f64>(at<T>(base, i));
}

/** Stores x as a typed array of T would hold it. */
// @ts-expect-error: decorator
@inline
function put<T>(base: usize, i: i32, x: f64): void {
  store<f64>(at<T>(base, i), round<T>(x));
}

// Rounds x to the storage type, as a store into a typed array of T does.
// @ts-expect-error: decorator
@inline
function round<T>(x: f64): f64 {
  return <f64><T>x;
}

// Two values as the two lanes of a vector, and back (stored as T would hold them).
// @ts-expect-error: decorator
@inline
function load2<T>(p: usize): v128 {
  return v128.load(p);
}

// @ts-expect-error: decorator
@inline
function store2<T>(p: usize, x: v128): void {
  v128.store(p, round2<T>(x));
}

// Rounds both lanes to T, as round<T> does one value.
// @ts-expect-error: decorator
@inline
function round2<T>(x: v128): v128 {
  if (sizeof<T>() == 4) return f64x2.promote_low_f32x4(f32x4.demote_f64x2_zero(x));
  return x;
}

// @ts-expect-error: decorator
@inline
function psi(act: i32, v: f64): f64 {
  switch (act) {
    case SIGMOID:
      return sigmoid(v);
    case TANH:
      return tanh(v);
    case RELU:
      return v > 0 ? v : 0;
    case LEAKY_RELU:
      return v > 0 ? v : LEAKY_SLOPE * v;
    case ELU:
      return v > 0 ? v : expm1(v);
    case SOFTPLUS:
      return softplus(v);
    case GELU:
      return 0.5 * v * (1 + erf(v * SQRT1_2));
    default:
      return v;
  }
}

// @ts-expect-error: decorator
@inline
function derivative(act: i32, v: f64, out: f64): f64 {
  switch (act) {
    case SIGMOID:
      return out * (1 - out);
    case TANH:
      return 1 - out * out;
    case RELU:
      return v > 0 ? 1 : 0;
    case LEAKY_RELU:
      return v > 0 ? 1 : LEAKY_SLOPE;
    case ELU:
      return v > 0 ? 1 : exp(v);
    case SOFTPLUS:
      return sigmoid(v);
    case GELU:
      return 0.5 * (1 + erf(v * SQRT1_2)) + v * INV_SQRT_2PI * exp(-0.5 * v * v);
    default:
      return 1;
  }
}

/** The largest v of a row, NaN skipped (as `if (v > max) max = v` does). */
function rowMax<T>(v: usize, n: i32): f64 {
  let mx = -Infinity;
  for (let j = 0; j < n; j++) {
    const x = get<T>(v, j);
    if (x > mx) mx = x;
  }
  return mx;
}

/** out <- softmax(v) of one row, shifted by its maximum; returns the sum of the shifted exponentials. */
function softmaxRow<T>(v: usize, out: usize, n: i32): f64 {
  const mx = rowMax<T>(v, n);
  let sum: f64 = 0;
  for (let j = 0; j < n; j++) {
    const e = exp(get<T>(v, j) - mx);
    put<T>(out, j, e);
    sum += e;
  }
  for (let j = 0; j < n; j++) put<T>(out, j, get<T>(out, j) / sum);
  return sum;
}

/** delta <- J^T u of one softmax row; delta may alias u. */
function softmaxBackwardRow<T>(out: usize, u: usize, delta: usize, n: i32): void {
  let dot: f64 = 0;
  for (let i = 0; i < n; i++) dot += get<T>(out, i) * get<T>(u, i);
  for (let j = 0; j < n; j++) put<T>(delta, j, get<T>(out, j) * (get<T>(u, j) - dot));
}

/** L(i) of one example from the output layer's v and out against the targets d. */
// @ts-expect-error: decorator
@inline
function exampleLoss<T>(loss: i32, act: i32, v: usize, y: usize, d: usize, n: i32, expSum: f64): f64 {
  let total: f64 = 0;
  // A fused pair: the loss, a constant where trainWith is specialised, says
  // which, so the compiler keeps one form or none.
  if (fused(loss, act)) {
    if (loss == BINARY_CROSS_ENTROPY) {
      for (let k = 0; k < n; k++) total += softplus(get<T>(v, k)) - get<T>(d, k) * get<T>(v, k);
    } else {
      // log sum_k e^(v_k), shifted by the maximum; the sum is the forward pass's
      // softmax sum, the same exponentials added in the same order.
      const mx = rowMax<T>(v, n);
      const lse = isFinite(mx) ? mx + log(expSum) : mx;
      for (let k = 0; k < n; k++) {
        const dk = get<T>(d, k);
        if (dk != 0) total += dk * (lse - get<T>(v, k));
      }
    }
  } else {
    for (let k = 0; k < n; k++) {
      const dk = get<T>(d, k);
      const yk = get<T>(y, k);
      let value: f64;
      if (loss == SQUARED) value = (dk - yk) * (dk - yk);
      else if (loss == HALF_SQUARED) value = 0.5 * (dk - yk) * (dk - yk);
      else if (loss == BINARY_CROSS_ENTROPY) value = -(dk * log(yk) + (1 - dk) * log(1 - yk));
      else value = dk == 0 ? 0 : -dk * log(yk);
      total += value;
    }
  }
  return total;
}

/** The output layer's delta = -dL/dv of one example (the reduction's scale is 1 for one example). */
// @ts-expect-error: decorator
@inline
function outputDelta<T>(loss: i32, act: i32, v: usize, y: usize, d: usize, delta: usize, n: i32): void {
  if (fused(loss, act)) {
    if (loss == BINARY_CROSS_ENTROPY) {
      for (let k = 0; k < n; k++) put<T>(delta, k, 1 * (get<T>(d, k) - get<T>(y, k)));
    } else {
      let sumD: f64 = 0;
      for (let k = 0; k < n; k++) sumD += get<T>(d, k);
      for (let k = 0; k < n; k++) put<T>(delta, k, 1 * (get<T>(d, k) - get<T>(y, k) * sumD));
    }
    return;
  }
  for (let k = 0; k < n; k++) {
    const dk = get<T>(d, k);
    const yk = get<T>(y, k);
    let gradient: f64;
    if (loss == SQUARED) gradient = -2 * (dk - yk);
    else if (loss == HALF_SQUARED) gradient = -(dk - yk);
    else if (loss == BINARY_CROSS_ENTROPY) gradient = -(dk / yk) + (1 - dk) / (1 - yk);
    else gradient = dk == 0 ? 0 : -dk / yk;
    // -dL/dy as stored (rounded to T), then times psi'(v) unless softmax's Jacobian follows.
    const u = round<T>(-1 * gradient);
    put<T>(delta, k, act == SOFTMAX ? u : derivative(act, get<T>(v, k), yk) * u);
  }
  if (act == SOFTMAX) softmaxBackwardRow<T>(y, delta, delta, n);
}

/** Whether the outputs y classify the example right (argmax, or y >= 0.5 for one output). */
// @ts-expect-error: decorator
@inline
function correct<T>(y: usize, d: usize, n: i32): bool {
  if (n == 1) return (get<T>(y, 0) >= 0.5) == (get<T>(d, 0) >= 0.5);
  let bestY = 0;
  let bestD = 0;
  for (let k = 1; k < n; k++) {
    if (get<T>(y, k) > get<T>(y, bestY)) bestY = k;
    if (get<T>(d, k) > get<T>(d, bestD)) bestD = k;
  }
  return bestY == bestD;
}

// A layer's words in the plan, from its first (see the memory layout above).
const FAN_IN = 0;
const UNITS = 4;
const ACT = 8;
const W_AT = 12;
const B_AT = 16;
const V_AT = 20;
const OUT_AT = 24;
const DELTA_AT = 28;
const LAYER_BYTES: usize = 32;

// The passes over one layer are functions of their own, not inlined into the
// loop over examples: each is small enough for the engine to keep its values in
// registers, which a single function holding every pass does not manage.

/**
 * The forward pass of one layer on `input`: per node j, v_j = sum_p x_p w_pj
 * accumulated over p in order (rows with x_p = 0 skipped, as the plain product
 * does), then + b_j; then out = psi(v) by {@link activate}, whose result it returns.
 */
function forward<T>(layer: usize, input: usize): f64 {
  const k = load<i32>(layer, FAN_IN);
  const units = load<i32>(layer, UNITS);
  const W = <usize>load<i32>(layer, W_AT);
  const b = <usize>load<i32>(layer, B_AT);
  const V = <usize>load<i32>(layer, V_AT);
  const rowBytes = <usize>units * E;
  const inEnd = input + <usize>k * E;
  // Two nodes at a time in the two lanes of a vector: each lane does what the
  // scalar loop below does for its node.
  let j = 0;
  for (; j + 2 <= units; j += 2) {
    let acc = f64x2.splat(0);
    let wp = W + <usize>j * E;
    for (let ip = input; ip < inEnd; ip += E) {
      // Without a branch on x_p = 0, which the order of the examples makes
      // unpredictable: the product is made +0 there, and acc + 0 is acc (acc,
      // rounded to T already, is never -0).
      const s = f64x2.splat(load<f64>(ip));
      const product = v128.andnot(f64x2.mul(s, load2<T>(wp)), f64x2.eq(s, f64x2.splat(0)));
      acc = round2<T>(f64x2.add(acc, product));
      wp += rowBytes;
    }
    v128.store(V + <usize>j * E, round2<T>(f64x2.add(acc, load2<T>(b + <usize>j * E))));
  }
  for (; j < units; j++) {
    let acc: f64 = 0;
    let wp = W + <usize>j * E;
    for (let ip = input; ip < inEnd; ip += E) {
      const s = load<f64>(ip);
      if (s != 0) acc = round<T>(acc + s * load<f64>(wp));
      wp += rowBytes;
    }
    put<T>(V, j, acc + get<T>(b, j));
  }
  return activate<T>(load<i32>(layer, ACT), V, <usize>load<i32>(layer, OUT_AT), units);
}

/**
 * out <- psi(v) over a layer's units; returns the softmax sum (0 for other
 * activations). The logistic function two nodes at a time in the two-lane form
 * (an odd last node in both lanes), whose lanes give sigmoid's bits.
 */
function activate<T>(act: i32, V: usize, O: usize, units: i32): f64 {
  if (act == SIGMOID) {
    for (let j = 0; j < units; j += 2) {
      const at = <usize>j * E;
      const pair = j + 1 < units;
      const y = round2<T>(sigmoid2(pair ? v128.load(V + at) : f64x2.splat(load<f64>(V + at))));
      if (pair) v128.store(O + at, y);
      else store<f64>(O + at, f64x2.extract_lane(y, 0));
    }
    return 0;
  }
  if (act == SOFTMAX) return softmaxRow<T>(V, O, units);
  for (let j = 0; j < units; j++) put<T>(O, j, psi(act, get<T>(V, j)));
  return 0;
}

/**
 * The delta of the layer below `layer` (whose delta is known) from this layer's
 * weights, before they change: delta_p = psi'(v_p) sum_j w_pj delta_j, the sum over j in order.
 */
function deltaBelow<T>(layer: usize): void {
  const units = load<i32>(layer, UNITS);
  const k = load<i32>(layer, FAN_IN);
  const W = <usize>load<i32>(layer, W_AT);
  const Dl = <usize>load<i32>(layer, DELTA_AT);
  const lower = layer - LAYER_BYTES;
  const actBelow = load<i32>(lower, ACT);
  const Vb = <usize>load<i32>(lower, V_AT);
  const below = <usize>load<i32>(lower, OUT_AT);
  const Db = <usize>load<i32>(lower, DELTA_AT);
  const dEnd = Dl + <usize>units * E;
  const rowBytes = <usize>units * E;
  let wr = W;
  let j = 0;
  // Two nodes below at a time, each lane summing over p in order as the scalar loop does.
  const d0 = f64x2.splat(load<f64>(Dl));
  for (; j + 2 <= k; j += 2) {
    let sum = f64x2.splat(0);
    if (units == 1) {
      // One delta above: the two weights side by side.
      sum = f64x2.add(sum, f64x2.mul(d0, v128.load(wr)));
      wr += 2 * E;
    } else {
      let w1 = wr + rowBytes;
      for (let dp = Dl; dp < dEnd; dp += E) {
        const wv = f64x2.replace_lane(f64x2.splat(load<f64>(wr)), 1, load<f64>(w1));
        sum = f64x2.add(sum, f64x2.mul(f64x2.splat(load<f64>(dp)), wv));
        wr += E;
        w1 += E;
      }
      wr += rowBytes;
    }
    const upstream = round2<T>(f64x2.add(f64x2.splat(0), sum));
    const at = <usize>j * E;
    if (actBelow == SIGMOID) {
      const y = load2<T>(below + at);
      store2<T>(Db + at, f64x2.mul(f64x2.mul(y, f64x2.sub(f64x2.splat(1), y)), upstream));
    } else if (actBelow == SOFTMAX) store2<T>(Db + at, upstream);
    else {
      put<T>(Db, j, derivative(actBelow, get<T>(Vb, j), get<T>(below, j)) * f64x2.extract_lane(upstream, 0));
      put<T>(Db, j + 1, derivative(actBelow, get<T>(Vb, j + 1), get<T>(below, j + 1)) * f64x2.extract_lane(upstream, 1));
    }
  }
  for (; j < k; j++) {
    let sum: f64 = 0;
    for (let dp = Dl; dp < dEnd; dp += E) {
      sum += load<f64>(dp) * load<f64>(wr);
      wr += E;
    }
    const upstream = round<T>(0 + 1 * sum);
    if (actBelow == SOFTMAX) put<T>(Db, j, upstream);
    else put<T>(Db, j, derivative(actBelow, get<T>(Vb, j), get<T>(below, j)) * upstream);
  }
  if (actBelow == SOFTMAX) softmaxBackwardRow<T>(below, Db, Db, k);
}

/**
 * w <- w - eta dJ/dw for one layer with dJ/dw_ij = -x_i delta_j rounded to T (the
 * gradient buffer's type), x the layer's input `below`; then the biases, whose
 * gradient is -delta_j: the same update on a row of x_i = 1, and they are stored
 * right after the weights (see planLayout in src/train/small-wasm.ts), so they are
 * row k. Rows with x_i = 0 are left alone, as the plain kernels leave them.
 */
function update<T>(layer: usize, below: usize, eta: f64): void {
  const k = load<i32>(layer, FAN_IN);
  const units = load<i32>(layer, UNITS);
  const W = <usize>load<i32>(layer, W_AT);
  const Dl = <usize>load<i32>(layer, DELTA_AT);
  const eta2 = f64x2.splat(eta);
  if (units == 1) {
    // One column: two rows at a time, a row with x_i = 0 keeping its weight.
    const zero = f64x2.splat(0);
    const d2 = f64x2.splat(load<f64>(Dl));
    let i = 0;
    for (; i + 2 <= k; i += 2) {
      const s2 = f64x2.mul(f64x2.splat(-1), load2<T>(below + <usize>i * E));
      const g = round2<T>(f64x2.add(zero, f64x2.mul(s2, d2)));
      const p = W + <usize>i * E;
      store2<T>(p, f64x2.sub(load2<T>(p), f64x2.mul(eta2, v128.andnot(g, f64x2.eq(s2, zero)))));
    }
    const d = f64x2.extract_lane(d2, 0);
    for (; i <= k; i++) {
      const s = i < k ? -1 * get<T>(below, i) : -1;
      if (s != 0) {
        const g = round<T>(0 + s * d);
        put<T>(W, i, get<T>(W, i) - eta * g);
      }
    }
    return;
  }
  const dEnd = Dl + <usize>units * E;
  let w = W;
  for (let i = 0; i <= k; i++) {
    const s = i < k ? -1 * get<T>(below, i) : -1;
    const s2 = f64x2.splat(s);
    // A row with x_i = 0 keeps its weights, without a branch on it: its gradient
    // is made +0, and w - eta 0 is w (w rounded to T already).
    const keep = f64x2.eq(s2, f64x2.splat(0));
    let dp = Dl;
    for (; dp + 2 * E <= dEnd; dp += 2 * E) {
      const g = round2<T>(f64x2.add(f64x2.splat(0), f64x2.mul(s2, load2<T>(dp))));
      store2<T>(w, f64x2.sub(load2<T>(w), f64x2.mul(eta2, v128.andnot(g, keep))));
      w += 2 * E;
    }
    if (s == 0) {
      w += <usize>(dEnd - dp);
      continue;
    }
    for (; dp < dEnd; dp += E) {
      const g = round<T>(0 + s * load<f64>(dp));
      store<f64>(w, round<T>(load<f64>(w) - eta * g));
      w += E;
    }
  }
}

/**
 * Trains on examples order[start .. start + count - 1] (rows of X and D), one
 * update each. Returns how many it used: count, or fewer when an example's
 * L(i) was not finite (that example took no update; its L(i) is in res[1]).
 */
// @ts-expect-error: decorator
@inline
function trainWith<T>(loss: i32, plan: usize, rates: usize, res: usize, X: usize, D: usize, order: usize, start: i32, count: i32): i32 {
  const N = word(plan, 0);
  const m0 = word(plan, 1);
  const outputs = word(plan, 2);
  const counting = word(plan, 4) != 0;
  const first = plan + 8 * 4;
  const top = first + <usize>(N - 1) * LAYER_BYTES;
  const lastAct = load<i32>(top, ACT);
  const yLast = <usize>load<i32>(top, OUT_AT);
  const vLast = <usize>load<i32>(top, V_AT);
  const dLast = <usize>load<i32>(top, DELTA_AT);
  let running = load<f64>(res);
  let right = 0;
  for (let e = 0; e < count; e++) {
    const r = load<u32>(order + (<usize>(start + e) << 2));
    const x = at<T>(X, <i32>r * m0);
    const d = at<T>(D, <i32>r * outputs);
    let input = x;
    let expSum: f64 = 0;
    for (let layer = first; layer <= top; layer += LAYER_BYTES) {
      expSum = forward<T>(layer, input);
      input = <usize>load<i32>(layer, OUT_AT);
    }
    const value = exampleLoss<T>(loss, lastAct, vLast, yLast, d, outputs, expSum);
    if (!isFinite(value)) {
      store<f64>(res, running);
      store<f64>(res, value, 8);
      store<i32>(res, right, 16);
      return e;
    }
    running += value;
    if (counting && correct<T>(yLast, d, outputs)) right++;
    outputDelta<T>(loss, lastAct, vLast, yLast, d, dLast, outputs);
    // Backward and update, from the output layer down: the delta of the layer
    // below from this layer's weights before they change, then the update.
    let rate = rates + (<usize>(N - 1) << 3);
    for (let layer = top; layer > first; layer -= LAYER_BYTES) {
      deltaBelow<T>(layer);
      update<T>(layer, <usize>load<i32>(layer - LAYER_BYTES, OUT_AT), load<f64>(rate));
      rate -= 8;
    }
    update<T>(first, x, load<f64>(rates));
  }
  store<f64>(res, running);
  store<i32>(res, right, 16);
  return count;
}

// One copy of the loop per loss, so that the compiler drops the other losses' branches.
function train<T>(plan: usize, rates: usize, res: usize, X: usize, D: usize, order: usize, start: i32, count: i32): i32 {
  const loss = word(plan, 3);
  if (loss == SQUARED) return trainWith<T>(SQUARED, plan, rates, res, X, D, order, start, count);
  if (loss == HALF_SQUARED) return trainWith<T>(HALF_SQUARED, plan, rates, res, X, D, order, start, count);
  if (loss == BINARY_CROSS_ENTROPY)
    return trainWith<T>(BINARY_CROSS_ENTROPY, plan, rates, res, X, D, order, start, count);
  return trainWith<T>(CROSS_ENTROPY, plan, rates, res, X, D, order, start, count);
}

/** {@link train} on float32 storage. */
export function trainF32(plan: usize, rates: usize, res: usize, X: usize, D: usize, order: usize, start: i32, count: i32): i32 {
  return train<f32>(plan, rates, res, X, D, order, start, count);
}

/** {@link train} on float64 storage. */
export function trainF64(plan: usize, rates: usize, res: usize, X: usize, D: usize, order: usize, start: i32, count: i32): i32 {
  return train<f64>(plan, rates, res, X, D, order, start, count);
}

// ---------------------------------------------------------------------------
// Whole epochs in one call: the shuffle of src/random.ts (sfc32, Fisher-Yates)
// and the bookkeeping of Trainer's epoch, for networks whose epochs take
// microseconds (XOR is four updates). The control block `ctl`:
//   i32 [0] n examples, [1] 1 to shuffle, [2] 1 for a mean reduction,
//       [3] number of weights and biases, [4] their address, [5] a snapshot area
//       as large, [6] per-epoch results (16 bytes each: f64 sum of L(i), i32 right),
//       [7] status out, [8..11] the generator's state a, b, c, d (in and out);
//   f64 at byte 48: tolerance on the cost (NaN: none); at 56: the cost that stopped a run.

const STATUS_DONE = 0;
const STATUS_TOLERANCE = 1;
const STATUS_BAD_LOSS = 2;
const STATUS_NOT_FINITE = 3;

/** Copies n float64 values from src to dst (two at a time: a call out of the module costs more for a few dozen). */
// @ts-expect-error: decorator
@inline
function copy(dst: usize, src: usize, n: i32): void {
  const end = src + (<usize>n << 3);
  let s = src;
  let d = dst;
  for (; s + 16 <= end; s += 16, d += 16) v128.store(d, v128.load(s));
  if (s < end) store<f64>(d, load<f64>(s));
}

/**
 * Up to `epochs` epochs of one update per example, each starting from the
 * order 0..n-1, shuffled when asked. Stops after an epoch whose cost is at or
 * below the tolerance, or in an epoch whose L(i), cost or new weights are not
 * finite; that epoch's starting weights are then put back. Returns the epochs
 * completed; ctl word 7 says why it stopped.
 */
function epochs<T>(plan: usize, rates: usize, res: usize, X: usize, D: usize, order: usize, ctl: usize, epochs: i32): i32 {
  const n = load<i32>(ctl);
  const shuffling = load<i32>(ctl, 4) != 0;
  const mean = load<i32>(ctl, 8) != 0;
  const count = load<i32>(ctl, 12);
  const params = <usize>load<i32>(ctl, 16);
  const snapshot = <usize>load<i32>(ctl, 20);
  const out = <usize>load<i32>(ctl, 24);
  const tolerance = load<f64>(ctl, 48);
  // The generator's state in locals for the whole call, stored back at every return.
  let a = load<i32>(ctl, 32);
  let b = load<i32>(ctl, 36);
  let c = load<i32>(ctl, 40);
  let d = load<i32>(ctl, 44);
  let status = STATUS_DONE;
  let e = 0;
  for (; e < epochs; e++) {
    copy(snapshot, params, count);
    for (let i = 0; i < n; i++) store<u32>(order + (<usize>i << 2), i);
    // Random.shuffle: Fisher-Yates with Random.int(i + 1) = floor(next() (i + 1)),
    // next() from two draws of sfc32 (Random.uint32), written out here so that the
    // state stays in locals.
    if (shuffling) {
      for (let i = n - 1; i > 0; i--) {
        let t = a + b + d;
        d++;
        a = b ^ (b >>> 9);
        b = c + (c << 3);
        c = ((c << 21) | (c >>> 11)) + t;
        const hi = <f64>(<u32>t >>> 5);
        t = a + b + d;
        d++;
        a = b ^ (b >>> 9);
        b = c + (c << 3);
        c = ((c << 21) | (c >>> 11)) + t;
        const lo = <f64>(<u32>t >>> 6);
        const next = (hi * 67108864 + lo) / 9007199254740992;
        const j = <i32>floor(next * <f64>(i + 1));
        const pi = order + (<usize>i << 2);
        const pj = order + (<usize>j << 2);
        const x = load<u32>(pi);
        store<u32>(pi, load<u32>(pj));
        store<u32>(pj, x);
      }
    }
    store<f64>(res, 0);
    const used = train<T>(plan, rates, res, X, D, order, 0, n);
    if (used < n) {
      copy(params, snapshot, count);
      status = STATUS_BAD_LOSS;
      store<f64>(ctl, load<f64>(res, 8), 56);
      break;
    }
    const sum = load<f64>(res);
    const cost = mean ? sum / <f64>n : sum;
    if (!isFinite(cost) || !finite(params, count)) {
      copy(params, snapshot, count);
      status = STATUS_NOT_FINITE;
      store<f64>(ctl, cost, 56);
      break;
    }
    const o = out + (<usize>e << 4);
    store<f64>(o, sum);
    store<i32>(o, load<i32>(res, 16), 8);
    if (cost <= tolerance) {
      status = STATUS_TOLERANCE;
      e++;
      break;
    }
  }
  store<i32>(ctl, status, 28);
  store<i32>(ctl, a, 32);
  store<i32>(ctl, b, 36);
  store<i32>(ctl, c, 40);
  store<i32>(ctl, d, 44);
  return e;
}

export function epochsF32(plan: usize, rates: usize, res: usize, X: usize, D: usize, order: usize, ctl: usize, count: i32): i32 {
  return epochs<f32>(plan, rates, res, X, D, order, ctl, count);
}

export function epochsF64(plan: usize, rates: usize, res: usize, X: usize, D: usize, order: usize, ctl: usize, count: i32): i32 {
  return epochs<f64>(plan, rates, res, X, D, order, ctl, count);
}

/** Whether all n values from p on are finite. */
// @ts-expect-error: decorator
@inline
export function finite(p: usize, n: i32): bool {
  // x - x is 0 for a finite x and NaN otherwise, so the sum is 0 exactly when all are finite.
  const end = p + (<usize>n << 3);
  let acc = f64x2.splat(0);
  let q = p;
  for (; q + 16 <= end; q += 16) {
    const x = v128.load(q);
    acc = f64x2.add(acc, f64x2.sub(x, x));
  }
  let rest: f64 = 0;
  if (q < end) {
    const x = load<f64>(q);
    rest = x - x;
  }
  return f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1) + rest == 0;
}

/**
 * One elementary function, so that a test can hold exact.ts to src/math.ts bit
 * for bit: 0 exp, 1 log, 2 expm1, 3 log1p, 4 tanh, 5 erf, 6 sigmoid, 7 softplus;
 * 8 and 9 exp, 10 and 11 sigmoid, of x in lane 0 or lane 1 of the two-lane forms
 * (the other lane holds 1 - x).
 */
export function elementary(f: i32, x: f64): f64 {
  const lanes = f == 8 || f == 10 ? f64x2.replace_lane(f64x2.splat(x), 1, 1 - x) : f64x2.replace_lane(f64x2.splat(1 - x), 1, x);
  switch (f) {
    case 8:
      return f64x2.extract_lane(exp2(lanes), 0);
    case 9:
      return f64x2.extract_lane(exp2(lanes), 1);
    case 10:
      return f64x2.extract_lane(sigmoid2(lanes), 0);
    case 11:
      return f64x2.extract_lane(sigmoid2(lanes), 1);
    case 0:
      return exp(x);
    case 1:
      return log(x);
    case 2:
      return expm1(x);
    case 3:
      return log1p(x);
    case 4:
      return tanh(x);
    case 5:
      return erf(x);
    case 6:
      return sigmoid(x);
    default:
      return softplus(x);
  }
}

/** Where the memory the TypeScript side lays out may begin (above this module's static data). */
export function heapBase(): usize {
  return __heap_base;
}
