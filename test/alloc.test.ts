// The training loop allocates nothing per step: after warming up, thousands of
// Trainer steps leave the JavaScript heap where it was (no garbage, no growth),
// on the wasm backend and on the plain one.
import { GCProfiler, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { Backend } from '../src/backend/backend.js';
import { jsBackend } from '../src/backend/js.js';
import { createWasmBackend } from '../src/backend/wasm/index.js';
import { Network, Random, Trainer } from '../src/index.js';

// gc() without starting the test process with --expose-gc.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function data(n: number, inputs: number, outputs: number): { x: number[][]; t: number[][] } {
  const rng = new Random(3);
  const x = Array.from({ length: n }, () => Array.from({ length: inputs }, () => rng.normal()));
  const t = x.map((row) => {
    const hot = Math.abs(Math.floor(row[0] * 2)) % outputs;
    return Array.from({ length: outputs }, (_, k) => (k === hot ? 1 : 0));
  });
  return { x, t };
}

/**
 * What `steps` steps leave on the heap, per step: the heap after a full
 * collection, before and after. Garbage is gone by then; what stays is memory
 * the loop kept (a buffer made per step, a growing list). The median of a
 * few windows, since the compiler's own code may land in any one of them.
 */
function retainedPerStep(trainer: Trainer, steps: number, windows: number): number {
  const growth: number[] = [];
  for (let w = 0; w < windows; w++) {
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < steps; i++) trainer.step();
    gc();
    growth.push((process.memoryUsage().heapUsed - before) / steps);
  }
  return growth.sort((a, b) => a - b)[Math.floor(windows / 2)];
}

/**
 * Heap growth over one run of `body`, or null if a collection ran during it.
 * Collections are counted by a GCProfiler, which reports them synchronously:
 * a PerformanceObserver hears of them only when the event loop turns, after
 * the window.
 */
function growth(body: () => void): number | null {
  gc();
  const profiler = new GCProfiler();
  profiler.start();
  const before = process.memoryUsage().heapUsed;
  body();
  const after = process.memoryUsage().heapUsed;
  return profiler.stop().statistics.length === 0 ? after - before : null;
}

/** The least growth over `windows` runs of `body` that saw no collection (Infinity if none). */
function leastGrowth(body: () => void, windows: number): number {
  let least = Number.POSITIVE_INFINITY;
  for (let w = 0; w < windows; w++) {
    const g = growth(body);
    if (g !== null) least = Math.min(least, g);
  }
  return least;
}

/**
 * Bytes allocated per step, garbage included: heap growth over a window with
 * no collection in it, the least of several, less the growth of an empty
 * window (what reading the heap allocates: the object memoryUsage() returns).
 */
function allocatedPerStep(trainer: Trainer, steps: number, windows: number): number {
  const overhead = leastGrowth(() => {}, windows);
  const least = leastGrowth(() => {
    for (let i = 0; i < steps; i++) trainer.step();
  }, windows);
  // An overhead never measured is taken as none, which can only make the step look worse.
  return (least - (Number.isFinite(overhead) ? overhead : 0)) / steps;
}

async function check(backend: Backend, mode: 'minibatch' | 'sequential', optimizer: 'sgd' | 'adam') {
  // 8192 steps an epoch: batches of 4 over 32768 examples, or one at a time over 8192.
  const { x, t } = data(mode === 'sequential' ? 8192 : 32768, 20, 4);
  const net = new Network({
    inputs: 20,
    layers: [
      { units: 48, activation: 'relu' },
      { units: 16, activation: 'tanh' },
      { units: 4, activation: 'softmax' },
    ],
    seed: 1,
    backend,
  });
  const trainer = new Trainer(net, x, t, { mode, batchSize: 4, optimizer, learningRate: 0.01 });
  // One whole epoch, a step at a time, compiles everything (step itself too, which a
  // run of whole epochs never calls) and makes every buffer. Measured windows then
  // stay inside the second epoch: an epoch's end may allocate (its EpochInfo), a step may not.
  while (trainer.step() === null);
  let measured = measureEpoch(trainer);
  // Now and then a process runs some of the loop's code unoptimized for a while (V8
  // throws compiled code away when objects it was made around die, and may take long
  // to compile it again), boxing its doubles: about 120 bytes a step, in every window
  // of an epoch. A loop that allocates allocates in the next epochs too; that does not.
  for (let again = 0; again < 2 && (measured.retained >= 8 || measured.allocated >= 1); again++) {
    while (trainer.step() === null);
    measured = measureEpoch(trainer);
  }
  trainer.dispose();
  return measured;
}

/** Kept and allocated bytes a step, measured inside the epoch that starts now. */
function measureEpoch(trainer: Trainer): { retained: number; allocated: number } {
  // A collection now, not in a measured window: the earlier tests' networks and backends
  // die in it, and the code compiled around them is thrown away (V8's 'weak objects').
  // The steps after it compile again what a window would otherwise count as kept.
  gc();
  for (let i = 0; i < 2000; i++) trainer.step();
  // 2000 + 4000 + 1200 of the epoch's 8192 steps.
  const retained = retainedPerStep(trainer, 800, 5);
  const allocated = allocatedPerStep(trainer, 200, 6);
  return { retained, allocated };
}

describe('training allocates nothing per step', () => {
  for (const name of ['wasm', 'js'] as const) {
    // Sequential sgd is the small-network path (1,860 weights and biases): the
    // WebAssembly kernel, one update a call.
    for (const [mode, optimizer] of [
      ['minibatch', 'sgd'],
      ['sequential', 'adam'],
      ['sequential', 'sgd'],
    ] as const) {
      it(`${name} backend, ${mode}, ${optimizer}`, async () => {
        const backend = name === 'wasm' ? await createWasmBackend() : jsBackend;
        const { retained, allocated } = await check(backend, mode, optimizer);
        console.log(
          `${name} ${mode} ${optimizer}: ${allocated.toFixed(2)} bytes allocated a step, ${retained.toFixed(2)} kept`,
        );
        // Nothing kept: one small object per step would be 16 bytes or more.
        expect(retained).toBeLessThan(8);
        // No garbage either: one boxed double a step would be 16 bytes.
        const what = 'bytes allocated a step (Infinity if a collection ran in every window)';
        expect(allocated, what).toBeLessThan(1);
      });
    }
  }
});
