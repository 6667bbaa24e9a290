/**
 * The MNIST-sized CSV file of the end-to-end workload: 8,000 training images of
 * the `mnist` package (800 per digit, shuffled with a fixed seed) as a `label`
 * column and 784 pixel columns of whole numbers 0..255, about 17 MB, plus a
 * test file of 600 more. Written once into `.tmp/`, reused afterwards.
 *
 * @module
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mnist, type Rows } from './data.js';

const root = new URL('..', import.meta.url).pathname;

function csv(rows: Rows): string {
  const header = ['label', ...Array.from({ length: 784 }, (_, i) => `p${i}`)].join(',');
  const lines = rows.inputs.map((input, i) =>
    [rows.targets[i].indexOf(1), ...input.map((v) => Math.round(v * 255))].join(','),
  );
  return `${header}\n${lines.join('\n')}\n`;
}

/** Paths of the training and test files, written if missing. */
export function mnistCsv(): { train: string; test: string } {
  const dir = join(root, '.tmp', 'bench');
  const train = join(dir, 'mnist-train-8000.csv');
  const test = join(dir, 'mnist-test-600.csv');
  if (!existsSync(train) || !existsSync(test)) {
    mkdirSync(dir, { recursive: true });
    const data = mnist(800, 60);
    writeFileSync(train, csv(data.train));
    writeFileSync(test, csv(data.test));
  }
  return { train, test };
}

if (process.argv[1] === new URL(import.meta.url).pathname) console.log(mnistCsv());
