// The activation and loss records are the one authority for fused pairs,
// output ranges, classification, TeX forms and the kernels' codes.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import katex from 'katex';
import { describe, expect, it } from 'vitest';
import { ACTIVATION_NAMES, activation, isBounded, outputRange } from '../src/activations.js';
import { ACTIVATION_CODES, LOSS_CODES } from '../src/backend/codes.js';
import { classIndex, classTargets, countCorrect, isClassification } from '../src/classification.js';
import { fusedPair, LOSS_NAMES, loss } from '../src/losses.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

describe('fused pairs', () => {
  it('are sigmoid with binary cross-entropy and softmax with cross-entropy, as fusedWith says', () => {
    const pairs = LOSS_NAMES.flatMap((l) =>
      ACTIVATION_NAMES.filter((a) => fusedPair(l, a)).map((a) => `${l}+${a}`),
    );
    expect(pairs).toEqual(['binary-cross-entropy+sigmoid', 'cross-entropy+softmax']);
    for (const l of LOSS_NAMES)
      for (const a of ACTIVATION_NAMES) expect(fusedPair(l, a)).toBe(loss(l).fusedWith === a);
  });
});

describe('output ranges', () => {
  const grid = Array.from({ length: 2001 }, (_, i) => -40 + i * 0.04);

  it('hold every value of psi, and the finite bounds are reached or approached', () => {
    for (const name of ACTIVATION_NAMES) {
      if (activation(name).rowwise) continue;
      const [lo, hi] = outputRange(name);
      const values = grid.map((v) => activation(name).psi(v));
      const min = Math.min(...values);
      const max = Math.max(...values);
      expect(min, name).toBeGreaterThanOrEqual(lo);
      expect(max, name).toBeLessThanOrEqual(hi);
      if (Number.isFinite(lo)) expect(min - lo, name).toBeLessThan(1e-4);
      if (Number.isFinite(hi)) expect(hi - max, name).toBeLessThan(1e-4);
      if (!Number.isFinite(hi)) expect(max, name).toBeGreaterThan(30);
      if (!Number.isFinite(lo)) expect(min, name).toBeLessThan(-0.3);
    }
  });

  it('are bounded on both sides for sigmoid, tanh and softmax only', () => {
    expect(ACTIVATION_NAMES.filter(isBounded)).toEqual(['sigmoid', 'tanh', 'softmax']);
    expect(outputRange('softmax')).toEqual([0, 1]);
  });
});

describe('classification', () => {
  it('is a loss with class targets or a softmax output', () => {
    expect(isClassification('cross-entropy', 'softmax')).toBe(true);
    expect(isClassification('binary-cross-entropy', 'sigmoid')).toBe(true);
    expect(isClassification('squared', 'softmax')).toBe(true);
    expect(isClassification('squared', 'sigmoid')).toBe(false);
    expect(isClassification('half-squared', 'linear')).toBe(false);
    expect(classTargets('cross-entropy')).toBe(true);
    expect(classTargets('mse')).toBe(false);
    expect(classTargets('sse')).toBe(false);
    expect(classTargets(undefined)).toBe(false);
    expect(classTargets('no-such-loss')).toBe(false);
  });

  it('names the class of a row: y >= 0.5 for one output, the first largest otherwise', () => {
    expect(classIndex([0.5], 0, 1)).toBe(1);
    expect(classIndex([0.4999], 0, 1)).toBe(0);
    expect(classIndex([9, 0.1, 0.7, 0.7, 0.2], 1, 4)).toBe(1);
    expect(classIndex(new Float32Array([0.3, 0.3, 0.1]), 0, 3)).toBe(0);
  });

  it('counts right answers row by row', () => {
    const y = new Float64Array([0.1, 0.9, 0.8, 0.2, 0.4, 0.6]);
    const d = new Float64Array([0, 1, 0, 1, 0, 1]);
    expect(countCorrect(y, d, 2, 3)).toBe(2);
    expect(countCorrect(y, d, 2, 1)).toBe(1);
    expect(countCorrect([0.7, 0.2, 0.5], [1, 1, 0], 1, 3)).toBe(1);
  });
});

describe('TeX forms', () => {
  const render = (s: string) => katex.renderToString(s, { throwOnError: true });

  it('of every activation and loss typeset without error', () => {
    for (const name of ACTIVATION_NAMES) {
      const { tex } = activation(name);
      for (const s of [tex.symbol, tex.psi, tex.derivative]) {
        expect(s, name).not.toBe('');
        expect(() => render(s), `${name}: ${s}`).not.toThrow();
      }
    }
    for (const name of LOSS_NAMES) {
      expect(loss(name).tex).toMatch(/d_k/);
      expect(() => render(loss(name).tex), name).not.toThrow();
    }
  });
});

describe('kernel codes', () => {
  const generated = readFileSync(join(root, 'assembly/codes.generated.ts'), 'utf8');
  const constant = (name: string) => name.toUpperCase().replaceAll('-', '_');

  it('are one distinct code per name', () => {
    expect(Object.keys(ACTIVATION_CODES).sort()).toEqual([...ACTIVATION_NAMES].sort());
    expect(Object.keys(LOSS_CODES).sort()).toEqual([...LOSS_NAMES].sort());
    expect(new Set(Object.values(ACTIVATION_CODES)).size).toBe(ACTIVATION_NAMES.length);
    expect(new Set(Object.values(LOSS_CODES)).size).toBe(LOSS_NAMES.length);
  });

  it('in assembly/codes.generated.ts match src/backend/codes.ts and the fused pairs (npm run build:wasm)', () => {
    const written = Object.fromEntries(
      [...generated.matchAll(/export const (\w+): i32 = (\d+);/g)].map((m) => [m[1], Number(m[2])]),
    );
    const expected = Object.fromEntries(
      [...Object.entries(ACTIVATION_CODES), ...Object.entries(LOSS_CODES)].map(([n, c]) => [constant(n), c]),
    );
    expect(written).toEqual(expected);
    const pairs = [...generated.matchAll(/loss == (\w+) && act == (\w+)/g)].map((m) => `${m[1]}+${m[2]}`);
    expect(pairs).toEqual(
      LOSS_NAMES.filter((l) => loss(l).fusedWith).map(
        (l) => `${constant(l)}+${constant(loss(l).fusedWith!)}`,
      ),
    );
  });

  it('leave no bare code in the kernels: activations and losses are compared by name', () => {
    for (const file of ['assembly/index.ts', 'assembly/small.ts']) {
      const text = readFileSync(join(root, file), 'utf8');
      expect(text.match(/\b(act|loss|lastAct)\s*[=!]=\s*\d/g), file).toBeNull();
      // elementary() picks a test's elementary function by number, not an activation.
      const kernels = text.replace(/export function elementary[\s\S]*?\n}\n/, '');
      expect(kernels.match(/case \d+:/g), file).toBeNull();
    }
  });
});
