// Run by test/wasm.test.ts as `node --experimental-wasm-relaxed-simd --import tsx`, since
// Node 20 has relaxed SIMD only behind that flag: checks that the fused-multiply-add
// build is picked and agrees with the reference. Prints one JSON line.
import { jsBackend } from '../src/backend/js.js';
import { createWasmBackend, wasmFeatures } from '../src/backend/wasm/index.js';
import { Random } from '../src/random.js';

const rng = new Random(7);
const wasm = await createWasmBackend({ relaxedSimd: true });
let worst = 0;
for (const [m, n, k] of [
  [1, 9, 5],
  [13, 17, 300],
  [131, 8, 40],
]) {
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      const shapeA: [number, number] = transA ? [k, m] : [m, k];
      const shapeB: [number, number] = transB ? [n, k] : [k, n];
      const aj = jsBackend.matrix(...shapeA, 'float32');
      const bj = jsBackend.matrix(...shapeB, 'float32');
      const cj = jsBackend.matrix(m, n, 'float32');
      const aw = wasm.matrix(...shapeA, 'float32');
      const bw = wasm.matrix(...shapeB, 'float32');
      const cw = wasm.matrix(m, n, 'float32');
      for (let i = 0; i < m * k; i++) aj.data[i] = aw.data[i] = rng.uniform(-1, 1);
      for (let i = 0; i < k * n; i++) bj.data[i] = bw.data[i] = rng.uniform(-1, 1);
      for (let i = 0; i < m * n; i++) cj.data[i] = cw.data[i] = rng.uniform(-1, 1);
      jsBackend.gemm(transA, transB, 0.5, aj, bj, 0.5, cj);
      wasm.gemm(transA, transB, 0.5, aw, bw, 0.5, cw);
      for (let i = 0; i < m * n; i++)
        worst = Math.max(worst, Math.abs(cw.data[i] - cj.data[i]) / Math.sqrt(k));
    }
  }
}
const n = 37;
const [wj, gj, mj, sj] = [0, 1, 2, 3].map(() => jsBackend.matrix(1, n, 'float32'));
const [ww, gw, mw, sw] = [0, 1, 2, 3].map(() => wasm.matrix(1, n, 'float32'));
for (let i = 0; i < n; i++) {
  wj.data[i] = ww.data[i] = rng.uniform(-1, 1);
  gj.data[i] = gw.data[i] = rng.uniform(-1, 1);
}
for (let t = 1; t <= 3; t++) {
  jsBackend.adam(wj, gj, mj, sj, 0.01, 0.9, 0.999, 1e-8, t, 0.01);
  wasm.adam(ww, gw, mw, sw, 0.01, 0.9, 0.999, 1e-8, t, 0.01);
}
for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(ww.data[i] - wj.data[i]));
// The relaxed threads build: the same bits on one worker and on two.
const threaded = await Promise.all(
  [2, 3].map((threads) => createWasmBackend({ threads, relaxedSimd: true })),
);
const bits = threaded.map((backend) => {
  const [m, n, k] = [130, 300, 256]; // past the threshold of the pool
  const a = backend.matrix(m, k, 'float32');
  const b = backend.matrix(k, n, 'float32');
  const c = backend.matrix(m, n, 'float32');
  for (let i = 0; i < m * k; i++) a.data[i] = Math.sin(i);
  for (let i = 0; i < k * n; i++) b.data[i] = Math.cos(i);
  backend.gemm(false, false, 1, a, b, 0, c);
  return Array.from(c.data);
});
const threadsAgree = bits[0].every((x, i) => Object.is(x, bits[1][i]));
for (const backend of threaded) (backend as { dispose?(): void }).dispose?.();
console.log(
  JSON.stringify({
    name: wasm.name,
    threadedName: threaded[0].name,
    threadsAgree,
    relaxedSimd: wasmFeatures().relaxedSimd,
    worst,
  }),
);
