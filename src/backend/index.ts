/**
 * The backend in use. Everything allocates and computes through the current
 * backend. The default is chosen on first use, silently: the WebAssembly SIMD
 * kernels wherever the engine has SIMD (float32 matrices; float64 ones stay on
 * the plain TypeScript kernels, which an oracle checks to 1e-9), on every core
 * where threads are allowed (Node; a cross-origin isolated page), and the plain
 * TypeScript backend where SIMD is missing or WebAssembly cannot compile (a
 * content security policy, an old engine's limit on synchronous compilation).
 * {@link backend} says which was chosen; {@link setBackend} replaces it.
 *
 * The default never uses relaxed SIMD (fused multiply-add), so the same seed
 * trains to the same bits in every engine, and results never depend on the
 * number of threads.
 *
 * @module
 */
import type { Backend, DType } from './backend.js';
import { jsBackend } from './js.js';
import { WasmBackend } from './wasm/backend.js';
import { createWasmBackendSync } from './wasm/index.js';

let current: Backend | undefined;

/** The default backend of this engine (see the module comment). */
function defaultBackend(): Backend {
  try {
    const crossOriginIsolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated;
    const isNode = typeof process === 'object' && process.versions?.node !== undefined;
    // Threads everywhere they are allowed; a page that is not isolated has no shared memory.
    return createWasmBackendSync({ threads: isNode || crossOriginIsolated === true ? 'auto' : 1 });
  } catch {
    return jsBackend;
  }
}

/** The backend new networks and trainers use (the default one, built on first call, unless set). */
export function getBackend(): Backend {
  current ??= defaultBackend();
  return current;
}

/** Makes `backend` the one new networks and trainers use; returns the previous one. */
export function setBackend(backend: Backend): Backend {
  const previous = getBackend();
  current = backend;
  return previous;
}

/** What {@link backend} reports. */
export interface BackendInfo {
  /** `wasm-simd`, `wasm-relaxed-simd`, `js`, or the name of a backend of your own. */
  readonly name: string;
  /** Threads that share large matrix products (1: the calling thread only). */
  readonly threads: number;
  /** Whether fused multiply-add (relaxed SIMD) is in use; results then differ in the last bits. */
  readonly relaxed: boolean;
}

/**
 * The backend in use, in a few words.
 *
 * @example
 * backend(); // { name: 'wasm-simd', threads: 2, relaxed: false } in Node on two cores
 */
export function backend(): BackendInfo {
  const b = getBackend();
  if (b instanceof WasmBackend) {
    const { threads, relaxed } = b.config;
    return { name: relaxed ? 'wasm-relaxed-simd' : 'wasm-simd', threads, relaxed };
  }
  return { name: b.name, threads: 1, relaxed: false };
}

/**
 * One line for a log: the backend that computes a network of this dtype.
 *
 * @example
 * describeBackend('float32'); // 'backend: wasm-simd on 2 threads'
 */
export function describeBackend(dtype: DType): string {
  const b = backend();
  // The wasm backend keeps float64 matrices on the TypeScript kernels.
  if (dtype === 'float64' && b.name.startsWith('wasm'))
    return 'backend: js (float64 runs on the TypeScript kernels)';
  const threads = b.threads === 1 ? 'on 1 thread' : `on ${b.threads} threads`;
  return `backend: ${b.name} ${threads}${b.relaxed ? ' (fused multiply-add)' : ''}`;
}

export type * from './backend.js';
export { jsBackend };
