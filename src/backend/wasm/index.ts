/**
 * The WebAssembly SIMD backend: the kernels of {@link Backend} compiled from
 * AssemblyScript (assembly/index.ts), float32 on 128-bit SIMD, with fused
 * multiply-add where the engine has relaxed SIMD. `float64` matrices are
 * delegated to the plain TypeScript backend.
 *
 * @example
 * import { setBackend } from 'backprop';
 * import { createWasmBackend } from 'backprop/backend/wasm';
 * setBackend(await createWasmBackend());
 *
 * @module
 */
import type { Backend } from '../backend.js';
import { type KernelExports, WasmBackend } from './backend.js';
import { moduleBytes, type WasmFeatures, wasmFeatures } from './features.js';

export { WasmBackend, WasmMatrix } from './backend.js';
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
  const relaxed = (options.relaxedSimd ?? true) && features.relaxedSimd;
  const pages = Math.max(1, Math.ceil(((options.initialMemoryMiB ?? 16) * 1024 * 1024) / 65536));
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
    options.delegateSmall ?? true,
  );
}
