import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ActivationName } from '../src/backend/backend.js';
import { InteropError } from '../src/interop/common.js';
import { toOnnx } from '../src/interop/onnx.js';
import { fromOnnx } from '../src/interop/onnx-import.js';
import { decodeOnnx, encodeOnnx, type OnnxModel } from '../src/interop/onnx-schema.js';
import type { ModelFile } from '../src/model/format.js';
import { Network } from '../src/network.js';
import {
  ALL_ACTIVATIONS,
  forward,
  maxDifference,
  randomInputs,
  randomModel,
} from './fixtures/interop/models.js';
import {
  ONNX_FIXTURES,
  TORCH_ACTIVATIONS,
  TORCH_SIZES,
  tf2onnxDense,
  torchLinears,
} from './fixtures/interop/onnx-fixtures.js';

beforeAll(() => {
  ort.env.wasm.numThreads = 1;
});

const fixture = (name: string) =>
  new Uint8Array(readFileSync(new URL(`fixtures/interop/${name}`, import.meta.url)));

/** Runs an ONNX model in ONNX Runtime (WebAssembly backend) on a [batch, m] input. */
async function run(
  bytes: Uint8Array,
  inputs: number[][],
  dtype: 'float32' | 'float64' = 'float32',
  names = { input: 'input', output: 'output' },
): Promise<number[][]> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const flat = inputs.flat();
    const data = dtype === 'float32' ? Float32Array.from(flat) : Float64Array.from(flat);
    const result = await session.run({
      [names.input]: new ort.Tensor(dtype, data, [inputs.length, inputs[0].length]),
    });
    const output = result[names.output];
    const [rows, units] = output.dims as number[];
    const values = output.data as Float32Array | Float64Array;
    return Array.from({ length: rows }, (_, r) => Array.from(values.subarray(r * units, (r + 1) * units)));
  } finally {
    await session.release();
  }
}

function threeLayers(activation: ActivationName, float32Weights: boolean, seed = 7): ModelFile {
  return randomModel(
    seed,
    3,
    [
      { units: 5, activation },
      { units: 4, activation },
      { units: 3, activation },
    ],
    float32Weights,
  );
}

describe('toOnnx runs in ONNX Runtime and agrees with the network', () => {
  for (const activation of ALL_ACTIVATIONS) {
    it(`float32, ${activation}`, async () => {
      const model = threeLayers(activation, true);
      // float32 inputs, so that the only difference left is float32 arithmetic
      const inputs = randomInputs(11, 9, 3).map((row) => row.map(Math.fround));
      const outputs = await run(toOnnx(model), inputs);
      expect(outputs).toHaveLength(9);
      expect(maxDifference(outputs, forward(model, inputs))).toBeLessThan(1e-6);
      expect(maxDifference(outputs, forward(model, inputs, 'float32'))).toBeLessThan(1e-6);
    });
  }

  it('exports what Network.toJSON writes, and predicts as net.predict does', async () => {
    const net = new Network({
      inputs: 4,
      layers: [
        { units: 8, activation: 'relu' },
        { units: 3, activation: 'softmax' },
      ],
      seed: 5,
    });
    const inputs = randomInputs(14, 10, 4).map((row) => row.map(Math.fround));
    const outputs = await run(toOnnx(net.toJSON({ classes: ['a', 'b', 'c'] })), inputs);
    expect(maxDifference(outputs, net.predict(inputs))).toBeLessThan(1e-6);
    expect(fromOnnx(toOnnx(net.toJSON()))).toEqual(net.toJSON());
  });

  // ONNX Runtime has float64 kernels for these operators (not for Elu, Softplus, Erf).
  for (const activation of [
    'linear',
    'sigmoid',
    'tanh',
    'relu',
    'leaky-relu',
    'softmax',
  ] as ActivationName[]) {
    it(`float64, ${activation}`, async () => {
      const model = threeLayers(activation, false);
      const inputs = randomInputs(12, 6, 3);
      const outputs = await run(toOnnx(model, { dtype: 'float64' }), inputs, 'float64');
      // LeakyRelu's alpha is a float32 attribute: 0.01 is off by 2e-10 relative.
      expect(maxDifference(outputs, forward(model, inputs))).toBeLessThan(
        activation === 'leaky-relu' ? 1e-8 : 1e-12,
      );
    });
  }

  it('writes gelu as the Gelu operator from opset 20 and as its erf expansion before', async () => {
    const model = threeLayers('gelu', true);
    const inputs = randomInputs(13, 4, 3).map((row) => row.map(Math.fround));
    const ops = (bytes: Uint8Array) => decodeOnnx(bytes).graph?.node?.map((n) => n.op_type);
    const at17 = toOnnx(model);
    const at20 = toOnnx(model, { opset: 20 });
    expect(ops(at17)).toContain('Erf');
    expect(ops(at20)).toContain('Gelu');
    expect(ops(at20)).not.toContain('Erf');
    expect(maxDifference(await run(at20, inputs), forward(model, inputs))).toBeLessThan(1e-6);
    expect(fromOnnx(at17)).toEqual(model);
    expect(fromOnnx(at20)).toEqual(model);
  });

  it('names input and output, with a symbolic batch dimension that takes any batch size', async () => {
    const model = randomModel(3, 2, [{ units: 3, activation: 'tanh' }], true);
    const bytes = toOnnx(model);
    const graph = decodeOnnx(bytes).graph!;
    expect(graph.input?.map((i) => i.name)).toEqual(['input']);
    expect(graph.output?.map((o) => o.name)).toEqual(['output']);
    expect(graph.input?.[0].type?.tensor_type?.shape?.dim).toEqual([
      { dim_param: 'batch' },
      { dim_value: 2 },
    ]);
    expect(graph.output?.[0].type?.tensor_type?.shape?.dim).toEqual([
      { dim_param: 'batch' },
      { dim_value: 3 },
    ]);
    const onnx = decodeOnnx(bytes);
    expect(onnx.opset_import).toEqual([{ domain: '', version: 17 }]);
    expect(onnx.ir_version).toBe(8);
    for (const batch of [1, 17]) {
      const inputs = randomInputs(batch, batch, 2).map((row) => row.map(Math.fround));
      expect(maxDifference(await run(bytes, inputs), forward(model, inputs))).toBeLessThan(1e-6);
    }
  });

  it('runs at every opset from 13 to 21, all activations in one network', async () => {
    const model = randomModel(
      16,
      3,
      ALL_ACTIVATIONS.map((activation) => ({ units: 3, activation })),
      true,
    );
    const inputs = randomInputs(17, 4, 3).map((row) => row.map(Math.fround));
    const expected = forward(model, inputs);
    for (let opset = 13; opset <= 21; opset++) {
      const bytes = toOnnx(model, { opset });
      expect(maxDifference(await run(bytes, inputs), expected), `opset ${opset}`).toBeLessThan(1e-6);
      expect(fromOnnx(bytes)).toEqual(model);
    }
  });

  it('refuses an opset without Softmax over the last axis', () => {
    expect(() => toOnnx(threeLayers('relu', true), { opset: 11 })).toThrow(
      /opset must be an integer from 13 to 21/,
    );
  });

  it('refuses a model file whose shapes do not agree, naming the field', () => {
    const model = threeLayers('relu', true);
    model.layers[1].weights.pop();
    expect(() => toOnnx(model)).toThrow(/layers\[1\]\.weights: expected 5 rows/);
  });
});

describe('ONNX round trips', () => {
  for (const activation of ALL_ACTIVATIONS) {
    it(`reproduces float64 weights exactly, ${activation}`, () => {
      const model = threeLayers(activation, false, 21);
      expect(fromOnnx(toOnnx(model, { dtype: 'float64' }))).toEqual(model);
    });
  }

  it('reproduces float32 weights exactly from a float32 file, and rounds others to float32', () => {
    const model = threeLayers('tanh', true, 22);
    expect(fromOnnx(toOnnx(model))).toEqual(model);
    const wide = threeLayers('tanh', false, 22);
    const back = fromOnnx(toOnnx(wide));
    expect(back.layers[0].weights[1][2]).toBe(Math.fround(wide.layers[0].weights[1][2]));
    expect(back.layers[0].weights[1][2]).not.toBe(wide.layers[0].weights[1][2]);
  });

  it('carries the optional fields in the metadata and mixes linear and other layers', () => {
    const model: ModelFile = {
      ...randomModel(
        4,
        2,
        [
          { units: 3, activation: 'linear' },
          { units: 3, activation: 'relu' },
          { units: 2, activation: 'linear' },
          { units: 2, activation: 'softmax' },
        ],
        true,
      ),
      inputColumns: ['x', 'y'],
      scaling: { method: 'standard', mean: [1, 2], std: [3, 4] },
      targetColumns: ['label'],
      classes: ['red', 'blue'],
    };
    const onnx = decodeOnnx(toOnnx(model));
    expect(onnx.graph?.node?.map((n) => n.op_type)).toEqual([
      'Gemm',
      'Gemm',
      'Relu',
      'Gemm',
      'Gemm',
      'Softmax',
    ]);
    expect(fromOnnx(toOnnx(model))).toEqual(model);
  });
});

describe('toOnnx with rawInputs puts the preprocessing into the graph', () => {
  const numeric = (): ModelFile => ({
    ...randomModel(
      15,
      2,
      [
        { units: 4, activation: 'tanh' },
        { units: 2, activation: 'linear' },
      ],
      true,
    ),
    inputColumns: ['height', 'weight'],
    targetColumns: ['price', 'rent'],
    // the data layer's encoding: x fed as (x - offset) / scale, targets likewise
    preprocessing: {
      scaling: 'standard',
      inputs: [
        { column: 'height', kind: 'number', offset: 170, scale: 10 },
        { column: 'weight', kind: 'number', offset: 70, scale: 12 },
      ],
      target: { kind: 'numbers', columns: ['price', 'rent'], offset: [300, 12], scale: [50, 2] },
    },
  });

  it('takes raw columns and gives outputs in raw units', async () => {
    const model = numeric();
    const raw = [
      [180, 75],
      [160, 50],
      [175, 90],
    ];
    const scaled = raw.map(([h, w]) => [(h - 170) / 10, (w - 70) / 12]);
    const expected = forward(model, scaled).map(([p, r]) => [p * 50 + 300, r * 2 + 12]);
    const bytes = toOnnx(model, { rawInputs: true, dtype: 'float64' });
    expect(decodeOnnx(bytes).graph?.node?.map((n) => n.op_type)).toEqual([
      'Sub',
      'Div',
      'Gemm',
      'Tanh',
      'Gemm',
      'Mul',
      'Add',
    ]);
    expect(maxDifference(await run(bytes, raw, 'float64'), expected)).toBeLessThan(1e-9);
    expect(fromOnnx(bytes)).toEqual(model);
    expect(fromOnnx(toOnnx(model, { rawInputs: true }))).toEqual(model);
  });

  it('keeps class outputs as they are, and refuses text inputs', () => {
    const model: ModelFile = {
      ...numeric(),
      preprocessing: {
        ...(numeric().preprocessing as object),
        target: { kind: 'classes', column: 'c', classes: ['a', 'b'], binary: false },
      },
    };
    const ops = decodeOnnx(toOnnx(model, { rawInputs: true })).graph?.node?.map((n) => n.op_type);
    expect(ops).toEqual(['Sub', 'Div', 'Gemm', 'Tanh', 'Gemm']);
    expect(fromOnnx(toOnnx(model, { rawInputs: true }))).toEqual(model);
    const text: ModelFile = {
      ...model,
      preprocessing: {
        scaling: 'standard',
        inputs: [
          { column: 'height', kind: 'number', offset: 170, scale: 10 },
          { column: 'colour', kind: 'category', categories: ['red'] },
        ],
      },
    };
    expect(() => toOnnx(text, { rawInputs: true })).toThrow(/input column 'colour' is text, one-hot encoded/);
    expect(() =>
      toOnnx(randomModel(1, 2, [{ units: 1, activation: 'linear' }]), { rawInputs: true }),
    ).toThrow(/this model has none/);
  });
});

describe('fromOnnx reads what other tools write', () => {
  it('the committed fixture files are what their builders write', () => {
    for (const [name, build] of Object.entries(ONNX_FIXTURES)) {
      expect(fixture(name), name).toEqual(new Uint8Array(build()));
    }
  });

  it("reads torch.onnx.export's nn.Sequential of Linear, ReLU, Tanh, LeakyReLU, Sigmoid, GELU and Softmax", async () => {
    const bytes = fixture('torch-sequential.onnx');
    const model = fromOnnx(bytes);
    expect(model.inputs).toBe(4);
    expect(model.layers.map((l) => l.activation)).toEqual(TORCH_ACTIVATIONS);
    expect(model.layers.map((l) => l.units)).toEqual(TORCH_SIZES.slice(1));
    const linears = torchLinears();
    model.layers.forEach((layer, n) => {
      // torch keeps weight[i][m] (out x in); ours is weights[m][i] (fan-in x units)
      expect(layer.weights).toEqual(
        linears[n].weight[0].map((_, m) => linears[n].weight.map((row) => row[m])),
      );
      expect(layer.biases).toEqual(linears[n].bias);
    });
    // The file itself, run by ONNX Runtime, agrees with the imported network.
    const inputs = randomInputs(31, 7, 4).map((row) => row.map(Math.fround));
    expect(maxDifference(await run(bytes, inputs), forward(model, inputs))).toBeLessThan(1e-6);
  });

  it("reads tf2onnx's MatMul + Add (bias first) with an Identity before the output", async () => {
    const { bytes, kernels, biases } = tf2onnxDense();
    const model = fromOnnx(bytes);
    expect(model.layers.map((l) => l.activation)).toEqual(['relu', 'linear']);
    expect(model.layers.map((l) => l.weights)).toEqual(kernels);
    expect(model.layers.map((l) => l.biases)).toEqual(biases);
    const inputs = randomInputs(32, 5, 3).map((row) => row.map(Math.fround));
    const outputs = await run(bytes, inputs, 'float32', { input: 'dense_input', output: 'dense_1' });
    expect(maxDifference(outputs, forward(model, inputs))).toBeLessThan(1e-6);
  });

  it('reads weights transposed in the graph, and MatMul without Add as zero biases', () => {
    const model = randomModel(8, 3, [{ units: 2, activation: 'sigmoid' }], true);
    const onnx = decodeOnnx(toOnnx(model));
    const nodes = onnx.graph!.node!;
    // Keep torch's out x in weight and transpose it in the graph, as some exporters do.
    nodes.unshift({
      op_type: 'Transpose',
      input: ['0.weight'],
      output: ['wT'],
      attribute: [{ name: 'perm', type: 7, ints: [1, 0] }],
    });
    nodes[1] = { name: 'mm', op_type: 'MatMul', input: ['input', 'wT'], output: nodes[1].output };
    onnx.graph!.initializer = onnx.graph!.initializer!.filter((t) => t.name !== '0.bias');
    expect(fromOnnx(encodeOnnx(onnx)).layers[0]).toEqual({ ...model.layers[0], biases: [0, 0] });
  });
});

describe('fromOnnx refuses what an MLP cannot express, naming the operator', () => {
  it('a convolution', () => {
    expect(() => fromOnnx(fixture('conv.onnx'))).toThrow(
      /operator Conv \(node '\/0\/Conv'\) cannot be expressed/,
    );
  });

  it('a residual Add of two computed tensors', () => {
    expect(() => fromOnnx(fixture('residual.onnx'))).toThrow(InteropError);
    expect(() => fromOnnx(fixture('residual.onnx'))).toThrow(
      /feeds 2 nodes \(Gemm \(node '\/fc2\/Gemm'\), Add \(node '\/Add'\)\)/,
    );
  });

  const edit = (change: (onnx: OnnxModel) => void): Uint8Array => {
    const onnx = decodeOnnx(
      toOnnx(
        randomModel(
          9,
          3,
          [
            { units: 4, activation: 'relu' },
            { units: 2, activation: 'sigmoid' },
          ],
          true,
        ),
      ),
    );
    change(onnx);
    return encodeOnnx(onnx);
  };

  it('a LeakyRelu whose slope is not 0.01', () => {
    const bytes = edit((onnx) => {
      const relu = onnx.graph!.node!.find((n) => n.op_type === 'Relu')!;
      relu.op_type = 'LeakyRelu';
      relu.attribute = [{ name: 'alpha', type: 1, f: 0.2 }];
    });
    expect(() => fromOnnx(bytes)).toThrow(/LeakyRelu \(node '\/1\/Relu'\) has slope alpha = 0\.2/);
  });

  it('two activations in a row', () => {
    const bytes = edit((onnx) => {
      const nodes = onnx.graph!.node!;
      const relu = nodes.findIndex((n) => n.op_type === 'Relu');
      nodes.splice(relu + 1, 0, {
        name: 'extra',
        op_type: 'Tanh',
        input: ['t'],
        output: [nodes[relu].output![0]],
      });
      nodes[relu].output = ['t'];
    });
    expect(() => fromOnnx(bytes)).toThrow(/activation Tanh \(node 'extra'\) comes right after Relu/);
  });

  it('an operator of another domain, and bytes that are not ONNX', () => {
    const bytes = edit((onnx) => {
      onnx.opset_import!.push({ domain: 'com.microsoft', version: 1 });
      const relu = onnx.graph!.node!.find((n) => n.op_type === 'Relu')!;
      relu.op_type = 'FusedRelu';
      relu.domain = 'com.microsoft';
    });
    expect(() => fromOnnx(bytes)).toThrow(/FusedRelu .* of domain 'com.microsoft'/);
    expect(() => fromOnnx(new TextEncoder().encode('{"format": "backprop-mlp"}'))).toThrow(InteropError);
  });
});
