/**
 * `npm run bench`: backprop (its default configuration first, then one wasm
 * thread and the TypeScript reference), every JavaScript peer and, where
 * Python has them, PyTorch (one CPU thread) and scikit-learn, side by side on
 * the workloads of issue 4 and the digits with Adam, each measurement in its
 * own process; then `backprop train` end to end on an MNIST-sized CSV against
 * scikit-learn, and the CSV readers' MB/s. Prints the matrix product
 * micro-benchmark and the tables (with the machine's load), and writes
 * bench/results.json.
 *
 * The rows the bars compare (the default configuration and the peers of its
 * bars, see bars.ts) and the end-to-end run are measured in rounds, interleaved
 * with each other, and each keeps its fastest: on a shared machine whose speed
 * drifts by half within minutes, one moment of each side says little about
 * their ratio. Every round's rate is kept in bench/results.json.
 *
 * Options: --budget <seconds> per timed run (default 4), --rounds <n> (default
 * 3), --only <workload,...>, --peers <id,...>, --no-gemm, --no-python, --no-e2e.
 *
 * @module
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { createWasmBackend } from '../src/backend/wasm/index.js';
import { formatVerdicts, verdicts } from './bars.js';
import { type EndToEnd, endToEnd, formatEndToEnd } from './end-to-end.js';
import { formatGemm, type GemmResult, gemmBenchmark } from './gemm.js';
import { PEERS } from './peers.js';
import { measurePython, PYTHON_PEERS, PYTHON_WORKLOADS } from './python.js';
import { fastestOfRounds, formatRate, roundPeers } from './rounds.js';
import type { Measurement } from './worker.js';
import { WORKLOAD, WORKLOADS, type WorkloadId } from './workloads.js';

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const budget = Number(option('--budget') ?? 4);
const rounds = Math.max(1, Number(option('--rounds') ?? 3));
const only = option('--only')?.split(',') as WorkloadId[] | undefined;
const peerIds = option('--peers')?.split(',') ?? PEERS.map((p) => p.id);
const workloads = WORKLOADS.filter((w) => !only || only.includes(w));
const jsPeerIds = peerIds.filter((id) => PEERS.some((p) => p.id === id));
// Building synaptic's neuron objects for the wide network alone can take minutes.
const HARD_LIMIT_S = Math.max(45, budget * 10);

function measure(workload: WorkloadId, peer: string): Promise<Measurement> {
  const args = [
    '--expose-gc',
    '--experimental-wasm-relaxed-simd',
    '--max-old-space-size=8192',
    '--import',
    'tsx',
    new URL('./worker.ts', import.meta.url).pathname,
    workload,
    peer,
    String(budget),
  ];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      args,
      { timeout: HARD_LIMIT_S * 1000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout) => {
        const line = stdout
          .split('\n')
          .reverse()
          .find((l) => l.startsWith('{"workload"'));
        if (line) resolve(JSON.parse(line) as Measurement);
        else {
          const timedOut = error && (error as { killed?: boolean }).killed;
          resolve({
            workload,
            peer,
            status: 'failed',
            reason: timedOut
              ? `did not finish within ${HARD_LIMIT_S} s`
              : (error?.message.split('\n')[0] ?? 'no output'),
          });
        }
      },
    );
  });
}

/** The table: one block per workload, rows sorted as PEERS, ratio to the fastest peer (not backprop). */
export function formatTable(results: Measurement[]): string {
  const label = (id: string) =>
    PEERS.find((p) => p.id === id)?.label ?? PYTHON_PEERS.find((p) => p.id === id)?.label ?? id;
  const lines: string[] = [];
  const header = `| library | rate | vs fastest peer | peak RSS MiB | accuracy | GFLOP/s | note |`;
  for (const id of WORKLOADS) {
    const rows = results.filter((r) => r.workload === id);
    if (rows.length === 0) continue;
    const w = WORKLOAD[id];
    const peers = rows.filter((r) => !r.peer.startsWith('backprop') && r.status === 'ok');
    const fastest = Math.max(...peers.map((r) => r.rate ?? 0));
    lines.push('', `**${w.title}** (${w.unit})`, '', header, '|---|---:|---:|---:|---:|---:|---|');
    for (const r of rows) {
      const ratio =
        r.status === 'ok' && fastest > 0
          ? `${(r.rate! / fastest).toFixed(r.rate! / fastest >= 10 ? 0 : 2)}x`
          : '';
      const memory = r.peakRssMiB ? Math.round(r.peakRssMiB).toString() : '';
      const accuracy = r.accuracy !== undefined ? `${(100 * r.accuracy).toFixed(1)}%` : '';
      const gflops = r.gflops !== undefined ? r.gflops.toFixed(r.gflops >= 1 ? 1 : 3) : '';
      let note = r.note ?? '';
      if (r.status === 'ok' && !r.full)
        note = [`partial: ${r.samples} samples`, note].filter(Boolean).join('; ');
      if (r.status === 'unsupported') note = `cannot express: ${r.reason}`;
      if (r.status === 'failed') note = `failed: ${r.reason}`;
      lines.push(
        `| ${label(r.peer)} | ${formatRate(r)} | ${ratio} | ${memory} | ${accuracy} | ${gflops} | ${note} |`,
      );
    }
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const started = Date.now();
  let gemm: GemmResult[] = [];
  if (!process.argv.includes('--no-gemm')) {
    const threaded = await createWasmBackend({ threads: 'auto' });
    gemm = await gemmBenchmark(0.4, [threaded]);
    (threaded as { dispose?(): void }).dispose?.();
    console.log(`Matrix product\n${formatGemm(gemm)}\n`);
  }
  const load = [loadavg()[0]];
  const results: Measurement[] = [];
  const report = (m: Measurement) => {
    results.push(m);
    const what = m.status === 'ok' ? `${formatRate(m)} ${m.unit}` : `${m.status}: ${m.reason}`;
    console.error(`${m.workload.padEnd(17)} ${m.peer.padEnd(12)} ${what}`);
  };
  for (const workload of workloads) {
    const again = roundPeers(workload);
    for (let round = 0; round < rounds; round++) {
      for (const peer of jsPeerIds) {
        // The JavaScript peers' adapters run plain steepest descent only.
        if (WORKLOAD[workload].optimizer && !peer.startsWith('backprop')) continue;
        if (round === 0 || again.has(peer)) report(await measure(workload, peer));
      }
      if (process.argv.includes('--no-python') || !PYTHON_WORKLOADS.includes(workload)) continue;
      for (const peer of PYTHON_PEERS) {
        if (option('--peers') && !peerIds.includes(peer.id)) continue;
        if (round === 0 || again.has(peer.id)) report(await measurePython(workload, peer, budget));
      }
    }
  }
  const kept = fastestOfRounds(results);
  load.push(loadavg()[0]);
  let e2e: EndToEnd | undefined;
  if (!process.argv.includes('--no-e2e')) {
    e2e = await endToEnd(rounds);
    load.push(loadavg()[0]);
  }
  const loadText = `load average (1 min) ${load.map((l) => l.toFixed(2)).join(' -> ')} on ${cpus().length} cores`;
  const bars = formatVerdicts(verdicts(kept, e2e, e2e?.dataMiB ?? 0));
  const table = `${formatTable(kept)}${e2e ? `\n${formatEndToEnd(e2e)}` : ''}\n${bars}\n\n${loadText}`;
  console.log(table);
  const doc = {
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model,
    cores: cpus().length,
    budgetSeconds: budget,
    rounds,
    seconds: (Date.now() - started) / 1000,
    load,
    gemm,
    results: kept,
    endToEnd: e2e,
    table,
  };
  writeFileSync(new URL('./results.json', import.meta.url), `${JSON.stringify(doc, null, 2)}\n`);
  console.log(`\nwrote bench/results.json in ${Math.round(doc.seconds)} s`);
  // Only a run of everything replaces the published table.
  if (!only && !option('--peers') && updateReadme(doc))
    console.log('updated the table in docs/benchmarks.md');
}

/** Puts the latest table between the bench markers of docs/benchmarks.md, so it shows the last run. */
function updateReadme(doc: {
  date: string;
  node: string;
  cpu?: string;
  cores: number;
  table: string;
}): boolean {
  const file = new URL('../docs/benchmarks.md', import.meta.url);
  const text = readFileSync(file, 'utf8');
  const start = '<!-- bench:start -->';
  const end = '<!-- bench:end -->';
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) return false;
  const header = `Last run: ${doc.date.slice(0, 10)}, Node ${doc.node}, ${doc.cores} cores (${doc.cpu ?? 'unknown CPU'}).`;
  const body = `${start}\n${header}\n\n${doc.table.trim()}\n${end}`;
  writeFileSync(file, text.slice(0, from) + body + text.slice(to + end.length));
  return true;
}

await main();
