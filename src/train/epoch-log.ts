/**
 * The record of every epoch of a training run, kept as rows of numbers in
 * typed arrays of a fixed number of rows each and turned into {@link EpochInfo}
 * objects when read. An object per epoch kept alive for the whole run costs a
 * garbage-collected allocation that is dear next to an epoch of XOR (four
 * updates, about a microsecond); a row of numbers costs nothing to the collector.
 *
 * @module
 */
/** What one epoch did. */
export interface EpochInfo {
  /** 1-based epoch number. */
  epoch: number;
  /**
   * J over the training examples, from the loss of each example at the moment it
   * was used in this epoch (before the update it took part in).
   */
  cost: number;
  /** J over the validation examples after the epoch. */
  validationCost?: number;
  /** Share of training examples classified right (classification only), at the moment they were used. */
  accuracy?: number;
  /** Share of validation examples classified right after the epoch. */
  validationAccuracy?: number;
  /** eta^(n) of each layer this epoch trained with (a schedule changes them between epochs). */
  learningRate: readonly number[];
  /** Updates done in this epoch. */
  updates: number;
  /** Examples used in this epoch. */
  examples: number;
  /** Seconds this epoch took. */
  seconds: number;
  /** Seconds since training started. */
  elapsedSeconds: number;
}

// Row layout: cost, then the accuracy where the log carries accuracies. The other fields are kept once per run of rows in
// which they stay the same and the elapsed seconds grow by `seconds` from row to
// row, as over the epochs of one call of the small-network kernel: a run holds
// them with the elapsed seconds of its first row (RUN_WIDTH numbers, below). On
// XOR's four-update epochs, every byte a row takes is memory written for the
// first time, whose page faults cost about as much as the updates: a log without
// accuracies keeps the cost alone.
// A run: its first row, validation cost, validation accuracy, updates, examples,
// seconds, elapsed seconds of its first row.
const RUN_WIDTH = 7;
// Rows per block. Blocks are added, never grown: a grown array copies every row.
const BLOCK_SHIFT = 10;
const BLOCK_ROWS = 1 << BLOCK_SHIFT;

/** Rows of `width` numbers, appended in blocks of typed arrays. */
class Table {
  /** Rows added. */
  length = 0;
  private readonly blocks: Float64Array[] = [];

  constructor(private readonly width: number) {}

  /** The block that holds row `i`, whose first number is at {@link Table.at}(i). */
  block(i: number): Float64Array {
    return this.blocks[i >> BLOCK_SHIFT];
  }

  at(i: number): number {
    return (i & (BLOCK_ROWS - 1)) * this.width;
  }

  /** Adds a row (to fill through block and at) and returns its index. */
  add(): number {
    const i = this.length++;
    if (i >> BLOCK_SHIFT === this.blocks.length) this.blocks.push(new Float64Array(this.width * BLOCK_ROWS));
    return i;
  }

  /** Forgets the rows (their blocks are filled again from the first). */
  clear(): void {
    this.length = 0;
  }
}

/** Per-epoch records of one trainer; every row has the same fields. */
export class EpochLog {
  /** Epochs recorded. */
  length = 0;
  private readonly rows: Table;
  /** Runs of rows (see RUN_WIDTH). */
  private readonly runs = new Table(RUN_WIDTH);
  /** The elapsed seconds of the last row added. */
  private lastElapsed = 0;
  /** The last row whose elapsed seconds {@link record} worked out, and those seconds. */
  private replayRow = -1;
  private replayElapsed = 0;
  /** The rows made into objects so far (the first `records.length` rows). */
  private readonly records: EpochInfo[] = [];
  /**
   * The rates of the epochs, kept only where they change: epochs from
   * `rateFrom[k]` (0-based) on trained with `rates[k]`, until the next change.
   */
  private readonly rateFrom: number[] = [];
  private readonly rates: (readonly number[])[] = [];

  /**
   * @param accuracy whether records carry accuracies (classification)
   * @param validation whether records carry the validation cost (and accuracy)
   * @param initialRates eta^(n) of the first epoch
   */
  constructor(
    private readonly accuracy: boolean,
    private readonly validation: boolean,
    private readonly initialRates: readonly number[] = [],
  ) {
    this.rows = new Table(accuracy ? 2 : 1);
  }

  /** Sets the rates from the next epoch added on (kept as given: the caller passes a fresh array). */
  setRates(rates: readonly number[]): void {
    const k = this.rateFrom.length - 1;
    if (k >= 0 && this.rateFrom[k] === this.length) this.rates[k] = rates;
    else {
      this.rateFrom.push(this.length);
      this.rates.push(rates);
    }
  }

  /** The rates epoch `i` (from 0) trained with. */
  private ratesOf(i: number): readonly number[] {
    const from = this.rateFrom;
    let k = from.length - 1;
    while (k >= 0 && from[k] > i) k--;
    return k >= 0 ? this.rates[k] : this.initialRates;
  }

  /** The rates of the epoch to come. */
  currentRates(): readonly number[] {
    return this.ratesOf(this.length);
  }

  /** Appends the record of epoch `length + 1`; fields the log does not carry are ignored. */
  add(
    cost: number,
    accuracy: number,
    validationCost: number,
    validationAccuracy: number,
    updates: number,
    examples: number,
    seconds: number,
    elapsedSeconds: number,
  ): void {
    const rows = this.rows;
    const i = rows.add();
    const r = rows.block(i);
    const o = rows.at(i);
    r[o] = cost;
    if (this.accuracy) r[o + 1] = accuracy;
    const runs = this.runs;
    let k = runs.length - 1;
    let u = k >= 0 ? runs.block(k) : r;
    let q = k >= 0 ? runs.at(k) : 0;
    const continues =
      k >= 0 &&
      Object.is(u[q + 1], validationCost) &&
      Object.is(u[q + 2], validationAccuracy) &&
      Object.is(u[q + 3], updates) &&
      Object.is(u[q + 4], examples) &&
      Object.is(u[q + 5], seconds) &&
      Object.is(this.lastElapsed + seconds, elapsedSeconds);
    if (!continues) {
      k = runs.add();
      u = runs.block(k);
      q = runs.at(k);
      u[q] = i;
      u[q + 1] = validationCost;
      u[q + 2] = validationAccuracy;
      u[q + 3] = updates;
      u[q + 4] = examples;
      u[q + 5] = seconds;
      u[q + 6] = elapsedSeconds;
    }
    this.lastElapsed = elapsedSeconds;
    this.length++;
  }

  /**
   * Appends the `count` epochs of one call of the small-network kernel: epoch
   * e's cost and accuracy from `cost(e)` and `accuracy(e)`, the other fields
   * shared, the elapsed seconds growing by `seconds` from `elapsedBefore` as
   * {@link add} would add them one by one (the same rows, to the bit). Returns
   * the elapsed seconds of the last.
   */
  addEpochs(
    count: number,
    cost: (e: number) => number,
    accuracy: (e: number) => number,
    updates: number,
    examples: number,
    seconds: number,
    elapsedBefore: number,
  ): number {
    if (count <= 0) return elapsedBefore;
    let elapsed = elapsedBefore + seconds;
    // The first goes through add, which starts a run or goes on with one; the rest go on with it.
    this.add(cost(0), accuracy(0), Number.NaN, Number.NaN, updates, examples, seconds, elapsed);
    const rows = this.rows;
    const both = this.accuracy;
    for (let e = 1; e < count; e++) {
      const i = rows.add();
      const r = rows.block(i);
      const o = rows.at(i);
      r[o] = cost(e);
      if (both) r[o + 1] = accuracy(e);
      elapsed += seconds;
    }
    this.length += count - 1;
    this.lastElapsed = elapsed;
    return elapsed;
  }

  /** Appends `info` (an epoch's record as an object), keeping the object itself when the log is read. */
  addRecord(given: EpochInfo): void {
    // Records of older checkpoints have no rates: those of the run then.
    const info = given.learningRate ? given : { ...given, learningRate: this.currentRates() };
    if (!sameRates(info.learningRate, this.currentRates())) this.setRates(info.learningRate);
    this.add(
      info.cost,
      info.accuracy ?? Number.NaN,
      info.validationCost ?? Number.NaN,
      info.validationAccuracy ?? Number.NaN,
      info.updates,
      info.examples,
      info.seconds,
      info.elapsedSeconds,
    );
    if (this.records.length === this.length - 1) this.records.push(info);
  }

  /** Record `i` (from 0) as a new object. */
  record(i: number): EpochInfo {
    const r = this.rows.block(i);
    const o = this.rows.at(i);
    const epoch = i + 1;
    const cost = r[o];
    const k = this.runOf(i);
    const runs = this.runs.block(k);
    const q = this.runs.at(k);
    const updates = runs[q + 3];
    const examples = runs[q + 4];
    const seconds = runs[q + 5];
    // The elapsed seconds added up as they were when the rows were added, from
    // the run's first row or from the last row worked out in this run.
    const from = runs[q];
    let row = from;
    let elapsedSeconds = runs[q + 6];
    if (this.replayRow >= from && this.replayRow <= i) {
      row = this.replayRow;
      elapsedSeconds = this.replayElapsed;
    }
    for (; row < i; row++) elapsedSeconds += seconds;
    this.replayRow = i;
    this.replayElapsed = elapsedSeconds;
    const learningRate = this.ratesOf(i);
    // One literal per shape, fields in the order the trainer has always given them.
    if (this.validation) {
      return this.accuracy
        ? {
            epoch,
            cost,
            accuracy: r[o + 1],
            updates,
            examples,
            seconds,
            elapsedSeconds,
            learningRate,
            validationCost: runs[q + 1],
            validationAccuracy: runs[q + 2],
          }
        : {
            epoch,
            cost,
            updates,
            examples,
            seconds,
            elapsedSeconds,
            learningRate,
            validationCost: runs[q + 1],
          };
    }
    return this.accuracy
      ? { epoch, cost, accuracy: r[o + 1], updates, examples, seconds, elapsedSeconds, learningRate }
      : { epoch, cost, updates, examples, seconds, elapsedSeconds, learningRate };
  }

  /** The run that row `i` belongs to: the last whose first row is at or before it. */
  private runOf(i: number): number {
    const runs = this.runs;
    let lo = 0;
    let hi = runs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (runs.block(mid)[runs.at(mid)] <= i) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** The last record as a new object, or null before the first epoch. */
  last(): EpochInfo | null {
    return this.length === 0 ? null : this.record(this.length - 1);
  }

  /** Every record as an object: the same array each time, grown by the records added since. */
  all(): EpochInfo[] {
    const records = this.records;
    for (let i = records.length; i < this.length; i++) records.push(this.record(i));
    return records;
  }

  /** Forgets every record. */
  clear(): void {
    this.length = 0;
    this.rows.clear();
    this.runs.clear();
    this.lastElapsed = 0;
    this.replayRow = -1;
    this.records.length = 0;
    this.rateFrom.length = 0;
    this.rates.length = 0;
  }
}

function sameRates(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}
