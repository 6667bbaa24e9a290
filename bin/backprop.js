#!/usr/bin/env node
// The `backprop` command. An installed package runs its built command line,
// bundled into a few files (dist/bin/, see scripts/bundle-cli.mjs) so that it
// starts fast. A clone of the repository, which has the TypeScript sources and
// tsx, runs the sources, so that `npx backprop` works right after `npm ci` and
// never runs a stale build.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
const tsx = existsSync(source) ? await import('tsx/esm/api').catch(() => undefined) : undefined;
if (tsx) {
  tsx.register();
  await import(source.href);
} else {
  await import('../dist/bin/main.js');
}
