/**
 * Numbers for a learner who checks the arithmetic by hand: each line of the
 * explain panel shows its operands with as many digits as it takes for the
 * line, computed from the numbers as printed, to give the printed result.
 * "0.1 · (1 − 0.9999) = 6.047 × 10⁻⁶" would look wrong; "0.1 · (1 − 0.99993953)
 * = 6.047 × 10⁻⁶" checks. Pure, so Node tests can hold it to that.
 *
 * @module
 */

/** Significant digits of a result. */
export const RESULT_DIGITS = 4;

/** `x` rounded to `p` significant digits, as a number. */
export function roundTo(x: number, p: number): number {
  return Number.isFinite(x) && x !== 0 ? Number(x.toPrecision(p)) : x;
}

/** TeX for `x` with `p` significant digits (trailing zeros dropped), exponent form when tiny or huge. */
export function numTex(x: number, p = RESULT_DIGITS): string {
  if (!Number.isFinite(x)) return x > 0 ? '\\infty' : x < 0 ? '-\\infty' : '\\text{NaN}';
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a < 1e-4 || a >= 1e5) {
    const [m, e] = x.toExponential(p - 1).split('e');
    return `${Number(m)}\\times 10^{${Number(e)}}`;
  }
  return String(Number(x.toPrecision(p)));
}

/**
 * The fewest significant digits p (at least {@link RESULT_DIGITS}, at most 17)
 * such that `f` of the operands rounded to p digits, rounded to `q` digits,
 * is `result` rounded to `q` digits: the precision at which the line checks.
 */
export function digitsThatCheck(
  operands: readonly number[],
  f: (o: readonly number[]) => number,
  result: number,
  q = RESULT_DIGITS,
): number {
  const want = roundTo(result, q);
  for (let p = Math.max(RESULT_DIGITS, q); p < 17; p++) {
    if (roundTo(f(operands.map((x) => roundTo(x, p))), q) === want) return p;
  }
  return 17;
}

/** The operands as TeX at the precision where the line checks, and the result at `q` digits. */
export function checked(
  operands: readonly number[],
  f: (o: readonly number[]) => number,
  result: number,
  q = RESULT_DIGITS,
): { ops: string[]; result: string; digits: number } {
  const p = digitsThatCheck(operands, f, result, q);
  return { ops: operands.map((x) => numTex(x, p)), result: numTex(result, q), digits: p };
}

/** A factor in a product or after a minus sign: negative numbers in parentheses. */
export function parTex(tex: string): string {
  return tex.startsWith('-') ? `(${tex})` : tex;
}
