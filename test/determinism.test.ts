/**
 * docs/design.md, "Modes, rates and stopping": the same seed gives bit-identical training in Node and in the
 * browser. The same scenario runs here and in Debian's Chromium (installed by
 * .ci/run), and every bit must agree.
 */
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { scenario } from './determinism/scenario.js';
import { launchChromium, skipWithoutChromium } from './support/chromium.js';

const skip = skipWithoutChromium('the Node-against-Chromium determinism test');

describe.skipIf(skip)('Node and the browser train to the same bits', () => {
  it('math, data, initial weights and trained weights agree bit for bit', async () => {
    const bundle = await build({
      stdin: {
        contents:
          "import { scenario } from './test/determinism/scenario.ts'; globalThis.__scenario = scenario;",
        resolveDir: process.cwd(),
        loader: 'ts',
      },
      bundle: true,
      write: false,
      format: 'iife',
      platform: 'browser',
      target: 'es2022',
    });
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.addScriptTag({ content: bundle.outputFiles[0].text });
      const inBrowser = (await page.evaluate('globalThis.__scenario()')) as Record<string, string>;
      const inNode = scenario();
      expect(Object.keys(inBrowser).sort()).toEqual(Object.keys(inNode).sort());
      for (const key of Object.keys(inNode)) expect(inBrowser[key], key).toBe(inNode[key]);
    } finally {
      await browser.close();
    }
  });
});
