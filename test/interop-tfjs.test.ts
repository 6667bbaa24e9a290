import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ActivationName } from '../src/activations.js';
import { InteropError } from '../src/interop/common.js';
import { fromTfjs, type TfjsModelJson, toTfjs } from '../src/interop/tfjs.js';
import type { ModelFile } from '../src/model/format.js';
import {
  ALL_ACTIVATIONS,
  forward,
  maxDifference,
  randomInputs,
  randomModel,
} from './fixtures/interop/models.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/**
 * Loads a model.json + weights pair with tf.loadLayersModel through its HTTP
 * loader, serving the two files from memory: the path a browser takes.
 */
async function load(modelJson: TfjsModelJson, files: Record<string, Uint8Array>): Promise<tf.LayersModel> {
  const served: Record<string, Uint8Array> = {
    'model.json': new TextEncoder().encode(JSON.stringify(modelJson)),
    ...files,
  };
  const fetchFunc = async (url: string | URL | Request): Promise<Response> => {
    const name = String(url).replace('http://models.test/', '');
    const body = served[name];
    if (!body) return new Response('not found', { status: 404 });
    return new Response(body.slice().buffer as ArrayBuffer, { status: 200 });
  };
  return tf.loadLayersModel('http://models.test/model.json', { fetchFunc: fetchFunc as typeof fetch });
}

function predict(model: tf.LayersModel, inputs: number[][]): number[][] {
  return tf.tidy(() => (model.predict(tf.tensor2d(inputs)) as tf.Tensor).arraySync() as number[][]);
}

function threeLayers(activation: ActivationName, float32Weights = true, seed = 3): ModelFile {
  return randomModel(
    seed,
    3,
    [
      { units: 5, activation },
      { units: 4, activation },
      { units: 2, activation },
    ],
    float32Weights,
  );
}

describe('toTfjs loads in TensorFlow.js and agrees with the network', () => {
  for (const activation of ALL_ACTIVATIONS) {
    it(activation, async () => {
      const model = threeLayers(activation);
      const { modelJson, weightsBin } = toTfjs(model);
      const loaded = await load(modelJson, { 'model.weights.bin': weightsBin });
      const inputs = randomInputs(17, 8, 3).map((row) => row.map(Math.fround));
      const outputs = predict(loaded, inputs);
      expect(outputs).toHaveLength(8);
      // TensorFlow.js computes erf to about 1e-7, so gelu is held a little looser.
      const tolerance = activation === 'gelu' ? 2e-6 : 1e-6;
      expect(maxDifference(outputs, forward(model, inputs))).toBeLessThan(tolerance);
      loaded.dispose();
    });
  }

  it('writes leaky-relu as a linear Dense followed by LeakyReLU(alpha 0.01), one weights file', () => {
    const { modelJson, weightsBin } = toTfjs(threeLayers('leaky-relu'), { weightsPath: 'w.bin' });
    const layers = (
      modelJson.modelTopology.config as { layers: { class_name: string; config: Record<string, unknown> }[] }
    ).layers;
    expect(layers.map((l) => l.class_name)).toEqual([
      'Dense',
      'LeakyReLU',
      'Dense',
      'LeakyReLU',
      'Dense',
      'LeakyReLU',
    ]);
    expect(layers[0].config.activation).toBe('linear');
    expect(layers[1].config.alpha).toBe(0.01);
    expect(layers[0].config.batch_input_shape).toEqual([null, 3]);
    expect(modelJson.weightsManifest[0].paths).toEqual(['w.bin']);
    expect(modelJson.weightsManifest[0].weights.map((w) => [w.name, w.shape])).toEqual([
      ['dense_1/kernel', [3, 5]],
      ['dense_1/bias', [5]],
      ['dense_2/kernel', [5, 4]],
      ['dense_2/bias', [4]],
      ['dense_3/kernel', [4, 2]],
      ['dense_3/bias', [2]],
    ]);
    expect(weightsBin.length).toBe(4 * (15 + 5 + 20 + 4 + 8 + 2));
  });
});

describe('TensorFlow.js round trips', () => {
  for (const activation of ALL_ACTIVATIONS) {
    it(`reproduces float32 weights exactly, ${activation}`, () => {
      const model = threeLayers(activation, true, 40);
      const { modelJson, weightsBin } = toTfjs(model);
      expect(fromTfjs(JSON.parse(JSON.stringify(modelJson)), weightsBin)).toEqual(model);
    });
  }

  it('carries the optional fields in userDefinedMetadata, and rounds float64 weights to float32', () => {
    const model: ModelFile = {
      ...threeLayers('softmax', false, 41),
      inputColumns: ['a', 'b', 'c'],
      classes: ['no', 'yes'],
      training: { loss: 'cross-entropy' },
    };
    const { modelJson, weightsBin } = toTfjs(model);
    expect(modelJson.userDefinedMetadata?.backprop).toEqual({
      inputColumns: ['a', 'b', 'c'],
      classes: ['no', 'yes'],
      training: { loss: 'cross-entropy' },
    });
    const back = fromTfjs(JSON.stringify(modelJson), weightsBin.buffer as ArrayBuffer);
    expect(back.classes).toEqual(['no', 'yes']);
    expect(back.layers[2].weights[3][1]).toBe(Math.fround(model.layers[2].weights[3][1]));
  });
});

/** What tfjs-layers itself saves for `model`: the model.json and weights of model.save(). */
async function saveWithTfjs(model: tf.LayersModel): Promise<{ modelJson: unknown; weights: Uint8Array }> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const { weightData, weightSpecs, ...rest } = saved!;
  const modelJson = { ...rest, weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: weightSpecs }] };
  return { modelJson, weights: new Uint8Array(weightData as ArrayBuffer) };
}

describe('fromTfjs reads models that TensorFlow.js writes', () => {
  it('a Sequential of Dense, Activation, ReLU, LeakyReLU, Softmax and Dropout layers', async () => {
    const m = tf.sequential();
    m.add(tf.layers.dense({ units: 6, inputShape: [4], activation: 'elu' }));
    m.add(tf.layers.dropout({ rate: 0.5 }));
    m.add(tf.layers.dense({ units: 5 }));
    m.add(tf.layers.activation({ activation: 'tanh' }));
    m.add(tf.layers.dense({ units: 5 }));
    m.add(tf.layers.reLU());
    m.add(tf.layers.dense({ units: 4, useBias: false }));
    m.add(tf.layers.leakyReLU({ alpha: 0.01 }));
    m.add(tf.layers.dense({ units: 3 }));
    m.add(tf.layers.softmax());
    const { modelJson, weights } = await saveWithTfjs(m);
    const model = fromTfjs(modelJson, { 'group1-shard1of1.bin': weights });
    expect(model.layers.map((l) => l.activation)).toEqual(['elu', 'tanh', 'relu', 'leaky-relu', 'softmax']);
    expect(model.layers[3].biases).toEqual([0, 0, 0, 0]);
    const inputs = randomInputs(18, 6, 4).map((row) => row.map(Math.fround));
    expect(maxDifference(predict(m, inputs), forward(model, inputs))).toBeLessThan(1e-6);
    m.dispose();
  });

  it('a functional chain converted from Keras (model_config, InputLayer, Keras 2 inbound_nodes)', () => {
    const modelJson = {
      format: 'layers-model',
      generatedBy: 'keras v2.15.0',
      convertedBy: 'TensorFlow.js Converter v4.22.0',
      modelTopology: {
        keras_version: '2.15.0',
        backend: 'tensorflow',
        model_config: {
          class_name: 'Functional',
          config: {
            name: 'model',
            layers: [
              {
                class_name: 'InputLayer',
                config: { batch_input_shape: [null, 2], name: 'x' },
                name: 'x',
                inbound_nodes: [],
              },
              {
                class_name: 'Dense',
                config: { name: 'hidden', units: 2, activation: 'sigmoid', use_bias: true },
                name: 'hidden',
                inbound_nodes: [[['x', 0, 0, {}]]],
              },
              {
                class_name: 'Dense',
                config: { name: 'out', units: 1, activation: 'linear', use_bias: true },
                name: 'out',
                inbound_nodes: [[['hidden', 0, 0, {}]]],
              },
            ],
          },
        },
      },
      weightsManifest: [
        {
          paths: ['group1-shard1of1.bin'],
          weights: [
            { name: 'hidden/kernel', shape: [2, 2], dtype: 'float32' },
            { name: 'hidden/bias', shape: [2], dtype: 'float32' },
            { name: 'out/kernel', shape: [2, 1], dtype: 'float32' },
            { name: 'out/bias', shape: [1], dtype: 'float32' },
          ],
        },
      ],
    };
    const weights = new Uint8Array(Float32Array.from([1, 2, 3, 4, 0.5, -0.5, 10, 20, -1]).buffer);
    expect(fromTfjs(modelJson, weights)).toEqual({
      format: 'backprop-mlp',
      version: 1,
      inputs: 2,
      layers: [
        {
          units: 2,
          activation: 'sigmoid',
          weights: [
            [1, 2],
            [3, 4],
          ],
          biases: [0.5, -0.5],
        },
        { units: 1, activation: 'linear', weights: [[10], [20]], biases: [-1] },
      ],
    });
  });

  it('a Keras 3 functional chain (batch_shape, keras_history)', () => {
    const tensor = (from: string) => [
      {
        args: [
          {
            class_name: '__keras_tensor__',
            config: { shape: [null, 2], dtype: 'float32', keras_history: [from, 0, 0] },
          },
        ],
        kwargs: {},
      },
    ];
    const modelJson = {
      format: 'layers-model',
      modelTopology: {
        class_name: 'Functional',
        config: {
          name: 'functional',
          layers: [
            {
              module: 'keras.layers',
              class_name: 'InputLayer',
              config: { batch_shape: [null, 2], name: 'input_layer' },
              name: 'input_layer',
              inbound_nodes: [],
            },
            {
              module: 'keras.layers',
              class_name: 'Dense',
              config: { name: 'dense', units: 1, activation: 'sigmoid', use_bias: true },
              name: 'dense',
              inbound_nodes: tensor('input_layer'),
            },
          ],
        },
      },
      weightsManifest: [
        {
          paths: ['group1-shard1of1.bin'],
          weights: [
            { name: 'dense/kernel', shape: [2, 1], dtype: 'float32' },
            { name: 'dense/bias', shape: [1], dtype: 'float32' },
          ],
        },
      ],
    };
    const model = fromTfjs(modelJson, new Uint8Array(Float32Array.from([0.5, -1, 2]).buffer));
    expect(model.layers).toEqual([{ units: 1, activation: 'sigmoid', weights: [[0.5], [-1]], biases: [2] }]);
  });
});

describe('fromTfjs refuses what an MLP cannot express, naming the layer', () => {
  const dense = (name: string, units: number, extra: Record<string, unknown> = {}) => ({
    class_name: 'Dense',
    config: { name, units, activation: 'relu', use_bias: true, ...extra },
  });
  const json = (layers: unknown[], className = 'Sequential') => ({
    format: 'layers-model',
    modelTopology: { class_name: className, config: { name: 'm', layers } },
    weightsManifest: [{ paths: ['w.bin'], weights: [] }],
  });

  it('a convolution', () => {
    const model = json([{ class_name: 'Conv2D', config: { name: 'conv2d', filters: 8 } }]);
    expect(() => fromTfjs(model, new Uint8Array(0))).toThrow(/layer 'conv2d' \(Conv2D\) cannot be expressed/);
  });

  it('a residual Add', () => {
    const model = json(
      [
        { class_name: 'InputLayer', config: { name: 'x', batch_input_shape: [null, 2] }, inbound_nodes: [] },
        { ...dense('a', 2), inbound_nodes: [[['x', 0, 0, {}]]] },
        {
          class_name: 'Add',
          config: { name: 'add' },
          inbound_nodes: [
            [
              ['x', 0, 0, {}],
              ['a', 0, 0, {}],
            ],
          ],
        },
      ],
      'Functional',
    );
    expect(() => fromTfjs(model, new Uint8Array(0))).toThrow(/layer 'add' \(Add\) joins 2 tensors \(x, a\)/);
  });

  it("a LeakyReLU with Keras's default slope 0.3, and an unknown activation", () => {
    const leaky = json([
      dense('d', 2, { activation: 'linear', batch_input_shape: [null, 1] }),
      { class_name: 'LeakyReLU', config: { name: 'lr', alpha: 0.3 } },
    ]);
    leaky.weightsManifest[0].weights = [
      { name: 'd/kernel', shape: [1, 2], dtype: 'float32' },
      { name: 'd/bias', shape: [2], dtype: 'float32' },
    ] as never;
    expect(() => fromTfjs(leaky, new Uint8Array(16))).toThrow(
      /layer 'lr' \(LeakyReLU\) has slope alpha = 0\.3/,
    );
    const selu = json([dense('d', 2, { activation: 'selu', batch_input_shape: [null, 1] })]);
    selu.weightsManifest = leaky.weightsManifest;
    expect(() => fromTfjs(selu, new Uint8Array(16))).toThrow(
      /layer 'd' \(Dense\) uses the activation 'selu'/,
    );
  });

  it('quantized or missing weights, and a file that is not a layers model', () => {
    const q = json([dense('d', 2, { batch_input_shape: [null, 1] })]);
    q.weightsManifest[0].weights = [
      {
        name: 'd/kernel',
        shape: [1, 2],
        dtype: 'float32',
        quantization: { dtype: 'uint8', scale: 1, min: 0 },
      },
    ] as never;
    expect(() => fromTfjs(q, new Uint8Array(2))).toThrow(/weight 'd\/kernel' is quantized/);
    const short = json([dense('d', 2, { batch_input_shape: [null, 1] })]);
    short.weightsManifest[0].weights = [{ name: 'd/kernel', shape: [1, 2], dtype: 'float32' }] as never;
    expect(() => fromTfjs(short, new Uint8Array(4))).toThrow(/ends before weight 'd\/kernel'/);
    expect(() => fromTfjs({ format: 'graph-model' }, new Uint8Array(0))).toThrow(InteropError);
  });
});
