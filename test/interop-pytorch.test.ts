import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toOnnx } from '../src/interop/onnx.js';
import { fromOnnx } from '../src/interop/onnx-import.js';
import { decodeOnnx, encodeOnnx } from '../src/interop/onnx-schema.js';
import { pytorchSettings, toPytorch } from '../src/interop/pytorch.js';
import { toSafetensors } from '../src/interop/safetensors.js';
import type { ModelFile } from '../src/model/format.js';
import { ROOT, runCli, tempDir } from './fixtures/cli/run.js';
import { randomModel } from './fixtures/interop/models.js';

/** A Python that imports torch: $PYTHON, python3 on the PATH, or Debian's (where apt's python3-torch goes). */
function findPython(): string | undefined {
  for (const python of [process.env.PYTHON, 'python3', '/usr/bin/python3']) {
    if (!python) continue;
    try {
      execFileSync(python, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60_000 });
      return python;
    } catch {}
  }
  return undefined;
}

const PYTHON = findPython();
const IRIS = join(ROOT, 'data/iris.csv');

/** A model with preprocessing; `extra` may hold a training record of an older or looser shape. */
const model = (extra: Record<string, unknown> = {}): ModelFile => ({
  ...randomModel(
    4,
    3,
    [
      { units: 4, activation: 'tanh' },
      { units: 2, activation: 'softmax' },
    ],
    true,
  ),
  preprocessing: {
    scaling: 'standard',
    inputs: ['a', 'b', 'c'].map((column) => ({ column, kind: 'number', offset: 1, scale: 2 })),
    target: { kind: 'classes', column: 'y', classes: ['no', 'yes'], binary: false },
  },
  ...(extra as Partial<ModelFile>),
});

describe('toPytorch settings', () => {
  it('takes the training record, leniently, and fills the rest with the library defaults', () => {
    const s = pytorchSettings(
      model({
        training: {
          mode: 'minibatch',
          batchSize: 8,
          optimizer: { name: 'momentum', momentum: 0.5, weightDecay: 0.01 },
          learningRate: [0.3, 0.1],
          epochs: 12,
          maxEpochs: 40,
          validationSplit: 0.2,
          dtype: 'float64',
        },
      }),
    );
    expect(s).toMatchObject({
      mode: 'minibatch',
      batchSize: 8,
      learningRate: [0.3, 0.1],
      epochs: 40,
      patience: undefined,
      validationSplit: 0.2,
      testSplit: 0,
      dtype: 'float64',
      loss: 'cross-entropy',
      reduction: 'mean',
      shuffle: true,
    });
    expect(s.optimizer).toMatchObject({ name: 'momentum', momentum: 0.5, weightDecay: 0.01, beta1: 0.9 });
    // An optimizer given by name only; no record at all.
    expect(pytorchSettings(model({ training: { optimizer: 'adam' } })).learningRate).toEqual([0.001, 0.001]);
    const none = pytorchSettings(model());
    expect(none).toMatchObject({ mode: 'minibatch', batchSize: 32, optimizer: { name: 'sgd' }, epochs: 100 });
    expect(none.dtype).toBe('float32');
  });

  it('names the field of a record it cannot use, and refuses a model without preprocessing', () => {
    expect(() => pytorchSettings(model({ training: { learningRate: [0.1, 0.1, 0.1] } }))).toThrow(
      /training record: learningRate: expected one number or 2 \(one per layer\), got 3/,
    );
    expect(() => pytorchSettings(model({ training: { optimizer: { name: 'adam', beta1: 2 } } }))).toThrow(
      /training\.optimizer\.beta1: expected a number in \[0, 1\)/,
    );
    expect(() => toPytorch(model({ preprocessing: undefined }))).toThrow(/holds no preprocessing/);
  });

  it('writes the settings as a Python dict and embeds the model', () => {
    const script = toPytorch(model({ training: { shuffle: false, seed: 7 } }), { source: 'm.json' });
    expect(script).toMatch(
      /^#!\/usr\/bin\/env python3\n# Trains the network of m\.json \(3 -> 4 tanh -> 2 softmax\)/,
    );
    expect(script).toMatch(/Needs torch alone/);
    expect(script).toMatch(/"shuffle": False,\n {4}"seed": 7,/);
    expect(script).not.toMatch(/__(SETTINGS|MODEL|SHAPE|SOURCE|SCRIPT)__/);
    expect(script).toMatch(/^# {3}python train\.py data\.csv {2,}one process$/m);
    expect(script).not.toMatch(/^(import|from) (numpy|safetensors)/m);
  });
});

describe('safetensors recipe and ONNX refusals', () => {
  it('builds the scaling tensors in float64 for a float64 export', () => {
    const m = model({ inputColumns: ['a', 'b', 'c'] });
    expect(toSafetensors(m, { dtype: 'float64' }).python).toMatch(
      /input_offset = torch\.tensor\(\[1\.0, 1\.0, 1\.0\], dtype=torch\.float64\)/,
    );
    expect(toSafetensors(m).python).toMatch(/input_scale = torch\.tensor\(\[2\.0, 2\.0, 2\.0\]\)\n/);
    expect(toSafetensors(m).python).toMatch(/pip install torch safetensors/);
  });

  it('names BatchNormalization when refusing it', () => {
    const onnx = decodeOnnx(toOnnx(model()));
    const graph = onnx.graph!;
    const nodes = graph.node!;
    const gemm = nodes.findIndex((n) => n.op_type === 'Gemm');
    const out = nodes[gemm].output![0];
    for (const name of ['bn_scale', 'bn_bias', 'bn_mean', 'bn_var']) {
      graph.initializer!.push({ name, dims: [4], data_type: 1, float_data: [1, 0, 0, 1] });
    }
    nodes.splice(gemm + 1, 0, {
      name: 'bn',
      op_type: 'BatchNormalization',
      input: [out, 'bn_scale', 'bn_bias', 'bn_mean', 'bn_var'],
      output: ['normalized'],
    });
    nodes[gemm + 2].input![0] = 'normalized';
    expect(() => fromOnnx(encodeOnnx(onnx))).toThrow(
      /^BatchNormalization is not supported: BatchNormalization \(node 'bn'\) normalizes/,
    );
  });
});

/** Runs `python args...` in `cwd`; rejects with its stderr on a non-zero exit. */
function python(args: string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(PYTHON!, args, { cwd, env: { ...process.env, OMP_NUM_THREADS: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (code) => {
      if (code === 0) done({ stdout, stderr });
      else fail(new Error(`python ${args.join(' ')} exited with ${code}:\n${stderr}`));
    });
  });
}

async function backprop(args: string[]): Promise<string> {
  const run = await runCli(args);
  if (run.code !== 0) throw new Error(`backprop ${args.join(' ')} exited with ${run.code}: ${run.stderr}`);
  return run.stdout;
}

function maxWeightDifference(a: ModelFile, b: ModelFile): number {
  let max = 0;
  a.layers.forEach((layer, n) => {
    layer.weights.forEach((row, m) => {
      row.forEach((w, i) => {
        max = Math.max(max, Math.abs(w - b.layers[n].weights[m][i]));
      });
    });
    layer.biases.forEach((w, i) => {
      max = Math.max(max, Math.abs(w - b.layers[n].biases[i]));
    });
  });
  return max;
}

interface ScriptRun {
  history: { epoch: number; cost: number; validationCost?: number }[];
  stoppedBy: string;
  scores: { train: { cost: number; accuracy: number } };
}

const skipped = PYTHON ? '' : ' (skipped: no Python with torch here; apt-get install -y python3-torch)';

describe.skipIf(!PYTHON)(`the PyTorch script against backprop train, float64 on iris${skipped}`, () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('backprop-pytorch-'));
  });
  afterAll(() => cleanup());

  /**
   * Trains one epoch with `settings` (a model whose record holds them), then
   * `epochs` more from there with backprop train --init and with the exported
   * script; returns both results.
   */
  async function both(name: string, settings: string[], epochs: number, processes = 1) {
    const init = join(dir, `${name}-init.json`);
    const common = [
      '--target',
      'species',
      '--hidden',
      '5',
      '--activation',
      'tanh',
      '--dtype',
      'float64',
      '--seed',
      '3',
    ];
    await backprop(['train', IRIS, ...common, ...settings, '--epochs', '1', '--out', init, '--quiet']);
    const trained = join(dir, `${name}-backprop.json`);
    const run = JSON.parse(
      await backprop([
        'train',
        IRIS,
        ...common,
        ...settings,
        '--init',
        init,
        '--epochs',
        String(epochs),
        '--out',
        trained,
        '--json',
        '--quiet',
      ]),
    );
    const script = join(dir, `${name}-train.py`);
    await backprop(['export', init, '--to', 'pytorch', '--out', script]);
    const out = join(dir, `${name}.safetensors`);
    const args = [script, IRIS, '--epochs', String(epochs), '--out', out, '--json'];
    const launch =
      processes === 1
        ? args
        : // torchrun; --redirects/--tee 2 dodge a bug of Debian's torch 1.13 under Python 3.11 (see docs/pytorch.md).
          [
            '-m',
            'torch.distributed.run',
            '--standalone',
            `--nproc_per_node=${processes}`,
            '--redirects',
            '2',
            '--tee',
            '2',
            ...args,
          ];
    const { stdout } = await python(launch, dir);
    const result: ScriptRun = JSON.parse(stdout.trim().split('\n').at(-1)!);
    const imported = join(dir, `${name}-imported.json`);
    await backprop(['import', out, '--out', imported]);
    return {
      backprop: run.history.epochs.map((e: { cost: number; validationCost?: number }) => [
        e.cost,
        e.validationCost,
      ]),
      script: result.history.map((e) => [e.cost, e.validationCost]),
      scriptRun: result,
      weights: maxWeightDifference(
        JSON.parse(readFileSync(trained, 'utf8')),
        JSON.parse(readFileSync(imported, 'utf8')),
      ),
      imported,
    };
  }

  const close = (a: (number | undefined)[][], b: (number | undefined)[][]) => {
    expect(b.length).toBe(a.length);
    a.forEach((row, e) => {
      row.forEach((x, k) => {
        if (x === undefined) expect(b[e][k]).toBeUndefined();
        else expect(Math.abs(x - (b[e][k] as number))).toBeLessThan(1e-9);
      });
    });
  };

  it('batch mode, sgd with a rate per layer and weight decay, no shuffle', async () => {
    const r = await both(
      'batch',
      [
        '--mode',
        'batch',
        '--optimizer',
        'sgd',
        '--learning-rate',
        '0.5,0.2',
        '--weight-decay',
        '0.001',
        '--no-shuffle',
      ],
      20,
    );
    close(r.backprop, r.script);
    // Not to the bit (sums in another order, PyTorch's tanh and log-softmax), but to rounding: ~1e-16 measured.
    expect(r.weights).toBeLessThan(1e-13);
  }, 180_000);

  it('sequential mode, rmsprop, seeded shuffle', async () => {
    const r = await both(
      'sequential',
      ['--mode', 'sequential', '--optimizer', 'rmsprop', '--learning-rate', '0.003'],
      3,
    );
    close(r.backprop, r.script);
    expect(r.weights).toBeLessThan(1e-9);
  }, 180_000);

  it('minibatch mode, adam, seeded shuffle, validation split and patience', async () => {
    const r = await both(
      'minibatch',
      [
        '--mode',
        'minibatch',
        '--batch-size',
        '16',
        '--optimizer',
        'adam',
        '--learning-rate',
        '0.02',
        '--validation-split',
        '0.1',
        '--patience',
        '2',
      ],
      10,
    );
    expect(r.script[0][1]).toBeDefined();
    close(r.backprop, r.script);
    expect(r.weights).toBeLessThan(1e-9);
  }, 180_000);

  it('continues from its checkpoint to the same bytes as an uninterrupted run', async () => {
    const init = join(dir, 'resume-init.json');
    await backprop([
      'train',
      IRIS,
      '--target',
      'species',
      '--hidden',
      '4',
      '--epochs',
      '1',
      '--optimizer',
      'momentum',
      '--out',
      init,
      '--quiet',
    ]);
    const script = join(dir, 'resume.py');
    await backprop(['export', init, '--to', 'pytorch', '--out', script, '--dtype', 'float64']);
    const whole = join(dir, 'whole.safetensors');
    await python([script, IRIS, '--epochs', '6', '--checkpoint-every', '3', '--out', whole, '--quiet'], dir);
    const resumed = join(dir, 'resumed.safetensors');
    await python(
      [
        script,
        IRIS,
        '--epochs',
        '6',
        '--checkpoint',
        `${whole}.checkpoint.pt`,
        '--resume',
        '--out',
        resumed,
        '--quiet',
      ],
      dir,
    );
    expect(Buffer.compare(readFileSync(whole), readFileSync(resumed))).toBe(0);
  }, 180_000);

  it('two processes (gloo on CPU) train as one, and backprop evaluate gives the accuracy the script printed', async () => {
    const r = await both(
      'two',
      ['--mode', 'minibatch', '--batch-size', '10', '--optimizer', 'nesterov', '--learning-rate', '0.05'],
      5,
      2,
    );
    close(r.backprop, r.script);
    expect(r.weights).toBeLessThan(1e-9);
    const evaluation = JSON.parse(await backprop(['evaluate', r.imported, IRIS, '--json']));
    expect(evaluation.accuracy ?? evaluation.scores?.accuracy).toBeCloseTo(
      r.scriptRun.scores.train.accuracy,
      12,
    );
  }, 240_000);
});
