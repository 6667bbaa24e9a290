// The benchmark's rounds and bars: the fastest round is kept with every round's
// rate, failures neither win nor hide a success, and each bar's verdict follows
// the ratio it names.
import { describe, expect, it } from 'vitest';
import { verdicts } from '../bench/bars.js';
import type { EndToEnd } from '../bench/end-to-end.js';
import { fastestOfRounds, roundPeers } from '../bench/rounds.js';
import type { Measurement } from '../bench/worker.js';

const ok = (workload: Measurement['workload'], peer: string, rate: number): Measurement => ({
  workload,
  peer,
  status: 'ok',
  rate,
  unit: 'samples/s',
});

describe('rounds', () => {
  it('measure again the default row and the peers its bars compare, and no other', () => {
    expect([...roundPeers('mnist-minibatch')].sort()).toEqual(['backprop', 'pytorch', 'tfjs-wasm']);
    expect([...roundPeers('iris')]).toEqual([]);
  });

  it('keep the fastest run of each row with every round, and a row that only failed as it failed', () => {
    const kept = fastestOfRounds([
      ok('mnist-minibatch', 'backprop', 90_000),
      { workload: 'mnist-minibatch', peer: 'pytorch', status: 'failed', reason: 'x' },
      ok('mnist-minibatch', 'backprop', 120_000),
      ok('mnist-minibatch', 'pytorch', 100_000),
      ok('mnist-minibatch', 'backprop', 110_000),
      { workload: 'xor', peer: 'brain', status: 'failed', reason: 'gone' },
      ok('xor', 'backprop', 5e6),
    ]);
    const row = (w: string, p: string) => kept.find((m) => m.workload === w && m.peer === p);
    expect(row('mnist-minibatch', 'backprop')?.rate).toBe(120_000);
    expect(row('mnist-minibatch', 'backprop')?.rounds).toEqual([90_000, 120_000, 110_000]);
    expect(row('mnist-minibatch', 'backprop')?.note).toBe('fastest of 90,000, 120,000, 110,000');
    expect(row('mnist-minibatch', 'pytorch')?.rate).toBe(100_000);
    expect(row('mnist-minibatch', 'pytorch')?.note).toMatch(/^fastest of failed, 100,000/);
    expect(row('xor', 'brain')?.status).toBe('failed');
    expect(row('xor', 'backprop')?.rounds).toBeUndefined();
    expect(kept).toHaveLength(4);
  });
});

describe('bars', () => {
  const e2e = (ours: number, theirs: number, rss: number, accuracy = 0.93): EndToEnd => ({
    rows: [
      { who: 'backprop', seconds: ours, peakRssMiB: rss, accuracy },
      { who: 'scikit-learn', seconds: theirs, accuracy: 0.935 },
    ],
    csv: [
      { reader: 'backprop numbers (whole)', mbPerSecond: 120 },
      { reader: 'backprop numbers streamed', mbPerSecond: 49 },
      { reader: 'csv-parse', mbPerSecond: 10 },
    ],
    fileMB: 15,
    dataMiB: 24,
  });

  it('hold where the ratio reaches the bar and fail where it falls short', () => {
    const v = verdicts(
      [
        ok('mnist-minibatch', 'backprop', 100_000),
        ok('mnist-minibatch', 'pytorch', 124_000),
        ok('mnist-minibatch', 'tfjs-wasm', 10_000),
        ok('xor', 'backprop', 4e6),
        ok('xor', 'brain', 2e6),
      ],
      e2e(1.3, 2.7, 190),
      24,
    );
    const holds = (prefix: string) => v.find((x) => x.bar.startsWith(prefix))?.holds;
    expect(holds('mnist-minibatch: default >= 0.8x pytorch')).toBe(true);
    expect(holds('mnist-minibatch: default >= 10x tfjs-wasm')).toBe(true);
    expect(holds('xor')).toBe(true);
    expect(holds('wide')).toBeUndefined();
    expect(holds('end to end: wall')).toBe(true);
    expect(holds('end to end: peak RSS')).toBe(true);
    // The slower reader decides.
    expect(holds('CSV')).toBe(false);
  });

  it('fail the end-to-end bars on time, accuracy and memory each', () => {
    const at = (e: EndToEnd, prefix: string) =>
      verdicts([], e, 24).find((x) => x.bar.startsWith(prefix))?.holds;
    expect(at(e2e(1.36, 2.7, 150), 'end to end: wall')).toBe(false);
    expect(at(e2e(1.3, 2.7, 150, 0.92), 'end to end: wall')).toBe(false);
    expect(at(e2e(1.3, 2.7, 199), 'end to end: peak RSS')).toBe(false);
    expect(
      verdicts(
        [ok('mnist-minibatch', 'backprop', 79_000), ok('mnist-minibatch', 'pytorch', 100_000)],
        undefined,
        0,
      )[1].holds,
    ).toBe(false);
  });
});
