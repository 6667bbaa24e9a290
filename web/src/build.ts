/**
 * From the setup to what the worker trains on: the examples (generated, or
 * from the CSV file), their targets shaped for the output layer, and the
 * input features; and whether a loaded model fits them.
 *
 * @module
 */
import { isClassification } from 'backprop-mlp';
import {
  csvExamples,
  generate,
  type PlaygroundData,
  shapeTargets,
  split,
  standardize,
  withGrid,
} from './data.js';
import { page } from './state.js';

/** The examples of the setup (null while no CSV file is chosen); throws an Error naming what is wrong. */
export function makeData(): PlaygroundData | null {
  const { setup, csv } = page;
  if (setup.dataset !== 'csv') return generate(setup);
  if (!csv) return null;
  const out = setup.layers[setup.layers.length - 1].activation;
  const asClasses = isClassification(setup.loss, out);
  const ex = csvExamples(csv.table, csv.target, asClasses);
  const { train, test } = split(ex.all, setup.testFraction, setup.seed);
  const scaling = standardize(train, test);
  return withGrid({
    kind: ex.kind,
    train,
    test,
    inputColumns: ex.inputColumns,
    targetColumns: [csv.target],
    classes: ex.classes,
    scaling,
    dropped: ex.dropped,
  });
}

/** Output units from the data: one per target column, or one per class for softmax. */
function outputUnits(d: PlaygroundData): number {
  const { setup } = page;
  const out = setup.layers[setup.layers.length - 1].activation;
  if (d.kind === 'numbers') return d.train.targets[0].length;
  const k = d.classes?.length ?? Math.max(2, d.train.targets[0].length);
  if (out === 'softmax') return k;
  return k === 2 ? 1 : k;
}

/** The data with class targets shaped for the output layer (one 0/1 column, or one-hot). */
export function adaptTargets(d: PlaygroundData): PlaygroundData {
  if (d.kind !== 'classes') return d;
  const units = outputUnits(d);
  const k = d.classes?.length ?? Math.max(2, d.train.targets[0].length);
  return {
    ...d,
    train: { inputs: d.train.inputs, targets: shapeTargets(d.train.targets, k, units) },
    test: { inputs: d.test.inputs, targets: shapeTargets(d.test.targets, k, units) },
  };
}

/** Whether a loaded model still has the shape the setup asks for (else the setup's random start is used). */
export function modelFits(model: unknown, inputs: number, d: PlaygroundData): boolean {
  const { setup } = page;
  const m = model as { inputs: number; layers: { units: number; activation: string }[] };
  const units = d.train.targets[0].length;
  return (
    m.inputs === inputs &&
    m.layers.length === setup.layers.length &&
    m.layers.every(
      (l, n) =>
        l.activation === setup.layers[n].activation &&
        (n === m.layers.length - 1 ? l.units === units : l.units === setup.layers[n].units),
    )
  );
}

/** Defaults from a CSV target: softmax + cross-entropy for labels, linear + squared loss for numbers. */
export function chooseCsvDefaults(): void {
  const { csv, setup } = page;
  if (!csv) return;
  const t = csv.table.columns.indexOf(csv.target);
  const values = csv.table.rows.map((r) => r[t]);
  const numeric = values.every((v) => v.trim() !== '' && Number.isFinite(Number(v)));
  const distinct = new Set(values).size;
  const out = setup.layers[setup.layers.length - 1];
  if (!numeric || distinct <= 10) {
    out.activation = distinct === 2 ? 'sigmoid' : 'softmax';
    setup.loss = distinct === 2 ? 'binary-cross-entropy' : 'cross-entropy';
  } else {
    out.activation = 'linear';
    setup.loss = 'squared';
  }
  setup.reduction = 'mean';
}
