/**
 * The benchmark's data as CSV files, for the command line and the Python peers:
 * the same examples, split and order as bench/data.ts gives the JavaScript
 * peers, the label first. MNIST (8,000 training images, 600 test; pixels as
 * whole numbers 0..255, about 15 MB: the end-to-end workload's file) and the
 * digits (pixels 0..16). Written once into `.tmp/bench/`, reused afterwards.
 *
 * @module
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { digits, mnist, type Rows } from './data.js';

const dir = join(new URL('..', import.meta.url).pathname, '.tmp', 'bench');

function csv(rows: Rows, scale: number): string {
  const width = rows.inputs[0].length;
  const header = ['label', ...Array.from({ length: width }, (_, i) => `p${i}`)].join(',');
  const lines = rows.inputs.map((input, i) =>
    [rows.targets[i].indexOf(1), ...input.map((v) => Math.round(v * scale))].join(','),
  );
  return `${header}\n${lines.join('\n')}\n`;
}

/** A training and a test file, and the factor that brings their pixels to [0, 1]. */
export interface CsvPair {
  train: string;
  test: string;
  /** Pixels are whole numbers; divide by this for the [0, 1] values the JavaScript peers get. */
  scale: number;
}

function write(name: string, data: () => { train: Rows; test: Rows }, scale: number): CsvPair {
  const train = join(dir, `${name}-train.csv`);
  const test = join(dir, `${name}-test.csv`);
  if (!existsSync(train) || !existsSync(test)) {
    mkdirSync(dir, { recursive: true });
    const d = data();
    writeFileSync(train, csv(d.train, scale));
    writeFileSync(test, csv(d.test, scale));
  }
  return { train, test, scale };
}

/** MNIST as bench/data.ts's mnist() gives it: 8,000 training rows, 600 test rows. */
export function mnistCsv(): CsvPair {
  return write('mnist', () => mnist(800, 60), 255);
}

/** The digits as bench/data.ts's digits() gives them. */
export function digitsCsv(): CsvPair {
  return write('digits', digits, 16);
}
