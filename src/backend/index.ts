/**
 * The backend in use. Everything allocates and computes through the current
 * backend; the plain TypeScript one is the default, and a faster one (such as
 * the WebAssembly SIMD backend) is installed with {@link setBackend} before
 * networks are built.
 *
 * @module
 */
import type { Backend } from './backend.js';
import { jsBackend } from './js.js';

let current: Backend = jsBackend;

/** The backend new networks and trainers use. */
export function getBackend(): Backend {
  return current;
}

/** Makes `backend` the one new networks and trainers use; returns the previous one. */
export function setBackend(backend: Backend): Backend {
  const previous = current;
  current = backend;
  return previous;
}

export type * from './backend.js';
export { jsBackend };
