/**
 * The two data sets that ship with the package, as {@link Dataset}s: Fisher's
 * iris (150 rows, four measurements in cm, three species) and the UCI 8x8
 * handwritten digits (1797 rows, 64 pixel counts 0..16, ten digits). Sources and
 * licences: data/README.md.
 *
 * Each lives in a module of its own that is loaded on the first call (a dynamic
 * import), so a browser bundle of the library carries neither until a page asks
 * for one; that is why these two are async and the generators are not.
 *
 * @example
 * ```ts
 * import { datasets } from 'backprop-mlp';
 * const { inputs, targets, classes } = await datasets.iris(); // 150 x 4, 150 x 3 one-hot
 * ```
 *
 * @module
 */
import type { Dataset } from './generators.js';

/**
 * A data set from CSV text whose last column, `target`, holds class labels:
 * targets one-hot over the labels in a stable order (numerically when all are
 * numbers, else by code points), as `backprop train` encodes a class column.
 */
function classesFromCsv(text: string, target: string): Dataset {
  const lines = text.trimEnd().split('\n');
  const header = lines[0].split(',');
  const t = header.indexOf(target);
  const rows = lines.slice(1).map((line) => line.split(','));
  const labelsText = rows.map((r) => r[t]);
  const distinct = [...new Set(labelsText)];
  const classes = distinct.every((k) => k.trim() !== '' && Number.isFinite(Number(k)))
    ? distinct.sort((a, b) => Number(a) - Number(b))
    : distinct.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const index = new Map(classes.map((k, i) => [k, i] as const));
  const labels = labelsText.map((k) => index.get(k) as number);
  return {
    inputs: rows.map((r) => r.filter((_, j) => j !== t).map(Number)),
    targets: labels.map((l) => classes.map((_, k) => (k === l ? 1 : 0))),
    labels,
    classes,
    inputColumns: header.filter((_, j) => j !== t),
    targetColumns: classes.map((k) => `${target}=${k}`),
  };
}

/** Fisher's iris: inputs sepal and petal length and width (cm), targets one-hot over the three species. */
export async function iris(): Promise<Dataset> {
  const { CSV } = await import('./iris.generated.js');
  return classesFromCsv(CSV, 'species');
}

/** The 8x8 handwritten digits: inputs 64 pixel counts p0..p63 (0..16, row by row), targets one-hot over 0..9. */
export async function digits(): Promise<Dataset> {
  const { CSV } = await import('./digits.generated.js');
  return classesFromCsv(CSV, 'digit');
}

/** The bundled data sets by name. */
export const bundled = { iris, digits } as const;

/** Names of the bundled data sets. */
export type BundledName = keyof typeof bundled;
