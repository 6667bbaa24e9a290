// The float32 kernels of backprop's WebAssembly backend (src/backend/wasm).
//
// Every function works on raw pointers into the linear memory, which the
// TypeScript side owns and allocates: this module has no allocator and no
// runtime. Matrices are row-major float32; a layer's weights are fan-in x units.
// One source builds three modules: plain SIMD, relaxed SIMD (fused multiply-add
// where the engine has it) and a threads build on shared memory.
//
// Real-valued parameters of the loss and optimizer kernels (and lossSum's
// result) pass through a small float64 block in memory rather than as call
// arguments: a double crossing the JS-to-wasm boundary is boxed on the JS heap,
// and a training step is meant to allocate nothing.
//
// Activations and losses are named by the codes of codes.generated.ts (written
// from src/backend/codes.ts by scripts/build-wasm.mjs).

// Register block of the matrix product: 4 rows of C by 8 columns (two vectors),
// eight accumulators, which fit the 16 vector registers of x86-64 with room for
// the operands. KC is the depth of one cache block: a packed KC x 8 panel of B
// (8 KiB) stays in L1 while every row block of A streams past it.
// The error function of the plain TypeScript path, bit for bit, for exact GELU.
import {
  BINARY_CROSS_ENTROPY,
  ELU,
  fused,
  GELU,
  HALF_SQUARED,
  LEAKY_RELU,
  LINEAR,
  RELU,
  SIGMOID,
  SOFTMAX,
  SOFTPLUS,
  SQUARED,
  TANH,
} from './codes.generated';
import { erf } from './exact';

const MR: i32 = 4;
const NR: i32 = 8;
const KC: i32 = 256;
const MC: i32 = 128;

/** Bytes of scratch one caller of gemm must provide: packed panels of B and A and a tile. */
export const GEMM_SCRATCH_BYTES: i32 = KC * NR * 4 + MR * NR * 4 + MC * KC * 4;

const LEAKY_SLOPE: f32 = 0.01;

// a * b + c, fused when the relaxed-SIMD build is compiled.
// @ts-expect-error: decorator
@inline
function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

// Writes one row of a tile: c <- alpha acc + cScale c, or alpha acc when cScale
// is 0 (so NaN in the old C does not survive, as beta = 0 promises).
// @ts-expect-error: decorator
@inline
function storeRow(
  c: usize,
  acc0: v128,
  acc1: v128,
  nr: i32,
  alpha: v128,
  cScale: f32,
  tile: usize,
): void {
  let r0 = f32x4.mul(acc0, alpha);
  let r1 = f32x4.mul(acc1, alpha);
  if (nr == NR) {
    if (cScale != 0) {
      const s = f32x4.splat(cScale);
      r0 = madd(v128.load(c), s, r0);
      r1 = madd(v128.load(c, 16), s, r1);
    }
    v128.store(c, r0);
    v128.store(c, r1, 16);
    return;
  }
  v128.store(tile, r0);
  v128.store(tile, r1, 16);
  for (let j = 0; j < nr; j++) {
    const p = c + (<usize>j << 2);
    const x = load<f32>(tile + (<usize>j << 2));
    store<f32>(p, cScale != 0 ? cScale * load<f32>(p) + x : x);
  }
}

// The 4 x 8 micro-kernel over kc steps. A is read through strides (so either
// orientation works without packing: each element is one splat load); B is a
// panel whose rows of 8 are ldb bytes apart.
// @ts-expect-error: decorator
@inline
function kernel4x8(
  kc: i32,
  a: usize,
  aRow: usize,
  aStep: usize,
  b: usize,
  ldb: usize,
  c: usize,
  ldc: usize,
  nr: i32,
  alpha: v128,
  cScale: f32,
  tile: usize,
): void {
  let c00 = f32x4.splat(0);
  let c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0);
  let c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0);
  let c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0);
  let c31 = f32x4.splat(0);
  let pa = a;
  let pb = b;
  const aRow2 = aRow << 1;
  const aRow3 = aRow2 + aRow;
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    const a0 = v128.load32_splat(pa);
    const a1 = v128.load32_splat(pa + aRow);
    const a2 = v128.load32_splat(pa + aRow2);
    const a3 = v128.load32_splat(pa + aRow3);
    c00 = madd(a0, b0, c00);
    c01 = madd(a0, b1, c01);
    c10 = madd(a1, b0, c10);
    c11 = madd(a1, b1, c11);
    c20 = madd(a2, b0, c20);
    c21 = madd(a2, b1, c21);
    c30 = madd(a3, b0, c30);
    c31 = madd(a3, b1, c31);
    pa += aStep;
    pb += ldb;
  }
  storeRow(c, c00, c01, nr, alpha, cScale, tile);
  storeRow(c + ldc, c10, c11, nr, alpha, cScale, tile);
  storeRow(c + 2 * ldc, c20, c21, nr, alpha, cScale, tile);
  storeRow(c + 3 * ldc, c30, c31, nr, alpha, cScale, tile);
}

// One row of C by 8 columns, for the rows left over after the 4-row blocks.
// @ts-expect-error: decorator
@inline
function kernel1x8(
  kc: i32,
  a: usize,
  aStep: usize,
  b: usize,
  ldb: usize,
  c: usize,
  nr: i32,
  alpha: v128,
  cScale: f32,
  tile: usize,
): void {
  let c0 = f32x4.splat(0);
  let c1 = f32x4.splat(0);
  let d0 = f32x4.splat(0);
  let d1 = f32x4.splat(0);
  let pa = a;
  let pb = b;
  let k = 0;
  // Two independent chains hide the latency of the adds.
  for (; k + 1 < kc; k += 2) {
    const a0 = v128.load32_splat(pa);
    const a1 = v128.load32_splat(pa + aStep);
    c0 = madd(a0, v128.load(pb), c0);
    c1 = madd(a0, v128.load(pb, 16), c1);
    d0 = madd(a1, v128.load(pb + ldb), d0);
    d1 = madd(a1, v128.load(pb + ldb, 16), d1);
    pa += aStep << 1;
    pb += ldb << 1;
  }
  if (k < kc) {
    const a0 = v128.load32_splat(pa);
    c0 = madd(a0, v128.load(pb), c0);
    c1 = madd(a0, v128.load(pb, 16), c1);
  }
  storeRow(c, f32x4.add(c0, d0), f32x4.add(c1, d1), nr, alpha, cScale, tile);
}

/**
 * C[i0..i1, j0..j1] <- alpha op(A) op(B) + beta C over that block, C being M x N
 * and the depth K. op(A)[i, k] is A[i, k] (A is M x K) or A[k, i] with transA
 * (A is K x M); op(B)[k, j] is B[k, j] (K x N) or B[j, k] with transB (N x K).
 * A caller splitting the work over threads gives each its own block and scratch;
 * every element is summed in the same order whatever the split.
 */
export function gemm(
  transA: bool,
  transB: bool,
  M: i32,
  N: i32,
  K: i32,
  alpha: f32,
  a: usize,
  b: usize,
  beta: f32,
  c: usize,
  i0: i32,
  i1: i32,
  j0: i32,
  j1: i32,
  scratch: usize,
): void {
  gemmDepth(transA, transB, M, N, K, alpha, a, b, beta, c, i0, i1, j0, j1, 0, K, scratch);
}

/**
 * The depth of the cache blocks of a product of depth K: as even as blocks of
 * at most KC allow, in fours (784 is four blocks of 196). Each block's sum is
 * added to C in turn, so the blocks fix the order of every element's sum.
 */
export function depthBlock(K: i32): i32 {
  if (K <= KC) return K;
  const blocks = (K + KC - 1) / KC;
  return (((K + blocks - 1) / blocks + 3) >> 2) << 2;
}

/**
 * As gemm, over the depth blocks from k0 to k1 alone (k0 and k1 on block
 * boundaries, see depthBlock): beta scales C before the first of them. A
 * thread that owns rows k0..k1 of B computes their share of C this way, into a
 * C of its own, which the caller then adds to C in the blocks' order: the same
 * sums in the same order as the whole product.
 */
export function gemmDepth(
  transA: bool,
  transB: bool,
  M: i32,
  N: i32,
  K: i32,
  alpha: f32,
  a: usize,
  b: usize,
  beta: f32,
  c: usize,
  i0: i32,
  i1: i32,
  j0: i32,
  j1: i32,
  k0: i32,
  k1: i32,
  scratch: usize,
): void {
  const ldc = <usize>N << 2;
  if (K == 0 || alpha == 0) {
    for (let i = i0; i < i1; i++) {
      const row = c + <usize>i * ldc;
      for (let j = j0; j < j1; j++) {
        const p = row + (<usize>j << 2);
        store<f32>(p, beta == 0 ? 0 : beta * load<f32>(p));
      }
    }
    return;
  }
  // Byte strides of op(A) along i and k.
  const aRow: usize = transA ? 4 : <usize>K << 2;
  const aStep: usize = transA ? <usize>M << 2 : 4;
  const valpha = f32x4.splat(alpha);
  const panel = scratch;
  const tile = panel + <usize>(KC * NR * 4);
  const aPack = tile + <usize>(MR * NR * 4);
  // A transposed is read down its columns, ldA = M floats apart: a power-of-two M
  // maps every row of a block to the same cache set, so blocks of MC rows are
  // first packed as 4-wide strips. Untransposed A is read in place.
  const mc = transA ? MC : i1 - i0;
  const depth = depthBlock(K);
  for (let kk = k0; kk < k1; kk += depth) {
    const kc = min(depth, k1 - kk);
    const cScale: f32 = kk == k0 ? beta : 1;
    for (let ii = i0; ii < i1; ii += mc) {
      const iEnd = min(ii + mc, i1);
      const iFull = ii + ((iEnd - ii) & ~(MR - 1));
      if (transA) {
        for (let i = ii; i < iFull; i += MR) {
          const dst = aPack + <usize>((i - ii) * kc) * 4;
          const src = a + <usize>kk * aStep + (<usize>i << 2);
          for (let k = 0; k < kc; k++) v128.store(dst + (<usize>k << 4), v128.load(src + <usize>k * aStep));
        }
      }
      for (let j = j0; j < j1; j += NR) {
        const nr = min(NR, j1 - j);
        let bp: usize;
        let ldb: usize;
        if (!transB && nr == NR && iEnd - ii < 2 * MR) {
          // A few rows of C (one example at a time): packing would cost as much as
          // the product, and B's rows are already contiguous runs of 8.
          bp = b + ((<usize>kk * <usize>N + <usize>j) << 2);
          ldb = <usize>N << 2;
        } else {
          packB(transB, b, N, K, kk, kc, j, nr, panel);
          bp = panel;
          ldb = <usize>NR << 2;
        }
        const cj = c + (<usize>j << 2);
        let i = ii;
        for (; i < iFull; i += MR) {
          const cp = cj + <usize>i * ldc;
          if (transA) {
            const ap = aPack + <usize>((i - ii) * kc) * 4;
            kernel4x8(kc, ap, 4, 16, bp, ldb, cp, ldc, nr, valpha, cScale, tile);
          } else {
            const ap = a + <usize>i * aRow + <usize>kk * aStep;
            kernel4x8(kc, ap, aRow, aStep, bp, ldb, cp, ldc, nr, valpha, cScale, tile);
          }
        }
        for (; i < iEnd; i++) {
          const ap = a + <usize>i * aRow + <usize>kk * aStep;
          kernel1x8(kc, ap, aStep, bp, ldb, cj + <usize>i * ldc, nr, valpha, cScale, tile);
        }
      }
    }
  }
}

/** c[i] <- c[i] + p[i] for i < n: a depth block's share of C added, as gemm adds it (1 * c + p). */
export function addInto(c: usize, p: usize, n: i32): void {
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    v128.store(c + o, f32x4.add(v128.load(c + o), v128.load(p + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(c + o, load<f32>(c + o) + load<f32>(p + o));
  }
}

// op(B)[kk..kk+kc, j..j+8] into a contiguous kc x 8 panel, zero-padded past nr:
// contiguous for the kernel, and free of the cache-set conflicts of a power-of-two ldb.
function packB(transB: bool, b: usize, N: i32, K: i32, kk: i32, kc: i32, j: i32, nr: i32, panel: usize): void {
  if (!transB && nr == NR) {
    for (let k = 0; k < kc; k++) {
      const src = b + ((<usize>(kk + k) * <usize>N + <usize>j) << 2);
      const dst = panel + (<usize>(k * NR) << 2);
      v128.store(dst, v128.load(src));
      v128.store(dst, v128.load(src, 16), 16);
    }
    return;
  }
  for (let k = 0; k < kc; k++) {
    const dst = panel + (<usize>(k * NR) << 2);
    v128.store(dst, f32x4.splat(0));
    v128.store(dst, f32x4.splat(0), 16);
  }
  if (transB) {
    for (let jj = 0; jj < nr; jj++) {
      const src = b + ((<usize>(j + jj) * <usize>K + <usize>kk) << 2);
      for (let k = 0; k < kc; k++) {
        store<f32>(panel + (<usize>(k * NR + jj) << 2), load<f32>(src + (<usize>k << 2)));
      }
    }
  } else {
    for (let k = 0; k < kc; k++) {
      const src = b + ((<usize>(kk + k) * <usize>N + <usize>j) << 2);
      for (let jj = 0; jj < nr; jj++) {
        store<f32>(panel + (<usize>(k * NR + jj) << 2), load<f32>(src + (<usize>jj << 2)));
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Activations

// @ts-expect-error: decorator
@inline
function sigmoidf(v: f32): f32 {
  if (v >= 0) return 1 / (1 + Mathf.exp(-v));
  const e = Mathf.exp(v);
  return e / (1 + e);
}

// @ts-expect-error: decorator
@inline
function softplusf(v: f32): f32 {
  return max(v, 0) + Mathf.log1p(Mathf.exp(-abs(v)));
}


function psi(act: i32, v: f32): f32 {
  switch (act) {
    case SIGMOID:
      return sigmoidf(v);
    case TANH:
      return Mathf.tanh(v);
    case RELU:
      return v > 0 ? v : 0;
    case LEAKY_RELU:
      return v > 0 ? v : LEAKY_SLOPE * v;
    case ELU:
      return v > 0 ? v : Mathf.expm1(v);
    case SOFTPLUS:
      return softplusf(v);
    case GELU: {
      const x = <f64>v;
      return <f32>(0.5 * x * (1 + erf(x * Math.SQRT1_2)));
    }
    default:
      return v;
  }
}

function derivative(act: i32, v: f32, out: f32): f32 {
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
      return v > 0 ? 1 : Mathf.exp(v);
    case SOFTPLUS:
      return sigmoidf(v);
    case GELU: {
      const x = <f64>v;
      return <f32>(0.5 * (1 + erf(x * Math.SQRT1_2)) + (x / Math.sqrt(2 * Math.PI)) * Math.exp(-0.5 * x * x));
    }
    default:
      return 1;
  }
}

function softmaxRow(v: usize, out: usize, n: i32): void {
  let mx = -Infinity;
  for (let j = 0; j < n; j++) mx = max(mx, <f64>load<f32>(v + (<usize>j << 2)));
  let sum: f64 = 0;
  for (let j = 0; j < n; j++) {
    const e = Math.exp(<f64>load<f32>(v + (<usize>j << 2)) - mx);
    store<f32>(out + (<usize>j << 2), <f32>e);
    sum += e;
  }
  const inv = 1 / sum;
  for (let j = 0; j < n; j++) {
    const p = out + (<usize>j << 2);
    store<f32>(p, <f32>(<f64>load<f32>(p) * inv));
  }
}

function logSumExpRow(v: usize, n: i32): f64 {
  let mx = -Infinity;
  for (let j = 0; j < n; j++) mx = max(mx, <f64>load<f32>(v + (<usize>j << 2)));
  if (!isFinite(mx)) return mx;
  let sum: f64 = 0;
  for (let j = 0; j < n; j++) sum += Math.exp(<f64>load<f32>(v + (<usize>j << 2)) - mx);
  return mx + Math.log(sum);
}

/** v <- v + 1 b^T, then out <- psi(v), on rows x cols matrices (rows [r0, r1) only). */
export function biasActivate(act: i32, v: usize, biases: usize, out: usize, cols: i32, r0: i32, r1: i32): void {
  const ld = <usize>cols << 2;
  const n4 = cols & ~3;
  for (let r = r0; r < r1; r++) {
    const vr = v + <usize>r * ld;
    const or = out + <usize>r * ld;
    let j = 0;
    if (act == RELU) {
      // ReLU, the common hidden layer, vectorised in one pass.
      const zero = f32x4.splat(0);
      for (; j < n4; j += 4) {
        const o = <usize>j << 2;
        const x = f32x4.add(v128.load(vr + o), v128.load(biases + o));
        v128.store(vr + o, x);
        v128.store(or + o, f32x4.max(x, zero));
      }
    } else {
      for (; j < n4; j += 4) {
        const o = <usize>j << 2;
        v128.store(vr + o, f32x4.add(v128.load(vr + o), v128.load(biases + o)));
      }
    }
    for (; j < cols; j++) {
      const o = <usize>j << 2;
      const x = load<f32>(vr + o) + load<f32>(biases + o);
      store<f32>(vr + o, x);
      if (act == RELU) store<f32>(or + o, x > 0 ? x : 0);
    }
    if (act == RELU) continue;
    if (act == SOFTMAX) {
      softmaxRow(vr, or, cols);
    } else if (act == LINEAR) {
      memory.copy(or, vr, ld);
    } else {
      for (let jj = 0; jj < cols; jj++) {
        const o = <usize>jj << 2;
        store<f32>(or + o, psi(act, load<f32>(vr + o)));
      }
    }
  }
}

/** delta <- psi'(v) * upstream, or per row the softmax Jacobian product; delta may alias upstream. */
export function activationBackward(act: i32, v: usize, out: usize, up: usize, delta: usize, rows: i32, cols: i32): void {
  const n = rows * cols;
  if (act == SOFTMAX) {
    const ld = <usize>cols << 2;
    for (let r = 0; r < rows; r++) {
      const o = out + <usize>r * ld;
      const u = up + <usize>r * ld;
      const d = delta + <usize>r * ld;
      let dot: f64 = 0;
      for (let j = 0; j < cols; j++) dot += <f64>load<f32>(o + (<usize>j << 2)) * <f64>load<f32>(u + (<usize>j << 2));
      for (let j = 0; j < cols; j++) {
        const p = <usize>j << 2;
        store<f32>(d + p, <f32>(<f64>load<f32>(o + p) * (<f64>load<f32>(u + p) - dot)));
      }
    }
    return;
  }
  const n4 = n & ~3;
  let i = 0;
  if (act == LINEAR) {
    if (up != delta) memory.copy(delta, up, <usize>n << 2);
    return;
  }
  if (act == RELU) {
    const zero = f32x4.splat(0);
    for (; i < n4; i += 4) {
      const o = <usize>i << 2;
      const mask = f32x4.gt(v128.load(v + o), zero);
      v128.store(delta + o, v128.and(v128.load(up + o), mask));
    }
  } else if (act == SIGMOID || act == TANH) {
    const one = f32x4.splat(1);
    for (; i < n4; i += 4) {
      const o = <usize>i << 2;
      const y = v128.load(out + o);
      const d = act == SIGMOID ? f32x4.mul(y, f32x4.sub(one, y)) : f32x4.sub(one, f32x4.mul(y, y));
      v128.store(delta + o, f32x4.mul(d, v128.load(up + o)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(delta + o, derivative(act, load<f32>(v + o), load<f32>(out + o)) * load<f32>(up + o));
  }
}

// ---------------------------------------------------------------------------
// Losses

/** sum over all examples of L(i); fused sigmoid + BCE and softmax + CE work from v. */
export function lossSum(loss: i32, act: i32, v: usize, out: usize, t: usize, rows: i32, cols: i32, result: usize): void {
  store<f64>(result, lossTotal(loss, act, v, out, t, rows, cols));
}

function lossTotal(loss: i32, act: i32, v: usize, out: usize, t: usize, rows: i32, cols: i32): f64 {
  const n = rows * cols;
  let total: f64 = 0;
  if (fused(loss, act)) {
    if (act == SOFTMAX) {
      const ld = <usize>cols << 2;
      for (let r = 0; r < rows; r++) {
        const vr = v + <usize>r * ld;
        const tr = t + <usize>r * ld;
        const lse = logSumExpRow(vr, cols);
        for (let k = 0; k < cols; k++) {
          const d = <f64>load<f32>(tr + (<usize>k << 2));
          if (d != 0) total += d * (lse - <f64>load<f32>(vr + (<usize>k << 2)));
        }
      }
    } else {
      // sigmoid: softplus(v) - d v
      for (let i = 0; i < n; i++) {
        const o = <usize>i << 2;
        const x = <f64>load<f32>(v + o);
        total += max(x, 0) + Math.log1p(Math.exp(-abs(x))) - <f64>load<f32>(t + o) * x;
      }
    }
    return total;
  }
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const d = <f64>load<f32>(t + o);
    const y = <f64>load<f32>(out + o);
    const e = d - y;
    switch (loss) {
      case SQUARED:
        total += e * e;
        break;
      case HALF_SQUARED:
        total += 0.5 * e * e;
        break;
      case BINARY_CROSS_ENTROPY:
        total -= d * Math.log(y) + (1 - d) * Math.log(1 - y);
        break;
      default:
        if (d != 0) total -= d * Math.log(y);
    }
  }
  return total;
}

/** delta = -scale dL/dv of the output layer; fused for sigmoid + BCE and softmax + CE. */
export function lossDelta(
  loss: i32,
  act: i32,
  v: usize,
  out: usize,
  t: usize,
  params: usize,
  delta: usize,
  rows: i32,
  cols: i32,
): void {
  const scale = <f32>load<f64>(params);
  const n = rows * cols;
  const pair = fused(loss, act);
  if (pair && act == SOFTMAX) {
    // dL/dv_k = y_k sum_j d_j - d_k, which is y_k - d_k for one-hot targets.
    const ld = <usize>cols << 2;
    for (let r = 0; r < rows; r++) {
      const tr = t + <usize>r * ld;
      const yr = out + <usize>r * ld;
      const dr = delta + <usize>r * ld;
      let sumD: f32 = 0;
      for (let k = 0; k < cols; k++) sumD += load<f32>(tr + (<usize>k << 2));
      for (let k = 0; k < cols; k++) {
        const o = <usize>k << 2;
        store<f32>(dr + o, scale * (load<f32>(tr + o) - load<f32>(yr + o) * sumD));
      }
    }
    return;
  }
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const d = load<f32>(t + o);
    const y = load<f32>(out + o);
    let g: f32;
    // The fused pair left here is sigmoid's: dL/dv = y - d.
    if (pair || loss == HALF_SQUARED) g = d - y;
    else if (loss == SQUARED) g = 2 * (d - y);
    else if (loss == BINARY_CROSS_ENTROPY) g = d / y - (1 - d) / (1 - y);
    else g = d == 0 ? 0 : d / y;
    store<f32>(delta + o, scale * g);
  }
  if (!pair) activationBackward(act, v, out, delta, delta, rows, cols);
}

/** out <- alpha (sum of the rows of a) + beta out, out being 1 x cols. */
export function sumRows(alpha: f32, a: usize, beta: f32, out: usize, rows: i32, cols: i32): void {
  const ld = <usize>cols << 2;
  const n4 = cols & ~3;
  const va = f32x4.splat(alpha);
  const vb = f32x4.splat(beta);
  let j = 0;
  for (; j < n4; j += 4) {
    const o = <usize>j << 2;
    let acc = f32x4.splat(0);
    for (let r = 0; r < rows; r++) acc = f32x4.add(acc, v128.load(a + <usize>r * ld + o));
    const prev = beta == 0 ? f32x4.splat(0) : f32x4.mul(vb, v128.load(out + o));
    v128.store(out + o, f32x4.add(prev, f32x4.mul(va, acc)));
  }
  for (; j < cols; j++) {
    const o = <usize>j << 2;
    let acc: f32 = 0;
    for (let r = 0; r < rows; r++) acc += load<f32>(a + <usize>r * ld + o);
    store<f32>(out + o, (beta == 0 ? 0 : beta * load<f32>(out + o)) + alpha * acc);
  }
}

// ---------------------------------------------------------------------------
// Optimizers, vectorised four at a time with a scalar tail. g' = g + lambda w.

/** w <- w - eta (g + lambda w). */
/** L1's subgradient: g <- g + lambda1 sign(w), sign(0) = 0, with params: lambda1. */
export function l1(w: usize, g: usize, n: i32, params: usize): void {
  const l = <f32>load<f64>(params);
  const vl = f32x4.splat(l);
  const zero = f32x4.splat(0);
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    const wi = v128.load(w + o);
    // lambda1 where w > 0, minus it where w < 0, nothing at 0 (the masks are all ones or all zeros).
    const up = v128.and(f32x4.gt(wi, zero), vl);
    const down = v128.and(f32x4.lt(wi, zero), vl);
    v128.store(g + o, f32x4.sub(f32x4.add(v128.load(g + o), up), down));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const wi = load<f32>(w + o);
    if (wi > 0) store<f32>(g + o, load<f32>(g + o) + l);
    else if (wi < 0) store<f32>(g + o, load<f32>(g + o) - l);
  }
}

export function sgd(w: usize, g: usize, n: i32, params: usize): void {
  if (load<f64>(params, 8) == 0) sgdLoop(w, g, n, params, false);
  else sgdLoop(w, g, n, params, true);
}

// The optimizers' loops come in copies with and without weight decay (and
// with and without Nesterov's step), chosen once per call: V8 does not unroll a
// loop with a branch in it over a shared memory, which cost the threads build
// a tenth of a one-example update of MNIST 784-128-10 in sgd alone.
// @ts-expect-error: decorator
@inline
function sgdLoop(w: usize, g: usize, n: i32, params: usize, decay: bool): void {
  const eta = <f32>load<f64>(params);
  const lambda = <f32>load<f64>(params, 8);
  const n4 = n & ~3;
  const ve = f32x4.splat(eta);
  const vl = f32x4.splat(lambda);
  let i = 0;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    const wi = v128.load(w + o);
    const gi = decay ? madd(vl, wi, v128.load(g + o)) : v128.load(g + o);
    v128.store(w + o, f32x4.sub(wi, f32x4.mul(ve, gi)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const wi = load<f32>(w + o);
    store<f32>(w + o, wi - eta * (load<f32>(g + o) + lambda * wi));
  }
}

/** b <- mu b + g', then w <- w - eta b, or with Nesterov w <- w - eta (g' + mu b). */
export function momentum(w: usize, g: usize, b: usize, n: i32, nesterov: bool, params: usize): void {
  const decay = load<f64>(params, 8) != 0;
  if (nesterov) {
    if (decay) momentumLoop(w, g, b, n, params, true, true);
    else momentumLoop(w, g, b, n, params, true, false);
  } else if (decay) momentumLoop(w, g, b, n, params, false, true);
  else momentumLoop(w, g, b, n, params, false, false);
}

// @ts-expect-error: decorator
@inline
function momentumLoop(w: usize, g: usize, b: usize, n: i32, params: usize, nesterov: bool, decay: bool): void {
  const eta = <f32>load<f64>(params);
  const lambda = <f32>load<f64>(params, 8);
  const mu = <f32>load<f64>(params, 16);
  const n4 = n & ~3;
  const ve = f32x4.splat(eta);
  const vm = f32x4.splat(mu);
  const vl = f32x4.splat(lambda);
  let i = 0;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    const wi = v128.load(w + o);
    const gi = decay ? madd(vl, wi, v128.load(g + o)) : v128.load(g + o);
    const bi = madd(vm, v128.load(b + o), gi);
    v128.store(b + o, bi);
    const step = nesterov ? madd(vm, bi, gi) : bi;
    v128.store(w + o, f32x4.sub(wi, f32x4.mul(ve, step)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const wi = load<f32>(w + o);
    const gi = load<f32>(g + o) + lambda * wi;
    const bi = mu * load<f32>(b + o) + gi;
    store<f32>(b + o, bi);
    store<f32>(w + o, wi - eta * (nesterov ? gi + mu * bi : bi));
  }
}

/**
 * Adam: m <- beta1 m + (1 - beta1) g', s <- beta2 s + (1 - beta2) g'^2,
 * w <- w - stepSize m / (sqrt(s) / correction2 + eps), where the caller gives
 * stepSize = eta / (1 - beta1^t) and correction2 = sqrt(1 - beta2^t).
 */
export function adam(
  w: usize,
  g: usize,
  m: usize,
  s: usize,
  n: i32,
  params: usize,
): void {
  if (load<f64>(params, 8) == 0) adamLoop(w, g, m, s, n, params, false);
  else adamLoop(w, g, m, s, n, params, true);
}

// @ts-expect-error: decorator
@inline
function adamLoop(w: usize, g: usize, m: usize, s: usize, n: i32, params: usize, decay: bool): void {
  const stepSize = <f32>load<f64>(params);
  const lambda = <f32>load<f64>(params, 8);
  const beta1 = <f32>load<f64>(params, 16);
  const beta2 = <f32>load<f64>(params, 24);
  const eps = <f32>load<f64>(params, 32);
  const correction2 = <f32>load<f64>(params, 40);
  const n4 = n & ~3;
  const vl = f32x4.splat(lambda);
  const vOne1 = f32x4.splat(1 - beta1);
  const vB2 = f32x4.splat(beta2);
  const vOne2 = f32x4.splat(1 - beta2);
  const vStep = f32x4.splat(stepSize);
  const vInvC2 = f32x4.splat(1 / correction2);
  const vEps = f32x4.splat(eps);
  let i = 0;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    const wi = v128.load(w + o);
    const gi = decay ? madd(vl, wi, v128.load(g + o)) : v128.load(g + o);
    const mOld = v128.load(m + o);
    const mi = madd(vOne1, f32x4.sub(gi, mOld), mOld);
    const si = madd(vOne2, f32x4.mul(gi, gi), f32x4.mul(vB2, v128.load(s + o)));
    v128.store(m + o, mi);
    v128.store(s + o, si);
    const denom = madd(f32x4.sqrt(si), vInvC2, vEps);
    v128.store(w + o, f32x4.sub(wi, f32x4.div(f32x4.mul(vStep, mi), denom)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const wi = load<f32>(w + o);
    const gi = load<f32>(g + o) + lambda * wi;
    const mOld = load<f32>(m + o);
    const mi = mOld + (1 - beta1) * (gi - mOld);
    const si = beta2 * load<f32>(s + o) + (1 - beta2) * gi * gi;
    store<f32>(m + o, mi);
    store<f32>(s + o, si);
    store<f32>(w + o, wi - (stepSize * mi) / (Mathf.sqrt(si) / correction2 + eps));
  }
}

/** RMSProp: s <- rho s + (1 - rho) g'^2, w <- w - eta g' / (sqrt(s) + eps). */
export function rmsprop(w: usize, g: usize, s: usize, n: i32, params: usize): void {
  if (load<f64>(params, 8) == 0) rmspropLoop(w, g, s, n, params, false);
  else rmspropLoop(w, g, s, n, params, true);
}

// @ts-expect-error: decorator
@inline
function rmspropLoop(w: usize, g: usize, s: usize, n: i32, params: usize, decay: bool): void {
  const eta = <f32>load<f64>(params);
  const lambda = <f32>load<f64>(params, 8);
  const rho = <f32>load<f64>(params, 16);
  const eps = <f32>load<f64>(params, 24);
  const n4 = n & ~3;
  const vl = f32x4.splat(lambda);
  const vRho = f32x4.splat(rho);
  const vOne = f32x4.splat(1 - rho);
  const vEta = f32x4.splat(eta);
  const vEps = f32x4.splat(eps);
  let i = 0;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    const wi = v128.load(w + o);
    const gi = decay ? madd(vl, wi, v128.load(g + o)) : v128.load(g + o);
    const si = madd(vOne, f32x4.mul(gi, gi), f32x4.mul(vRho, v128.load(s + o)));
    v128.store(s + o, si);
    v128.store(w + o, f32x4.sub(wi, f32x4.div(f32x4.mul(vEta, gi), f32x4.add(f32x4.sqrt(si), vEps))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const wi = load<f32>(w + o);
    const gi = load<f32>(g + o) + lambda * wi;
    const si = rho * load<f32>(s + o) + (1 - rho) * gi * gi;
    store<f32>(s + o, si);
    store<f32>(w + o, wi - (eta * gi) / (Mathf.sqrt(si) + eps));
  }
}

/**
 * One optimizer's update of rows [r0, r1) of a matrix of `cols` columns, as a
 * thread that owns those rows runs it (see the pool). With r0 * cols a multiple
 * of four (the caller's rule: rows in fours) every element takes the same loop,
 * vector or scalar tail, as in the update of the whole matrix at once, so the
 * bits are the same. code: 0 sgd, 1 momentum, 2 Nesterov momentum, 3 Adam,
 * 4 RMSProp; b1, b2 the optimizer's state matrices.
 */
export function updateRows(
  code: i32,
  w: usize,
  g: usize,
  b1: usize,
  b2: usize,
  cols: i32,
  r0: i32,
  r1: i32,
  params: usize,
): void {
  const o = (<usize>r0 * <usize>cols) << 2;
  const n = (r1 - r0) * cols;
  if (code == 0) sgd(w + o, g + o, n, params);
  else if (code == 1) momentum(w + o, g + o, b1 + o, n, false, params);
  else if (code == 2) momentum(w + o, g + o, b1 + o, n, true, params);
  else if (code == 3) adam(w + o, g + o, b1 + o, b2 + o, n, params);
  else rmsprop(w + o, g + o, b1 + o, n, params);
}

// ---------------------------------------------------------------------------
// Minibatches

/** Row r of dst <- row idx[r] of src, for r < count (idx: u32 row numbers, checked by the caller). */
export function gatherRows(src: usize, cols: i32, idx: usize, count: i32, dst: usize): void {
  const bytes = <usize>cols << 2;
  for (let r = 0; r < count; r++) {
    const row = <usize>load<u32>(idx + (<usize>r << 2));
    memory.copy(dst + <usize>r * bytes, src + row * bytes, bytes);
  }
}

/**
 * The index of the first of the n float32 at p that is not finite (NaN or
 * infinite: x - x is then NaN, not 0), or -1: data checked where it lies, four
 * vectors at a time, the exact index found by the scalar loop from the first
 * block that holds one.
 */
export function firstNonFinite(p: usize, n: i32): i32 {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const o = p + (<usize>i << 2);
    const a = v128.load(o);
    const b = v128.load(o, 16);
    const c = v128.load(o, 32);
    const d = v128.load(o, 48);
    const bad = v128.or(
      v128.or(f32x4.ne(f32x4.sub(a, a), zero), f32x4.ne(f32x4.sub(b, b), zero)),
      v128.or(f32x4.ne(f32x4.sub(c, c), zero), f32x4.ne(f32x4.sub(d, d), zero)),
    );
    if (v128.any_true(bad)) break;
  }
  for (; i < n; i++) {
    const x = load<f32>(p + (<usize>i << 2));
    if (x - x != 0) return i;
  }
  return -1;
}

/** bytes zeros from p (a thread's share of a large new matrix: see the pool). */
export function zero(p: usize, bytes: usize): void {
  memory.fill(p, 0, bytes);
}

/** Where the memory the TypeScript side may allocate begins (above this module's static data). */
export function heapBase(): usize {
  return __heap_base;
}
