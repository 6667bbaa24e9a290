/**
 * The Python peers (bench/python_peers.py): PyTorch on one CPU thread and
 * scikit-learn's MLPClassifier, on the MNIST workloads and the digits, each run
 * in its own process like every other peer. Skipped, with a note, where no
 * Python with the module is installed.
 *
 * @module
 */
import { execFile } from 'node:child_process';
import { findPython } from '../test/support/python.js';
import { digitsCsv, mnistCsv } from './csv-files.js';
import type { Measurement } from './worker.js';
import { flopsPerSample, WORKLOAD, type WorkloadId } from './workloads.js';

/** The Python peers: id, label, the module they need. */
export const PYTHON_PEERS = [
  { id: 'pytorch', label: 'PyTorch CPU, 1 thread', module: 'torch', kind: 'torch' },
  { id: 'sklearn', label: 'scikit-learn', module: 'sklearn', kind: 'sklearn' },
] as const;

/** The workloads the Python peers run (the others are about JavaScript call overheads). */
export const PYTHON_WORKLOADS: readonly WorkloadId[] = [
  'mnist-minibatch',
  'mnist-sequential',
  'wide',
  'digits',
];

/** The script's path. */
export const SCRIPT = new URL('./python_peers.py', import.meta.url).pathname;

/** Runs `python_peers.py args...` with the Python that has `module`; resolves to its last JSON line, or a reason. */
export function runPython(
  module: string,
  args: string[],
  timeoutS: number,
): Promise<Record<string, unknown> | string> {
  const python = findPython(['numpy', module]);
  if (!python)
    return Promise.resolve(`no Python with ${module} (apt-get install -y python3-torch python3-sklearn)`);
  return new Promise((resolve) => {
    execFile(python, [SCRIPT, ...args], { timeout: timeoutS * 1000, maxBuffer: 1 << 24 }, (error, stdout) => {
      const line = stdout
        .split('\n')
        .reverse()
        .find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line) as Record<string, unknown>);
      else resolve(error?.message.split('\n')[0] ?? 'no output');
    });
  });
}

/** One Python peer on one workload. */
export async function measurePython(
  workload: WorkloadId,
  peer: (typeof PYTHON_PEERS)[number],
  budget: number,
): Promise<Measurement> {
  const w = WORKLOAD[workload];
  const files = workload === 'digits' ? digitsCsv() : mnistCsv();
  const spec = {
    ...w,
    ...files,
    byEpochs: workload === 'digits',
    whole: workload === 'mnist-minibatch' || workload === 'digits',
    flopsPerSample: flopsPerSample(w.sizes),
  };
  const out = await runPython(
    peer.module,
    [peer.kind, JSON.stringify(spec), String(budget)],
    Math.max(60, budget * 15),
  );
  if (typeof out === 'string') return { workload, peer: peer.id, status: 'unsupported', reason: out };
  return { ...(out as unknown as Measurement), workload, peer: peer.id };
}
