/**
 * The bars the default configuration is held to (issue 11), checked in every
 * run: each a ratio of the default row against one peer, or a figure of the
 * end-to-end run. The rows a bar compares are measured in rounds (see
 * rounds.ts), so that a verdict rests on more than one moment of a shared machine.
 *
 * @module
 */
import type { EndToEnd } from './end-to-end.js';
import type { Measurement } from './worker.js';
import type { WorkloadId } from './workloads.js';

/** The default configuration's row. */
export const DEFAULT_PEER = 'backprop';

/** The default row's rate must be at least `atLeast` times `peer`'s on `workload`. */
export interface RateBar {
  workload: WorkloadId;
  peer: string;
  atLeast: number;
}

export const RATE_BARS: RateBar[] = [
  { workload: 'mnist-minibatch', peer: 'tfjs-wasm', atLeast: 10 },
  { workload: 'mnist-minibatch', peer: 'pytorch', atLeast: 0.8 },
  { workload: 'mnist-sequential', peer: 'brain', atLeast: 5 },
  { workload: 'wide', peer: 'tfjs-wasm', atLeast: 10 },
  { workload: 'wide', peer: 'pytorch', atLeast: 0.35 },
  { workload: 'xor', peer: 'brain', atLeast: 2 },
];

/** End to end: at most this share of scikit-learn's wall time, and an accuracy this close to it. */
const E2E_TIME_SHARE = 0.5;
const E2E_ACCURACY = 0.01;
/** Peak RSS of the end-to-end run: at most twice the data in float32 plus this many MiB. */
const E2E_MEMORY_MIB = 150;
/** The CSV readers, whole file and streamed. */
const CSV_MB_PER_S = 50;

interface Verdict {
  bar: string;
  measured: string;
  holds: boolean | undefined;
}

function rateOf(results: Measurement[], workload: WorkloadId, peer: string): number | undefined {
  const m = results.find((r) => r.workload === workload && r.peer === peer && r.status === 'ok');
  return m?.rate;
}

/** Each bar with what this run measured and whether it holds (undefined: not measured). */
export function verdicts(results: Measurement[], e2e: EndToEnd | undefined, dataMiB: number): Verdict[] {
  const out: Verdict[] = [];
  for (const b of RATE_BARS) {
    const ours = rateOf(results, b.workload, DEFAULT_PEER);
    const theirs = rateOf(results, b.workload, b.peer);
    const ratio = ours !== undefined && theirs ? ours / theirs : undefined;
    out.push({
      bar: `${b.workload}: default >= ${b.atLeast}x ${b.peer}`,
      measured: ratio === undefined ? 'not measured' : `${ratio.toFixed(ratio >= 10 ? 1 : 2)}x`,
      holds: ratio === undefined ? undefined : ratio >= b.atLeast,
    });
  }
  if (!e2e) return out;
  const [ours, sk] = e2e.rows;
  const share = ours?.seconds !== undefined && sk?.seconds ? ours.seconds / sk.seconds : undefined;
  const gap =
    ours?.accuracy !== undefined && sk?.accuracy !== undefined ? sk.accuracy - ours.accuracy : undefined;
  out.push({
    bar: `end to end: wall time <= ${E2E_TIME_SHARE}x scikit-learn, accuracy within ${E2E_ACCURACY}`,
    measured:
      share === undefined
        ? 'not measured'
        : `${share.toFixed(3)}x, accuracy ${gap === undefined ? '?' : `${gap >= 0 ? '-' : '+'}${Math.abs(gap).toFixed(3)}`}`,
    holds:
      share === undefined || gap === undefined ? undefined : share <= E2E_TIME_SHARE && gap <= E2E_ACCURACY,
  });
  const limit = 2 * dataMiB + E2E_MEMORY_MIB;
  out.push({
    bar: `end to end: peak RSS <= ${Math.round(limit)} MiB (2x the data in float32 + ${E2E_MEMORY_MIB})`,
    measured: ours?.peakRssMiB === undefined ? 'not measured' : `${Math.round(ours.peakRssMiB)} MiB`,
    holds: ours?.peakRssMiB === undefined ? undefined : ours.peakRssMiB <= limit,
  });
  const readers = e2e.csv.filter((c) => c.reader.startsWith('backprop numbers'));
  const slowest = Math.min(...readers.map((c) => c.mbPerSecond ?? 0));
  out.push({
    bar: `CSV numbers, whole file and streamed: >= ${CSV_MB_PER_S} MB/s`,
    measured: readers.length ? `${slowest.toFixed(0)} MB/s (the slower)` : 'not measured',
    holds: readers.length ? slowest >= CSV_MB_PER_S : undefined,
  });
  return out;
}

/** The verdicts as a Markdown table. */
export function formatVerdicts(v: Verdict[]): string {
  const lines = [
    '',
    '**The bars of the default configuration**',
    '',
    '| bar | this run | holds |',
    '|---|---|---|',
  ];
  for (const x of v)
    lines.push(`| ${x.bar} | ${x.measured} | ${x.holds === undefined ? '–' : x.holds ? 'yes' : '**no**'} |`);
  return lines.join('\n');
}
