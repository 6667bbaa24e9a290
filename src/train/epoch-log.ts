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

// Row layout: cost, accuracy, validation cost, validation accuracy, updates,
// examples, seconds, elapsed seconds.
const WIDTH = 8;
// Rows per block. Blocks are added, never grown: a grown array copies every row
// into fresh memory, and on a run of XOR's four-update epochs writing fresh
// memory (the system's page faults) costs as much as the updates.
const BLOCK_SHIFT = 9;
const BLOCK_ROWS = 1 << BLOCK_SHIFT;

/** Per-epoch records of one trainer; every row has the same fields. */
export class EpochLog {
  /** Epochs recorded. */
  length = 0;
  private readonly blocks: Float64Array[] = [];
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
  ) {}

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
    const b = this.length >> BLOCK_SHIFT;
    if (b === this.blocks.length) this.blocks.push(new Float64Array(WIDTH * BLOCK_ROWS));
    const r = this.blocks[b];
    const o = (this.length & (BLOCK_ROWS - 1)) * WIDTH;
    r[o] = cost;
    r[o + 1] = accuracy;
    r[o + 2] = validationCost;
    r[o + 3] = validationAccuracy;
    r[o + 4] = updates;
    r[o + 5] = examples;
    r[o + 6] = seconds;
    r[o + 7] = elapsedSeconds;
    this.length++;
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
    const r = this.blocks[i >> BLOCK_SHIFT];
    const o = (i & (BLOCK_ROWS - 1)) * WIDTH;
    const epoch = i + 1;
    const cost = r[o];
    const updates = r[o + 4];
    const examples = r[o + 5];
    const seconds = r[o + 6];
    const elapsedSeconds = r[o + 7];
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
            validationCost: r[o + 2],
            validationAccuracy: r[o + 3],
          }
        : {
            epoch,
            cost,
            updates,
            examples,
            seconds,
            elapsedSeconds,
            learningRate,
            validationCost: r[o + 2],
          };
    }
    return this.accuracy
      ? { epoch, cost, accuracy: r[o + 1], updates, examples, seconds, elapsedSeconds, learningRate }
      : { epoch, cost, updates, examples, seconds, elapsedSeconds, learningRate };
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
