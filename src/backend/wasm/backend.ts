/**
 * The WebAssembly SIMD backend: float32 matrices live in one WebAssembly linear
 * memory, and every kernel of {@link Backend} runs in the AssemblyScript module
 * built from `assembly/index.ts`, on pointers, without copying. `float64`
 * matrices stay on the plain TypeScript backend (the kernels are float32 only),
 * so a backend serves both dtypes and a caller never has to know.
 *
 * @module
 */
import type { ActivationName, Backend, DType, LossName, Matrix } from '../backend.js';
import { activationCode, lossCode } from '../codes.js';
import {
  adamKernel,
  checkView,
  jsBackend,
  l1Kernel,
  lossDeltaKernel,
  lossSumKernel,
  momentumKernel,
  rmspropKernel,
  sgdKernel,
} from '../js.js';

/** The exports of the kernel module (see assembly/index.ts for the formulas). */
export interface KernelExports {
  readonly GEMM_SCRATCH_BYTES: WebAssembly.Global;
  heapBase(): number;
  gemm(
    transA: boolean,
    transB: boolean,
    M: number,
    N: number,
    K: number,
    alpha: number,
    a: number,
    b: number,
    beta: number,
    c: number,
    i0: number,
    i1: number,
    j0: number,
    j1: number,
    scratch: number,
  ): void;
  biasActivate(
    act: number,
    v: number,
    biases: number,
    out: number,
    cols: number,
    r0: number,
    r1: number,
  ): void;
  activationBackward(
    act: number,
    v: number,
    out: number,
    up: number,
    delta: number,
    rows: number,
    cols: number,
  ): void;
  /** Writes sum_i L(i) as a float64 at `result`. */
  lossSum(
    loss: number,
    act: number,
    v: number,
    out: number,
    t: number,
    rows: number,
    cols: number,
    result: number,
  ): void;
  /** params: scale. */
  lossDelta(
    loss: number,
    act: number,
    v: number,
    out: number,
    t: number,
    params: number,
    delta: number,
    rows: number,
    cols: number,
  ): void;
  sumRows(alpha: number, a: number, beta: number, out: number, rows: number, cols: number): void;
  /** Row r of dst <- row idx[r] of src (idx: `count` u32 row numbers in the memory). */
  gatherRows(src: number, cols: number, idx: number, count: number, dst: number): void;
  /** params: lambda1. */
  l1(w: number, g: number, n: number, params: number): void;
  /** params: eta, lambda. */
  sgd(w: number, g: number, n: number, params: number): void;
  /** params: eta, lambda, mu. */
  momentum(w: number, g: number, b: number, n: number, nesterov: boolean, params: number): void;
  /** params: stepSize = eta / (1 - beta1^t), lambda, beta1, beta2, eps, correction2 = sqrt(1 - beta2^t). */
  adam(w: number, g: number, m: number, s: number, n: number, params: number): void;
  /** params: eta, lambda, rho, eps. */
  rmsprop(w: number, g: number, s: number, n: number, params: number): void;
  /** gemm over depth blocks k0..k1 alone (see the kernel). */
  gemmDepth(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: number,
    b: number,
    beta: number,
    c: number,
    i0: number,
    i1: number,
    j0: number,
    j1: number,
    k0: number,
    k1: number,
    scratch: number,
  ): void;
  /** The depth of gemm's blocks for a product of depth k. */
  depthBlock(k: number): number;
  /** c[i] <- c[i] + p[i], i < n. */
  addInto(c: number, p: number, n: number): void;
  /** `bytes` zeros from `p`. */
  zero(p: number, bytes: number): void;
  /** The index of the first of `n` float32 from `p` that is not finite, or -1. */
  firstNonFinite(p: number, n: number): number;
  /** One of the updates above on rows [r0, r1) of a matrix of `cols` columns (code: see the kernel). */
  updateRows(
    code: number,
    w: number,
    g: number,
    b1: number,
    b2: number,
    cols: number,
    r0: number,
    r1: number,
    params: number,
  ): void;
}

/** Splits large products over worker threads; see pool.ts. */
export interface WorkerPool {
  /** Computes the product, split over the workers when that pays; returns whether it was split. */
  gemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: number,
    b: number,
    beta: number,
    c: number,
    scratch: number,
  ): boolean;
  /** An optimizer's update (code: see the kernel's updateRows), split when that pays; returns whether it was. */
  update(
    code: number,
    rows: number,
    cols: number,
    w: number,
    g: number,
    b1: number,
    b2: number,
    params: number,
  ): boolean;
  /** Zeros `bytes` bytes from `ptr`, shared among the threads when large; returns whether it did. */
  zero(ptr: number, bytes: number): boolean;
  /** Writes once to every page of fresh memory (already zero) on the workers, without waiting for them. */
  touch(ptr: number, bytes: number): void;
  /** Stops the workers. */
  terminate(): void;
}

/** How a wasm backend was built, as {@link WasmBackend.config} reports it. */
export interface WasmConfig {
  /** Threads that share large products (1: the calling thread only). */
  readonly threads: number;
  /** Whether the relaxed-SIMD build (fused multiply-add) runs. */
  readonly relaxed: boolean;
}

// Every allocation is a multiple of a cache line, so SIMD loads never straddle
// one at a row start and matrices never share a line (no false sharing across threads).
const ALIGN = 64;
const PAGE = 65536;

/** A float32 matrix in the linear memory: `ptr` is its byte address. */
export class WasmMatrix implements Matrix {
  readonly dtype = 'float32' as const;
  #view: Float32Array;
  #generation: number;

  constructor(
    readonly owner: WasmBackend,
    readonly rows: number,
    readonly cols: number,
    readonly ptr: number,
    readonly bytes: number,
    /** Whether this is a view of another matrix's storage (see WasmBackend.view): freeing it does nothing. */
    readonly shared = false,
  ) {
    this.#generation = owner.generation;
    this.#view = new Float32Array(owner.memory.buffer, ptr, rows * cols);
  }

  /** A view of the storage, rebuilt only after the memory has grown. */
  get data(): Float32Array {
    if (this.#generation !== this.owner.generation) {
      this.#generation = this.owner.generation;
      this.#view = new Float32Array(this.owner.memory.buffer, this.ptr, this.rows * this.cols);
    }
    return this.#view;
  }
}

// Below these sizes a call into wasm costs more than the work: the plain
// kernels run on the same memory through the matrices' views instead, so tiny
// networks (XOR, iris) pay for neither the call nor the generality.
const SMALL_PRODUCT = 48;
const SMALL_ELEMENTS = 32;
// The optimizers' codes of the kernel's updateRows.
const SGD = 0;
const MOMENTUM = 1;
const NESTEROV = 2;
const ADAM = 3;
const RMSPROP = 4;

// The checks that run on every call keep their error messages out of line:
// inlined into a kernel, a template literal would spend the caller's inlining
// budget, which the calls that pass numbers need.
function sameShape(a: Matrix, b: Matrix, what: string): void {
  if (a.rows !== b.rows || a.cols !== b.cols) shapesDiffer(a, b, what);
}

function shapesDiffer(a: Matrix, b: Matrix, what: string): never {
  throw new Error(`${what}: shapes ${a.rows}x${a.cols} and ${b.rows}x${b.cols} differ`);
}

/**
 * The {@link Backend} over one WebAssembly instance. Build it with
 * `createWasmBackend()` (src/backend/wasm/index.ts), which picks the module.
 */
export class WasmBackend implements Backend {
  readonly name: string;
  /** Bumped whenever the memory grows, which detaches (or, shared, outdates) old views. */
  generation = 0;
  /** A float32 view of the whole memory, for copies and fills without a call into wasm. */
  heap: Float32Array;
  #top: number;
  readonly #free = new Map<number, number[]>();
  readonly #scratch: number;
  /**
   * The float64 parameter block of the loss and optimizer kernels (see
   * assembly/index.ts), written in place by each method: passing doubles as
   * arguments, to wasm or to a helper, would box them on the JS heap every step.
   */
  readonly #params: number;
  #param: Float64Array;
  /** The row numbers of a gatherRows call, copied into the memory for the kernel: where, and room for how many. */
  #rows = 0;
  #rowsRoom = 0;
  #u32: Uint32Array;
  readonly #smallProduct: number;
  readonly #smallElements: number;

  constructor(
    readonly memory: WebAssembly.Memory,
    readonly kernels: KernelExports,
    name: string,
    /** The worker pool that splits large products, when threads are on. */
    public pool?: WorkerPool,
    /** Run tiny kernels on the plain backend (over the same memory); false forces wasm, for tests. */
    delegateSmall = true,
    /** Threads and build, for reports. */
    readonly config: WasmConfig = { threads: 1, relaxed: false },
  ) {
    this.name = name;
    this.#smallProduct = delegateSmall ? SMALL_PRODUCT : -1;
    this.#smallElements = delegateSmall ? SMALL_ELEMENTS : -1;
    this.heap = new Float32Array(memory.buffer);
    this.#u32 = new Uint32Array(memory.buffer);
    this.#top = Math.ceil(kernels.heapBase() / ALIGN) * ALIGN;
    this.#scratch = this.#allocate(kernels.GEMM_SCRATCH_BYTES.value as number);
    this.#params = this.#allocate(64);
    this.#param = new Float64Array(memory.buffer, this.#params, 8);
  }

  /**
   * Whether the TypeScript kernels take an element-wise job on `m`: float64, or
   * too few elements to pay for a call into the kernels (see SMALL_ELEMENTS).
   */
  #onTypeScript(m: Matrix): boolean {
    return m.dtype === 'float64' || m.rows * m.cols <= this.#smallElements;
  }

  /** Whether they take the product of `a` (as stored) with `n` columns (see SMALL_PRODUCT). */
  #productOnTypeScript(a: Matrix, n: number): boolean {
    return a.dtype === 'float64' || a.rows * a.cols * n <= this.#smallProduct;
  }

  /** Bytes of linear memory handed out so far (live or on a free list). */
  get reservedBytes(): number {
    return this.#top;
  }

  #allocate(bytes: number): number {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    const list = this.#free.get(size);
    if (list && list.length > 0) return list.pop()!;
    const ptr = this.#top;
    const end = ptr + size;
    if (end > this.memory.buffer.byteLength) {
      const have = this.memory.buffer.byteLength;
      // Grow geometrically so that building a network grows the memory a few times, not per layer.
      const want = Math.max(end, have * 1.5);
      this.memory.grow(Math.ceil((want - have) / PAGE));
      this.generation++;
      this.heap = new Float32Array(this.memory.buffer);
      this.#u32 = new Uint32Array(this.memory.buffer);
      if (this.#param) this.#param = new Float64Array(this.memory.buffer, this.#params, 8);
    }
    this.#top = end;
    return ptr;
  }

  /** Reserves `bytes` of the memory for good (control blocks and scratch of the worker pool). */
  allocateBytes(bytes: number): number {
    return this.#allocate(bytes);
  }

  /** Stops the worker threads, if any; the backend then computes on the calling thread only. */
  dispose(): void {
    this.pool?.terminate();
    this.pool = undefined;
  }

  #ptr(m: Matrix): number {
    if (m instanceof WasmMatrix && m.owner === this) return m.ptr;
    return this.#foreign(m);
  }

  #foreign(m: Matrix): never {
    throw new Error(`${this.name}: a ${m.dtype} matrix not allocated by this backend`);
  }

  matrix(rows: number, cols: number, dtype: DType): Matrix {
    if (dtype === 'float64') return jsBackend.matrix(rows, cols, dtype);
    if (dtype !== 'float32') throw new Error(`matrix: unknown dtype '${String(dtype)}'`);
    if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) {
      throw new Error(`matrix: ${rows}x${cols} is not a shape`);
    }
    const bytes = rows * cols * 4;
    const top = this.#top;
    const ptr = this.#allocate(bytes);
    // Memory never handed out is zero already: its pages are only to be had from
    // the system, on the other threads while this one goes on.
    if (ptr >= top) this.pool?.touch(ptr, bytes);
    else if (!this.pool?.zero(ptr, bytes)) this.heap.fill(0, ptr >> 2, (ptr + bytes) >> 2);
    return new WasmMatrix(this, rows, cols, ptr, bytes);
  }

  free(m: Matrix): void {
    if (m.dtype === 'float64') {
      jsBackend.free(m);
      return;
    }
    const ptr = this.#ptr(m);
    if (!(m as WasmMatrix).shared) this.#release(ptr, (m as WasmMatrix).bytes);
  }

  firstNonFinite(m: Matrix): number {
    if (m.dtype === 'float64') return jsBackend.firstNonFinite!(m);
    return this.kernels.firstNonFinite(this.#ptr(m), m.rows * m.cols);
  }

  view(m: Matrix, rows: number, cols: number): Matrix {
    if (m.dtype === 'float64') return jsBackend.view!(m, rows, cols);
    checkView(m, rows, cols);
    return new WasmMatrix(this, rows, cols, this.#ptr(m), rows * cols * 4, true);
  }

  /** Puts `bytes` at `ptr`, allocated by {@link #allocate}, on the free list of its size. */
  #release(ptr: number, bytes: number): void {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    let list = this.#free.get(size);
    if (!list) this.#free.set(size, (list = []));
    list.push(ptr);
  }

  copy(src: Matrix, dst: Matrix): void {
    if (src.dtype === 'float64') {
      jsBackend.copy(src, dst);
      return;
    }
    sameShape(src, dst, 'copy');
    const s = this.#ptr(src) >> 2;
    this.heap.copyWithin(this.#ptr(dst) >> 2, s, s + src.rows * src.cols);
  }

  fill(m: Matrix, value: number): void {
    if (m.dtype === 'float64') {
      jsBackend.fill(m, value);
      return;
    }
    const p = this.#ptr(m) >> 2;
    this.heap.fill(value, p, p + m.rows * m.cols);
  }

  gatherRows(src: Matrix, indices: Uint32Array, start: number, count: number, dst: Matrix): void {
    if (src.dtype === 'float64') {
      jsBackend.gatherRows(src, indices, start, count, dst);
      return;
    }
    const cols = src.cols;
    const s = this.#ptr(src);
    const d = this.#ptr(dst);
    if (count > dst.rows || dst.cols !== cols) {
      throw new Error(`gatherRows: ${count} rows of ${cols} do not fit a ${dst.rows}x${dst.cols} matrix`);
    }
    if (count > this.#rowsRoom) {
      if (this.#rowsRoom > 0) this.#release(this.#rows, this.#rowsRoom * 4);
      this.#rows = this.#allocate(count * 4);
      this.#rowsRoom = count;
    }
    // The row numbers, checked, where the kernel reads them: it copies each row in one memory.copy.
    const u32 = this.#u32;
    const at = (this.#rows >> 2) - start;
    const rows = src.rows;
    for (let r = start; r < start + count; r++) {
      const row = indices[r];
      if (!(row < rows)) throw new Error(`gatherRows: row ${row} of a ${rows}-row matrix`);
      u32[at + r] = row;
    }
    this.kernels.gatherRows(s, cols, this.#rows, count, d);
  }

  descend(x: Matrix, delta: Matrix, eta: number, w: Matrix): boolean {
    // In one depth block the product writes alpha * sum + 1 * w, rounding alpha * sum
    // and then the addition, as sgd rounds eta * g and then the subtraction (g being
    // -sum exactly). More depth blocks add each block's share to w in turn, and the
    // TypeScript kernels of tiny matrices round otherwise: those take the two steps.
    if (
      this.#productOnTypeScript(x, delta.cols) ||
      this.#onTypeScript(w) ||
      this.kernels.depthBlock(x.rows) !== x.rows
    ) {
      return false;
    }
    this.gemm(true, false, eta, x, delta, 1, w);
    return true;
  }

  gemm(transA: boolean, transB: boolean, alpha: number, a: Matrix, b: Matrix, beta: number, c: Matrix): void {
    if (this.#productOnTypeScript(a, transB ? b.rows : b.cols)) {
      jsBackend.gemm(transA, transB, alpha, a, b, beta, c);
      return;
    }
    const m = transA ? a.cols : a.rows;
    const k = transA ? a.rows : a.cols;
    const kb = transB ? b.cols : b.rows;
    const n = transB ? b.rows : b.cols;
    if (k !== kb || c.rows !== m || c.cols !== n) {
      throw new Error(
        `gemm: op(A) is ${m}x${k}, op(B) is ${kb}x${n}, C is ${c.rows}x${c.cols}: the shapes do not chain`,
      );
    }
    const pa = this.#ptr(a);
    const pb = this.#ptr(b);
    const pc = this.#ptr(c);
    if (this.pool) this.pool.gemm(transA, transB, m, n, k, alpha, pa, pb, beta, pc, this.#scratch);
    else this.kernels.gemm(transA, transB, m, n, k, alpha, pa, pb, beta, pc, 0, m, 0, n, this.#scratch);
  }

  biasActivate(activation: ActivationName, v: Matrix, biases: Matrix, out: Matrix): void {
    if (this.#onTypeScript(v)) {
      jsBackend.biasActivate(activation, v, biases, out);
      return;
    }
    sameShape(v, out, 'biasActivate');
    if (biases.rows * biases.cols !== v.cols) {
      throw new Error(`biasActivate: ${biases.rows}x${biases.cols} biases for ${v.cols} nodes`);
    }
    this.kernels.biasActivate(
      activationCode(activation),
      this.#ptr(v),
      this.#ptr(biases),
      this.#ptr(out),
      v.cols,
      0,
      v.rows,
    );
  }

  activationBackward(
    activation: ActivationName,
    v: Matrix,
    out: Matrix,
    upstream: Matrix,
    delta: Matrix,
  ): void {
    if (this.#onTypeScript(v)) {
      jsBackend.activationBackward(activation, v, out, upstream, delta);
      return;
    }
    sameShape(v, delta, 'activationBackward');
    this.kernels.activationBackward(
      activationCode(activation),
      this.#ptr(v),
      this.#ptr(out),
      this.#ptr(upstream),
      this.#ptr(delta),
      v.rows,
      v.cols,
    );
  }

  // The methods that take or give numbers put them in the parameter block at
  // once and leave the work to a private method, which passes the block on, to
  // the kernel here or, for tiny matrices, to the plain one: a double passed on
  // instead would be boxed at every call V8 does not inline (see #param).

  lossSum(
    loss: LossName,
    activation: ActivationName,
    v: Matrix,
    out: Matrix,
    targets: Matrix,
    weights: ArrayLike<number> | null = null,
  ): number {
    this.#lossSum(loss, activation, v, out, targets, weights);
    return this.#param[0];
  }

  lossSumInto(
    loss: LossName,
    activation: ActivationName,
    v: Matrix,
    out: Matrix,
    targets: Matrix,
    sum: Float64Array,
    weights: ArrayLike<number> | null = null,
  ): void {
    this.#lossSum(loss, activation, v, out, targets, weights);
    sum[0] = this.#param[0];
  }

  // Weighted losses (sample and class weights) take the plain kernels' bodies, on the same memory.
  #lossSum(
    loss: LossName,
    activation: ActivationName,
    v: Matrix,
    out: Matrix,
    targets: Matrix,
    weights: ArrayLike<number> | null,
  ): void {
    if (weights !== null || this.#onTypeScript(v)) {
      lossSumKernel(loss, activation, v, out, targets, this.#param, weights);
      return;
    }
    sameShape(out, targets, 'loss');
    this.kernels.lossSum(
      lossCode(loss),
      activationCode(activation),
      this.#ptr(v),
      this.#ptr(out),
      this.#ptr(targets),
      out.rows,
      out.cols,
      this.#params,
    );
  }

  lossDelta(
    loss: LossName,
    activation: ActivationName,
    v: Matrix,
    out: Matrix,
    targets: Matrix,
    scale: number,
    delta: Matrix,
    weights: ArrayLike<number> | null = null,
  ): void {
    this.#param[0] = scale;
    this.#lossDelta(loss, activation, v, out, targets, delta, weights);
  }

  #lossDelta(
    loss: LossName,
    activation: ActivationName,
    v: Matrix,
    out: Matrix,
    targets: Matrix,
    delta: Matrix,
    weights: ArrayLike<number> | null,
  ): void {
    if (weights !== null || this.#onTypeScript(v)) {
      lossDeltaKernel(loss, activation, v, out, targets, this.#param, delta, weights);
      return;
    }
    sameShape(out, targets, 'loss');
    sameShape(out, delta, 'loss');
    this.kernels.lossDelta(
      lossCode(loss),
      activationCode(activation),
      this.#ptr(v),
      this.#ptr(out),
      this.#ptr(targets),
      this.#params,
      this.#ptr(delta),
      out.rows,
      out.cols,
    );
  }

  sumRows(alpha: number, a: Matrix, beta: number, out: Matrix): void {
    if (this.#onTypeScript(a)) {
      jsBackend.sumRows(alpha, a, beta, out);
      return;
    }
    if (out.rows * out.cols !== a.cols)
      throw new Error(`sumRows: ${out.rows}x${out.cols} for ${a.cols} columns`);
    this.kernels.sumRows(alpha, this.#ptr(a), beta, this.#ptr(out), a.rows, a.cols);
  }

  l1(w: Matrix, g: Matrix, lambda1: number): void {
    this.#param[0] = lambda1;
    this.#l1(w, g);
  }

  #l1(w: Matrix, g: Matrix): void {
    if (this.#onTypeScript(w)) {
      l1Kernel(w, g, this.#param);
      return;
    }
    sameShape(w, g, 'l1');
    this.kernels.l1(this.#ptr(w), this.#ptr(g), w.rows * w.cols, this.#params);
  }

  sgd(w: Matrix, g: Matrix, eta: number, lambda: number): void {
    const param = this.#param;
    param[0] = eta;
    param[1] = lambda;
    this.#sgd(w, g);
  }

  #sgd(w: Matrix, g: Matrix): void {
    if (this.#onTypeScript(w)) {
      sgdKernel(w, g, this.#param);
      return;
    }
    sameShape(w, g, 'sgd');
    const pw = this.#ptr(w);
    const pg = this.#ptr(g);
    if (this.pool?.update(SGD, w.rows, w.cols, pw, pg, 0, 0, this.#params)) return;
    this.kernels.sgd(pw, pg, w.rows * w.cols, this.#params);
  }

  momentum(
    w: Matrix,
    g: Matrix,
    b: Matrix,
    eta: number,
    mu: number,
    nesterov: boolean,
    lambda: number,
  ): void {
    const param = this.#param;
    param[0] = eta;
    param[1] = lambda;
    param[2] = mu;
    this.#momentum(w, g, b, nesterov);
  }

  #momentum(w: Matrix, g: Matrix, b: Matrix, nesterov: boolean): void {
    if (this.#onTypeScript(w)) {
      momentumKernel(w, g, b, nesterov, this.#param);
      return;
    }
    sameShape(w, g, 'momentum');
    sameShape(w, b, 'momentum');
    const pw = this.#ptr(w);
    const pg = this.#ptr(g);
    const pb = this.#ptr(b);
    const code = nesterov ? NESTEROV : MOMENTUM;
    if (this.pool?.update(code, w.rows, w.cols, pw, pg, pb, 0, this.#params)) return;
    this.kernels.momentum(pw, pg, pb, w.rows * w.cols, nesterov, this.#params);
  }

  adam(
    w: Matrix,
    g: Matrix,
    m: Matrix,
    s: Matrix,
    eta: number,
    beta1: number,
    beta2: number,
    eps: number,
    t: number,
    lambda: number,
  ): void {
    const param = this.#param;
    param[0] = eta;
    param[1] = lambda;
    param[2] = beta1;
    param[3] = beta2;
    param[4] = eps;
    this.#adam(w, g, m, s, t);
  }

  #adam(w: Matrix, g: Matrix, m: Matrix, s: Matrix, t: number): void {
    const param = this.#param;
    if (this.#onTypeScript(w)) {
      adamKernel(w, g, m, s, t, param);
      return;
    }
    sameShape(w, g, 'adam');
    sameShape(w, m, 'adam');
    sameShape(w, s, 'adam');
    // The bias corrections in float64, once per call, as the reference computes
    // them: eta becomes stepSize = eta / (1 - beta1^t), and correction2 = sqrt(1 - beta2^t).
    const eta = param[0];
    const beta1 = param[2];
    const beta2 = param[3];
    param[0] = eta / (1 - beta1 ** t);
    param[5] = Math.sqrt(1 - beta2 ** t);
    const pw = this.#ptr(w);
    const pg = this.#ptr(g);
    const pm = this.#ptr(m);
    const ps = this.#ptr(s);
    if (this.pool?.update(ADAM, w.rows, w.cols, pw, pg, pm, ps, this.#params)) return;
    this.kernels.adam(pw, pg, pm, ps, w.rows * w.cols, this.#params);
  }

  rmsprop(w: Matrix, g: Matrix, s: Matrix, eta: number, rho: number, eps: number, lambda: number): void {
    const param = this.#param;
    param[0] = eta;
    param[1] = lambda;
    param[2] = rho;
    param[3] = eps;
    this.#rmsprop(w, g, s);
  }

  #rmsprop(w: Matrix, g: Matrix, s: Matrix): void {
    if (this.#onTypeScript(w)) {
      rmspropKernel(w, g, s, this.#param);
      return;
    }
    sameShape(w, g, 'rmsprop');
    sameShape(w, s, 'rmsprop');
    const pw = this.#ptr(w);
    const pg = this.#ptr(g);
    const ps = this.#ptr(s);
    if (this.pool?.update(RMSPROP, w.rows, w.cols, pw, pg, ps, 0, this.#params)) return;
    this.kernels.rmsprop(pw, pg, ps, w.rows * w.cols, this.#params);
  }
}
