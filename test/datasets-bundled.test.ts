/**
 * datasets.iris() and datasets.digits(): the bundled files as data sets, in the
 * modules made from data/*.csv, kept out of the core's own chunk of a browser
 * bundle until a page asks for them.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { CSV as DIGITS_CSV } from '../src/datasets/digits.generated.js';
import { CSV as IRIS_CSV } from '../src/datasets/iris.generated.js';
import { datasets } from '../src/index.js';

const ROOT = resolve(import.meta.dirname, '..');

describe('bundled data sets', () => {
  it('iris: 150 rows of four measurements, one-hot over three species', async () => {
    const iris = await datasets.iris();
    expect(iris.inputs).toHaveLength(150);
    expect(iris.inputs[0]).toEqual([5.1, 3.5, 1.4, 0.2]);
    expect(iris.inputColumns).toEqual(['sepal_length', 'sepal_width', 'petal_length', 'petal_width']);
    expect(iris.classes).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(iris.targets[0]).toEqual([1, 0, 0]);
    expect(iris.targets[149]).toEqual([0, 0, 1]);
    expect(iris.labels?.filter((l) => l === 1)).toHaveLength(50);
  });

  it('digits: 1797 rows of 64 pixel counts, one-hot over the digits 0..9 in numeric order', async () => {
    const digits = await datasets.digits();
    expect(digits.inputs).toHaveLength(1797);
    expect(
      digits.inputs.every((x) => x.length === 64 && x.every((p) => Number.isInteger(p) && p >= 0 && p <= 16)),
    ).toBe(true);
    expect(digits.classes).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    const lastLine = readFileSync(join(ROOT, 'data/digits.csv'), 'utf8').trimEnd().split('\n').at(-1)!;
    const last = Number(lastLine.split(',').at(-1));
    expect(digits.labels?.at(-1)).toBe(last);
    expect(digits.targets.at(-1)?.indexOf(1)).toBe(last);
  });

  it('the generated modules hold data/*.csv exactly (npm run build:datasets remakes them)', () => {
    expect(IRIS_CSV).toBe(readFileSync(join(ROOT, 'data/iris.csv'), 'utf8'));
    expect(DIGITS_CSV).toBe(readFileSync(join(ROOT, 'data/digits.csv'), 'utf8'));
  });

  it("a browser bundle keeps the data out of the core's chunk", async () => {
    const result = await build({
      entryPoints: [join(ROOT, 'src/index.ts')],
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'browser',
      outdir: join(ROOT, '.tmp', `bundle-${process.pid}`),
      write: false,
      logLevel: 'silent',
    });
    const entry = result.outputFiles.find((f) => f.path.endsWith('index.js'))!;
    expect(entry.text).not.toContain('sepal_length');
    expect(entry.text).not.toContain('p0,p1,p2');
    const chunks = result.outputFiles.filter((f) => f !== entry).map((f) => f.text);
    expect(chunks.some((t) => t.includes('sepal_length'))).toBe(true);
    expect(chunks.some((t) => t.includes('p0,p1,p2'))).toBe(true);
  });
});
