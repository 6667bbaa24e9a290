/**
 * One pass over the rows of a CSV file that learns what each column holds: how
 * many cells are numbers, their mean, spread, minimum and maximum (Welford's
 * running formulas, so a file streamed once gives exact statistics in constant
 * memory), and the distinct text values up to a cap. Column types, class labels,
 * one-hot categories and scaling statistics are all read off these profiles.
 *
 * @module
 */

/** Distinct values kept per column; a column with more is not categorical. */
export const MAX_CATEGORIES = 1000;

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const NON_FINITE = /^[+-]?(nan|inf|infinity)$/i;

/**
 * Reads a cell as a number: a decimal or exponent form such as `-1.5e3`, with
 * surrounding spaces allowed. Returns `undefined` for text, `NaN` for the
 * spellings of NaN and infinity (which the data must not hold), else the value.
 */
export function parseCell(cell: string): number | undefined {
  const s = cell.trim();
  if (NUMBER.test(s)) {
    const x = Number(s);
    return Number.isFinite(x) ? x : Number.NaN; // 1e999 overflows: not finite either
  }
  if (NON_FINITE.test(s)) return Number.NaN;
  return undefined;
}

/** A cell's place, for messages. */
export interface CellRef {
  line: number;
  value: string;
}

/** What one column holds, accumulated row by row. */
export class ColumnProfile {
  /** Non-blank cells. */
  count = 0;
  /** Cells that are finite numbers. */
  numbers = 0;
  /** Running mean of the numbers (Welford). */
  mean = 0;
  /** Running sum of squared deviations from the mean (Welford). */
  m2 = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  /** First cell that is not a number. */
  firstText?: CellRef;
  /** First NaN or infinity. */
  firstNonFinite?: CellRef;
  /** First blank cell. */
  firstBlank?: CellRef;
  /** Cells that are text (not numbers, not NaN/infinity). */
  texts = 0;
  /**
   * Distinct trimmed values and how often each occurs; `undefined` once over
   * {@link MAX_CATEGORIES}, or when not counted (see `NumberProfiler`).
   */
  values: Map<string, number> | undefined = new Map();

  constructor(readonly name: string) {}

  /** Takes one cell of this column from row `line`. */
  add(cell: string, line: number): void {
    const s = cell.trim();
    if (this.values !== undefined) {
      this.values.set(s, (this.values.get(s) ?? 0) + 1);
      if (this.values.size > MAX_CATEGORIES) this.values = undefined;
    }
    if (s === '') {
      this.firstBlank ??= { line, value: cell };
      return;
    }
    this.count++;
    const x = parseCell(s);
    if (x === undefined) {
      this.texts++;
      this.firstText ??= { line, value: cell };
    } else if (Number.isNaN(x)) {
      this.firstNonFinite ??= { line, value: cell };
    } else {
      this.numbers++;
      const d = x - this.mean;
      this.mean += d / this.numbers;
      this.m2 += d * (x - this.mean);
      if (x < this.min) this.min = x;
      if (x > this.max) this.max = x;
    }
  }

  /** Population standard deviation of the numbers. */
  get std(): number {
    return this.numbers > 0 ? Math.sqrt(this.m2 / this.numbers) : 0;
  }

  /**
   * `number` when every non-blank cell is a number (or NaN/infinity, which a reader
   * then rejects); `text` when most cells are text. A column that is mostly
   * numbers with a few text cells is `number`, so that its reader reports the
   * first bad cell rather than silently one-hot encoding it.
   */
  get kind(): 'number' | 'text' {
    return this.texts * 2 > this.count ? 'text' : 'number';
  }

  /** Distinct values in a stable order: numerically when all are numbers, else by code points. */
  sortedValues(): string[] | undefined {
    if (this.values === undefined) return undefined;
    const keys = [...this.values.keys()];
    const nums = keys.map((k) => parseCell(k));
    if (nums.every((x) => x !== undefined && !Number.isNaN(x))) {
      return keys
        .map((k, i) => [k, nums[i] as number] as const)
        .sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
        .map((p) => p[0]);
    }
    return keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }
}

/** Profiles of every column of a header, fed one row at a time. */
export class TableProfile {
  readonly columns: ColumnProfile[];
  rows = 0;
  constructor(readonly header: readonly string[]) {
    this.columns = header.map((name) => new ColumnProfile(name));
  }

  /** Takes one data row (as long as the header) from line `line`. */
  add(row: readonly string[], line: number): void {
    this.rows++;
    for (let j = 0; j < this.columns.length; j++) this.columns[j].add(row[j], line);
  }

  /** The profile of a column by name. */
  get(name: string): ColumnProfile {
    const p = this.columns.find((c) => c.name === name);
    if (p === undefined) throw new Error(`no column '${name}'`);
    return p;
  }
}

/** Profiles the given rows (all of them, or those at `indices`). */
export function profileRows(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  lines: readonly number[],
  indices?: ArrayLike<number>,
): TableProfile {
  const profile = new TableProfile(header);
  if (indices === undefined) for (let i = 0; i < rows.length; i++) profile.add(rows[i], lines[i]);
  else for (let k = 0; k < indices.length; k++) profile.add(rows[indices[k]], lines[indices[k]]);
  return profile;
}
