import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CliError } from '../src/cli/errors.js';
import { addInteropCommands } from '../src/cli/interop.js';
import { fromOnnx } from '../src/interop/onnx-import.js';
import type { ModelFile } from '../src/model/format.js';
import { randomModel } from './fixtures/interop/models.js';

const dir = mkdtempSync(join(tmpdir(), 'backprop-interop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fixture = (name: string) => new URL(`fixtures/interop/${name}`, import.meta.url).pathname;

let stdout: string;
let stderr: string;
beforeEach(() => {
  stdout = '';
  stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
});

async function cli(...args: string[]): Promise<void> {
  const program = new Command('backprop')
    .exitOverride()
    .configureOutput({ writeErr: () => {}, writeOut: () => {} });
  addInteropCommands(program);
  await program.parseAsync(args, { from: 'user' });
}

const model: ModelFile = {
  ...randomModel(
    2,
    3,
    [
      { units: 4, activation: 'tanh' },
      { units: 2, activation: 'softmax' },
    ],
    true,
  ),
  inputColumns: ['a', 'b', 'c'],
  classes: ['no', 'yes'],
};
const modelPath = join(dir, 'model.json');
writeFileSync(modelPath, JSON.stringify(model));
const read = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

describe('backprop export and import', () => {
  it('ONNX out and back', async () => {
    await cli('export', modelPath, '--to', 'onnx', '--out', join(dir, 'm.onnx'));
    expect(stderr).toContain(`wrote ${join(dir, 'm.onnx')} (onnx)`);
    expect(fromOnnx(new Uint8Array(readFileSync(join(dir, 'm.onnx'))))).toEqual(model);
    await cli('import', join(dir, 'm.onnx'), '--out', join(dir, 'from-onnx.json'));
    expect(read(join(dir, 'from-onnx.json'))).toEqual(model);
    expect(stderr).toContain('from onnx: 3 -> 4 tanh -> 2 softmax');
  });

  it('TensorFlow.js into a directory, read back from beside model.json', async () => {
    await cli('export', modelPath, '--to', 'tfjs', '--out', join(dir, 'web'));
    expect(existsSync(join(dir, 'web', 'model.json'))).toBe(true);
    expect(read(join(dir, 'web', 'model.json')).weightsManifest[0].paths).toEqual(['model.weights.bin']);
    await cli('import', join(dir, 'web', 'model.json'), '--out', join(dir, 'from-tfjs.json'));
    expect(read(join(dir, 'from-tfjs.json'))).toEqual(model);
  });

  it('safetensors prints the Python and reads back, with --json', async () => {
    await cli('export', modelPath, '--to', 'safetensors', '--out', join(dir, 'm.safetensors'));
    expect(stdout).toContain(
      'nn.Linear(3, 4),\n    nn.Tanh(),\n    nn.Linear(4, 2),\n    nn.Softmax(dim=-1),',
    );
    expect(stdout).toContain('load_file("m.safetensors")');
    stdout = '';
    await cli('import', join(dir, 'm.safetensors'), '--out', join(dir, 'from-st.json'), '--json');
    expect(JSON.parse(stdout)).toEqual({
      format: 'safetensors',
      out: join(dir, 'from-st.json'),
      inputs: 3,
      layers: [
        { units: 4, activation: 'tanh' },
        { units: 2, activation: 'softmax' },
      ],
    });
    expect(read(join(dir, 'from-st.json'))).toEqual(model);
  });

  it('imports a torch.onnx.export file', async () => {
    await cli('import', fixture('torch-sequential.onnx'), '--out', join(dir, 'torch.json'));
    expect(read(join(dir, 'torch.json')).layers.map((l: { activation: string }) => l.activation)).toEqual([
      'relu',
      'tanh',
      'leaky-relu',
      'sigmoid',
      'gelu',
      'softmax',
    ]);
  });

  it('refuses a convolution naming it, and writes nothing', async () => {
    const out = join(dir, 'conv.json');
    const run = cli('import', fixture('conv.onnx'), '--out', out);
    await expect(run).rejects.toThrow(CliError);
    await expect(cli('import', fixture('conv.onnx'), '--out', out)).rejects.toThrow(
      /conv\.onnx: operator Conv/,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('refuses bad usage with exit status 2', async () => {
    await expect(
      cli('import', fixture('conv.onnx'), '--out', join(dir, 'x.json'), '--layers', 'relu'),
    ).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringContaining('option --layers'),
    });
    await expect(
      cli('export', modelPath, '--to', 'tfjs', '--out', join(dir, 't.json'), '--dtype', 'float64'),
    ).rejects.toThrow(/float32 only/);
    await expect(
      cli('export', modelPath, '--to', 'onnx', '--out', join(dir, 'o.onnx'), '--opset', '9'),
    ).rejects.toThrow(/--opset: expected a whole number from 13 to 21/);
    writeFileSync(join(dir, 'bad.json'), '{"format": "backprop-mlp", "version": 1, "inputs": 0}');
    await expect(
      cli('export', join(dir, 'bad.json'), '--to', 'onnx', '--out', join(dir, 'bad.onnx')),
    ).rejects.toThrow(/bad\.json: inputs: expected a whole number of at least 1/);
    expect(existsSync(join(dir, 'bad.onnx'))).toBe(false);
  });
});

describe('the library converters are browser-safe', () => {
  it('import nothing that only Node has', async () => {
    const { readdirSync } = await import('node:fs');
    const folder = new URL('../src/interop/', import.meta.url);
    const files = readdirSync(folder).filter((f) => f.endsWith('.ts'));
    expect(files).toContain('onnx.ts');
    for (const file of files) {
      const source = readFileSync(new URL(file, folder), 'utf8');
      const imports = [...source.matchAll(/from '([^']+)'/g)].map((m) => m[1]);
      for (const spec of imports) {
        expect(
          spec.startsWith('node:') || ['fs', 'path', 'os', 'buffer'].includes(spec),
          `${file} imports ${spec}`,
        ).toBe(false);
      }
      expect(source, file).not.toMatch(/\bBuffer\.|\bprocess\./);
    }
  });
});

describe('backprop export --raw-inputs', () => {
  it('writes the preprocessing into the ONNX graph, and refuses it for the other formats', async () => {
    const scaled: ModelFile = {
      ...model,
      preprocessing: {
        scaling: 'standard',
        inputs: ['a', 'b', 'c'].map((column) => ({ column, kind: 'number', offset: 1, scale: 2 })),
        target: { kind: 'classes', column: 'y', classes: ['no', 'yes'], binary: false },
      },
    };
    const path = join(dir, 'scaled.json');
    writeFileSync(path, JSON.stringify(scaled));
    await cli('export', path, '--to', 'onnx', '--raw-inputs', '--out', join(dir, 'raw.onnx'));
    expect(stderr).not.toContain('note:');
    expect(fromOnnx(new Uint8Array(readFileSync(join(dir, 'raw.onnx'))))).toEqual(scaled);
    await cli('export', path, '--to', 'onnx', '--out', join(dir, 'plain.onnx'));
    expect(stderr).toContain('note: the exported network takes scaled, encoded inputs');
    await expect(
      cli('export', path, '--to', 'safetensors', '--raw-inputs', '--out', join(dir, 'r.st')),
    ).rejects.toThrow(/--raw-inputs: only an ONNX graph/);
  });
});

describe('with the rest of the command line', () => {
  it('a network trained on iris, exported with --raw-inputs, predicts in ONNX Runtime what backprop predict prints', async () => {
    const { buildProgram } = await import('../src/cli/program.js');
    const ort = await import('onnxruntime-web');
    ort.env.wasm.numThreads = 1;
    const run = async (...args: string[]) => {
      let status = 0;
      const program = buildProgram((s) => {
        status = s;
      });
      await program.parseAsync(args, { from: 'user' });
      return status;
    };
    const iris = new URL('../data/iris.csv', import.meta.url).pathname;
    const trained = join(dir, 'iris.json');
    const args = ['--target', 'species', '--hidden', '6', '--epochs', '20', '--quiet', '--out', trained];
    expect(await run('train', iris, ...args)).toBe(0);
    expect(
      await run('export', trained, '--to', 'onnx', '--raw-inputs', '--out', join(dir, 'iris.onnx')),
    ).toBe(0);
    stdout = '';
    expect(await run('predict', trained, iris, '--json')).toBe(0);
    const printed = JSON.parse(stdout).predictions as { probabilities: Record<string, number> }[];

    const rows = readFileSync(iris, 'utf8').trim().split('\n');
    const header = rows[0].split(',');
    const columns = read(trained).inputColumns as string[];
    const raw = rows.slice(1).map((line) => {
      const cells = line.split(',');
      return columns.map((c) => Number(cells[header.indexOf(c)]));
    });
    const session = await ort.InferenceSession.create(readFileSync(join(dir, 'iris.onnx')));
    const result = await session.run({
      input: new ort.Tensor('float32', Float32Array.from(raw.flat()), [raw.length, columns.length]),
    });
    const output = result.output.data as Float32Array;
    const classes = read(trained).classes as string[];
    expect(printed).toHaveLength(raw.length);
    let max = 0;
    printed.forEach((p, r) => {
      classes.forEach((label, k) => {
        max = Math.max(max, Math.abs(p.probabilities[label] - output[r * classes.length + k]));
      });
    });
    expect(max).toBeLessThan(1e-6);
    await session.release();
  });
});
