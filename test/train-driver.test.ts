// The training driver (drive) and the Trainer built from parts: callbacks, the
// signal, pauses and errors between slices, streams, the engines against each
// other, and a checkpoint saved before the Trainer was split resuming exactly.
import { describe, expect, it } from 'vitest';
import {
  type DataChunk,
  drive,
  type EpochInfo,
  Network,
  Trainer,
  type TrainerCheckpoint,
  type TrainOptions,
} from '../src/index.js';
import { flatParams, lcg, randomRows } from './support/core.js';

const xorX = [
  [0, 0],
  [0, 1],
  [1, 0],
  [1, 1],
];
const xorT = [[0], [1], [1], [0]];

function xorNet(seed = 1): Network {
  return new Network({
    inputs: 2,
    layers: [
      { units: 4, activation: 'tanh' },
      { units: 1, activation: 'sigmoid' },
    ],
    seed,
    dtype: 'float64',
  });
}

/** Weights after training a fresh XOR network with `options` by `train`. */
async function trained(
  options: TrainOptions,
  train: (t: Trainer) => Promise<unknown> | unknown,
): Promise<{ weights: number[]; trainer: Trainer }> {
  const net = xorNet();
  const trainer = new Trainer(net, xorX, xorT, options);
  await train(trainer);
  const weights = flatParams(net);
  trainer.dispose();
  return { weights, trainer };
}

describe('drive', () => {
  it('calls onEpoch after every epoch in order; false (or a promise of it) stops with callback', async () => {
    const seen: number[] = [];
    const { trainer } = await trained({ mode: 'sequential', learningRate: 0.5, epochs: 100 }, (t) =>
      drive(t, {
        onEpoch: (info: EpochInfo) => {
          seen.push(info.epoch);
          return info.epoch < 7;
        },
      }),
    );
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(trainer.stopReason).toBe('callback');
    const later = await trained({ mode: 'sequential', learningRate: 0.5, epochs: 100 }, (t) =>
      drive(t, { onEpoch: async (info) => info.epoch !== 3 }),
    );
    expect(later.trainer.epoch).toBe(3);
    expect(later.trainer.stopReason).toBe('callback');
  });

  it('runs to the epoch limit with the weights of epoch-by-epoch training, to the bit', async () => {
    const options: TrainOptions = { mode: 'sequential', learningRate: 0.5, epochs: 1000, seed: 9 };
    const driven = await trained(options, (t) => drive(t));
    expect(driven.trainer.stopReason).toBe('epochs');
    expect(driven.trainer.epoch).toBe(1000);
    const stepped = await trained({ ...options, inlineSmallNetworks: false }, (t) => {
      while (!t.stopReason) t.runEpoch();
    });
    expect(driven.weights).toEqual(stepped.weights);
  });

  it('between slices: returning false pauses without stopping, and driving again ends where one drive ends', async () => {
    // 2000 examples of a 385-weight network: an epoch is three runs of about 2^18 multiply-adds.
    const next = lcg(5);
    const x = randomRows(next, 2000, 4);
    const t = randomRows(next, 2000, 1);
    const make = () =>
      new Network({
        inputs: 4,
        layers: [
          { units: 64, activation: 'tanh' },
          { units: 1, activation: 'linear' },
        ],
        seed: 4,
        dtype: 'float64',
      });
    for (const inline of [false, true]) {
      const options: TrainOptions = {
        mode: 'sequential',
        learningRate: 0.01,
        epochs: 4,
        seed: 2,
        inlineSmallNetworks: inline,
      };
      const whole = make();
      const one = new Trainer(whole, x, t, options);
      await drive(one);
      one.dispose();
      const paused = make();
      const trainer = new Trainer(paused, x, t, options);
      let pauses = 0;
      let midEpoch = 0;
      // Slices of a thousandth of a millisecond: every look at the clock ends one.
      while ((await drive(trainer, { sliceMs: 0.001, between: () => false })) === null) {
        pauses++;
        if (trainer.midEpoch) midEpoch++;
      }
      expect(midEpoch).toBeGreaterThanOrEqual(8);
      expect(pauses).toBeGreaterThan(midEpoch);
      expect(trainer.stopReason).toBe('epochs');
      expect(trainer.epoch).toBe(4);
      trainer.dispose();
      expect(flatParams(paused)).toEqual(flatParams(whole));
    }
  });

  it('an error thrown between slices ends the drive with it, the trainer still able to go on', async () => {
    const trainer = new Trainer(xorNet(), xorX, xorT, { mode: 'sequential', epochs: 1_000_000 });
    const stop = new Error('interrupted');
    await expect(
      drive(trainer, {
        sliceMs: 1,
        between: () => {
          throw stop;
        },
      }),
    ).rejects.toBe(stop);
    expect(trainer.stopReason).toBeNull();
    expect(trainer.epoch).toBeGreaterThan(0);
    trainer.dispose();
  });

  it('a signal aborted between slices stops with abort', async () => {
    const controller = new AbortController();
    const trainer = new Trainer(xorNet(), xorX, xorT, { mode: 'sequential', epochs: 1_000_000 });
    let slices = 0;
    const reason = await drive(trainer, {
      signal: controller.signal,
      sliceMs: 1,
      between: async () => {
        if (++slices === 3) controller.abort();
      },
    });
    expect(reason).toBe('abort');
    expect(slices).toBe(3);
    trainer.dispose();
  });

  it('trains on a stream an epoch at a time, to the weights of the same data in memory', async () => {
    const options: TrainOptions = {
      mode: 'minibatch',
      batchSize: 3,
      learningRate: 0.3,
      epochs: 20,
      shuffle: false,
    };
    const chunks = (): DataChunk[] => [
      { inputs: xorX.slice(0, 1), targets: xorT.slice(0, 1) },
      { inputs: xorX.slice(1), targets: xorT.slice(1) },
    ];
    async function* stream() {
      for (const c of chunks()) yield c;
    }
    const streamed = xorNet();
    const trainer = new Trainer(streamed, stream, null, options);
    const epochs: number[] = [];
    await drive(trainer, { onEpoch: (info) => void epochs.push(info.updates) });
    expect(epochs).toEqual(new Array(20).fill(2));
    trainer.dispose();
    const memory = await trained(options, (t) => drive(t));
    expect(flatParams(streamed)).toEqual(memory.weights);
  });

  it('refuses a slice that is not a positive number', async () => {
    const trainer = new Trainer(xorNet(), xorX, xorT, {});
    await expect(drive(trainer, { sliceMs: 0 })).rejects.toThrow(
      /^sliceMs: expected a positive number, got 0$/,
    );
    trainer.dispose();
  });
});

describe('the update engines', () => {
  it('general, inline TypeScript and WebAssembly give the same weights, step by step and in runs', async () => {
    const options: TrainOptions = { mode: 'sequential', learningRate: 0.4, epochs: 50, seed: 6 };
    const results = [];
    for (const inline of [false, 'js', 'wasm'] as const) {
      const { weights, trainer } = await trained({ ...options, inlineSmallNetworks: inline }, (t) => {
        for (let i = 0; i < 10; i++) t.step();
        return drive(t);
      });
      expect(trainer.inline).toBe(inline === false ? null : inline);
      results.push(weights);
    }
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
  });

  it('counts the updates of the epoch under way', () => {
    const trainer = new Trainer(xorNet(), xorX, xorT, { mode: 'minibatch', batchSize: 3 });
    expect(trainer.updatesInEpoch).toBe(0);
    trainer.step();
    expect(trainer.updatesInEpoch).toBe(1);
    trainer.step();
    expect(trainer.updatesInEpoch).toBe(0);
    expect(trainer.epoch).toBe(1);
    trainer.dispose();
  });
});

describe('checkpoints', () => {
  // Saved by the Trainer before it was built from parts: adam, patience, a
  // validation split, mid-epoch (epoch 5, one update in). Its seconds are zeroed.
  const saved = JSON.parse(
    '{"kind": "backprop-checkpoint", "version": 1, "epoch": 4, "cursor": 2, "order": [3, 1, 2, 0], "random": [-1944462668, -357871788, -418994132, 43], "running": {"loss": 1.2680699643254736, "correct": 2, "seen": 2, "updates": 1, "seconds": 0}, "weights": [{"weights": [1.1331105110586226, 0.6426061366510276, 0.18529859749100727, 1.469107956088131, 0.3578190415999677, 0.40915094761921944], "biases": [-0.011638138410372142, -0.12500855205941838, 0.256968136431896]}, {"weights": [0.8976679335676514, -0.45354429696369314, -0.2277788900477692], "biases": [-0.27922166656596625]}], "optimizer": {"t": 9, "first": [[-0.01718895277732488, 0.004676871387673647, -0.001622550246851406, -0.022380468323055645, 0.027023314447612086, 0.0068911381894592935], [-0.0061387841247937235, 0.025975801012873355, 0.006417570155417367], [-0.05293554514609698, -0.006498033802949665, -0.022502263486478814], [-0.03440844663511843]], "second": [[1.3760445524300387e-05, 1.1256517824767105e-05, 5.60182411599982e-06, 1.3868993187220895e-05, 2.936151581973466e-05, 8.068304192339522e-06], [0.00010300413976132777, 4.701534519919751e-05, 7.916984824833286e-06], [0.00029169045839107585, 0.00014195348295988503, 9.81386354856307e-05], [0.00023748438528647535]]}, "best": {"cost": 0.5864513294810187, "epoch": 1, "since": 3, "weights": [{"weights": [0.8845530226910807, 0.699820959442982, 0.06074562845532323, 1.175417410231649, 0.5530312092097001, 0.4445633834468802], "biases": [0.038205549984192, -0.039620907015610024, 0.09884585728200204]}, {"weights": [0.8318440594977806, -0.4276316521114672, -0.22827871710930178], "biases": [-0.09525768351644928]}]}, "history": [{"epoch": 1, "cost": 0.6841786162438316, "accuracy": 0.5, "updates": 2, "examples": 4, "seconds": 0, "elapsedSeconds": 0, "validationCost": 0.5864513294810187, "validationAccuracy": 1}, {"epoch": 2, "cost": 0.6611623599376628, "accuracy": 0.75, "updates": 2, "examples": 4, "seconds": 0, "elapsedSeconds": 0, "validationCost": 0.6381883674471067, "validationAccuracy": 1}, {"epoch": 3, "cost": 0.6498015506279485, "accuracy": 0.75, "updates": 2, "examples": 4, "seconds": 0, "elapsedSeconds": 0, "validationCost": 0.6569302197201252, "validationAccuracy": 1}, {"epoch": 4, "cost": 0.6406121407267366, "accuracy": 0.75, "updates": 2, "examples": 4, "seconds": 0, "elapsedSeconds": 0, "validationCost": 0.663251289647931, "validationAccuracy": 1}], "stopReason": null}',
  ) as TrainerCheckpoint;
  // What that run went on to do: the weights it ended with (the best epoch's,
  // put back) and each epoch's cost, validation cost and accuracy.
  const final = [
    {
      weights: [
        [0.8845530226910807, 0.699820959442982, 0.06074562845532323],
        [1.175417410231649, 0.5530312092097001, 0.4445633834468802],
      ],
      biases: [0.038205549984192, -0.039620907015610024, 0.09884585728200204],
    },
    {
      weights: [[0.8318440594977806], [-0.4276316521114672], [-0.22827871710930178]],
      biases: [-0.09525768351644928],
    },
  ];
  const history = [
    [0.6841786162438316, 0.5864513294810187, 0.5],
    [0.6611623599376628, 0.6381883674471067, 0.75],
    [0.6498015506279485, 0.6569302197201252, 0.75],
    [0.6406121407267366, 0.663251289647931, 0.75],
    [0.6468773250014688, 0.626801657899098, 0.75],
    [0.6312468395970063, 0.6442934133128788, 0.75],
    [0.6257358480929788, 0.6206555799649451, 0.75],
    [0.6166974324886454, 0.604812394312095, 0.75],
    [0.6030287671145752, 0.6035266945005126, 0.75],
    [0.5953316360223588, 0.6126313337283305, 0.75],
    [0.5948776540251602, 0.6338705901447972, 0.75],
    [0.5800186869036118, 0.6419697461947329, 0.75],
  ];

  it('one saved before the Trainer was split resumes to the same end', () => {
    const net = new Network({
      inputs: 2,
      layers: [
        { units: 3, activation: 'tanh' },
        { units: 1, activation: 'sigmoid' },
      ],
      seed: 7,
      dtype: 'float64',
    });
    const trainer = new Trainer(net, [...xorX, [0.5, 0.2]], [...xorT, [1]], {
      mode: 'minibatch',
      batchSize: 2,
      optimizer: 'adam',
      learningRate: 0.05,
      epochs: 12,
      patience: 50,
      validationSplit: 0.2,
      seed: 3,
    });
    trainer.restore(structuredClone(saved));
    expect(trainer.midEpoch).toBe(true);
    while (!trainer.stopReason) trainer.runEpoch();
    expect(trainer.stopReason).toBe('epochs');
    expect(trainer.bestEpoch).toBe(1);
    expect(trainer.history.map((h) => [h.cost, h.validationCost, h.accuracy])).toEqual(history);
    expect(net.getWeights()).toEqual(final);
    // The same fields, in the same order, as the checkpoint written then.
    expect(Object.keys(trainer.checkpoint())).toEqual(Object.keys(saved));
    trainer.dispose();
  });
});
