/**
 * `backprop datasets`: the bundled data sets (iris, digits, wine, breast-cancer,
 * diabetes, in the package's data/ folder) and the generators of the core, listed and exported as CSV.
 *
 * @module
 */

import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { formatCsv } from '../data/csv-records.js';
import { type Dataset, type GeneratorName, generators } from '../datasets/generators.js';
import { CliError } from './errors.js';
import { writeFileAtomic } from './files.js';

/** The bundled files, relative to the package root (two folders above this module in src/ and dist/). */
const BUNDLED = {
  iris: {
    file: 'iris.csv',
    description: "Fisher's iris: 150 rows, 4 measurements (cm), target 'species' (3 classes)",
    command: 'backprop train iris.csv --target species --test-split 0.25',
  },
  digits: {
    file: 'digits.csv',
    description: "8x8 handwritten digits: 1797 rows, 64 pixels p0..p63 (0-16), target 'digit' (10 classes)",
    command: 'backprop train digits.csv --target digit --test-split 0.25',
  },
  wine: {
    file: 'wine.csv',
    description:
      "wines of three cultivars: 178 rows, 13 chemical measurements, target 'cultivar' (3 classes)",
    command: 'backprop train wine.csv --target cultivar --test-split 0.25',
  },
  'breast-cancer': {
    file: 'breast-cancer.csv',
    description:
      "Wisconsin breast cancer: 569 rows, 30 cell-nucleus measurements, target 'diagnosis' (malignant/benign)",
    command: 'backprop train breast-cancer.csv --target diagnosis --test-split 0.25',
  },
  diabetes: {
    file: 'diabetes.csv',
    description:
      "diabetes progression: 442 rows, 10 measurements (age, sex, bmi, ...), numeric target 'progression'",
    command: 'backprop train diabetes.csv --target progression --test-split 0.25',
  },
} as const;

const GENERATED: Record<GeneratorName, { description: string; command: string }> = {
  line: {
    description: "y = 2x + 1 + noise: input 'x', numeric target 'y' (the notes' best-fit line)",
    command: '--target y --hidden none',
  },
  xor: {
    description: "XOR of two inputs x1, x2: target 'label' (0/1)",
    command: '--target label --task classes --hidden 4 --activation tanh',
  },
  circles: {
    description: "two concentric circles: x1, x2, target 'label' (0/1)",
    command: '--target label --task classes --hidden 8',
  },
  moons: {
    description: "two interleaving half circles: x1, x2, target 'label' (0/1)",
    command: '--target label --task classes --hidden 16',
  },
  spirals: {
    description: "two intertwined spirals: x1, x2, target 'label' (0/1)",
    command: '--target label --task classes --hidden 32,32',
  },
  blobs: {
    description: "Gaussian blobs (--centers k, default 3): x1, x2, target 'label'",
    command: '--target label --task classes --hidden 8',
  },
};

/** Path of a bundled data file. */
export function bundledPath(name: keyof typeof BUNDLED): string {
  return fileURLToPath(new URL(`../../data/${BUNDLED[name].file}`, import.meta.url));
}

/** Prints the list; returns the exit status. */
export function datasetsList(json: boolean): number {
  const list = [
    ...Object.entries(BUNDLED).map(([name, d]) => ({
      name,
      kind: 'bundled',
      description: d.description,
      path: bundledPath(name as keyof typeof BUNDLED),
    })),
    ...Object.entries(GENERATED).map(([name, d]) => ({
      name,
      kind: 'generator',
      description: d.description,
    })),
  ];
  if (json) {
    process.stdout.write(`${JSON.stringify({ datasets: list })}\n`);
    return 0;
  }
  const lines = ['Bundled data sets:'];
  for (const [name, d] of Object.entries(BUNDLED)) lines.push(`  ${name.padEnd(8)} ${d.description}`);
  lines.push('', 'Generators (seeded; --rows, --seed, --noise):');
  for (const [name, d] of Object.entries(GENERATED)) lines.push(`  ${name.padEnd(8)} ${d.description}`);
  lines.push(
    '',
    'Export one as CSV and train on it:',
    '  backprop datasets export moons --rows 500 --seed 1 --out moons.csv',
    `  backprop train moons.csv ${GENERATED.moons.command} --report moons.svg`,
    '  backprop datasets export iris --out iris.csv',
    `  ${BUNDLED.iris.command}`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

/** The CSV text of a generated set: its input columns and one target column of labels or numbers. */
export function generatedCsv(set: Dataset): string {
  if (set.labels && set.classes) {
    const classes = set.classes;
    const rows = set.inputs.map((x, i) => [...x, classes[set.labels![i]]]);
    return formatCsv([...set.inputColumns, 'label'], rows);
  }
  return formatCsv(
    [...set.inputColumns, ...set.targetColumns],
    set.inputs.map((x, i) => [...x, ...set.targets[i]]),
  );
}

/** Exports one data set; returns the exit status. */
export async function datasetsExport(
  name: string,
  opts: { out?: string; rows: number; seed: number; noise?: number; centers?: number },
): Promise<number> {
  let text: string;
  if (Object.hasOwn(BUNDLED, name)) {
    text = await readFile(bundledPath(name as keyof typeof BUNDLED), 'utf8');
  } else if (Object.hasOwn(generators, name)) {
    const options: Record<string, number> = { seed: opts.seed };
    if (opts.noise !== undefined) options.noise = opts.noise;
    if (opts.centers !== undefined) {
      if (name !== 'blobs') throw new CliError(`option --centers: only blobs has centres, not ${name}`);
      options.centers = opts.centers;
    }
    const generate = generators[name as GeneratorName] as (n: number, o: Record<string, number>) => Dataset;
    text = generatedCsv(generate(opts.rows, options));
  } else {
    throw new CliError(
      `datasets export: unknown data set '${name}'; expected one of ${[...Object.keys(BUNDLED), ...Object.keys(generators)].join(', ')}`,
    );
  }
  if (opts.out) await writeFileAtomic(opts.out, text);
  else process.stdout.write(text);
  return 0;
}
