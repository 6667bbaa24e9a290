/**
 * What `train` says at the end: the summary lines and the report's pictures.
 *
 * @module
 */

import { classIndex } from '../../classification.js';
import type { Encoding } from '../../data/encoding.js';
import type { Network } from '../../network.js';
import { plural } from '../../plural.js';
import type { EpochInfo } from '../../train/trainer.js';
import { fmt } from '../progress.js';
import type { ReportData } from '../report.js';
import { runNetwork, type Scores } from '../run-model.js';
import type { TrainArgs } from '../train.js';
import type { Prepared } from './prepare.js';

function describeScores(name: string, s: Scores & { cost?: number }): string {
  const cost = s.cost !== undefined ? `cost ${fmt(s.cost)}, ` : '';
  if (s.kind === 'classes')
    return `${name}: ${cost}accuracy ${s.accuracy.toFixed(4)} (${plural(s.rows, 'row')})`;
  const per = s.columns.map(
    (c, k) =>
      `${s.columns.length > 1 ? `${c}: ` : ''}MSE ${fmt(s.mse[k])}, MAE ${fmt(s.mae[k])}, R^2 ${s.r2[k].toFixed(4)}`,
  );
  return `${name}: ${cost}${per.join('; ')} (${plural(s.rows, 'row')})`;
}

/** The lines printed at the end of a run. */
export function summaryLines(
  args: TrainArgs,
  dataFile: string,
  net: Network,
  history: EpochInfo[],
  stoppedBy: string,
  bestEpoch: number | undefined,
  scores: Record<string, Scores>,
  seconds: number,
  weightedAccuracy?: number,
): string[] {
  const last = history.at(-1);
  const lines = [
    `trained on ${dataFile}: ${plural(history.length, 'epoch')} in ${seconds.toFixed(1)} s, stopped by ${stoppedBy}` +
      `${bestEpoch ? ` (best weights from epoch ${bestEpoch} kept)` : ''}`,
  ];
  if (last) {
    lines.push(
      `last epoch: cost ${fmt(last.cost)}${last.validationCost !== undefined ? `, validation cost ${fmt(last.validationCost)}` : ''}`,
    );
  }
  for (const [name, s] of Object.entries(scores)) lines.push(describeScores(name, s));
  // Accuracy above counts every row alike; this one counts each row with its weight w_i.
  if (weightedAccuracy !== undefined) lines.push(`train: weighted accuracy ${weightedAccuracy.toFixed(4)}`);
  lines.push(`model (${net.parameterCount} weights and biases) saved to ${args.out}`);
  if (args.report) lines.push(`report saved to ${args.report}`);
  return lines;
}

/** The pictures: loss curves, regions or curve when the inputs allow, a confusion matrix for classes. */
export function reportData(
  net: Network,
  encoding: Encoding,
  prepared: Prepared,
  history: EpochInfo[],
  scores: Record<string, Scores>,
  summary: string[],
  dataFile: string,
): ReportData {
  const costs: ReportData['costs'] = [];
  for (const h of history) {
    costs.push({ epoch: h.epoch, cost: h.cost, set: 'training' });
    if (h.validationCost !== undefined)
      costs.push({ epoch: h.epoch, cost: h.validationCost, set: 'validation' });
  }
  const data: ReportData = { title: `backprop train ${dataFile}`, costs, summary };
  const confusionOf = scores.test ?? scores.validation ?? scores.train;
  if (confusionOf?.kind === 'classes') {
    const rowsName = scores.test ? 'test rows' : scores.validation ? 'validation rows' : 'training rows';
    data.confusion = { scores: confusionOf, rowsName };
  }
  const numeric = encoding.inputs.every((c) => c.kind === 'number');
  const { columns, rows } = prepared.sample;
  const predictRaw = (points: number[][]): number[][] => {
    const x = new Float64Array(points.length * net.inputs);
    for (let r = 0; r < points.length; r++) {
      for (let k = 0; k < net.inputs; k++) {
        const c = encoding.inputs[k] as { offset: number; scale: number };
        x[r * net.inputs + k] = (points[r][k] - c.offset) / c.scale;
      }
    }
    const { outputs } = runNetwork(net, { data: x, shape: [points.length, net.inputs] });
    return points.map((_, r) => Array.from(outputs.subarray(r * net.outputs, (r + 1) * net.outputs)));
  };
  const col = (name: string) => columns.indexOf(name);
  const target = encoding.target;
  if (numeric && encoding.inputs.length === 2 && rows.length > 0) {
    const [a, b] = encoding.inputs.map((c) => col(c.column));
    const xs = rows.map((r) => Number(r[a]));
    const ys = rows.map((r) => Number(r[b]));
    const [x0, x1] = padRange(xs);
    const [y0, y1] = padRange(ys);
    const g = 60;
    const cells: NonNullable<ReportData['regions']>['cells'] = [];
    const grid: number[][] = [];
    for (let i = 0; i < g; i++)
      for (let j = 0; j < g; j++)
        grid.push([x0 + ((i + 0.5) * (x1 - x0)) / g, y0 + ((j + 0.5) * (y1 - y0)) / g]);
    const out = predictRaw(grid);
    const value = (y: number[]): string | number => {
      if (target.kind === 'classes') {
        return target.classes[classIndex(y, 0, y.length)];
      }
      return y[0] * target.scale[0] + target.offset[0];
    };
    grid.forEach((p, k) => {
      const w = (x1 - x0) / g / 2;
      const h = (y1 - y0) / g / 2;
      cells.push({ x: p[0] - w, x2: p[0] + w, y: p[1] - h, y2: p[1] + h, value: value(out[k]) });
    });
    const t = target.kind === 'classes' ? col(target.column) : col(target.columns[0]);
    const points = rows.map((r, k) => ({
      x: xs[k],
      y: ys[k],
      value: target.kind === 'classes' ? r[t].trim() : Number(r[t]),
    }));
    data.regions = {
      xName: encoding.inputs[0].column,
      yName: encoding.inputs[1].column,
      cells,
      points,
      classes: target.kind === 'classes',
    };
  } else if (
    numeric &&
    encoding.inputs.length === 1 &&
    target.kind === 'numbers' &&
    target.columns.length === 1 &&
    rows.length > 0
  ) {
    const a = col(encoding.inputs[0].column);
    const t = col(target.columns[0]);
    const xs = rows.map((r) => Number(r[a]));
    const [x0, x1] = padRange(xs);
    const grid = Array.from({ length: 200 }, (_, i) => [x0 + (i * (x1 - x0)) / 199]);
    const out = predictRaw(grid);
    data.curve = {
      xName: encoding.inputs[0].column,
      yName: target.columns[0],
      points: rows.map((r, k) => ({ x: xs[k], y: Number(r[t]) })),
      curve: grid.map((p, k) => ({ x: p[0], y: out[k][0] * target.scale[0] + target.offset[0] })),
    };
  }
  return data;
}

function padRange(values: number[]): [number, number] {
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (!(hi > lo)) {
    lo -= 1;
    hi += 1;
  }
  const pad = (hi - lo) * 0.05;
  return [lo - pad, hi + pad];
}
