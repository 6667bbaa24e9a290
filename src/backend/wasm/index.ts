/**
 * The WebAssembly SIMD backend: the kernels of {@link Backend} compiled from
 * AssemblyScript (assembly/index.ts), float32 on 128-bit SIMD, with fused
 * multiply-add on request where the engine has relaxed SIMD. `float64`
 * matrices are delegated to the plain TypeScript backend. It is the library's
 * default backend wherever the engine has SIMD (see `backend()`); build one
 * yourself only for other options.
 *
 * @example
 * import { setBackend } from 'backprop-mlp';
 * import { createWasmBackend } from 'backprop-mlp/wasm';
 * setBackend(await createWasmBackend({ relaxedSimd: true, threads: 1 }));
 *
 * @module
 */
import type { Backend } from '../backend.js';
import { type KernelExports, WasmBackend } from './backend.js';
import { moduleBytes, type WasmFeatures, wasmFeatures } from './features.js';
import { canSpawn, controlBytes, GemmPool } from './pool.js';

export { WasmBackend, WasmMatrix } from './backend.js';
export { GemmPool } from './pool.js';

const PARTIAL_BYTES = 1 << 18;

export type { WasmFeatures };
export { wasmFeatures };

/** Options of {@link createWasmBackend}. */
export interface WasmBackendOptions {
  /**
   * Use relaxed SIMD (fused multiply-add) when the engine has it. Default false:
   * a fused multiply-add rounds once where the plain build rounds twice, so
   * results would differ in the last bits between engines with and without it
   * (Chromium has it, Node 20 only behind a flag).
   */
  relaxedSimd?: boolean;
  /** Initial size of the linear memory in MiB (it grows as needed). Default 16. */
  initialMemoryMiB?: number;
  /**
   * Run kernels on tiny matrices (a product of at most 48 multiply-adds, at most
   * 32 elements) with the plain TypeScript loops over the same memory, where a
   * call into wasm costs more than the work. Default true; false forces every
   * kernel through wasm (for testing).
   */
  delegateSmall?: boolean;
  /**
   * Threads for large matrix products: a number (1 = none), or `'auto'` for one
   * per core where the engine allows shared memory (Node; a cross-origin
   * isolated page), else 1. Default 1. With `'auto'` or more than one thread
   * the backend uses the plain-SIMD build on a shared memory, whatever the
   * thread count, so results are bit for bit the same for any number of
   * threads. A product large enough for a hand-off to pay is cut into chunks
   * that the calling thread and the workers claim as they come free, so a busy
   * core costs little. Call {@link WasmBackend.dispose} (or
   * let the process exit: idle workers do not keep it alive) to stop them.
   */
  threads?: number | 'auto';
}

function validatesShared(): boolean {
  try {
    return WebAssembly.validate(moduleBytes('relaxed-threads'));
  } catch {
    return false;
  }
}

/** Cores of this machine (Node), or the browser's hardware concurrency; 1 when unknown. */
export function coreCount(): number {
  if (typeof navigator === 'object' && navigator.hardwareConcurrency) return navigator.hardwareConcurrency;
  if (typeof process === 'object' && process.versions?.node) {
    const os = process.getBuiltinModule?.('node:os');
    if (os) return os.availableParallelism?.() ?? os.cpus().length;
  }
  return 1;
}

/**
 * Builds the backend synchronously (`new WebAssembly.Module`): in Node always,
 * in a worker, and on a page's main thread in engines without a size limit on
 * synchronous compilation (Chromium 114 and later; older ones throw a
 * RangeError for modules over 4 KB, and {@link defaultBackend} then keeps the
 * plain backend). Worker threads start in the background; products run on the
 * calling thread until they are ready.
 *
 * Throws when the engine has no WebAssembly SIMD (check {@link wasmFeatures}
 * first and keep the plain backend then).
 */
export function createWasmBackendSync(options: WasmBackendOptions = {}): WasmBackend {
  const features = wasmFeatures();
  if (!features.simd) throw new Error('WebAssembly SIMD is not available in this engine');
  const pages = Math.max(1, Math.ceil(((options.initialMemoryMiB ?? 16) * 1024 * 1024) / 65536));
  const delegateSmall = options.delegateSmall ?? true;
  const auto = options.threads === 'auto';
  let threads: number = auto ? coreCount() : ((options.threads as number | undefined) ?? 1);
  if (!Number.isInteger(threads) || threads < 1)
    throw new Error(
      `threads: expected a whole number of at least 1 or 'auto', got ${String(options.threads)}`,
    );
  if (auto && !(features.threads && canSpawn())) threads = 1;
  if (threads > 1 || auto) {
    if (!features.threads)
      throw new Error(
        'threads: this engine has no shared WebAssembly memory (in a browser the page must be cross-origin isolated)',
      );
    if (threads > 1 && !canSpawn())
      throw new Error('threads: this engine cannot start worker threads (Node 20.16 or later is needed)');
    // One build for every thread count, so that the answers never depend on it.
    const relaxed = (options.relaxedSimd ?? false) && features.relaxedSimd && validatesShared();
    const memory = new WebAssembly.Memory({ initial: pages, maximum: 65536, shared: true });
    const module = new WebAssembly.Module(moduleBytes(relaxed ? 'relaxed-threads' : 'threads'));
    const kernels = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as KernelExports;
    const backend = new WasmBackend(
      memory,
      kernels,
      `wasm-${relaxed ? 'relaxed-simd' : 'simd'}-threads-${threads}`,
      undefined,
      delegateSmall,
      { threads, relaxed },
    );
    if (threads > 1) {
      const workers = threads - 1;
      const ctrl = backend.allocateBytes(controlBytes(workers));
      const scratch = Array.from({ length: workers }, () =>
        backend.allocateBytes(kernels.GEMM_SCRATCH_BYTES.value as number),
      );
      // The other thread's depth blocks of a product cut along its depth: a quarter
      // of a megabyte (batches of 256 through a layer of 128), touched only when used.
      const partial = backend.allocateBytes(PARTIAL_BYTES);
      backend.pool = GemmPool.start(threads, module, memory, kernels, ctrl, scratch, partial, PARTIAL_BYTES);
    }
    return backend;
  }
  const relaxed = (options.relaxedSimd ?? false) && features.relaxedSimd;
  const memory = new WebAssembly.Memory({ initial: pages });
  const module = new WebAssembly.Module(moduleBytes(relaxed ? 'relaxed' : 'simd'));
  const kernels = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as KernelExports;
  return new WasmBackend(
    memory,
    kernels,
    relaxed ? 'wasm-relaxed-simd' : 'wasm-simd',
    undefined,
    delegateSmall,
    {
      threads: 1,
      relaxed,
    },
  );
}

/**
 * {@link createWasmBackendSync}, resolved once every worker thread is ready,
 * for callers that want the whole pool from the first product on.
 */
export async function createWasmBackend(options: WasmBackendOptions = {}): Promise<Backend> {
  const backend = createWasmBackendSync(options);
  await (backend.pool as GemmPool | undefined)?.ready();
  return backend;
}
