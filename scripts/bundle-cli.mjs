// Bundles the command line, compiled by tsc into dist/, into dist/bin/: its own
// modules in a few files (each command's in a chunk loaded when the command
// runs), so that Node's start-up resolves and reads a handful of files instead
// of about eighty, some 60 ms less on every command. Packages stay imports
// (node_modules keeps one copy of each); the generated modules (the WebAssembly
// kernels in base64, the bundled data sets) stay imports of dist/ too, so that
// the package holds them once. dist/bin sits as deep as dist/cli, so paths
// relative to a module (the data sets' files) still hold.
// Usage: node scripts/bundle-cli.mjs [dist directory, default dist]
import { rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = resolve(process.argv[2] ?? join(root, 'dist'));
const outdir = join(dist, 'bin');

/** Keeps each generated module an import of its file in dist/, from where the chunks land. */
const generatedStayInDist = {
  name: 'generated-stay-in-dist',
  setup(b) {
    b.onResolve({ filter: /\.generated\.js$/ }, (args) => {
      const file = resolve(args.resolveDir, args.path);
      return { path: `./${relative(outdir, file).split('\\').join('/')}`, external: true };
    });
  },
};

// Chunks are named by their hash: the last build's would stay beside this one's, and ship.
rmSync(outdir, { recursive: true, force: true });

await build({
  entryPoints: [join(dist, 'cli/main.js')],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  chunkNames: '[name]-[hash]',
  plugins: [generatedStayInDist],
  logLevel: 'warning',
});
