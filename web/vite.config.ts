import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

/**
 * The playground uses the library through its public entry only: `backprop-mlp`
 * resolves to the package source, so no build of dist is needed. A relative
 * base makes the built site work from any file server and any sub-folder.
 */
export default defineConfig({
  root: here('.'),
  base: './',
  resolve: { alias: { 'backprop-mlp': here('../src/index.ts') } },
  worker: { format: 'es' },
  // Pre-bundled up front, so the dev server does not reload the page on first use.
  optimizeDeps: { include: ['katex', 'csv-parse/browser/esm/sync'] },
  build: { outDir: here('dist'), emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 1500 },
  server: { host: '127.0.0.1' },
});
