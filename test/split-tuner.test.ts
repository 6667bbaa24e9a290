import { describe, expect, it } from 'vitest';
import { SplitTuner } from '../src/backend/wasm/split-tuner.js';

/**
 * Drives a tuner through `steps` steps of two products each (the first marks
 * the step), with step times given by `cost(split)`; returns the fraction of
 * the last `tail` steps that ran split.
 */
function drive(
  tuner: SplitTuner,
  steps: number,
  cost: (split: boolean, step: number) => number,
  tail = 200,
  start = 0,
): { t: number; splitShare: number } {
  let t = start;
  let split = 0;
  for (let s = 0; s < steps; s++) {
    tuner.see(1024, 32, 100, 784, t);
    const first = tuner.split;
    tuner.see(4096, 784, 100, 32, t + 1e-5);
    expect(tuner.split).toBe(first); // one decision for the whole step
    if (s >= steps - tail && first) split++;
    t += cost(first, s);
  }
  return { t, splitShare: split / tail };
}

describe('split tuner', () => {
  it('settles on one thread when steps run faster that way', () => {
    const tuner = new SplitTuner();
    const { splitShare } = drive(tuner, 600, (split) => (split ? 450e-6 : 350e-6));
    expect(splitShare).toBe(0);
  });

  it('settles on splitting when steps run faster split', () => {
    const tuner = new SplitTuner();
    const { splitShare } = drive(tuner, 600, (split) => (split ? 200e-6 : 350e-6));
    expect(splitShare).toBe(1);
  });

  it('keeps splitting when one thread is about as fast (a noisy trial must not stop it for a hold)', () => {
    const tuner = new SplitTuner();
    const { splitShare } = drive(tuner, 600, (split) => (split ? 352e-6 : 350e-6));
    expect(splitShare).toBe(1);
  });

  it('is not swayed by a few interrupted steps', () => {
    const tuner = new SplitTuner();
    // Splitting is faster, but one step in six of those split is hit by a 20 ms stall.
    const { splitShare } = drive(tuner, 600, (split, s) => (split ? (s % 6 === 3 ? 20e-3 : 200e-6) : 350e-6));
    expect(splitShare).toBe(1);
  });

  it('tries again later, and follows a machine whose other core became busy', () => {
    const tuner = new SplitTuner();
    let busy = false;
    const cost = (split: boolean) => (split ? (busy ? 900e-6 : 200e-6) : 350e-6);
    const first = drive(tuner, 400, cost);
    expect(first.splitShare).toBe(1);
    busy = true;
    // The warm-up, a trial and a hold last under 900 steps: within them the verdict is renewed.
    const later = drive(tuner, 1200, cost, 200, first.t);
    expect(later.splitShare).toBe(0);
  });

  it('starts over on the next product when the one it watched is gone', () => {
    const tuner = new SplitTuner();
    drive(tuner, 400, (split) => (split ? 450e-6 : 350e-6));
    expect(tuner.split).toBe(false);
    // A new network two seconds later: its products are watched from scratch, split at first.
    tuner.see(8192, 64, 128, 784, 10_000);
    expect(tuner.split).toBe(true);
  });
});
