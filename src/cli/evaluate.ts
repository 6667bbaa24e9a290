/**
 * `backprop evaluate <model.json> <data.csv>`: the model's scores on a labelled
 * file, read in chunks: cost, accuracy, per-class precision and recall and the
 * confusion matrix for classes; MSE, MAE and R^2 for numbers.
 *
 * @module
 */

import { modelEncoding, readModel } from './files.js';
import { fmt } from './progress.js';
import { encodedChunks, modelLoss, runNetwork, Scorer, type Scores } from './run-model.js';

/** Runs `evaluate`; resolves to the exit status. */
export async function evaluate(
  modelPath: string,
  dataFile: string,
  opts: { json: boolean },
): Promise<number> {
  const model = await readModel(modelPath);
  const { net } = model;
  const { loss, reduction } = modelLoss(net);
  let scorer: Scorer | undefined;
  let unknown: ReadonlyMap<string, string> = new Map();
  const chunks = encodedChunks(dataFile, 4096, net.dtype, true, (columns) =>
    modelEncoding(model, modelPath, columns, dataFile),
  );
  for await (const enc of chunks) {
    scorer ??= new Scorer(enc.encoding.target);
    const { outputs, lossSum } = runNetwork(net, enc.x, enc.d, loss);
    scorer.add(outputs, enc.d!.data, net.outputs, enc.rows, lossSum);
    unknown = enc.unknown;
  }
  const result = scorer!.result(reduction);
  // Beside the plain accuracy, one weighted by the class weights the model was trained with.
  const classWeights = (net.meta.training as { classWeights?: unknown } | undefined)?.classWeights;
  const weighted =
    result.kind === 'classes' && classWeights !== undefined
      ? weightedAccuracy(result.confusion, classWeights as 'balanced' | Record<string, number>)
      : undefined;
  const scores = weighted === undefined ? result : { ...result, weightedAccuracy: weighted };
  if (unknown.size > 0) {
    for (const [column, where] of unknown) {
      process.stderr.write(
        `warning: ${dataFile} ${where} in column '${column}' is a value the model never saw (encoded as all zeros)\n`,
      );
    }
  }
  if (opts.json) {
    process.stdout.write(
      `${JSON.stringify({ command: 'evaluate', model: modelPath, data: dataFile, loss, reduction, ...scores })}\n`,
    );
  } else {
    process.stdout.write(`${formatScores(scores, loss, reduction).join('\n')}\n`);
  }
  return 0;
}

/** Scores as text: a table of per-class precision and recall and the confusion matrix, or the error measures. */
export function formatScores(
  s: Scores & { cost: number; weightedAccuracy?: number },
  loss: string,
  reduction: string,
): string[] {
  const lines = [`rows: ${s.rows}`, `cost J (${loss}, ${reduction}): ${fmt(s.cost)}`];
  if (s.kind === 'classes') {
    lines.push(`accuracy: ${s.accuracy.toFixed(4)}`);
    if (s.weightedAccuracy !== undefined)
      lines.push(`weighted accuracy (the class weights of training): ${s.weightedAccuracy.toFixed(4)}`);
    lines.push('');
    const w = Math.max(5, ...s.classes.map((c) => c.length));
    lines.push(`${'class'.padEnd(w)}  precision  recall  rows`);
    s.classes.forEach((c, i) => {
      const rows = s.confusion[i].reduce((a, b) => a + b, 0);
      lines.push(
        `${c.padEnd(w)}  ${s.precision[i].toFixed(4).padStart(9)}  ${s.recall[i].toFixed(4).padStart(6)}  ${rows}`,
      );
    });
    lines.push('', 'confusion matrix (rows: true class, columns: predicted class):');
    const cw = Math.max(w, ...s.confusion.flat().map((n) => String(n).length));
    lines.push(`${''.padEnd(w)}  ${s.classes.map((c) => c.padStart(cw)).join(' ')}`);
    s.classes.forEach((c, i) => {
      lines.push(`${c.padEnd(w)}  ${s.confusion[i].map((n) => String(n).padStart(cw)).join(' ')}`);
    });
  } else {
    s.columns.forEach((c, k) => {
      lines.push(`${c}: MSE ${fmt(s.mse[k])}  MAE ${fmt(s.mae[k])}  R^2 ${s.r2[k].toFixed(4)}`);
    });
  }
  return lines;
}

/**
 * The share of rows classified right, each row counted with its class's weight:
 * sum_c w_c right_c / sum_c w_c rows_c, from the confusion matrix. `balanced`
 * weighs by n / (classes x rows of the class) over these rows, which makes it
 * the mean recall of the classes present.
 */
export function weightedAccuracy(
  confusion: readonly (readonly number[])[],
  classWeights: 'balanced' | Record<string, number>,
): number {
  const rows = confusion.map((r) => r.reduce((a, b) => a + b, 0));
  const n = rows.reduce((a, b) => a + b, 0);
  const present = rows.filter((r) => r > 0).length;
  const weightOf = (c: number) =>
    classWeights === 'balanced' ? n / (present * rows[c]) : (classWeights[c] ?? 1);
  let right = 0;
  let total = 0;
  rows.forEach((count, c) => {
    if (count === 0) return;
    right += weightOf(c) * confusion[c][c];
    total += weightOf(c) * count;
  });
  return total > 0 ? right / total : Number.NaN;
}
