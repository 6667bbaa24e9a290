// Dependencies point one way: no module of src/ imports (at run time) one that
// imports it back, and code that only predicts carries no training code.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Whether an import or export declaration brings in values (not only types). */
function carriesValues(node: ts.ImportDeclaration | ts.ExportDeclaration): boolean {
  if (ts.isImportDeclaration(node)) {
    const clause = node.importClause;
    if (!clause) return true; // import './x.js': run for its effects
    if (clause.isTypeOnly) return false;
    if (clause.name) return true;
    const bindings = clause.namedBindings;
    if (!bindings || ts.isNamespaceImport(bindings)) return true;
    return bindings.elements.length === 0 || bindings.elements.some((e) => !e.isTypeOnly);
  }
  if (node.isTypeOnly) return false;
  const clause = node.exportClause;
  if (!clause || ts.isNamespaceExport(clause)) return true;
  return clause.elements.length === 0 || clause.elements.some((e) => !e.isTypeOnly);
}

/** The modules of src/ that `file` imports statically with values in them, as absolute paths. */
function runtimeImports(file: string): string[] {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
  const out: string[] = [];
  for (const node of sf.statements) {
    if (!(ts.isImportDeclaration(node) || ts.isExportDeclaration(node))) continue;
    const spec = node.moduleSpecifier;
    if (!spec || !ts.isStringLiteral(spec) || !spec.text.startsWith('.')) continue;
    if (!carriesValues(node)) continue;
    out.push(resolve(dirname(file), spec.text.replace(/\.js$/, '.ts')));
  }
  return out;
}

/** Every cycle found by a depth-first search of the graph, each as a list of paths relative to the repository. */
function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return found.map((c) => c.map((f) => relative(root, f)));
}

describe('module dependencies', () => {
  const graph = new Map(sourceFiles(src).map((f) => [f, runtimeImports(f)]));

  it('finds the imports it looks for (the graph is not empty)', () => {
    expect(graph.get(join(src, 'network.ts'))).toContain(join(src, 'propagation.ts'));
    // A type-only import is no dependency at run time.
    expect(graph.get(join(src, 'explain.ts'))).not.toContain(join(src, 'network.ts'));
    expect(
      cycles(
        new Map([
          ['a', ['b']],
          ['b', ['a']],
        ]),
      ),
    ).toHaveLength(1);
  });

  it('has no import cycle in src/', () => {
    expect(cycles(graph)).toEqual([]);
  });

  const reach = (from: string): string[] => {
    const reached = new Set<string>();
    const walk = (file: string): void => {
      if (reached.has(file)) return;
      reached.add(file);
      for (const next of graph.get(file) ?? []) walk(next);
    };
    walk(join(src, from));
    return [...reached].map((f) => relative(src, f));
  };

  it('keeps the network below training: network.ts reaches no training module statically', () => {
    expect(reach('network.ts').filter((f) => /^train\/|^optimizers\.ts$/.test(f))).toEqual([]);
  });

  it('keeps the step trace on propagation: explain.ts reaches neither the network nor training', () => {
    // Network.explain calls it synchronously, so it must stay below network.ts.
    expect(reach('explain.ts').filter((f) => /^network\.ts$|^train\/|^optimizers\.ts$/.test(f))).toEqual([]);
  });
});

describe('a bundle of code that only predicts', () => {
  it('carries neither the Trainer, the optimizers nor the small-network kernel', async () => {
    // What an application bundler does with `await import(...)`: a separate chunk,
    // loaded on the first call. Here it is left out of the bundle.
    const lazy: Plugin = {
      name: 'lazy',
      setup(b) {
        b.onResolve({ filter: /.*/ }, (a) =>
          a.kind === 'dynamic-import' ? { path: a.path, external: true } : undefined,
        );
      },
    };
    const result = await build({
      stdin: {
        contents: [
          "import { Network } from './src/index.ts';",
          "const net = new Network({ inputs: 2, layers: [{ units: 3, activation: 'tanh' }, { units: 1, activation: 'sigmoid' }], seed: 1 });",
          'console.log(net.predict([[0, 1]]));',
        ].join('\n'),
        resolveDir: root,
        loader: 'ts',
      },
      bundle: true,
      format: 'esm',
      platform: 'browser',
      minify: true,
      write: false,
      metafile: true,
      logLevel: 'silent',
      plugins: [lazy],
    });
    const [output] = Object.values(result.metafile.outputs);
    const included = Object.entries(output.inputs)
      .filter(([, input]) => input.bytesInOutput > 0)
      .map(([path]) => path);
    expect(included).toContain('src/network.ts');
    expect(included).toContain('src/propagation.ts');
    for (const path of ['src/train/trainer.ts', 'src/optimizers.ts', 'src/train/small-wasm.generated.ts'])
      expect(included).not.toContain(path);
    expect(included.filter((p) => p.startsWith('src/train/'))).toEqual([]);
  }, 60_000);
});
