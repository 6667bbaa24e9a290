/**
 * The record of every epoch of a training run, kept as rows of numbers in one
 * growing typed array and turned into {@link EpochInfo} objects when read. An
 * object per epoch kept alive for the whole run costs a garbage-collected
 * allocation that is dear next to an epoch of XOR (four updates, about a
 * microsecond); a row of numbers costs nothing to the collector.
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

/** Per-epoch records of one trainer; every row has the same fields. */
export class EpochLog {
  /** Epochs recorded. */
  length = 0;
  private rows = new Float64Array(WIDTH * 64);
  /** The rows made into objects so far (the first `records.length` rows). */
  private readonly records: EpochInfo[] = [];

  /**
   * @param accuracy whether records carry accuracies (classification)
   * @param validation whether records carry the validation cost (and accuracy)
   */
  constructor(
    private readonly accuracy: boolean,
    private readonly validation: boolean,
  ) {}

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
    if ((this.length + 1) * WIDTH > this.rows.length) {
      const grown = new Float64Array(this.rows.length * 2);
      grown.set(this.rows);
      this.rows = grown;
    }
    const r = this.rows;
    const o = this.length * WIDTH;
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
  addRecord(info: EpochInfo): void {
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
    const r = this.rows;
    const o = i * WIDTH;
    const epoch = i + 1;
    const cost = r[o];
    const updates = r[o + 4];
    const examples = r[o + 5];
    const seconds = r[o + 6];
    const elapsedSeconds = r[o + 7];
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
            validationCost: r[o + 2],
            validationAccuracy: r[o + 3],
          }
        : { epoch, cost, updates, examples, seconds, elapsedSeconds, validationCost: r[o + 2] };
    }
    return this.accuracy
      ? { epoch, cost, accuracy: r[o + 1], updates, examples, seconds, elapsedSeconds }
      : { epoch, cost, updates, examples, seconds, elapsedSeconds };
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
  }
}
