/**
 * Multi-core matrix products: worker threads (`worker_threads` in Node, Web
 * Workers in a browser) that instantiate the same kernels on the same shared
 * WebAssembly memory and compute blocks of C.
 *
 * A product that is split is cut into a few blocks of C (chunks), which the
 * calling thread and the workers claim one at a time from a shared counter
 * until none is left. A worker that is not running (the machine's other core
 * is busy, or the worker is still asleep) thus costs nothing but the chunks it
 * did not take: the calling thread takes them, and a split is never much slower
 * than the product on one thread; a free core takes half of them. A worker
 * descheduled in the middle of a chunk (a busy machine) holds the calling
 * thread until it runs again: such long waits, when they recur, pause
 * splitting, for longer each time (see {@link LONG_WAIT} and {@link RECUR}).
 *
 * Every element of C is computed by exactly one thread, by the same kernel,
 * summing over k in the same order, and chunks are cut on the register-block
 * grid (rows in fours, columns in eights): the result is bit for bit the same
 * whatever the number of threads, and whichever of them took which chunk.
 *
 * A product is split only when the time the other threads could save exceeds a
 * hand-off (see {@link GemmPool.worthSplitting}): MNIST 784-128-10 in batches of
 * 64 splits; digits 64-64-10 in batches of 32 does not. Whether a product
 * only just worth it pays in the step around it is timed (see split-tuner.ts).
 *
 * Workers start without blocking the caller: until one has instantiated the
 * kernels (a few tens of milliseconds) products run on the calling thread
 * alone. A worker spins briefly after each chunk before it sleeps, so the
 * products of one training step find it awake. The calling thread waits for
 * the workers' last chunks with `Atomics.wait`, which a browser allows only in
 * a worker: on a page's main thread the wait spins instead.
 *
 * @module
 */
import type { KernelExports, WorkerPool } from './backend.js';
import { SplitTuner } from './split-tuner.js';
import {
  ARGS,
  ASLEEP,
  CHUNK_BITS,
  CHUNK_MASK,
  CLAIM,
  DEPTH,
  DONE,
  GEMM,
  KIND,
  READY,
  SEQUENCE_MASK,
  spawn,
  type ThreadHandle,
  TOUCH,
  touchPages,
  UPDATE,
  waitFor,
  ZERO,
} from './workers.js';

export { canSpawn, controlBytes } from './workers.js';

/** The most chunks one product is cut into. */
const MAX_CHUNKS = CHUNK_MASK;

/** The least a hand-off is taken to cost: a thread's wake-up and the cache lines it then shares. */
const MIN_HANDOFF = 10e-6;

/**
 * Chunks per thread: enough that a thread which starts late, or runs slower,
 * leaves little of its share to wait for; few enough that each chunk's own
 * costs (the panels of B or A it packs again) stay small.
 */
const CHUNKS_PER_THREAD = 4;

/** Multiply-adds below which a chunk costs more in its own overhead than it balances (about 10 us). */
const MIN_CHUNK_MACS = 200_000;

/** Shapes as one number, rows * SHAPE + cols (a matrix has fewer than 2^26 columns). */
const SHAPE = 2 ** 26;

/** Bytes below which a new matrix is zeroed on the calling thread alone (or its pages not touched ahead). */
const MIN_ZERO_BYTES = 4 << 20;

/** Bytes of a chunk of {@link GemmPool.touch}: the calling thread, writing from the start, soon follows the workers. */
const TOUCH_CHUNK = 1 << 20;

/** Elements below which an optimizer's update stays on the calling thread. */
const MIN_UPDATE = 16_384;

/**
 * The wait for the workers' last chunks that pauses splitting: at least
 * LONG_WAIT and half the time the calling thread spent on its own chunks. A
 * worker descheduled in the middle of a chunk (the machine's cores busy with
 * other work) holds the calling thread for a time slice, milliseconds, and a
 * spinning worker takes a core from the rest of the machine. A worker that
 * woke late for its chunk (after a collection paused the calling thread, say)
 * holds it a tenth of that, which is no reason to pause.
 */
const LONG_WAIT = 300e-6;

/** Seconds splitting pauses after a long wait, at first and at most (doubled at each, halved at each split without). */
const FIRST_PAUSE = 0.01;
const LAST_PAUSE = 1;

/**
 * A long wait pauses splitting only when another came less than this many
 * seconds before it. On a shared machine a worker is descheduled now and then
 * (a collection, a compiler thread, a neighbour), and a pause after each such
 * event cost MNIST 784-128-10 in batches of 64 a fifth of its epochs' speed:
 * about 20 steps on one thread for one late chunk. A core that stays busy
 * makes long waits recur, and pauses follow from the second one on.
 */
const RECUR = 0.1;

/**
 * Seconds on one thread below which a product's split is in doubt: it may pay
 * alone and still lose in the step around it (the cores then trade the data
 * the rest of the step touches), so the tuner times steps both ways. Above
 * this the split's gain dwarfs such costs.
 */
const IN_DOUBT = 2e-3;

/** The pool: `threads - 1` workers plus the calling thread. */
export class GemmPool implements WorkerPool {
  readonly #i32: Int32Array;
  readonly #f32: Float32Array;
  #sequence = 0;
  /** Whether a worker has been seen ready (until then products stay on the calling thread). */
  #started = false;
  /**
   * Seconds one hand-off to awake workers costs, and seconds per multiply-add
   * of the calling thread at its best, refined as products run on it alone:
   * together they rule out the products too small for a split to pay.
   */
  handoffSeconds = Number.POSITIVE_INFINITY;
  secondsPerMac = 1e-10;
  /** Set by {@link assume}: the estimates stay as given. */
  #pinned = false;
  /** Seconds splitting pauses after the next long wait, and when it may resume. */
  #pause = FIRST_PAUSE;
  #resumeAt = 0;
  /** When the last long wait ended. */
  #lastLongWait = Number.NEGATIVE_INFINITY;
  /** Decides, by timing whole steps, for the products in doubt (see {@link IN_DOUBT}). */
  readonly #tuner = new SplitTuner();
  /** Whether the last weight gradient (A^T B) of each shape, rows * SHAPE + cols, was split. */
  readonly #gradientSplit = new Map<number, boolean>();
  /** Chunks of a job {@link touch} posted and no one has waited for yet (0: none). */
  #pending = 0;

  private constructor(
    readonly threads: number,
    readonly memory: WebAssembly.Memory,
    readonly kernels: KernelExports,
    readonly ctrl: number,
    readonly workers: ThreadHandle[],
    /** Where the depth blocks of a product cut along its depth go, and their room (see #depthSplit). */
    readonly partial: number,
    readonly partialBytes: number,
  ) {
    this.#i32 = new Int32Array(memory.buffer, ctrl, READY + workers.length);
    this.#f32 = new Float32Array(memory.buffer, ctrl, READY);
  }

  /**
   * Starts `threads - 1` workers on `module` over the shared `memory`, without
   * waiting for them. `ctrl` is {@link controlBytes} and `scratch` one gemm
   * scratch area per worker, both allocated by the caller in that memory.
   */
  static start(
    threads: number,
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    kernels: KernelExports,
    ctrl: number,
    scratch: number[],
    partial = 0,
    partialBytes = 0,
  ): GemmPool {
    const workers = Array.from({ length: threads - 1 }, spawn);
    workers.forEach((w, slot) => {
      w.post({ module, memory, ctrl, slot, scratch: scratch[slot] });
    });
    return new GemmPool(threads, memory, kernels, ctrl, workers, partial, partialBytes);
  }

  /** Resolves once every worker is ready (for callers that want the whole pool at once). */
  async ready(): Promise<void> {
    while (!this.#allReady()) await new Promise((r) => setTimeout(r, 2));
  }

  #allReady(): boolean {
    for (let w = 0; w < this.workers.length; w++) if (Atomics.load(this.#i32, READY + w) === 0) return false;
    this.#start();
    return true;
  }

  /** Whether a worker is ready to take chunks; the first time one is, products may split. */
  #anyReady(): boolean {
    if (this.#started) return true;
    for (let w = 0; w < this.workers.length; w++) {
      if (Atomics.load(this.#i32, READY + w) !== 0) {
        this.#start();
        return true;
      }
    }
    return false;
  }

  #start(): void {
    this.#started = true;
    if (!this.#pinned) this.handoffSeconds = MIN_HANDOFF;
  }

  /**
   * Whether splitting a product of `macs` multiply-adds over `parts` threads
   * pays: the time the other threads take off the caller, macs * (1 - 1/parts)
   * seconds per multiply-add, must exceed one and a half hand-offs (a margin
   * for the cache lines the threads then share).
   */
  worthSplitting(macs: number, parts: number): boolean {
    return macs * this.secondsPerMac * (1 - 1 / parts) > 1.5 * this.handoffSeconds;
  }

  /**
   * Fixes the hand-off and the speed instead of measuring them (for tests, or
   * to force a policy: 0 splits every product, Infinity none).
   */
  assume(handoffSeconds: number, secondsPerMac: number): void {
    this.#pinned = true;
    this.handoffSeconds = handoffSeconds;
    this.secondsPerMac = secondsPerMac;
  }

  /**
   * C <- alpha op(A) op(B) + beta C (see the kernel), offered to the workers in
   * chunks when that pays; returns whether it was.
   */
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
  ): boolean {
    const macs = m * n * k;
    const rowBlocks = Math.ceil(m / 4);
    const colBlocks = Math.ceil(n / 8);
    const inDoubt = !this.#pinned && macs * this.secondsPerMac < IN_DOUBT;
    // A weight gradient in doubt (A^T B, C rows for the layer's inputs) is cut into
    // one chunk of rows per thread, as the update of those weights is (see update):
    // each thread then keeps its rows of the gradient and of the optimizer's state in
    // its own cache, and no cache line holds both threads' rows but one.
    const owned = inDoubt && transA && rowBlocks >= this.threads;
    // Otherwise cut where no chunk packs again what another packs: the kernel packs
    // panels of B for every block of rows, and a transposed A for every block of
    // columns. So columns (in eights) unless A is transposed, then rows (in
    // fours); the other way when that dimension has too few blocks.
    const want = owned
      ? this.threads
      : Math.min(CHUNKS_PER_THREAD * this.threads, Math.max(2, Math.floor(macs / MIN_CHUNK_MACS)));
    const byRows =
      owned ||
      (transA ? rowBlocks >= want || rowBlocks >= colBlocks : colBlocks < want && rowBlocks > colBlocks);
    const blocks = byRows ? rowBlocks : colBlocks;
    const chunks = Math.min(want, blocks, MAX_CHUNKS);
    let split =
      chunks >= 2 &&
      this.#anyReady() &&
      this.worthSplitting(macs, Math.min(chunks, this.threads)) &&
      (this.#pinned || now() >= this.#resumeAt);
    if (split && inDoubt) {
      this.#tuner.see(c, m, n, k, now());
      split = this.#tuner.split;
    }
    // A weight gradient's verdict, for the update of those weights that follows (see update).
    if (transA) this.#gradientSplit.set(m * SHAPE + n, split);
    // A layer's forward product over weights whose rows the threads own (their gradient was
    // split, so their update was): cut along the depth, each thread over its own rows of B.
    if (
      split &&
      (inDoubt || this.#pinned) &&
      !transA &&
      !transB &&
      alpha !== 0 &&
      this.#gradientSplit.get(k * SHAPE + n) === true &&
      this.#depthSplit(m, n, k, alpha, a, b, beta, c, scratch)
    ) {
      return true;
    }
    if (!split) {
      const t0 = now();
      this.kernels.gemm(transA, transB, m, n, k, alpha, a, b, beta, c, 0, m, 0, n, scratch);
      const seconds = now() - t0;
      // The best speed seen, drifting slowly towards slower ones: a product that
      // the system interrupted says nothing about the kernel's speed.
      if (!this.#pinned && macs >= 1 << 16 && seconds > 0) {
        this.secondsPerMac = Math.min(seconds / macs, this.secondsPerMac * 1.01);
      }
      return false;
    }
    // Chunks of whole register blocks, as even as that allows.
    const grain = byRows ? 4 : 8;
    const size = Math.ceil(blocks / chunks) * grain;
    this.#product(GEMM, transA, transB, m, n, k, alpha, a, b, beta, c, byRows, size);
    this.#share(Math.ceil((byRows ? m : n) / size), scratch);
    return true;
  }

  /**
   * An optimizer's update of a rows x cols matrix `w` (gradient `g`, state
   * matrices `b1`, `b2`; `code` and `params` as the kernel's updateRows takes
   * them), cut into one chunk of rows per thread as a weight gradient in doubt
   * is, when the last gradient of its shape was split; returns whether it was.
   * Rows go in fours, so every element takes the kernel's loop it takes in a
   * whole update.
   */
  update(
    code: number,
    rows: number,
    cols: number,
    w: number,
    g: number,
    b1: number,
    b2: number,
    params: number,
  ): boolean {
    const rowBlocks = Math.ceil(rows / 4);
    if (rowBlocks < this.threads || rows * cols < MIN_UPDATE || !this.#anyReady()) {
      return false;
    }
    // As the product that made the gradient went: an update splits only behind a split
    // gradient, whose rows each thread then holds. Alone (one example per update, a
    // gradient too small to split) it would wait for a worker asleep.
    if (
      this.#pinned
        ? !this.worthSplitting(rows * cols, this.threads)
        : this.#gradientSplit.get(rows * SHAPE + cols) !== true || now() < this.#resumeAt
    ) {
      return false;
    }
    const size = this.#ownedRows(rows);
    this.#settle();
    const i32 = this.#i32;
    i32[ARGS] = code;
    i32[ARGS + 2] = rows;
    i32[ARGS + 3] = cols;
    i32[ARGS + 4] = b2;
    i32[ARGS + 5] = w;
    i32[ARGS + 6] = g;
    i32[ARGS + 7] = b1;
    i32[ARGS + 8] = 1;
    i32[ARGS + 9] = size;
    i32[ARGS + 13] = params;
    i32[ARGS + KIND] = UPDATE;
    this.#share(Math.ceil(rows / size), 0);
    return true;
  }

  /**
   * C <- alpha A B + beta C cut along the depth k at the rows of B the calling
   * thread owns (see update): its depth blocks into C, the other thread's into
   * blocks of their own, which are then added to C in order. Every element sums
   * the same terms in the same order as in one piece (see the kernel's
   * gemmDepth), and no thread reads the other's rows of B. Two threads, a cut on
   * a block boundary, and room for the blocks; else false, and nothing done.
   */
  #depthSplit(
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: number,
    b: number,
    beta: number,
    c: number,
    scratch: number,
  ): boolean {
    if (this.threads !== 2) return false;
    const own = this.#ownedRows(k);
    const depth = this.kernels.depthBlock(k);
    const blocks = Math.ceil((k - own) / depth);
    if (own % depth !== 0 || own >= k || blocks * m * n * 4 > this.partialBytes) return false;
    this.#product(DEPTH, false, false, m, n, k, alpha, a, b, beta, c, false, own);
    this.#i32[ARGS + 13] = this.partial;
    this.#share(2, scratch);
    for (let q = 0; q < blocks; q++) this.kernels.addInto(c, this.partial + q * m * n * 4, m * n);
    return true;
  }

  /** Puts a product's arguments in ARGS (`size`: a chunk's rows or columns, or for DEPTH the cut). */
  #product(
    kind: number,
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
    byRows: boolean,
    size: number,
  ): void {
    this.#settle();
    const i32 = this.#i32;
    const f32 = this.#f32;
    i32[ARGS] = transA ? 1 : 0;
    i32[ARGS + 1] = transB ? 1 : 0;
    i32[ARGS + 2] = m;
    i32[ARGS + 3] = n;
    i32[ARGS + 4] = k;
    i32[ARGS + 5] = a;
    i32[ARGS + 6] = b;
    i32[ARGS + 7] = c;
    i32[ARGS + 8] = byRows ? 1 : 0;
    i32[ARGS + 9] = size;
    f32[ARGS + 10] = alpha;
    f32[ARGS + 11] = beta;
    i32[ARGS + KIND] = kind;
  }

  /** Rows of a matrix the calling thread owns, from the first: the first chunk of rows in fours. */
  #ownedRows(rows: number): number {
    return Math.ceil(Math.ceil(rows / 4) / this.threads) * 4;
  }

  /**
   * Zeros `bytes` bytes from `ptr`, a share per thread, when there is enough of
   * them: a large matrix on fresh memory is mostly the first touches of its
   * pages, which the system serves to two threads at once. Returns whether it did.
   */
  zero(ptr: number, bytes: number): boolean {
    if (bytes < MIN_ZERO_BYTES || !this.#anyReady()) return false;
    const chunks = this.#bytesJob(ZERO, ptr, bytes, Math.ceil(bytes / this.threads / 65536) * 65536);
    // Its waits say nothing of the products': no pause follows them.
    this.#share(chunks, 0, false);
    return true;
  }

  /**
   * Writes once to every page of `bytes` bytes from `ptr` (see touchPages) on
   * the workers, and returns without waiting: a new matrix on fresh memory,
   * already zero, gets its pages from the system while the calling thread goes
   * on (reading a file into it, say). The next job waits for it first.
   */
  touch(ptr: number, bytes: number): void {
    if (bytes < MIN_ZERO_BYTES) return;
    const size = Math.max(TOUCH_CHUNK, Math.ceil(bytes / MAX_CHUNKS / 65536) * 65536);
    this.#pending = this.#bytesJob(TOUCH, ptr, bytes, size);
    this.#post(this.#pending);
  }

  /** Puts a job on `bytes` bytes from `ptr` (ZERO or TOUCH) in ARGS, in chunks of `size`; returns their number. */
  #bytesJob(kind: number, ptr: number, bytes: number, size: number): number {
    this.#settle();
    const i32 = this.#i32;
    i32[ARGS + 5] = bytes;
    i32[ARGS + 7] = ptr;
    i32[ARGS + 9] = size;
    i32[ARGS + KIND] = kind;
    return Math.ceil(bytes / size);
  }

  /** Finishes the job {@link touch} posted, if any, taking its chunks left on this thread too. */
  #settle(): void {
    const total = this.#pending;
    if (total === 0) return;
    this.#pending = 0;
    waitFor(this.#i32, total - this.#claim(total, 0));
  }

  /**
   * Posts the job in ARGS as `total` chunks, claims chunks on the calling
   * thread like any worker until none is left, and waits for the workers' last.
   */
  #share(total: number, scratch: number, judge = true): void {
    this.#post(total);
    const posted = now();
    const mine = this.#claim(total, scratch);
    // The chunks the workers took: until they are done, the arguments must stay.
    const waiting = now();
    waitFor(this.#i32, total - mine);
    if (judge && !this.#pinned) this.#judge(now() - waiting, waiting - posted);
  }

  /** Offers the job in ARGS to the workers as `total` chunks. */
  #post(total: number): void {
    const i32 = this.#i32;
    Atomics.store(i32, DONE, 0);
    this.#sequence = (this.#sequence + 1) & SEQUENCE_MASK;
    Atomics.store(i32, CLAIM, (this.#sequence << (2 * CHUNK_BITS)) | (total << CHUNK_BITS));
    // A spinning worker sees the job; one that said it sleeps is woken (see workers.ts).
    for (let w = 0; w < this.workers.length; w++) {
      if (Atomics.load(i32, READY + w) === ASLEEP) {
        Atomics.notify(i32, CLAIM);
        return;
      }
    }
  }

  /** Claims and runs chunks of the posted job on this thread until none is left; returns how many. */
  #claim(total: number, scratch: number): number {
    const i32 = this.#i32;
    let claim = Atomics.load(i32, CLAIM);
    let mine = 0;
    for (;;) {
      const next = claim & CHUNK_MASK;
      if (next >= total) break;
      if (Atomics.compareExchange(i32, CLAIM, claim, claim + 1) === claim) {
        this.#chunk(next, scratch);
        mine++;
      }
      claim = Atomics.load(i32, CLAIM);
    }
    return mine;
  }

  /** Runs chunk `next` of the job in ARGS, as the worker's program does. */
  #chunk(next: number, scratch: number): void {
    const i32 = this.#i32;
    const f32 = this.#f32;
    const byRows = i32[ARGS + 8] === 1;
    const m = i32[ARGS + 2];
    const n = i32[ARGS + 3];
    const lo = next * i32[ARGS + 9];
    const hi = Math.min(lo + i32[ARGS + 9], byRows ? m : n);
    const a = i32[ARGS + 5];
    const b = i32[ARGS + 6];
    const c = i32[ARGS + 7];
    const kind = i32[ARGS + KIND];
    if (kind === ZERO || kind === TOUCH) {
      const size = i32[ARGS + 9];
      const at = i32[ARGS + 7] + next * size;
      const bytes = Math.min(size, i32[ARGS + 5] - next * size);
      if (kind === ZERO) this.kernels.zero(at, bytes);
      else touchPages(this.memory, at, bytes);
      return;
    }
    if (kind === UPDATE) {
      this.kernels.updateRows(i32[ARGS], a, b, c, i32[ARGS + 4], n, lo, hi, i32[ARGS + 13]);
      return;
    }
    const transA = i32[ARGS] === 1;
    const transB = i32[ARGS + 1] === 1;
    const k = i32[ARGS + 4];
    const alpha = f32[ARGS + 10];
    const beta = f32[ARGS + 11];
    if (kind === DEPTH) {
      const own = i32[ARGS + 9];
      if (next === 0) {
        this.kernels.gemmDepth(false, false, m, n, k, alpha, a, b, beta, c, 0, m, 0, n, 0, own, scratch);
        return;
      }
      const depth = this.kernels.depthBlock(k);
      const partial = i32[ARGS + 13];
      for (let kk = own, q = 0; kk < k; kk += depth, q++) {
        const block = partial + q * m * n * 4;
        this.kernels.gemmDepth(
          false,
          false,
          m,
          n,
          k,
          alpha,
          a,
          b,
          0,
          block,
          0,
          m,
          0,
          n,
          kk,
          Math.min(kk + depth, k),
          scratch,
        );
      }
      return;
    }
    if (byRows) this.kernels.gemm(transA, transB, m, n, k, alpha, a, b, beta, c, lo, hi, 0, n, scratch);
    else this.kernels.gemm(transA, transB, m, n, k, alpha, a, b, beta, c, 0, m, lo, hi, scratch);
  }

  /**
   * After a split: a long wait for the workers soon after another pauses
   * splitting, for longer each time (see RECUR); a short one shortens the next pause.
   */
  #judge(waited: number, own: number): void {
    if (waited > Math.max(LONG_WAIT, own / 2)) {
      const t = now();
      const recurs = t - this.#lastLongWait < RECUR;
      this.#lastLongWait = t;
      if (!recurs) return;
      this.#resumeAt = t + this.#pause;
      this.#pause = Math.min(2 * this.#pause, LAST_PAUSE);
    } else {
      this.#pause = Math.max(FIRST_PAUSE, this.#pause / 2);
    }
  }

  terminate(): void {
    Atomics.store(this.#i32, CLAIM, -1);
    Atomics.notify(this.#i32, CLAIM);
    for (const worker of this.workers) worker.terminate();
  }
}

function now(): number {
  return performance.now() / 1000;
}
