/**
 * The WebAssembly SIMD backend: the kernels of {@link Backend} compiled from
 * AssemblyScript (assembly/index.ts), float32 on 128-bit SIMD, with fused
 * multiply-add where the engine has relaxed SIMD. `float64` matrices are
 * delegated to the plain TypeScript backend.
 *
 * @example
 * import { setBackend } from 'backprop-mlp';
 * import { createWasmBackend } from 'backprop-mlp/wasm';
 * setBackend(await createWasmBackend());
 *
 * @module
 */
import type { Backend } from '../backend.js';
import { type KernelExports, WasmBackend } from './backend.js';
import { moduleBytes, type WasmFeatures, wasmFeatures } from './features.js';
import { GemmPool } from './pool.js';

export { WasmBackend, WasmMatrix } from './backend.js';
export { PARALLEL_MIN_MACS } from './pool.js';
export type { WasmFeatures };
export { wasmFeatures };

/** Options of {@link createWasmBackend}. */
export interface WasmBackendOptions {
  /**
   * Use relaxed SIMD (fused multiply-add) when the engine has it. Default true.
   * Results then differ from the plain build in the last bits, as any FMA does.
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
   * isolated page), else 1. Default 1. With more than one thread the backend
   * uses the plain-SIMD build on a shared memory, whatever the thread count, so
   * results are bit for bit the same for any number of threads. Products under
   * about 8 million multiply-adds stay on the calling thread. Call
   * {@link WasmBackend.dispose} (or let the process exit) to stop the workers.
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

async function coreCount(): Promise<number> {
  if (typeof navigator === 'object' && navigator.hardwareConcurrency) return navigator.hardwareConcurrency;
  if (typeof process === 'object' && process.versions?.node) {
    const specifier = 'node:os';
    const os = (await import(/* @vite-ignore */ specifier)) as typeof import('node:os');
    return os.availableParallelism?.() ?? os.cpus().length;
  }
  return 1;
}

/**
 * Instantiates the kernels and returns a backend whose float32 matrices live
 * in the WebAssembly memory. Asynchronous so that it works in browsers, which
 * refuse to compile large modules synchronously on the main thread.
 *
 * Throws when the engine has no WebAssembly SIMD (check {@link wasmFeatures}
 * first and keep the plain backend then).
 */
export async function createWasmBackend(options: WasmBackendOptions = {}): Promise<Backend> {
  const features = wasmFeatures();
  if (!features.simd) throw new Error('WebAssembly SIMD is not available in this engine');
  const pages = Math.max(1, Math.ceil(((options.initialMemoryMiB ?? 16) * 1024 * 1024) / 65536));
  const delegateSmall = options.delegateSmall ?? true;
  let threads = options.threads === 'auto' ? await coreCount() : (options.threads ?? 1);
  if (!Number.isInteger(threads) || threads < 1)
    throw new Error(
      `threads: expected a whole number of at least 1 or 'auto', got ${String(options.threads)}`,
    );
  if (options.threads === 'auto' && !features.threads) threads = 1;
  if (threads > 1 || options.threads === 'auto') {
    if (!features.threads)
      throw new Error(
        'threads: this engine has no shared WebAssembly memory (in a browser the page must be cross-origin isolated)',
      );
    // One build for every thread count, so that the answers never depend on it.
    const relaxed = (options.relaxedSimd ?? true) && features.relaxedSimd && validatesShared();
    const memory = new WebAssembly.Memory({ initial: pages, maximum: 65536, shared: true });
    const module = await WebAssembly.compile(moduleBytes(relaxed ? 'relaxed-threads' : 'threads'));
    const instance = await WebAssembly.instantiate(module, { env: { memory } });
    const kernels = instance.exports as unknown as KernelExports;
    const backend = new WasmBackend(
      memory,
      kernels,
      `wasm-${relaxed ? 'relaxed-simd' : 'simd'}-threads-${threads}`,
      undefined,
      delegateSmall,
    );
    if (threads > 1) {
      const workers = threads - 1;
      const ctrl = backend.allocateBytes(64 * workers);
      const scratch = Array.from({ length: workers }, () =>
        backend.allocateBytes(kernels.GEMM_SCRATCH_BYTES.value as number),
      );
      backend.pool = await GemmPool.create(threads, module, memory, kernels, ctrl, scratch);
    }
    return backend;
  }
  const relaxed = (options.relaxedSimd ?? true) && features.relaxedSimd;
  const memory = new WebAssembly.Memory({ initial: pages });
  const { instance } = await WebAssembly.instantiate(moduleBytes(relaxed ? 'relaxed' : 'simd'), {
    env: { memory },
  });
  const kernels = instance.exports as unknown as KernelExports;
  return new WasmBackend(
    memory,
    kernels,
    relaxed ? 'wasm-relaxed-simd' : 'wasm-simd',
    undefined,
    delegateSmall,
  );
}
