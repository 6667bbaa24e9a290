// Dropout: the trainer's updates against a hand-applied mask in each mode, the
// gradient with a fixed mask against central differences, dropout off outside
// training, reproducibility, and the layer spec through the model file and a
// checkpoint.
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dropoutRandom } from '../src/dropout.js';
import { formatExplain, formatExplainAs, jsBackend, Network, Trainer } from '../src/index.js';
import { backward, createGradients, createWorkspace, forward, freeWorkspace } from '../src/propagation.js';
import type { Random } from '../src/random.js';
import { ROOT, runCli, tempDir } from './fixtures/cli/run.js';
import { centralDifference, expectClose, flatParams, lcg, randomRows } from './support/core.js';
import { findPython } from './support/python.js';

const P = [0.3, 0.5];
const spec = () => ({
  inputs: 3,
  layers: [
    { units: 5, activation: 'tanh' as const, dropout: P[0] },
    { units: 4, activation: 'sigmoid' as const, dropout: P[1] },
    { units: 2, activation: 'linear' as const },
  ],
  seed: 7,
  dtype: 'float64' as const,
  backend: jsBackend,
});
const next = lcg(3);
const X = randomRows(next, 10, 3);
const T = randomRows(next, 10, 2);

type Plain = { w: number[][]; b: number[] }[];
const dpsi: Record<string, (out: number) => number> = {
  tanh: (o) => 1 - o * o,
  sigmoid: (o) => o * (1 - o),
  linear: () => 1,
};
const psi: Record<string, (v: number) => number> = {
  tanh: Math.tanh,
  sigmoid: (v) => 1 / (1 + Math.exp(-v)),
  linear: (v) => v,
};
const acts = ['tanh', 'sigmoid', 'linear'];

/** The masks of one update of `rows` examples as the documented order draws them: layer by layer, row-major. */
function handMasks(random: Random, rows: number): number[][][] {
  return [0, 1, 2].map((n) =>
    n === 2
      ? Array.from({ length: rows }, () => [1, 1])
      : Array.from({ length: rows }, () =>
          Array.from({ length: spec().layers[n].units }, () =>
            random.uint32() < P[n] * 2 ** 32 ? 0 : 1 / (1 - P[n]),
          ),
        ),
  );
}

/**
 * One plain gradient-descent step, written out by hand on arrays: the forward
 * pass with the mask applied after psi, half-squared loss with the mean, and
 * delta^(n)_i = psi'(v_i) m_i/(1-p) sum_j delta^(n+1)_j w_ij.
 */
function handStep(net: Plain, xs: number[][], ts: number[][], masks: number[][][], eta: number): void {
  const scale = 1 / xs.length;
  const gw = net.map((l) => l.w.map((row) => row.map(() => 0)));
  const gb = net.map((l) => l.b.map(() => 0));
  xs.forEach((x, r) => {
    const inputs: number[][] = [];
    const outs: number[][] = [];
    let a = x;
    for (let n = 0; n < net.length; n++) {
      inputs.push(a);
      const out = net[n].b.map((b, i) =>
        psi[acts[n]](b + a.reduce((s, am, m) => s + am * net[n].w[m][i], 0)),
      );
      outs.push(out);
      a = out.map((o, i) => o * masks[n][r][i]);
    }
    let delta = a.map((y, k) => scale * (ts[r][k] - y));
    for (let n = net.length - 1; n >= 0; n--) {
      for (let m = 0; m < inputs[n].length; m++)
        for (let i = 0; i < delta.length; i++) gw[n][m][i] += inputs[n][m] * delta[i];
      for (let i = 0; i < delta.length; i++) gb[n][i] += delta[i];
      if (n > 0) {
        const d = delta;
        delta = outs[n - 1].map(
          (o, i) =>
            dpsi[acts[n - 1]](o) * masks[n - 1][r][i] * d.reduce((s, dj, j) => s + dj * net[n].w[i][j], 0),
        );
      }
    }
  });
  net.forEach((l, n) => {
    for (let m = 0; m < l.w.length; m++) for (let i = 0; i < l.b.length; i++) l.w[m][i] += eta * gw[n][m][i];
    for (let i = 0; i < l.b.length; i++) l.b[i] += eta * gb[n][i];
  });
}

const modes = [
  { mode: 'batch' as const, batch: 10 },
  { mode: 'sequential' as const, batch: 1 },
  { mode: 'minibatch' as const, batch: 4 },
];

describe('dropout against a hand-applied mask', () => {
  for (const { mode, batch } of modes) {
    it(`${mode}: two epochs equal the hand-computed steps to 1e-12`, async () => {
      const net = new Network(spec());
      const plain: Plain = net.getWeights().map((l) => ({ w: l.weights, b: [...l.biases] }));
      const eta = 0.2;
      const options = {
        mode,
        batchSize: mode === 'minibatch' ? batch : undefined,
        loss: 'half-squared' as const,
        reduction: 'mean' as const,
        optimizer: 'sgd' as const,
        learningRate: eta,
        shuffle: false,
        epochs: 2,
        seed: 11,
      };
      const trainer = new Trainer(net, X, T, options);
      expect(trainer.small).toBe(false);
      trainer.run();
      trainer.dispose();
      const random = dropoutRandom(11);
      for (let epoch = 0; epoch < 2; epoch++) {
        for (let start = 0; start < X.length; start += batch) {
          const xs = X.slice(start, start + batch);
          handStep(plain, xs, T.slice(start, start + batch), handMasks(random, xs.length), eta);
        }
      }
      const expected = plain.flatMap((l) => [...l.w.flat(), ...l.b]);
      expectClose(flatParams(net), expected, { rel: 1e-12, abs: 1e-14, what: mode });
      // The masks mattered: without dropout the weights differ.
      const plainNet = new Network({ ...spec(), layers: spec().layers.map((l) => ({ ...l, dropout: 0 })) });
      await plainNet.fit(X, T, options);
      expect(Math.max(...flatParams(plainNet).map((w, i) => Math.abs(w - expected[i])))).toBeGreaterThan(
        1e-3,
      );
    });
  }
});

describe('gradient with a fixed mask', () => {
  it('backpropagation equals central differences of the masked cost', () => {
    const net = new Network(spec());
    const rows = X.length;
    const ws = createWorkspace(net, rows, true);
    const masks = ws.masks as NonNullable<typeof ws.masks>;
    // A fixed mask with a dropped node in each hidden layer and each kept scaled.
    const random = dropoutRandom(5);
    const drawn = handMasks(random, rows);
    masks.forEach((m, n) => {
      m?.data.set(drawn[n].flat());
    });
    expect(drawn[0].flat()).toContain(0);
    expect(drawn[1].flat()).toContain(0);
    const x = jsBackend.matrix(rows, 3, 'float64');
    const t = jsBackend.matrix(rows, 2, 'float64');
    x.data.set(X.flat());
    t.data.set(T.flat());
    const cost = () => {
      const out = forward(net, ws, x);
      let j = 0;
      for (let k = 0; k < out.data.length; k++) j += 0.5 * (t.data[k] - out.data[k]) ** 2;
      return j / rows;
    };
    const grads = createGradients(net);
    cost();
    backward(net, ws, x, t, 'half-squared', 1 / rows, grads);
    // A dropped node's delta is 0.
    const d0 = ws.delta[0].data;
    drawn[0].flat().forEach((m, k) => {
      if (m === 0) expect(Math.abs(d0[k])).toBe(0);
    });
    for (let n = 0; n < net.layers.length; n++) {
      const analytic = [...Array.from(grads.weights[n].data), ...Array.from(grads.biases[n].data)];
      const numeric = [
        ...Array.from(net.layers[n].weights.data, (_, i) =>
          centralDifference(net.layers[n].weights.data, i, 1e-6, cost),
        ),
        ...Array.from(net.layers[n].biases.data, (_, i) =>
          centralDifference(net.layers[n].biases.data, i, 1e-6, cost),
        ),
      ];
      expectClose(analytic, numeric, { rel: 1e-6, abs: 1e-9, what: `layer ${n + 1}` });
    }
    freeWorkspace(jsBackend, ws);
  });
});

describe('dropout is off outside training', () => {
  it('predict, evaluate and validation use every node, unscaled', async () => {
    const net = new Network(spec());
    const same = new Network({ ...spec(), layers: spec().layers.map((l) => ({ ...l, dropout: 0 })) });
    expect(net.predict(X)).toEqual(same.predict(X));
    const trainer = new Trainer(net, X, T, { loss: 'half-squared', optimizer: 'sgd', epochs: 1, seed: 2 });
    const other = new Trainer(same, X, T, { loss: 'half-squared', optimizer: 'sgd', epochs: 1, seed: 2 });
    expect(trainer.evaluate(X, T)).toEqual(other.evaluate(X, T));
    trainer.dispose();
    other.dispose();
    // Validation: the cost after an epoch equals the cost measured by predicting.
    const history = await net.fit(X, T, {
      loss: 'half-squared',
      reduction: 'mean',
      optimizer: 'sgd',
      epochs: 1,
      validationSplit: 0.3,
      seed: 4,
    });
    const val = history.epochs.at(-1)?.validationCost as number;
    const outputs = net.predict(X);
    const costs = outputs.map((y, r) => 0.5 * y.reduce((s, yk, k) => s + (T[r][k] - yk) ** 2, 0));
    // The validation rows are some 3 of the 10; the measured cost is the mean of theirs.
    const found = combinations(costs, 3).some((c) => Math.abs(c - val) < 1e-12);
    expect(found).toBe(true);
  });
});

function combinations(costs: number[], k: number): number[] {
  const sums: number[] = [];
  const go = (start: number, left: number, sum: number) => {
    if (left === 0) {
      sums.push(sum / k);
      return;
    }
    for (let i = start; i < costs.length; i++) go(i + 1, left - 1, sum + costs[i]);
  };
  go(0, k, 0);
  return sums;
}

describe('reproducible dropout', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    it(`${dtype}: the same seed gives the same bits, another seed other weights`, async () => {
      const run = async (seed: number) => {
        const net = new Network({ ...spec(), dtype, backend: undefined });
        await net.fit(X, T, { mode: 'minibatch', batchSize: 3, epochs: 5, seed, optimizer: 'adam' });
        return flatParams(net);
      };
      const a = await run(1);
      expect(await run(1)).toEqual(a);
      expect(await run(2)).not.toEqual(a);
    });
  }
});

describe('the layer spec and checkpoints', () => {
  it('survives a save/load round trip; old files without it load; bad rates are refused', () => {
    const net = new Network(spec());
    const json = net.toJSON();
    expect(json.layers.map((l) => l.dropout)).toEqual([0.3, 0.5, undefined]);
    const back = Network.fromJSON(JSON.parse(JSON.stringify(json)));
    expect(back.layers.map((l) => l.dropout)).toEqual([0.3, 0.5, 0]);
    expect(back.predict(X)).toEqual(net.predict(X));
    const old = { ...json, layers: json.layers.map(({ dropout: _, ...l }) => l) };
    expect(Network.fromJSON(old).layers.map((l) => l.dropout)).toEqual([0, 0, 0]);
    const bad = { ...json, layers: json.layers.map((l, n) => (n === 0 ? { ...l, dropout: 1 } : l)) };
    expect(() => Network.fromJSON(bad)).toThrow(
      /layers\[0\]\.dropout: expected a rate p with 0 <= p < 1, got 1/,
    );
    expect(
      () =>
        new Network({
          ...spec(),
          layers: [
            { units: 2, dropout: 0.1 },
            { units: 1, dropout: 0.2 },
          ],
        }),
    ).toThrow(/layers\[1\]\.dropout: the output layer cannot drop nodes/);
  });

  it('a checkpoint resumes to the bit, the masks included', () => {
    const options = {
      mode: 'minibatch' as const,
      batchSize: 3,
      epochs: 4,
      seed: 9,
      optimizer: 'sgd' as const,
    };
    const whole = new Network(spec());
    const t1 = new Trainer(whole, X, T, options);
    t1.run();
    t1.dispose();
    const part = new Network(spec());
    const t2 = new Trainer(part, X, T, options);
    t2.runEpoch();
    t2.step();
    const cp = JSON.parse(JSON.stringify(t2.checkpoint()));
    t2.dispose();
    expect(cp.dropout).toHaveLength(4);
    const resumed = new Network(spec());
    const t3 = new Trainer(resumed, X, T, options);
    t3.restore(cp);
    t3.run();
    t3.dispose();
    expect(flatParams(resumed)).toEqual(flatParams(whole));
  });
});

describe('explain under dropout', () => {
  const options = { loss: 'half-squared' as const, reduction: 'mean' as const, learningRate: 0.2, seed: 11 };
  it("shows the first training update's masks: dropped nodes pass 0 and have delta 0", async () => {
    const net = new Network(spec());
    const trace = net.explain(X, T, options);
    const drawn = handMasks(dropoutRandom(11), X.length);
    expect(trace.layers[0].mask).toEqual(drawn[0].map((r) => r.map((m) => (m ? 1 : 0))));
    expect(trace.layers[1].mask).toEqual(drawn[1].map((r) => r.map((m) => (m ? 1 : 0))));
    expect(trace.layers[2].mask).toBeUndefined();
    for (const n of [0, 1]) {
      const lt = trace.layers[n];
      lt.mask?.forEach((row, r) => {
        row.forEach((m, i) => {
          const activated = lt.activated?.[r][i] as number;
          expect(lt.out[r][i] + 0).toBe(m === 0 ? 0 : activated * (1 / (1 - P[n])));
          if (m === 0) expect(Math.abs(lt.delta[r][i])).toBe(0);
        });
      });
    }
    // The step explained is the first update of a batch-mode run with the same seed.
    const trained = new Network(spec());
    await trained.fit(X, T, { ...options, mode: 'batch', optimizer: 'sgd', epochs: 1 });
    const after = trace.layers.flatMap((l) => [...l.weights.flat(), ...l.biases]);
    expectClose(flatParams(trained), after, { rel: 1e-14, abs: 1e-15, what: 'explained step' });
    const text = formatExplain(net, X, T, options);
    expect(text).toContain('dropout mask m^(1) = [');
    expect(text).toMatch(
      /delta\^\(1\)_\d = psi'\(v\^\(1\)_\d\) m_\d\/\(1-p\) .* = 0 {3}\(dropped: m_\d = 0\)/,
    );
    const latex = formatExplainAs('latex', net, X, T, options);
    expect(latex).toContain('\\text{dropout mask}');
    expect(latex).toContain('\\text{dropped}');
  });

  it('takes masks given by hand, and refuses ones of the wrong shape', () => {
    const net = new Network(spec());
    const ones = (units: number) => X.map(() => Array.from({ length: units }, () => 1));
    const all = net.explain(X, T, { ...options, masks: [ones(5), ones(4), null] });
    const plain = new Network({ ...spec(), layers: spec().layers.map((l) => ({ ...l, dropout: 0 })) });
    const scaled = plain.explain(X, T, options);
    // Every node kept: the outputs are psi(v)/(1-p), so not the plain network's.
    expect(all.layers[0].out[0][0]).toBeCloseTo(scaled.layers[0].out[0][0] / (1 - P[0]), 12);
    const mask = ones(5);
    mask[0][2] = 0;
    const one = net.explain(X, T, { ...options, masks: [mask, ones(4), null] });
    expect(one.layers[0].out[0][2]).toBe(0);
    expect(Math.abs(one.layers[0].delta[0][2])).toBe(0);
    expect(() => net.explain(X, T, { ...options, masks: [ones(4), ones(4), null] })).toThrow(
      /masks\[0\]: expected 10 rows of 5 zeros \(dropped\) and ones \(kept\)/,
    );
  });
});

describe('a stream trains with the same masks as the same rows in memory', () => {
  it('minibatch, no shuffle: the same bits', async () => {
    const options = {
      mode: 'minibatch' as const,
      batchSize: 4,
      epochs: 2,
      seed: 3,
      optimizer: 'sgd' as const,
      shuffle: false,
    };
    const inMemory = new Network(spec());
    await inMemory.fit(X, T, options);
    const streamed = new Network(spec());
    const chunks = () => [0, 3, 6, 9].map((s) => ({ inputs: X.slice(s, s + 3), targets: T.slice(s, s + 3) }));
    await streamed.fit(chunks, null, options);
    expect(flatParams(streamed)).toEqual(flatParams(inMemory));
  });
});

describe('the command line', () => {
  const iris = join(ROOT, 'data', 'iris.csv');
  it('train --dropout per hidden layer, saved in the model; export says it leaves it out', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const out = join(dir, 'm.json');
      const common = ['train', iris, '--target', 'species', '--hidden', '8,6', '--epochs', '3', '--out', out];
      const run = await runCli([...common, '--dropout', '0.2,0.1']);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toContain('hidden 8 relu dropout 0.2, 6 relu dropout 0.1');
      const model = JSON.parse(await readFile(out, 'utf8'));
      expect(model.layers.map((l: { dropout?: number }) => l.dropout)).toEqual([0.2, 0.1, undefined]);
      const wrong = await runCli([...common, '--dropout', '0.2,0.1,0.3']);
      expect(wrong.code).not.toBe(0);
      expect(wrong.stderr).toContain('option --dropout: 3 rates for 2 hidden layers');
      const exported = await runCli(['export', out, '--to', 'onnx', '--out', join(dir, 'm.onnx')]);
      expect(exported.code, exported.stderr).toBe(0);
      expect(exported.stderr).toContain(
        'note: dropout (layers[0] p = 0.2, layers[1] p = 0.1) is left out: it acts only in training',
      );
    } finally {
      await cleanup();
    }
  });
});

const PYTHON = findPython(['torch']);
if (!PYTHON) console.log('skipping the PyTorch script with dropout: no python3 that imports torch');

describe.skipIf(!PYTHON)('the PyTorch training script', () => {
  it('has nn.Dropout(p) after each layer with dropout, and predicts as backprop does under eval()', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const out = join(dir, 'm.json');
      const iris = join(ROOT, 'data', 'iris.csv');
      const args = ['--target', 'species', '--hidden', '5,4', '--dropout', '0.5,0.25', '--epochs', '2'];
      const trained = await runCli(['train', iris, ...args, '--dtype', 'float64', '--out', out]);
      expect(trained.code, trained.stderr).toBe(0);
      const script = join(dir, 'train.py');
      const exported = await runCli(['export', out, '--to', 'pytorch', '--out', script]);
      expect(exported.code, exported.stderr).toBe(0);
      expect(exported.stderr).toContain('trains as nn.Dropout(p) in the script');
      const net = Network.fromJSON(JSON.parse(await readFile(out, 'utf8')));
      const x = [
        [0.1, -0.2, 0.3, 0.4],
        [1.5, 0.2, -0.7, 0.05],
      ];
      const python = [
        'import importlib.util, json, sys, torch',
        `spec = importlib.util.spec_from_file_location("s", ${JSON.stringify(script)})`,
        'm = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)',
        'net, layers = m.build(m.MODEL, torch.float64)',
        'net.eval()',
        `y = net(torch.tensor(${JSON.stringify(x)}, dtype=torch.float64))`,
        'print(json.dumps({"modules": [str(k) for k in net], "y": y.tolist()}))',
      ].join('\n');
      const result = JSON.parse(execFileSync(PYTHON as string, ['-c', python], { encoding: 'utf8' }));
      expect(result.modules).toEqual([
        expect.stringMatching(/^Linear/),
        'ReLU()',
        'Dropout(p=0.5, inplace=False)',
        expect.stringMatching(/^Linear/),
        'ReLU()',
        'Dropout(p=0.25, inplace=False)',
        expect.stringMatching(/^Linear/),
        'Softmax(dim=-1)',
      ]);
      expectClose(result.y.flat(), net.predict(x).flat(), { rel: 1e-12, abs: 1e-15, what: 'eval()' });
    } finally {
      await cleanup();
    }
  }, 120_000);
});
