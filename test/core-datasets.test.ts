// The seeded generators of the notes' kinds of examples: shapes, labels, the
// geometry each promises, and the same points for the same seed.
import { describe, expect, it } from 'vitest';
import { BackpropError, datasets } from '../src/index.js';

const { generators } = datasets;
const TWO_D = ['xor', 'circles', 'moons', 'spirals', 'blobs'] as const;

describe('generators', () => {
  for (const name of ['line', ...TWO_D] as const) {
    it(`${name}: n rows of finite numbers, the same for the same seed and others for another`, () => {
      const make = generators[name] as (n: number, o?: { seed?: number; noise?: number }) => datasets.Dataset;
      const a = make(60, { seed: 4, noise: 0.1 });
      expect(a.inputs).toHaveLength(60);
      expect(a.targets).toHaveLength(60);
      expect(a.inputs.every((r) => r.length === a.inputColumns.length && r.every(Number.isFinite))).toBe(
        true,
      );
      expect(a.targets.every((r) => r.length === a.targetColumns.length && r.every(Number.isFinite))).toBe(
        true,
      );
      expect(make(60, { seed: 4, noise: 0.1 })).toEqual(a);
      expect(make(60, { seed: 5, noise: 0.1 }).inputs).not.toEqual(a.inputs);
      expect(() => make(0)).toThrow(BackpropError);
    });
  }

  it('two-class sets have one 0/1 target column and balanced labels', () => {
    for (const name of ['circles', 'moons', 'spirals'] as const) {
      const set = generators[name](100, { seed: 1 });
      expect(set.targetColumns).toHaveLength(1);
      expect(set.targets.map((r) => r[0])).toEqual(set.labels);
      expect(set.labels!.filter((l) => l === 1)).toHaveLength(50);
    }
  });

  it('xor without noise is the truth table', () => {
    const set = datasets.xor(4);
    expect(set.inputs).toEqual([
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
    ]);
    expect(set.targets).toEqual([[0], [1], [1], [0]]);
  });

  it('circles without noise lie on radius 1 (class 0) and radius factor (class 1)', () => {
    const set = datasets.circles(40, { noise: 0, factor: 0.3 });
    set.inputs.forEach(([a, b], i) => {
      expect(Math.hypot(a, b)).toBeCloseTo(set.labels![i] === 1 ? 0.3 : 1, 12);
    });
  });

  it('the line without noise is y = slope x + intercept', () => {
    const set = datasets.line(30, { noise: 0, slope: -1.5, intercept: 0.25 });
    set.inputs.forEach(([x], i) => {
      expect(x).toBeGreaterThanOrEqual(-1);
      expect(x).toBeLessThanOrEqual(1);
      expect(set.targets[i][0]).toBeCloseTo(-1.5 * x + 0.25, 14);
    });
  });

  it('blobs with k > 2 centres give one-hot targets around k centres on the circle', () => {
    const set = datasets.blobs(300, { centers: 4, noise: 0.1, seed: 2 });
    expect(set.targetColumns).toHaveLength(4);
    expect(set.targets.every((r) => r.reduce((s, v) => s + v, 0) === 1)).toBe(true);
    for (let k = 0; k < 4; k++) {
      const members = set.inputs.filter((_, i) => set.labels![i] === k);
      const mean = [0, 1].map((c) => members.reduce((s, p) => s + p[c], 0) / members.length);
      expect(mean[0]).toBeCloseTo(Math.cos((2 * Math.PI * k) / 4), 1);
      expect(mean[1]).toBeCloseTo(Math.sin((2 * Math.PI * k) / 4), 1);
    }
    expect(() => datasets.blobs(10, { centers: 1 })).toThrow(/^centers: expected at least 2, got 1$/);
  });
});
