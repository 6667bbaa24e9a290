/**
 * The library's own elementary functions: within a few units in the last place
 * of the engine's Math functions, with their special values.
 */
import { describe, expect, it } from 'vitest';
import { cos, exp, expm1, log, log1p, powInt, sin, tanh } from '../src/math.js';
import { Random } from '../src/random.js';

const bits = new Float64Array(2);
const ints = new BigInt64Array(bits.buffer);

/** Distance in units in the last place between two finite doubles of the same sign. */
function ulps(a: number, b: number): number {
  if (Object.is(a, b)) return 0;
  bits[0] = a;
  bits[1] = b;
  const d = ints[0] - ints[1];
  return Number(d < 0n ? -d : d);
}

const cases: {
  name: 'exp' | 'log' | 'expm1' | 'log1p' | 'tanh' | 'sin' | 'cos';
  ranges: [number, number][];
  max: number;
}[] = [
  {
    name: 'exp',
    ranges: [
      [-745, 709],
      [-1, 1],
      [-1e-6, 1e-6],
      [-40, 40],
    ],
    max: 1,
  },
  {
    name: 'log',
    ranges: [
      [1e-310, 1e-300],
      [1e-6, 2],
      [0.999, 1.001],
      [1, 1e300],
    ],
    max: 1,
  },
  {
    name: 'expm1',
    ranges: [
      [-1, 1],
      [-1e-8, 1e-8],
      [-40, 40],
    ],
    max: 3,
  },
  {
    name: 'log1p',
    ranges: [
      [-0.999, 1],
      [-1e-8, 1e-8],
      [0, 1e8],
    ],
    max: 3,
  },
  {
    name: 'tanh',
    ranges: [
      [-1, 1],
      [-25, 25],
      [-1e-8, 1e-8],
    ],
    max: 8,
  },
  {
    name: 'sin',
    ranges: [
      [-Math.PI, Math.PI],
      [-100, 100],
    ],
    max: 2,
  },
  {
    name: 'cos',
    ranges: [
      [-Math.PI, Math.PI],
      [-100, 100],
    ],
    max: 2,
  },
];

const M = { exp, log, expm1, log1p, tanh, sin, cos, powInt };

describe('bit-exact elementary functions', () => {
  for (const { name, ranges, max } of cases) {
    it(`${name} is within ${max} ulp of Math.${name}`, () => {
      const random = new Random(5);
      for (const [lo, hi] of ranges) {
        for (let i = 0; i < 20000; i++) {
          const x = random.uniform(lo, hi);
          const d = ulps(M[name](x), Math[name](x));
          if (d > max)
            expect.fail(`${name}(${x}) = ${M[name](x)}, Math.${name} gives ${Math[name](x)}: ${d} ulp`);
        }
      }
    });
  }

  it('keeps the special values', () => {
    expect(M.exp(Number.NaN)).toBeNaN();
    expect(M.exp(1000)).toBe(Number.POSITIVE_INFINITY);
    expect(M.exp(-1000)).toBe(0);
    expect(M.exp(0)).toBe(1);
    expect(M.log(0)).toBe(Number.NEGATIVE_INFINITY);
    expect(M.log(-1)).toBeNaN();
    expect(M.log(1)).toBe(0);
    expect(M.log(Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY);
    expect(M.log(5e-324)).toBeCloseTo(-744.44007192138, 9);
    expect(M.expm1(-Number.POSITIVE_INFINITY)).toBe(-1);
    expect(M.expm1(1000)).toBe(Number.POSITIVE_INFINITY);
    expect(M.log1p(-1)).toBe(Number.NEGATIVE_INFINITY);
    expect(M.log1p(Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY);
    expect(M.tanh(-30)).toBe(-1);
    expect(Object.is(M.tanh(-0), -0)).toBe(true);
    expect(M.sin(Number.POSITIVE_INFINITY)).toBeNaN();
  });

  it('computes b^t for whole t by squaring', () => {
    expect(M.powInt(0.9, 0)).toBe(1);
    expect(M.powInt(2, 10)).toBe(1024);
    for (let t = 1; t < 2000; t += 37) expect(Math.abs(M.powInt(0.999, t) - 0.999 ** t)).toBeLessThan(1e-14);
  });
});
