/**
 * Rounds: the rows the bars compare are measured more than once, interleaved
 * with each other, and each keeps its fastest run. On a shared machine whose
 * speed drifts by half within minutes, one moment of each side says little
 * about their ratio.
 *
 * @module
 */
import { DEFAULT_PEER, RATE_BARS } from './bars.js';
import type { Measurement } from './worker.js';
import type { WorkloadId } from './workloads.js';

/** A measurement's rate as the table prints it. */
export function formatRate(m: Measurement): string {
  if (m.status !== 'ok' || m.rate === undefined) return '';
  const r = m.rate;
  return r >= 100 ? Math.round(r).toLocaleString('en-US') : r.toPrecision(3);
}

/**
 * The peers measured in every round of `workload`: the default row and those its
 * bars compare; none for a workload without a bar, whose rows all run once.
 */
export function roundPeers(workload: WorkloadId): Set<string> {
  const peers = RATE_BARS.filter((b) => b.workload === workload).map((b) => b.peer);
  return new Set(peers.length ? [DEFAULT_PEER, ...peers] : []);
}

/**
 * One row per workload and peer: of its rounds, the fastest that ran, with
 * every round's rate in `rounds` and the note; a peer that failed every round keeps its first.
 */
export function fastestOfRounds(all: Measurement[]): Measurement[] {
  const groups = new Map<string, Measurement[]>();
  for (const m of all) {
    const key = `${m.workload} ${m.peer}`;
    groups.set(key, [...(groups.get(key) ?? []), m]);
  }
  return [...groups.values()].map((runs) => {
    const ok = runs.filter((r) => r.status === 'ok' && r.rate !== undefined);
    if (ok.length === 0) return runs[0];
    const best = ok.reduce((a, b) => ((b.rate as number) > (a.rate as number) ? b : a));
    if (runs.length === 1) return best;
    const rates = runs.map((r) => (r.status === 'ok' ? formatRate(r) : r.status));
    return {
      ...best,
      rounds: ok.map((r) => r.rate as number),
      note: [roundsNote(rates), best.note].filter(Boolean).join('; '),
    };
  });
}

/** The note of a row measured in rounds: every round, as the table prints it; none for one round. */
export function roundsNote(rounds: string[]): string {
  return rounds.length > 1 ? `fastest of ${rounds.join(', ')}` : '';
}
