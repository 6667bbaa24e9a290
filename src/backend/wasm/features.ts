/**
 * What the running engine offers the wasm backend, found by validating the
 * modules themselves (so the answer is exactly "can this build run here").
 *
 * @module
 */
import { decodeBase64 } from '../base64.js';
import { RELAXED_THREADS_WASM, RELAXED_WASM, SIMD_WASM, THREADS_WASM } from './modules.generated.js';

/** The WebAssembly features the backend can use in this engine. */
export interface WasmFeatures {
  /** WebAssembly with 128-bit SIMD: the backend runs at all. */
  readonly simd: boolean;
  /**
   * Relaxed SIMD (fused multiply-add). Chrome 114+ and Node 22+ have it; Node 20
   * only with `--experimental-wasm-relaxed-simd`.
   */
  readonly relaxedSimd: boolean;
  /**
   * Shared memory and workers: SharedArrayBuffer (in a browser only on a
   * cross-origin isolated page), a shared WebAssembly memory, and the threads build.
   */
  readonly threads: boolean;
}

/** The builds of the kernels (see scripts/build-wasm.mjs). */
export type Build = 'simd' | 'relaxed' | 'threads' | 'relaxed-threads';

const SOURCES: Record<Build, string> = {
  simd: SIMD_WASM,
  relaxed: RELAXED_WASM,
  threads: THREADS_WASM,
  'relaxed-threads': RELAXED_THREADS_WASM,
};

const cache = new Map<Build, Uint8Array<ArrayBuffer>>();

/** The bytes of one build, decoded once. */
export function moduleBytes(build: Build): Uint8Array<ArrayBuffer> {
  let bytes = cache.get(build);
  if (!bytes) {
    bytes = decodeBase64(SOURCES[build]);
    cache.set(build, bytes);
  }
  return bytes;
}

function validates(build: Build): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(moduleBytes(build));
  } catch {
    return false;
  }
}

function sharedMemoryWorks(): boolean {
  if (typeof SharedArrayBuffer === 'undefined' || typeof Atomics === 'undefined') return false;
  try {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    return memory.buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
}

let detected: WasmFeatures | undefined;

/**
 * Detects, once, which builds of the kernels this engine can run.
 *
 * @example
 * if (!wasmFeatures().relaxedSimd) console.log('no fused multiply-add: run node with --experimental-wasm-relaxed-simd');
 */
export function wasmFeatures(): WasmFeatures {
  if (!detected) {
    const simd = validates('simd');
    detected = {
      simd,
      relaxedSimd: simd && validates('relaxed'),
      threads: simd && sharedMemoryWorks() && validates('threads'),
    };
  }
  return detected;
}
