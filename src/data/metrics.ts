/**
 * Scores of a trained network on labelled data, in the data's own terms:
 * accuracy, the confusion matrix and per-class precision and recall for classes;
 * mean squared error, mean absolute error and R^2 for numbers. Accumulated row by
 * row so that a streamed file is scored in constant memory.
 *
 * @module
 */

/** Scores for a class target. */
export interface ClassScores {
  kind: 'classes';
  rows: number;
  /** Fraction of rows whose most probable class is the true one. */
  accuracy: number;
  classes: string[];
  /** `confusion[t][p]`: rows of true class t predicted as class p. */
  confusion: number[][];
  /** Per class: of the rows predicted as it, the fraction that are it (NaN-free: 0 when none were predicted). */
  precision: number[];
  /** Per class: of the rows that are it, the fraction predicted as it. */
  recall: number[];
}

/** Scores for numeric targets, one entry per target column (in the data's units). */
export interface NumberScores {
  kind: 'numbers';
  rows: number;
  columns: string[];
  /** Mean over rows of (d - y)^2, per column. */
  mse: number[];
  /** Mean over rows of |d - y|, per column. */
  mae: number[];
  /** 1 - sum (d - y)^2 / sum (d - mean d)^2, per column. */
  r2: number[];
}

/** Counts a confusion matrix one row at a time. */
export class ClassScorer {
  private readonly confusion: number[][];
  private rows = 0;
  constructor(readonly classes: readonly string[]) {
    this.confusion = classes.map(() => classes.map(() => 0));
  }

  /** One row: true class index `actual`, predicted class index `predicted`. */
  add(actual: number, predicted: number): void {
    this.confusion[actual][predicted]++;
    this.rows++;
  }

  scores(): ClassScores {
    const k = this.classes.length;
    let correct = 0;
    const precision: number[] = [];
    const recall: number[] = [];
    for (let i = 0; i < k; i++) {
      correct += this.confusion[i][i];
      let predicted = 0;
      let actual = 0;
      for (let j = 0; j < k; j++) {
        predicted += this.confusion[j][i];
        actual += this.confusion[i][j];
      }
      precision.push(predicted > 0 ? this.confusion[i][i] / predicted : 0);
      recall.push(actual > 0 ? this.confusion[i][i] / actual : 0);
    }
    return {
      kind: 'classes',
      rows: this.rows,
      accuracy: this.rows > 0 ? correct / this.rows : 0,
      classes: [...this.classes],
      confusion: this.confusion.map((r) => [...r]),
      precision,
      recall,
    };
  }
}

/** Accumulates squared and absolute errors and the targets' spread (Welford), one row at a time. */
export class NumberScorer {
  private rows = 0;
  private readonly sse: number[];
  private readonly sae: number[];
  private readonly mean: number[];
  private readonly m2: number[];
  constructor(readonly columns: readonly string[]) {
    const zeros = () => columns.map(() => 0);
    this.sse = zeros();
    this.sae = zeros();
    this.mean = zeros();
    this.m2 = zeros();
  }

  /** One row: desired outputs d and network outputs y, in the data's units. */
  add(d: ArrayLike<number>, y: ArrayLike<number>): void {
    this.rows++;
    for (let k = 0; k < this.columns.length; k++) {
      const e = d[k] - y[k];
      this.sse[k] += e * e;
      this.sae[k] += Math.abs(e);
      const delta = d[k] - this.mean[k];
      this.mean[k] += delta / this.rows;
      this.m2[k] += delta * (d[k] - this.mean[k]);
    }
  }

  scores(): NumberScores {
    const n = Math.max(this.rows, 1);
    return {
      kind: 'numbers',
      rows: this.rows,
      columns: [...this.columns],
      mse: this.sse.map((s) => s / n),
      mae: this.sae.map((s) => s / n),
      // A constant target has no spread to explain: R^2 is 1 for a perfect fit, else 0.
      r2: this.sse.map((s, k) => (this.m2[k] > 0 ? 1 - s / this.m2[k] : s === 0 ? 1 : 0)),
    };
  }
}
