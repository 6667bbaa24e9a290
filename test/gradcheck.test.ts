import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ACTIVATION_NAMES, type ActivationName, registerActivation } from '../src/activations.js';
import { jsBackend } from '../src/backend/index.js';
import { formatGradientCheck, gradientCheck } from '../src/gradcheck.js';
import { LOSS_NAMES, type LossName, REDUCTIONS } from '../src/losses.js';
import { Network } from '../src/network.js';
import { ROOT, runCli } from './fixtures/cli/run.js';

const X = [
  [0.1, -0.5, 0.3],
  [0.7, 0.2, -0.9],
  [-0.3, 0.8, 0.05],
  [0.4, 0.45, 0.35],
];
const CLASSES = [
  [1, 0],
  [0, 1],
  [1, 0],
  [0, 1],
];
const NUMBERS = [
  [0.3, -1.2],
  [1.5, 0.4],
  [-0.7, 0.9],
  [0.2, 0.1],
];

const net = (hidden: ActivationName, output: ActivationName, seed = 3) =>
  new Network({
    inputs: 3,
    layers: [
      { units: 4, activation: hidden },
      { units: 3, activation: hidden },
      { units: 2, activation: output },
    ],
    seed,
    dtype: 'float64',
  });

describe('gradientCheck passes on the built-ins', () => {
  for (const hidden of ACTIVATION_NAMES) {
    it(`every layer agrees with finite differences: ${hidden} hidden layers, softmax + cross-entropy`, () => {
      const result = gradientCheck(net(hidden, 'softmax'), X, CLASSES);
      expect(result.layers.map((l) => l.passed)).toEqual([true, true, true]);
      expect(result.passed).toBe(true);
      expect(result.culprit).toBeNull();
    });
  }

  const fits: Record<LossName, ActivationName[]> = {
    squared: ['linear', 'tanh', 'sigmoid', 'softmax'],
    'half-squared': ['linear', 'sigmoid', 'softplus'],
    'binary-cross-entropy': ['sigmoid', 'softmax'],
    'cross-entropy': ['softmax', 'sigmoid'],
  };
  for (const loss of LOSS_NAMES) {
    for (const output of fits[loss]) {
      for (const reduction of REDUCTIONS) {
        it(`${loss} (${reduction}) on a ${output} output`, () => {
          const targets = loss.includes('entropy') || output === 'softmax' ? CLASSES : NUMBERS;
          const result = gradientCheck(net('tanh', output, 7), X, targets, { loss, reduction });
          expect(result.passed, formatGradientCheck(result)).toBe(true);
          expect(Math.max(...result.layers.map((l) => l.worst.relativeError))).toBeLessThan(1e-5);
        });
      }
    }
  }
});

describe('gradientCheck catches a wrong derivative', () => {
  // psi(v) = v^3 / 3 + v, whose derivative is v^2 + 1; the wrong one forgets the 1.
  const psi = (v: number) => v ** 3 / 3 + v;
  it('passes on a registered activation whose psi is right', () => {
    const good = registerActivation({ name: 'cubic-good', psi, derivative: (v) => v * v + 1 });
    const n = new Network({
      inputs: 3,
      layers: [
        { units: 4, activation: 'tanh' },
        { units: 3, activation: good },
        { units: 2, activation: 'softmax' },
      ],
      seed: 5,
      dtype: 'float64',
      backend: jsBackend,
    });
    expect(gradientCheck(n, X, CLASSES).passed).toBe(true);
  });

  it("fails naming the layer of a registered activation whose psi' is wrong", () => {
    const bad = registerActivation({ name: 'cubic-bad', psi, derivative: (v) => v * v });
    const n = new Network({
      inputs: 3,
      layers: [
        { units: 4, activation: 'tanh' },
        { units: 3, activation: bad },
        { units: 2, activation: 'softmax' },
      ],
      seed: 5,
      dtype: 'float64',
      backend: jsBackend,
    });
    const result = gradientCheck(n, X, CLASSES);
    expect(result.passed).toBe(false);
    expect(result.culprit).toBe(2);
    expect(result.layers.map((l) => l.passed)).toEqual([false, false, true]);
    expect(result.layers[1].worst.relativeError).toBeGreaterThan(1e-3);
    const text = formatGradientCheck(result);
    expect(text).toMatch(/layer 2 \(cubic-bad\): max rel\. error \S+ at dJ\/dw\^\(2\)_\d,\d .* FAIL/);
    expect(text).toMatch(/Verdict: FAIL in layer 2 .*activation 'cubic-bad'/);
  });

  it('refuses a built-in name', () => {
    expect(() => registerActivation({ name: 'tanh', psi, derivative: psi })).toThrow(/built-in activation/);
  });
});

describe('backprop gradcheck', () => {
  it('checks an iris network on its own preprocessing and prints a verdict per layer', async () => {
    const { tempDir } = await import('./fixtures/cli/run.js');
    const { dir, cleanup } = await tempDir('backprop-gradcheck-');
    try {
      const model = join(dir, 'iris.json');
      const iris = join(ROOT, 'data/iris.csv');
      const trained = await runCli([
        'train',
        iris,
        '--target',
        'species',
        '--hidden',
        '6',
        '--epochs',
        '2',
        '--out',
        model,
        '--quiet',
      ]);
      expect(trained.code, trained.stderr).toBe(0);
      const run = await runCli(['gradcheck', '--model', model, '--data', iris]);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/layer 1 \(relu\): max rel\. error \S+ at dJ\/dw\^\(1\)_\d,\d .* ok/);
      expect(run.stdout).toMatch(/layer 2 \(softmax\).* ok/);
      expect(run.stdout).toMatch(/Verdict: PASS/);
      const json = await runCli(['gradcheck', '--model', model, '--data', iris, '--rows', '10', '--json']);
      expect(JSON.parse(json.stdout)).toMatchObject({ passed: true, loss: 'cross-entropy', culprit: null });
      const bad = await runCli([
        'gradcheck',
        '--model',
        model,
        '--data',
        iris,
        '--target',
        'petal_width,nope,sepal_length',
      ]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/column 'nope'/);
    } finally {
      await cleanup();
    }
  }, 120_000);
});
