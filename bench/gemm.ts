/**
 * The matrix product alone: GFLOP/s of C = A B (and the two backward forms,
 * A^T B and A B^T) at n = 256, 512, 1024, for the wasm builds and the plain
 * TypeScript reference. `tsx bench/gemm.ts [--json]`; run with
 * --experimental-wasm-relaxed-simd on Node 20 to include the FMA build.
 *
 * @module
 */
import type { Backend } from '../src/backend/backend.js';
import { jsBackend } from '../src/backend/js.js';
import { createWasmBackend, wasmFeatures } from '../src/backend/wasm/index.js';

export interface GemmResult {
  backend: string;
  n: number;
  /** NN: A B (forward); TN: A^T B (dJ/dW); NT: A B^T (delta W^T). */
  form: 'NN' | 'TN' | 'NT';
  gflops: number;
}

function measure(backend: Backend, n: number, form: GemmResult['form'], seconds: number): number {
  const a = backend.matrix(n, n, 'float32');
  const b = backend.matrix(n, n, 'float32');
  const c = backend.matrix(n, n, 'float32');
  const ad = a.data;
  const bd = b.data;
  for (let i = 0; i < n * n; i++) {
    ad[i] = ((i * 7919) % 1000) / 1000 - 0.5;
    bd[i] = ((i * 104729) % 1000) / 1000 - 0.5;
  }
  const transA = form === 'TN';
  const transB = form === 'NT';
  backend.gemm(transA, transB, 1, a, b, 0, c);
  let reps = 0;
  const t0 = performance.now();
  let elapsed = 0;
  do {
    backend.gemm(transA, transB, 1, a, b, 0, c);
    reps++;
    elapsed = (performance.now() - t0) / 1000;
  } while (elapsed < seconds);
  backend.free(a);
  backend.free(b);
  backend.free(c);
  return (2 * n * n * n * reps) / elapsed / 1e9;
}

/**
 * Runs the micro-benchmark and returns one row per backend, size and form:
 * the plain and relaxed SIMD builds on one thread, the reference, and any
 * `extra` backends (e.g. a multi-threaded one).
 */
export async function gemmBenchmark(seconds = 0.4, extra: Backend[] = []): Promise<GemmResult[]> {
  const backends: Backend[] = [await createWasmBackend({ relaxedSimd: false })];
  if (wasmFeatures().relaxedSimd) backends.push(await createWasmBackend());
  backends.push(...extra, jsBackend);
  const results: GemmResult[] = [];
  for (const backend of backends) {
    for (const n of [256, 512, 1024]) {
      for (const form of ['NN', 'TN', 'NT'] as const) {
        // The reference at 1024 takes seconds per product: one form is enough to show it.
        if (backend === jsBackend && n === 1024 && form !== 'NN') continue;
        results.push({ backend: backend.name, n, form, gflops: measure(backend, n, form, seconds) });
      }
    }
  }
  return results;
}

/** The results as a text table, one row per backend and size. */
export function formatGemm(results: GemmResult[]): string {
  const lines = ['backend                        n      A B   A^T B   A B^T  (GFLOP/s)'];
  const keys = [...new Set(results.map((r) => `${r.backend}|${r.n}`))];
  for (const key of keys) {
    const [backend, n] = key.split('|');
    const cell = (form: string) => {
      const r = results.find((x) => x.backend === backend && String(x.n) === n && x.form === form);
      return (r ? r.gflops.toFixed(1) : '-').padStart(7);
    };
    lines.push(`${backend.padEnd(28)} ${n.padStart(5)} ${cell('NN')} ${cell('TN')} ${cell('NT')}`);
  }
  return lines.join('\n');
}

if (typeof process === 'object' && import.meta.url === `file://${process.argv[1]}`) {
  const results = await gemmBenchmark();
  console.log(process.argv.includes('--json') ? JSON.stringify(results) : formatGemm(results));
}
