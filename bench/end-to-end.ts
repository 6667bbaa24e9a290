/**
 * The end-to-end workload: `backprop train` on the MNIST-sized CSV file
 * (8,000 rows of 784 pixels, 784-100-10, Adam, minibatches of 32, 10 epochs),
 * wall time from the command to its exit (Node's start-up, reading the CSV,
 * training, writing the model), peak memory, and the accuracy on the 600 test
 * rows; against scikit-learn doing the same from the same file (Python's
 * start-up, numpy.loadtxt, MLPClassifier). And the CSV reader alone, in MB/s,
 * against csv-parse and numpy.loadtxt.
 *
 * @module
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { parseCsv } from '../src/data/csv.js';
import { parseNumericCsv } from '../src/data/csv-numeric.js';
import { numericCsvChunks } from '../src/data/node/csv-stream.js';
import { mnistCsv } from './csv-files.js';
import { runPython } from './python.js';
import { roundsNote } from './rounds.js';

const root = new URL('..', import.meta.url).pathname;
const tmp = join(root, '.tmp', 'bench');

/** One timed run of a command: wall seconds and peak RSS (GNU time), or why it failed. */
interface Run {
  seconds: number;
  peakRssMiB?: number;
  stdout: string;
  error?: string;
}

function timed(command: string, args: string[]): Run {
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', 'maxrss %M', command, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  const seconds = (performance.now() - t0) / 1000;
  const rss = /maxrss (\d+)/.exec(r.stderr ?? '');
  const error = r.status === 0 ? undefined : (r.stderr ?? '').trim().split('\n').slice(-2).join(' ');
  return { seconds, peakRssMiB: rss ? Number(rss[1]) / 1024 : undefined, stdout: r.stdout ?? '', error };
}

/**
 * The command line as the package ships it: the sources compiled by the
 * package's own build (tsc, then the bundling of the command line) into a
 * directory of their own, run by Node with no TypeScript compiler at start-up.
 */
function buildCli(): string {
  const out = join(tmp, 'dist');
  rmSync(out, { recursive: true, force: true });
  execFileSync(
    process.execPath,
    [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json'), '--outDir', out],
    { stdio: 'inherit' },
  );
  execFileSync(process.execPath, [join(root, 'scripts/bundle-cli.mjs'), out], { stdio: 'inherit' });
  return join(out, 'bin/main.js');
}

export interface EndToEnd {
  rows: { who: string; seconds?: number; peakRssMiB?: number; accuracy?: number; note?: string }[];
  csv: { reader: string; mbPerSecond?: number; note?: string }[];
  fileMB: number;
  /** The training data as float32 numbers, in MiB (the memory bar's unit). */
  dataMiB: number;
}

/** The end-to-end command's options after the file and target: what issue 11 times. */
const E2E_FLAGS = [
  '--hidden',
  '100',
  '--optimizer',
  'adam',
  '--batch-size',
  '32',
  '--epochs',
  '10',
  '--quiet',
];

/** The first failed run, or else the fastest. */
function fastest(runs: Run[]): Run {
  return runs.find((r) => r.error) ?? runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
}

/** Every round's wall time, when there was more than one. */
function spread(runs: Run[]): string {
  const note = roundsNote(runs.map((r) => r.seconds.toFixed(2)));
  return note && `${note} s`;
}

function best(times: number, f: () => void): number {
  let s = Number.POSITIVE_INFINITY;
  for (let i = 0; i < times; i++) {
    const t0 = performance.now();
    f();
    s = Math.min(s, (performance.now() - t0) / 1000);
  }
  return s;
}

/** Runs the end-to-end workload and the CSV reader comparison. */
export async function endToEnd(rounds = 1): Promise<EndToEnd> {
  const files = mnistCsv();
  const bytes = readFileSync(files.train);
  const mb = bytes.length / 1e6;
  const table = parseNumericCsv(bytes, 'mnist.csv');
  const dataMiB = 'rows' in table ? (table.rows * table.columns.length * 4) / 2 ** 20 : 0;
  const result: EndToEnd = { rows: [], csv: [], fileMB: mb, dataMiB };

  // The CSV readers, in memory (best of three).
  const numeric = best(3, () => parseNumericCsv(bytes, 'mnist.csv'));
  const strings = best(3, () => parseCsv(bytes, 'mnist.csv'));
  const csvParse = best(1, () => parse(bytes, { cast: true }));
  // Streamed from the file in chunks of 4,096 rows, reading included (best of three).
  let streamed = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    for await (const _ of numericCsvChunks(files.train, 4096, true));
    streamed = Math.min(streamed, (performance.now() - t0) / 1000);
  }
  result.csv.push(
    { reader: 'backprop numbers (parseNumericCsv, typed arrays)', mbPerSecond: mb / numeric },
    { reader: 'backprop numbers streamed from the file (numericCsvChunks)', mbPerSecond: mb / streamed },
    { reader: 'backprop rows of strings (parseCsv)', mbPerSecond: mb / strings },
    { reader: 'csv-parse (sync, cast)', mbPerSecond: mb / csvParse },
  );
  const np = await runPython('numpy', ['loadtxt', files.train], 120);
  result.csv.push(
    typeof np === 'string'
      ? { reader: 'numpy.loadtxt', note: np }
      : { reader: 'numpy.loadtxt', mbPerSecond: mb / (np.seconds as number) },
  );

  // The command line and scikit-learn, start to exit, in alternating rounds: each
  // keeps its fastest, so both sides see the same moments of a shared machine.
  const cli = buildCli();
  const model = join(tmp, 'e2e-model.json');
  const python = (await import('../test/support/python.js')).findPython(['numpy', 'sklearn']);
  const ours: Run[] = [];
  const theirs: Run[] = [];
  for (let round = 0; round < rounds; round++) {
    rmSync(model, { force: true });
    ours.push(
      timed(process.execPath, [cli, 'train', files.train, '--target', 'label', ...E2E_FLAGS, '--out', model]),
    );
    if (python) {
      const script = new URL('./python_peers.py', import.meta.url).pathname;
      theirs.push(timed(python, [script, 'sklearn-cli', files.train, files.test, '100', '10', '32']));
    }
  }
  const train = fastest(ours);
  let accuracy: number | undefined;
  if (!train.error) {
    try {
      const out = execFileSync(process.execPath, [cli, 'evaluate', model, files.test, '--json'], {
        encoding: 'utf8',
      });
      accuracy = (JSON.parse(out) as { accuracy?: number }).accuracy;
    } catch (err) {
      train.error = `evaluate: ${(err as Error).message.split('\n')[0]}`;
    }
  }
  result.rows.push({
    who: 'backprop train (default backend)',
    seconds: train.error ? undefined : train.seconds,
    peakRssMiB: train.peakRssMiB,
    accuracy,
    note: train.error
      ? `failed: ${train.error}`
      : [`model ${Math.round(statSync(model).size / 1024)} KiB`, spread(ours)].filter(Boolean).join('; '),
  });
  if (!python)
    result.rows.push({ who: 'scikit-learn MLPClassifier', note: 'skipped: no Python with sklearn' });
  else {
    const sk = fastest(theirs);
    const line = sk.stdout.trim().split('\n').at(-1) ?? '';
    result.rows.push({
      who: 'scikit-learn MLPClassifier (Python start-up, loadtxt, fit)',
      seconds: sk.error ? undefined : sk.seconds,
      peakRssMiB: sk.peakRssMiB,
      accuracy: sk.error ? undefined : (JSON.parse(line) as { accuracy: number }).accuracy,
      note: sk.error ? `failed: ${sk.error}` : spread(theirs),
    });
  }
  return result;
}

/** The two tables as Markdown. */
export function formatEndToEnd(e: EndToEnd): string {
  const lines = [
    '',
    `**7. \`backprop train\` on an MNIST-sized CSV** (${e.fileMB.toFixed(1)} MB, 8,000 rows x 784 pixels, 784-100-10, Adam, minibatch 32, 10 epochs; wall time from start to exit)`,
    '',
    '| run | wall s | peak RSS MiB | test accuracy | note |',
    '|---|---:|---:|---:|---|',
  ];
  for (const r of e.rows) {
    lines.push(
      `| ${r.who} | ${r.seconds?.toFixed(2) ?? ''} | ${r.peakRssMiB ? Math.round(r.peakRssMiB) : ''} | ${r.accuracy !== undefined ? r.accuracy.toFixed(3) : ''} | ${r.note ?? ''} |`,
    );
  }
  lines.push(
    '',
    `**CSV readers** (the same ${e.fileMB.toFixed(1)} MB file, in memory)`,
    '',
    '| reader | MB/s | note |',
    '|---|---:|---|',
  );
  for (const c of e.csv) lines.push(`| ${c.reader} | ${c.mbPerSecond?.toFixed(1) ?? ''} | ${c.note ?? ''} |`);
  return lines.join('\n');
}
