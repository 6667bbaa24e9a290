/**
 * The matrix product benchmark in headless Chromium, served by Vite with the
 * cross-origin isolation headers that shared memory (threads) needs:
 * `tsx bench/browser.ts`. Needs /usr/bin/chromium (or CHROMIUM=path).
 *
 * @module
 */
import { chromium } from 'playwright-core';
import { createServer } from 'vite';

const root = new URL('./browser/', import.meta.url).pathname;
const server = await createServer({
  root,
  configFile: false,
  logLevel: 'error',
  server: {
    host: '127.0.0.1',
    port: 0,
    headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' },
    fs: { allow: [new URL('..', import.meta.url).pathname] },
  },
});
await server.listen();
const address = server.httpServer?.address();
const port = typeof address === 'object' && address ? address.port : 5173;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
try {
  const page = await browser.newPage();
  page.on('console', (m) => m.type() === 'error' && console.error(m.text()));
  page.on('pageerror', (e) => console.error(e.message));
  await page.goto(`http://127.0.0.1:${port}/index.html`);
  await page.waitForFunction(() => document.title === 'done', null, { timeout: 180_000 });
  const result = (await page.evaluate(() => (window as unknown as { result: unknown }).result)) as {
    text?: string;
    error?: string;
  };
  console.log(`Chromium ${browser.version()}\n${result.text ?? `failed: ${result.error}`}`);
} finally {
  await browser.close();
  await server.close();
}
