/**
 * The package as a consumer gets it: `npm pack` of a copy of the sources (its
 * prepack builds dist/), then `npm install <tarball>` into an empty folder
 * outside the clone, then the command, a train/predict round trip on iris, and a
 * TypeScript program that imports every entry under `strict` with
 * `skipLibCheck: false`. It prints the install's time and size; the size is held
 * under 15 MB.
 *
 * Needs the npm registry (or a warm npm cache) for the dependencies.
 */
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCollect } from './fixtures/cli/run.js';

const ROOT = resolve(import.meta.dirname, '..');
const VERSION = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version as string;
const TIMEOUT = 600_000;

type Result = Awaited<ReturnType<typeof spawnCollect>>;

function run(command: string, args: string[], cwd: string): Promise<Result> {
  return spawnCollect(command, args, { cwd, env: { npm_config_update_notifier: 'false' } });
}

/** Bytes of the files under `dir`, symbolic links not followed. */
function bytesUnder(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += bytesUnder(path);
    else total += lstatSync(path).size;
  }
  return total;
}

function ok(r: Result, what: string): void {
  expect(r.code, `${what} failed:\n${r.stderr.trimEnd().split('\n').slice(-20).join('\n')}`).toBe(0);
}

let temp: string;
let consumer: string;
let install: Result;

beforeAll(async () => {
  temp = await mkdtemp(join(tmpdir(), 'backprop-package-'));
  // Packed from a copy, so that its build (prepack) never rewrites the clone's dist/
  // under the feet of the tests that run the built command line.
  const source = join(temp, 'source');
  for (const entry of [
    'package.json',
    'README.md',
    'LICENSE',
    'tsconfig.json',
    'tsconfig.build.json',
    'bin',
    'data',
    'scripts',
    'src',
  ]) {
    await cp(join(ROOT, entry), join(source, entry), { recursive: true });
  }
  await symlink(join(ROOT, 'node_modules'), join(source, 'node_modules'));
  const pack = await run('npm', ['pack', '--pack-destination', temp, '--json'], source);
  ok(pack, 'npm pack');
  const [{ filename }] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as { filename: string }[];
  consumer = join(temp, 'consumer');
  await mkdir(consumer);
  await writeFile(
    join(consumer, 'package.json'),
    JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }),
  );
  install = await run(
    'npm',
    ['install', '--no-audit', '--no-fund', '--prefer-offline', join(temp, filename)],
    consumer,
  );
  ok(install, 'npm install of the tarball');
}, TIMEOUT);

afterAll(async () => {
  if (temp) await rm(temp, { recursive: true, force: true });
});

describe('the packed package, installed', () => {
  it('installs without running a script of its own, lean and quick', () => {
    const modules = join(consumer, 'node_modules');
    const mb = bytesUnder(modules) / 1e6;
    const packages = readdirSync(modules).filter((n) => !n.startsWith('.')).length;
    process.stderr.write(
      `package install: ${install.seconds.toFixed(1)} s, node_modules ${mb.toFixed(1)} MB, ${packages} top-level entries\n`,
    );
    expect(install.stderr).not.toMatch(/backprop-mlp@[^\s]* \((prepare|install|postinstall)/);
    expect(mb).toBeLessThan(15);
    expect(readdirSync(join(modules, '.bin')).sort()).not.toContain('vl2svg');
    const shipped = readdirSync(join(modules, 'backprop-mlp', 'dist'), { recursive: true }) as string[];
    expect(shipped.filter((f) => f.endsWith('.map'))).toEqual([]);
    const kernelType = readFileSync(
      join(modules, 'backprop-mlp/dist/train/small-wasm.generated.d.ts'),
      'utf8',
    );
    expect(kernelType.length).toBeLessThan(1000);
  });

  it('runs npx backprop --version', { timeout: TIMEOUT }, async () => {
    // As the README writes it (with `npx --no`, npm would read --version as its own option).
    const r = await run('npx', ['backprop', '--version'], consumer);
    ok(r, 'npx backprop --version');
    expect(r.stdout.trim()).toBe(VERSION);
  });

  it('trains on iris, predicts, and names the install a report needs', { timeout: TIMEOUT }, async () => {
    const cli = (...args: string[]) => run('npx', ['backprop', ...args], consumer);
    ok(await cli('datasets', 'export', 'iris', '--out', 'iris.csv'), 'datasets export');
    const train = await cli('train', 'iris.csv', '--target', 'species', '--quiet', '--out', 'iris.json');
    ok(train, 'train');
    const predict = await cli('predict', 'iris.json', 'iris.csv', '--out', 'predictions.csv');
    ok(predict, 'predict');
    const lines = readFileSync(join(consumer, 'predictions.csv'), 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(151);
    const species = readFileSync(join(consumer, 'iris.csv'), 'utf8').trimEnd().split('\n').slice(1);
    const right = lines.slice(1).filter((l, i) => l.split(',')[0] === species[i].split(',').at(-1)).length;
    expect(right / 150).toBeGreaterThan(0.9);

    const report = await cli(
      'train',
      'iris.csv',
      '--target',
      'species',
      '--out',
      'r.json',
      '--report',
      'r.html',
    );
    expect(report.code).toBe(2);
    expect(report.stderr).toContain('npm install vega vega-lite');
    expect(report.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('type-checks a strict TypeScript program against its declarations, which then runs', {
    timeout: TIMEOUT,
  }, async () => {
    await writeFile(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          lib: ['ES2022', 'DOM'],
          types: [],
          strict: true,
          skipLibCheck: false,
          outDir: 'built',
        },
        files: ['program.ts'],
      }),
    );
    await writeFile(
      join(consumer, 'program.ts'),
      `import { Network, datasets, type Dataset, type ModelFile } from 'backprop-mlp';
import { fromOnnx, toOnnx } from 'backprop-mlp/interop';
import { wasmFeatures } from 'backprop-mlp/wasm';

const iris: Dataset = await datasets.iris();
const digits = await datasets.digits();
const net = new Network({ inputs: 4, layers: [{ units: 8, activation: 'tanh' }, { units: 3, activation: 'softmax' }], seed: 1 });
const history = await net.fit(iris.inputs, iris.targets, { loss: 'cross-entropy', mode: 'minibatch', batchSize: 16, epochs: 5 });
const model: ModelFile = fromOnnx(toOnnx(net.toJSON()));
const simd: boolean = wasmFeatures().simd;
console.log(JSON.stringify({ rows: iris.inputs.length, digits: digits.inputs.length, epochs: history.epochs.length, layers: model.layers.length, simd: typeof simd }));
`,
    );
    const tsc = await run(
      process.execPath,
      [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', '.'],
      consumer,
    );
    expect(tsc.code, `tsc:\n${tsc.stdout}${tsc.stderr}`).toBe(0);
    const r = await run(process.execPath, ['built/program.js'], consumer);
    ok(r, 'the compiled program');
    expect(JSON.parse(r.stdout)).toEqual({ rows: 150, digits: 1797, epochs: 5, layers: 2, simd: 'boolean' });
  });
});
