/**
 * The playground's end-to-end harness: the site built with Vite's JS API,
 * served by a plain static file server from a sub-folder (as any file server
 * would), opened in Debian's Chromium through playwright-core, and the page's
 * state read back. Each test file calls startPlayground and stopPlayground.
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll } from 'vitest';
import { launchChromium, skipWithoutChromium } from './chromium.js';

export const root = resolve(import.meta.dirname, '..', '..');
// One folder per run: several runs of the suite may share the checkout.
export const outDir = join(
  root,
  '.tmp',
  `web-e2e-site-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
);
export const shots = join(root, 'test-output', 'screenshots');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
  '.svg': 'image/svg+xml',
};

/** A minimal static server that serves `dir` under `/play/`, like any file server in a sub-folder. */
function serve(dir: string): Promise<{ server: Server; base: string }> {
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (!path.startsWith('/play/')) {
      res.writeHead(404).end();
      return;
    }
    let file = normalize(join(dir, path.slice('/play/'.length)));
    if (!file.startsWith(dir)) {
      res.writeHead(403).end();
      return;
    }
    if (path.endsWith('/')) file = join(file, 'index.html');
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((done) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      done({ server, base: `http://127.0.0.1:${port}/play/` });
    }),
  );
}

let browser: Browser;
let server: Server;
let base: string;

/** Builds and serves the site and starts Chromium. */
export async function startPlayground(): Promise<void> {
  browser = await launchChromium();
  await rm(outDir, { recursive: true, force: true });
  await build({
    configFile: join(root, 'web', 'vite.config.ts'),
    logLevel: 'error',
    build: { outDir, emptyOutDir: true },
  });
  await mkdir(shots, { recursive: true });
  ({ server, base } = await serve(outDir));
}

/** Closes Chromium and the server and removes the built site. */
export async function stopPlayground(): Promise<void> {
  await browser?.close();
  await new Promise((done) => (server ? server.close(done) : done(undefined)));
  await rm(outDir, { recursive: true, force: true });
}

/**
 * Builds and serves the playground around a test file's tests (its hooks are
 * registered here); returns whether they skip, for want of Chromium.
 */
export function usePlayground(): boolean {
  const skip = skipWithoutChromium('the playground tests');
  beforeAll(async () => {
    if (!skip) await startPlayground();
  }, 120_000);
  afterAll(async () => {
    if (!skip) await stopPlayground();
  });
  return skip;
}

export interface Opened {
  page: Page;
  errors: string[];
}

export async function open(
  query = '',
  viewport = { width: 1360, height: 1000 },
  wait = true,
): Promise<Opened> {
  const page = await browser.newPage({ viewport, deviceScaleFactor: 1 });
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${base}${query}`);
  if (wait) await waitSnapshot(page, (s) => s !== null);
  return { page, errors };
}

export type Snap = {
  epoch: number;
  updates: number;
  testCost: number | null;
  testAccuracy: number | null;
  trainCost: number;
  trainAccuracy: number | null;
  running: boolean;
};

export async function snap(page: Page): Promise<Snap | null> {
  return page.evaluate(
    () => (window as unknown as { playground: { snapshot: Snap | null } }).playground.snapshot,
  );
}

export async function waitSnapshot(
  page: Page,
  ok: (s: Snap | null) => boolean,
  timeout = 30_000,
): Promise<Snap> {
  const start = Date.now();
  for (;;) {
    const s = await snap(page);
    if (ok(s)) return s!;
    if (Date.now() - start > timeout) throw new Error(`timed out; last snapshot ${JSON.stringify(s)}`);
    await page.waitForTimeout(50);
  }
}

/** Every weight and bias as the network diagram holds them, keyed `layer:m:i` (m = b for a bias). */
export async function diagramWeights(page: Page): Promise<Record<string, number>> {
  return page.evaluate(() => {
    const out: Record<string, number> = {};
    for (const p of document.querySelectorAll<SVGPathElement>('#diagram path')) {
      out[`${p.dataset.layer}:${p.dataset.m}:${p.dataset.i}`] = Number(p.dataset.w);
    }
    for (const n of document.querySelectorAll<HTMLElement>('#diagram .node')) {
      if (n.dataset.layer !== '0' && n.dataset.b !== undefined)
        out[`${n.dataset.layer}:b:${n.dataset.node}`] = Number(n.dataset.b);
    }
    return out;
  });
}

/** The explain panel's update equations: old and new value of every weight and bias. */
export async function explained(page: Page): Promise<Record<string, { old: number; new: number }>> {
  return page.evaluate(() => {
    const out: Record<string, { old: number; new: number }> = {};
    for (const e of document.querySelectorAll<HTMLElement>('#explain [data-old]')) {
      out[`${e.dataset.layer}:${e.dataset.m}:${e.dataset.i}`] = {
        old: Number(e.dataset.old),
        new: Number(e.dataset.new),
      };
    }
    return out;
  });
}

/** The box of a panel, for a screenshot of it alone. */
export async function panelClip(page: Page, selector: string) {
  const box = await page.locator(selector).boundingBox();
  if (!box) throw new Error(`${selector} is not visible`);
  return { x: box.x, y: box.y, width: box.width, height: Math.min(box.height, 1400) };
}

/** A network's weights and biases keyed as {@link diagramWeights} keys them, for a Node run to compare with the page. */
export function keyedWeights(net: {
  getWeights(): { weights: number[][]; biases: number[] }[];
}): Record<string, number> {
  const out: Record<string, number> = {};
  net.getWeights().forEach((l, n) => {
    l.weights.forEach((row, m) => {
      row.forEach((w, i) => {
        out[`${n + 1}:${m}:${i}`] = w;
      });
    });
    l.biases.forEach((b, i) => {
      out[`${n + 1}:b:${i}`] = b;
    });
  });
  return out;
}
