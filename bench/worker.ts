/**
 * One measurement in its own process (so that peak memory is the library's own):
 * `tsx bench/worker.ts <workload> <peer> <seconds>` prints one JSON line.
 *
 * A short calibration run warms the JIT and estimates the speed; the timed run
 * is then the full workload, or as much of it as fits in the time budget, on a
 * freshly built network.
 *
 * @module
 */
import { digits, iris, line, mnist, xor } from './data.js';
import { type Data, PEERS, type Session } from './peers.js';
import { flopsPerSample, WORKLOAD, type WorkloadId } from './workloads.js';

export interface Measurement {
  workload: WorkloadId;
  peer: string;
  status: 'ok' | 'unsupported' | 'failed';
  reason?: string;
  note?: string;
  /** samples/s, or epochs/s for workload 5. */
  rate?: number;
  unit?: string;
  samples?: number;
  epochs?: number;
  seconds?: number;
  /** Whether the whole workload ran (else a budget-limited part of it). */
  full?: boolean;
  accuracy?: number;
  gflops?: number;
  peakRssMiB?: number;
  baseRssMiB?: number;
  /** Every round's rate, when the row was measured in rounds (see run.ts); `rate` is the fastest. */
  rounds?: number[];
}

const [workloadId, peerId, budgetText] = process.argv.slice(2);
const w = WORKLOAD[workloadId as WorkloadId];
const peer = PEERS.find((p) => p.id === peerId);
const budget = Number(budgetText ?? 8);

function print(m: Omit<Measurement, 'workload' | 'peer'>): void {
  const peakRssMiB = process.resourceUsage().maxRSS / 1024;
  console.log(JSON.stringify({ workload: workloadId, peer: peerId, peakRssMiB, ...m }));
}

function now(): number {
  return performance.now() / 1000;
}

async function main(): Promise<void> {
  if (!w || !peer) throw new Error(`unknown workload '${workloadId}' or peer '${peerId}'`);
  let data: Data;
  if (w.id === 'xor') data = { train: xor() };
  else if (w.id === 'iris') data = { train: iris() };
  else if (w.id === 'linear') data = { train: { inputs: [], targets: [] }, line: line(1_000_000) };
  else if (w.id === 'digits') data = digits();
  else data = mnist();
  global.gc?.();
  const baseRssMiB = process.memoryUsage().rss / 1024 / 1024;
  await peer.init?.();
  const n = data.line ? data.line.x.length : data.train.inputs.length;

  const build = async (): Promise<Session | string> => peer.create(w, data);
  const warm = await build();
  if (typeof warm === 'string') {
    print({ status: 'unsupported', reason: warm });
    return;
  }
  // Calibration on the warm-up network: a small slice, then larger ones until a
  // run takes a tenth of the budget, so that per-call overheads (a fit() call)
  // are not mistaken for per-sample cost. The first run pays for compilation.
  const perEpochSamples = (count: number) => count;
  const byEpochs = w.id === 'xor' || w.id === 'iris' || w.id === 'linear' || w.id === 'digits';
  let calCount = byEpochs ? n : Math.min(n, Math.max(4 * Math.max(1, w.batchSize), 256));
  let calEpochs = w.id === 'xor' || w.id === 'iris' ? Math.max(1, Math.round(w.epochs / 100)) : 1;
  const prep = (s: Session, count: number) =>
    (s as Session & { prepare?(c: number): unknown }).prepare?.(count);
  let perSample = 0;
  for (let round = 0; round < 4; round++) {
    prep(warm, calCount);
    const t0 = now();
    await warm.train(calCount, calEpochs);
    const elapsed = now() - t0;
    perSample = elapsed / (calCount * calEpochs);
    if (elapsed > budget / 3 || (round > 0 && elapsed > budget / 10)) break;
    if (round > 0) {
      if (byEpochs) calEpochs = Math.min(w.epochs, calEpochs * 4);
      else calCount = Math.min(n, calCount * 4);
    }
  }

  // The timed run on a fresh network: the full workload if it fits the budget.
  let count = n;
  let epochs = w.epochs;
  const estimate = perSample * count * epochs;
  let full = true;
  // backprop's own rows on workload 1 always run whole: their accuracies are compared.
  const whole = peer.id.startsWith('backprop') && (w.id === 'mnist-minibatch' || w.id === 'digits');
  if (estimate > budget && !whole) {
    full = false;
    if (byEpochs) {
      epochs = Math.max(1, Math.floor(budget / (perSample * count)));
    } else {
      epochs = 1;
      const unit = Math.max(1, w.batchSize);
      count = Math.max(unit, Math.floor(budget / perSample / unit) * unit);
      count = Math.min(count, n);
    }
  }
  const session = await build();
  if (typeof session === 'string') throw new Error(session);
  prep(session, count);
  global.gc?.();
  const t0 = now();
  await session.train(count, epochs);
  const seconds = now() - t0;
  const samples = perEpochSamples(count) * epochs;
  const rate = w.unit === 'epochs/s' ? epochs / seconds : samples / seconds;
  const result: Omit<Measurement, 'workload' | 'peer'> = {
    status: 'ok',
    note: session.note,
    rate,
    unit: w.unit,
    samples,
    epochs,
    seconds,
    full,
    baseRssMiB,
    gflops: w.id === 'linear' ? undefined : (samples * flopsPerSample(w.sizes)) / seconds / 1e9,
  };
  if (data.test && session.accuracy && full) result.accuracy = await session.accuracy(data.test);
  print(result);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    print({
      status: 'failed',
      reason: error instanceof Error ? error.message.split('\n')[0] : String(error),
    });
    process.exit(0);
  },
);
