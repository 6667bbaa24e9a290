/**
 * `npm start`: the main job on the bundled digits (8x8 images, 1797 rows, 10
 * classes). It runs the command line's `train` exactly as a user would:
 *
 *   backprop train data/digits.csv --target digit --test-split 0.25 \
 *     --out out/digits-model.json --report out/digits-report.html
 *
 * with the defaults (the digit column taken for 10 classes, one hidden layer of
 * 100 relu nodes, adam, minibatches of 32, standardized pixels, early stopping),
 * holds out a stratified quarter of the rows for testing, and checks that the
 * test accuracy is at least 0.96.
 */

import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { main } from '../src/cli/program.js';
import type { TrainResult } from '../src/cli/train.js';

const data = fileURLToPath(new URL('../data/digits.csv', import.meta.url));
const outDir = process.env.BACKPROP_OUT ?? 'out';
await mkdir(outDir, { recursive: true });
const model = `${outDir}/digits-model.json`;
const report = `${outDir}/digits-report.html`;

let result: TrainResult | undefined;
const started = Date.now();
const status = await main(
  [
    'node',
    'backprop',
    'train',
    data,
    '--target',
    'digit',
    '--test-split',
    '0.25',
    '--seed',
    '1',
    '--out',
    model,
    '--report',
    report,
  ],
  { onTrainResult: (r) => (result = r) },
);
if (status !== 0 || !result) process.exit(status || 1);

const test = result.scores.test;
const accuracy = test?.kind === 'classes' ? test.accuracy : Number.NaN;
const seconds = (Date.now() - started) / 1000;
process.stdout.write(
  `\nnpm start: digits test accuracy ${accuracy.toFixed(4)} on ${test?.rows} held-out rows ` +
    `after ${result.history.epochs.length} epochs, ${seconds.toFixed(1)} s in all; ` +
    `model ${model}, report ${report}\n`,
);
if (!(accuracy >= 0.96)) {
  process.stderr.write(`test accuracy ${accuracy.toFixed(4)} is below the 0.96 this job promises\n`);
  process.exit(1);
}
