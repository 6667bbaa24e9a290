/**
 * Schedules of eta in training: 20 epochs of every schedule in each mode,
 * float64, held to the autograd oracle trained with the rates of each epoch
 * written out here from PyTorch's formulas (independently of schedules.ts);
 * the rates each epoch reports; the three engines to the bit; a checkpoint
 * resuming to the bit; and the schedule in the model file's record.
 */
import { describe, expect, it } from 'vitest';
import { Network, Random, type ScheduleSpec, Trainer } from '../src/index.js';
import {
  firstMiss,
  type OracleOptimizer,
  oracleParams,
  oracleTrain,
  paramsOf,
  toOracle,
} from './oracle/train.js';

const EPOCHS = 20;
const BASE = [0.2, 0.1];
const N = 7;

/** The factor of eta_0 at epoch e (from 0), from PyTorch's documented formulas; plateau from its algorithm. */
function factorOf(s: ScheduleSpec, e: number, costs: readonly number[], state: PlateauState): number {
  const warmup = s.warmup ?? 0;
  const start = s.warmupStart ?? 1 / 3;
  if (e < warmup) return start + ((1 - start) * e) / warmup;
  const u = e - warmup;
  switch (s.name) {
    case 'step':
      return (s.gamma ?? 0.1) ** Math.floor(u / (s.stepSize as number));
    case 'exponential':
      return (s.gamma as number) ** u;
    case 'invscaling':
      return u === 0 ? 1 : 1 / (u * N + 1) ** (s.power ?? 0.5);
    case 'plateau':
      return plateauFactor(s, u, costs, state);
    default:
      return 1;
  }
}

interface PlateauState {
  factor: number;
  best: number;
  bad: number;
  cooldown: number;
}

/** ReduceLROnPlateau (mode min, relative threshold), as documented, one call per epoch from the second on. */
function plateauFactor(s: ScheduleSpec, u: number, costs: readonly number[], st: PlateauState): number {
  if (u === 0) return st.factor;
  const current = costs[costs.length - 1];
  if (current < st.best * (1 - (s.threshold ?? 1e-4))) {
    st.best = current;
    st.bad = 0;
  } else st.bad++;
  if (st.cooldown > 0) {
    st.cooldown--;
    st.bad = 0;
  }
  if (st.bad > (s.patience ?? 10)) {
    st.factor *= s.factor ?? 0.1;
    st.cooldown = s.cooldown ?? 0;
    st.bad = 0;
  }
  return st.factor;
}

/** eta^(n) of epoch e: eta_0 times the factor, or the cosine's etaMin + (eta_0 - etaMin)(1 + cos(pi t / T)) / 2. */
function ratesOf(s: ScheduleSpec) {
  const state: PlateauState = { factor: 1, best: Number.POSITIVE_INFINITY, bad: 0, cooldown: 0 };
  return (e: number, costs: readonly number[]): number[] => {
    const warmup = s.warmup ?? 0;
    if ((s.name === 'cosine' || s.name === 'cosine-restarts') && e >= warmup) {
      let length = s.epochs as number;
      let within = e - warmup;
      if (s.name === 'cosine-restarts') {
        while (within >= length) {
          within -= length;
          length *= s.mult ?? 1;
        }
      }
      const etaMin = s.etaMin ?? 0;
      return BASE.map((eta) => etaMin + ((eta - etaMin) * (1 + Math.cos((Math.PI * within) / length))) / 2);
    }
    const f = factorOf(s, e, costs, state);
    return BASE.map((eta) => eta * f);
  };
}

const SCHEDULES: ScheduleSpec[] = [
  { name: 'constant' },
  { name: 'step', stepSize: 4, gamma: 0.5 },
  { name: 'exponential', gamma: 0.9 },
  { name: 'invscaling', power: 0.5 },
  { name: 'cosine', epochs: 12, etaMin: 0.01 },
  { name: 'cosine-restarts', epochs: 3, mult: 2 },
  { name: 'plateau', patience: 1, factor: 0.5, threshold: 0.05 },
  { name: 'cosine', epochs: 15, warmup: 5 },
  { name: 'exponential', gamma: 0.8, warmup: 3, warmupStart: 0.1 },
];

const MODES = [
  { mode: 'batch', batch: N },
  { mode: 'sequential', batch: 1 },
  { mode: 'minibatch', batch: 3 },
] as const;

function problem() {
  const random = new Random(7);
  const X = Array.from({ length: N }, () => [random.uniform(-1, 1), random.uniform(-1, 1)]);
  const D = X.map((x) => {
    const l = x[0] > x[1] ? 0 : x[0] > 0 ? 1 : 2;
    return [0, 1, 2].map((k) => (k === l ? 1 : 0));
  });
  return { X, D };
}

function network(): Network {
  return new Network({
    inputs: 2,
    layers: [
      { units: 3, activation: 'tanh' },
      { units: 3, activation: 'softmax' },
    ],
    dtype: 'float64',
    seed: 3,
  });
}

const name = (s: ScheduleSpec) =>
  Object.entries(s)
    .map(([k, v]) => (k === 'name' ? v : `${k}=${v}`))
    .join(',');

describe('every schedule over 20 epochs matches the oracle in float64, in each mode', () => {
  for (const { mode, batch } of MODES) {
    for (const schedule of SCHEDULES) {
      for (const optimizer of ['sgd', 'adam'] as OracleOptimizer[]) {
        if (optimizer === 'adam' && mode !== 'minibatch') continue;
        it(`${mode}, ${optimizer}, ${name(schedule)}`, async () => {
          const { X, D } = problem();
          const net = network();
          const oracle = toOracle(net);
          const history = await net.fit(X, D, {
            mode,
            batchSize: mode === 'minibatch' ? batch : undefined,
            shuffle: false,
            epochs: EPOCHS,
            learningRate: BASE,
            optimizer,
            loss: 'cross-entropy',
            schedule,
          });
          const expected = oracleTrain(oracle, X, D, {
            loss: 'cross-entropy',
            reduction: 'mean',
            batch,
            epochs: EPOCHS,
            etaOf: ratesOf(schedule),
            optimizer,
          });
          const rates = history.epochs.map((h) => [...h.learningRate]);
          expect(firstMiss(rates.flat(), expected.rates.flat() as number[], 1e-12), 'rates').toBeNull();
          expect(
            firstMiss(
              history.epochs.map((h) => h.cost),
              expected.costs,
            ),
            'costs',
          ).toBeNull();
          const weights = oracleParams(oracle);
          expect(firstMiss(paramsOf(net), weights), 'weights').toBeNull();
        });
      }
    }
  }
});

describe('a schedule on the small-network paths', () => {
  for (const schedule of SCHEDULES.slice(1)) {
    it(`${name(schedule)}: the general, inline and WebAssembly engines agree to the bit`, () => {
      const { X, D } = problem();
      const results = (['wasm', 'js', false] as const).map((inline) => {
        const net = network();
        const trainer = new Trainer(net, X, D, {
          mode: 'sequential',
          epochs: EPOCHS,
          learningRate: BASE,
          schedule,
          inlineSmallNetworks: inline,
        });
        if (inline !== false) expect(trainer.inline).toBe(inline);
        else expect(trainer.inline).toBeNull();
        trainer.run();
        const costs = trainer.history.map((h) => h.cost);
        trainer.dispose();
        return { weights: paramsOf(net), costs };
      });
      expect(results[1]).toEqual(results[0]);
      expect(results[2]).toEqual(results[0]);
    });
  }
});

describe('a schedule resumes from a checkpoint to the bit', () => {
  for (const schedule of [SCHEDULES[6], SCHEDULES[5], SCHEDULES[7]]) {
    for (const { mode } of MODES) {
      it(`${name(schedule)}, ${mode}, stopped mid-epoch and through JSON`, () => {
        const { X, D } = problem();
        const options = { mode, batchSize: 2, epochs: EPOCHS, learningRate: BASE, schedule } as const;
        const whole = network();
        const a = new Trainer(whole, X, D, options);
        a.run();
        const half = network();
        const b = new Trainer(half, X, D, options);
        b.run({ epochs: 9 });
        if (mode !== 'batch') b.step();
        const saved = JSON.parse(JSON.stringify(b.checkpoint()));
        b.dispose();
        const resumed = network();
        resumed.setWeights(half.getWeights());
        const c = new Trainer(resumed, X, D, options);
        c.restore(saved);
        c.run();
        expect(paramsOf(resumed)).toEqual(paramsOf(whole));
        expect(c.history.map((h) => [h.cost, ...h.learningRate])).toEqual(
          a.history.map((h) => [h.cost, ...h.learningRate]),
        );
        a.dispose();
        c.dispose();
      });
    }
  }
});

describe('schedule as a setting', () => {
  it('refuses a bad schedule naming its field', () => {
    const { X, D } = problem();
    expect(() => new Trainer(network(), X, D, { schedule: { name: 'cosine' } as ScheduleSpec })).toThrow(
      /^schedule\.epochs: missing/,
    );
    expect(() => new Trainer(network(), X, D, { schedule: 'warm' as 'step' })).toThrow(
      /^schedule\.name: unknown 'warm'/,
    );
  });

  it('is resolved into the settings and the epochs report the rates they trained with', async () => {
    const { X, D } = problem();
    const history = await network().fit(X, D, {
      epochs: 3,
      learningRate: BASE,
      schedule: { name: 'step', stepSize: 1, gamma: 0.5 },
    });
    expect(history.settings.schedule).toMatchObject({ name: 'step', stepSize: 1, gamma: 0.5, warmup: 0 });
    expect(history.epochs.map((h) => h.learningRate)).toEqual([BASE, [0.1, 0.05], [0.05, 0.025]]);
    const constant = await network().fit(X, D, { epochs: 2, learningRate: 0.3 });
    expect(constant.epochs.map((h) => h.learningRate)).toEqual([
      [0.3, 0.3],
      [0.3, 0.3],
    ]);
  });
});
