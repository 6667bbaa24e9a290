import { describe, expect, it } from 'vitest';
import type { ActivationName } from '../src/activations.js';
import { InteropError } from '../src/interop/common.js';
import { fromSafetensors, parseLayerSpec, toSafetensors } from '../src/interop/safetensors.js';
import type { ModelFile } from '../src/model/format.js';
import { ALL_ACTIVATIONS, randomModel } from './fixtures/interop/models.js';

interface Entry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** Reads a safetensors file by the format's own rules, independently of fromSafetensors. */
function parse(bytes: Uint8Array) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
  const header = JSON.parse(text) as Record<string, Entry> & { __metadata__?: Record<string, string> };
  return { n, text, header, data: bytes.subarray(8 + n) };
}

/**
 * A safetensors file as `safetensors.torch.save_file(model.state_dict(), ...)`
 * writes it: tensors sorted by name, back to back, `__metadata__` of `format: pt`,
 * the header padded with spaces to a multiple of 8.
 */
function torchFile(
  tensors: Record<string, { shape: number[]; values: number[]; dtype?: 'F32' | 'F16' | 'BF16' }>,
) {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const name of Object.keys(tensors).sort()) {
    const { shape, values, dtype = 'F32' } = tensors[name];
    let data: Uint8Array;
    if (dtype === 'F32') data = new Uint8Array(Float32Array.from(values).buffer);
    else if (dtype === 'BF16') {
      const f32 = new Uint32Array(Float32Array.from(values).buffer);
      data = new Uint8Array(Uint16Array.from(f32, (bits) => bits >>> 16).buffer);
    } else {
      // IEEE half-precision bits of the few values the fixtures use
      const HALF: Record<number, number> = {
        0: 0x0000,
        0.5: 0x3800,
        [-0.5]: 0xb800,
        1.5: 0x3e00,
        [-2]: 0xc000,
      };
      const bits = values.map((x) => HALF[x]);
      data = new Uint8Array(Uint16Array.from(bits).buffer);
    }
    header[name] = { dtype, shape, data_offsets: [offset, offset + data.length] };
    chunks.push(data);
    offset += data.length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(new TextEncoder().encode(json), 8);
  let at = 8 + json.length;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

const mixed = (float32: boolean, seed = 5): ModelFile =>
  randomModel(
    seed,
    3,
    [
      { units: 4, activation: 'relu' },
      { units: 4, activation: 'linear' },
      { units: 2, activation: 'softmax' },
    ],
    float32,
  );

describe('toSafetensors writes the safetensors format', () => {
  it('header length, JSON header padded to 8 bytes, tensor names and shapes of an nn.Sequential', () => {
    const model = mixed(true);
    const { bytes } = toSafetensors(model);
    const { n, text, header, data } = parse(bytes);
    expect(n % 8).toBe(0);
    expect(8 + n).toBeLessThanOrEqual(bytes.length);
    expect(text.startsWith('{')).toBe(true);
    expect(text.trimEnd().length).toBeGreaterThan(n - 8);
    // Linear(3, 4), ReLU, Linear(4, 4), Linear(4, 2), Softmax: modules 0, 1, 2, 3, 4
    const names = Object.keys(header).filter((k) => k !== '__metadata__');
    expect(names).toEqual(['0.weight', '0.bias', '2.weight', '2.bias', '3.weight', '3.bias']);
    expect(names.map((k) => header[k].shape)).toEqual([[4, 3], [4], [4, 4], [4], [2, 4], [2]]);
    expect(names.every((k) => header[k].dtype === 'F32')).toBe(true);
    // back to back from offset 0 to the end of the file
    let end = 0;
    for (const k of names) {
      expect(header[k].data_offsets[0]).toBe(end);
      end = header[k].data_offsets[1];
    }
    expect(end).toBe(data.length);
    // weights are out x in: 0.weight[i][m] = weights[m][i], little-endian float32
    const [b, e] = header['0.weight'].data_offsets;
    const view = new DataView(data.buffer, data.byteOffset + b, e - b);
    for (let i = 0; i < 4; i++) {
      for (let m = 0; m < 3; m++)
        expect(view.getFloat32((i * 3 + m) * 4, true)).toBe(model.layers[0].weights[m][i]);
    }
    const meta = header.__metadata__!;
    expect(meta.format).toBe('pt');
    expect(Object.values(meta).every((v) => typeof v === 'string')).toBe(true);
    expect(meta['backprop.activations']).toBe('relu,linear,softmax');
  });

  it('float64 tensors as F64', () => {
    const { bytes } = toSafetensors(mixed(false), { dtype: 'float64' });
    const { header } = parse(bytes);
    expect(header['0.weight'].dtype).toBe('F64');
    expect(header['0.weight'].data_offsets[1] - header['0.weight'].data_offsets[0]).toBe(8 * 12);
  });

  it('prints the Python that builds the matching nn.Sequential and loads the file', () => {
    const model: ModelFile = { ...mixed(true), inputColumns: ['a', 'b', 'c'], classes: ['x', 'y'] };
    const { python } = toSafetensors(model, { fileName: 'mlp.safetensors' });
    expect(python).toContain(
      [
        'model = nn.Sequential(',
        '    nn.Linear(3, 4),',
        '    nn.ReLU(),',
        '    nn.Linear(4, 4),',
        '    nn.Linear(4, 2),',
        '    nn.Softmax(dim=-1),',
        ')',
        'model.load_state_dict(load_file("mlp.safetensors"))',
      ].join('\n'),
    );
    expect(python).toContain('from safetensors.torch import load_file');
    expect(python).toContain('classes = ["x", "y"]');
    expect(python).toContain('input_columns = ["a", "b", "c"]');
    const scaled = toSafetensors({
      ...mixed(true),
      preprocessing: {
        scaling: 'minmax',
        inputs: ['a', 'b', 'c'].map((column, k) => ({ column, kind: 'number', offset: k, scale: 2 })),
        target: { kind: 'numbers', columns: ['t1', 't2'], offset: [1, 2], scale: [3, 4] },
      },
    }).python;
    expect(scaled).toContain(
      'input_offset = torch.tensor([0.0, 1.0, 2.0])\ninput_scale = torch.tensor([2.0, 2.0, 2.0])',
    );
    expect(scaled).toContain(
      'target_offset = torch.tensor([1.0, 2.0])\ntarget_scale = torch.tensor([3.0, 4.0])',
    );
    const all = randomModel(
      1,
      2,
      ALL_ACTIVATIONS.map((activation) => ({ units: 2, activation })),
    );
    const modules = toSafetensors(all, { dtype: 'float64' }).python;
    for (const m of [
      'nn.Sigmoid()',
      'nn.Tanh()',
      'nn.LeakyReLU(0.01)',
      'nn.ELU(alpha=1.0)',
      'nn.Softplus()',
      'nn.GELU()',
    ]) {
      expect(modules).toContain(m);
    }
    expect(modules).toContain('model = model.double()');
  });
});

describe('safetensors round trips', () => {
  for (const activation of ALL_ACTIVATIONS) {
    it(`reproduces float64 weights exactly, ${activation}`, () => {
      const model = randomModel(9, 3, [
        { units: 4, activation },
        { units: 2, activation },
      ]);
      expect(fromSafetensors(toSafetensors(model, { dtype: 'float64' }).bytes)).toEqual(model);
    });
  }

  it('reproduces float32 weights exactly from F32, with the optional fields, and with a layer list given', () => {
    const model: ModelFile = { ...mixed(true, 6), targetColumns: ['t'], training: { epochs: 3 } };
    const { bytes } = toSafetensors(model);
    expect(fromSafetensors(bytes)).toEqual(model);
    expect(fromSafetensors(bytes, ['ReLU', 'Identity', 'softmax'])).toEqual(model);
  });
});

describe('fromSafetensors reads a PyTorch state dict with a layer list', () => {
  it('nn.Sequential(Linear(2, 3), Tanh(), Linear(3, 1)) as save_file writes it', () => {
    const bytes = torchFile({
      '0.weight': { shape: [3, 2], values: [1, 2, 3, 4, 5, 6] },
      '0.bias': { shape: [3], values: [0.5, 0, -0.5] },
      '2.weight': { shape: [1, 3], values: [7, 8, 9] },
      '2.bias': { shape: [1], values: [-1] },
    });
    expect(fromSafetensors(bytes, 'tanh,linear')).toEqual({
      format: 'backprop-mlp',
      version: 1,
      inputs: 2,
      layers: [
        {
          units: 3,
          activation: 'tanh',
          weights: [
            [1, 3, 5],
            [2, 4, 6],
          ],
          biases: [0.5, 0, -0.5],
        },
        { units: 1, activation: 'linear', weights: [[7], [8], [9]], biases: [-1] },
      ],
    });
  });

  it('a prefixed module, bfloat16 and float16 tensors, a Linear without bias', () => {
    const bytes = torchFile({
      'net.0.weight': { shape: [2, 2], values: [1.5, -2, 0.5, 0], dtype: 'BF16' },
      'net.2.weight': { shape: [1, 2], values: [0.5, -0.5], dtype: 'F16' },
      'net.2.bias': { shape: [1], values: [1.5], dtype: 'F16' },
    });
    const model = fromSafetensors(bytes, 'LeakyReLU,Sigmoid');
    expect(model.layers[0]).toEqual({
      units: 2,
      activation: 'leaky-relu',
      weights: [
        [1.5, 0.5],
        [-2, 0],
      ],
      biases: [0, 0],
    });
    expect(model.layers[1]).toEqual({
      units: 1,
      activation: 'sigmoid',
      weights: [[0.5], [-0.5]],
      biases: [1.5],
    });
  });

  it('reads layer lists in both namings', () => {
    expect(parseLayerSpec('relu, LeakyReLU,GELU,nn.Softmax(dim=-1),Identity'.replace('nn.', ''))).toEqual([
      'relu',
      'leaky-relu',
      'gelu',
      'softmax',
      'linear',
    ] as ActivationName[]);
    expect(() => parseLayerSpec('relu,swish')).toThrow(/unknown activation 'swish'/);
  });
});

describe('fromSafetensors refuses what an MLP cannot express, naming the tensor', () => {
  it('a convolution kernel', () => {
    const bytes = torchFile({
      '0.weight': { shape: [2, 1, 1, 1], values: [1, 2] },
      '0.bias': { shape: [2], values: [0, 0] },
    });
    expect(() => fromSafetensors(bytes, 'relu')).toThrow(
      /tensor '0.weight' has shape \[2,1,1,1\]; a Linear layer's weight is a matrix/,
    );
  });

  it('batch-norm statistics', () => {
    const bytes = torchFile({
      '0.weight': { shape: [2, 2], values: [1, 2, 3, 4] },
      '1.running_mean': { shape: [2], values: [0, 0] },
    });
    expect(() => fromSafetensors(bytes, 'relu')).toThrow(
      /tensor '1.running_mean' \(shape \[2\]\) is not a Linear layer's/,
    );
  });

  it('a layer list that does not fit the file', () => {
    const bytes = torchFile({
      '0.weight': { shape: [2, 2], values: [1, 2, 3, 4] },
      '1.weight': { shape: [1, 2], values: [1, 2] },
    });
    expect(() => fromSafetensors(bytes)).toThrow(
      /holds no activations: give one per Linear layer \(2 here\)/,
    );
    expect(() => fromSafetensors(bytes, 'relu')).toThrow(/names 1 activations; the file has 2 Linear layers/);
    expect(() => fromSafetensors(bytes, 'relu,linear')).toThrow(
      /puts relu after module '0', but the next Linear is module 1/,
    );
    expect(fromSafetensors(bytes, 'linear,sigmoid').layers.map((l) => l.activation)).toEqual([
      'linear',
      'sigmoid',
    ]);
  });

  it('bytes that are not safetensors', () => {
    expect(() => fromSafetensors(new Uint8Array([1, 2, 3]))).toThrow(InteropError);
    expect(() => fromSafetensors(new TextEncoder().encode('{"format":"backprop-mlp"} and more'))).toThrow(
      /header length/,
    );
  });
});
