/**
 * The linear neuron's error surface in headless Chromium: the descent paths
 * drawn over the contours of J(w0, w1) are, point for point and to the bit,
 * the weights the library's Trainer produces in Node for the same points,
 * rate and mode; the minimum is the least-squares line; too large a rate
 * shows as a rising J. Screenshots at desktop and phone size.
 */
import { join } from 'node:path';
import { Network, Trainer } from 'backprop-mlp';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { open, shots, usePlayground } from './support/playground.js';

const skip = usePlayground();

type Pt = [number, number];
interface Read {
  inputs: number[][];
  targets: number[][];
  eta: number;
  seed: number;
  batch: Pt[];
  sequential: Pt[];
  min: Pt | null;
  caption: string;
}

/** Sees `points` points in the linear view, then reads the data, settings and drawn paths. */
async function runView(page: Page, points: number): Promise<Read> {
  await page.waitForSelector('#linear:not([hidden])');
  return page.evaluate((k) => {
    for (let j = 0; j < k; j++) document.getElementById('lin-step')!.click();
    const pg = (
      window as unknown as {
        playground: {
          data: { train: { inputs: number[][]; targets: number[][] } };
          setup: { seed: number; layers: { learningRate: number }[] };
        };
      }
    ).playground;
    const c = document.getElementById('lin-surface')!;
    return {
      inputs: pg.data.train.inputs,
      targets: pg.data.train.targets,
      eta: pg.setup.layers[0].learningRate,
      seed: pg.setup.seed,
      batch: JSON.parse(c.dataset.batch!),
      sequential: JSON.parse(c.dataset.sequential!),
      min: JSON.parse(c.dataset.min!),
      caption: document.getElementById('lin-surface-cap')!.textContent ?? '',
    };
  }, points);
}

/** The same descent in Node: the weights [w1, w0] after each update, from the start. */
function nodePath(r: Read, mode: 'batch' | 'sequential', updates: number): Pt[] {
  const net = new Network({
    inputs: 1,
    layers: [{ units: 1, activation: 'linear' }],
    seed: r.seed,
    dtype: 'float64',
  });
  const trainer = new Trainer(net, r.inputs, r.targets, {
    loss: 'squared',
    reduction: 'sum',
    mode,
    learningRate: r.eta,
    shuffle: false,
    epochs: Number.MAX_SAFE_INTEGER,
  });
  const at = (): Pt => {
    const [{ weights, biases }] = net.getWeights();
    return [weights[0][0], biases[0]];
  };
  const out = [at()];
  for (let k = 0; k < updates; k++) {
    trainer.step();
    out.push(at());
  }
  trainer.dispose();
  return out;
}

/** The largest stable batch rate for the SSE: 2 over the largest eigenvalue of its Hessian 2 [[Σx², Σx], [Σx, n]]. */
function stableLimit(inputs: number[][]): number {
  let n = 0;
  let sx = 0;
  let sxx = 0;
  for (const [x] of inputs) {
    n++;
    sx += x;
    sxx += x * x;
  }
  const tr = sxx + n;
  const det = sxx * n - sx * sx;
  const lambda = 2 * (tr / 2 + Math.sqrt((tr * tr) / 4 - det));
  return 2 / lambda;
}

describe.skipIf(skip)('the linear neuron error surface', () => {
  it('draws the library’s own batch and sequential paths, to the bit, and the least-squares minimum', async () => {
    const { page, errors } = await open('?data=line');
    const n = (await runView(page, 0)).inputs.length;
    const r = await runView(page, 3 * n + 2);
    expect(r.batch.length).toBe(4);
    expect(r.sequential.length).toBe(3 * n + 3);
    expect(r.batch).toEqual(nodePath(r, 'batch', 3));
    expect(r.sequential).toEqual(nodePath(r, 'sequential', 3 * n + 2));
    // The minimum solves the normal equations: the SSE's gradient vanishes there.
    const [w1, w0] = r.min!;
    let g1 = 0;
    let g0 = 0;
    r.inputs.forEach(([x], i) => {
      const e = r.targets[i][0] - (w1 * x + w0);
      g1 += e * x;
      g0 += e;
    });
    expect(Math.abs(g1)).toBeLessThan(1e-9);
    expect(Math.abs(g0)).toBeLessThan(1e-9);
    expect(r.caption).toMatch(/batch descent, 3 steps/);
    // The cost curve: J at each of those points, the library's SSE.
    const costs = await page.$eval('#lin-cost', (c) => ({
      batch: JSON.parse((c as HTMLElement).dataset.batch!) as number[],
      sequential: JSON.parse((c as HTMLElement).dataset.sequential!) as number[],
    }));
    expect(costs.batch.length).toBe(4);
    expect(costs.sequential.length).toBe(3 * n + 3);
    const sse = (p: Pt) => r.inputs.reduce((a, [x], i) => a + (r.targets[i][0] - (p[0] * x + p[1])) ** 2, 0);
    expect(costs.batch.map((j, k) => j - sse(r.batch[k])).every((e) => Math.abs(e) < 1e-9)).toBe(true);
    expect(costs.sequential.map((j, k) => j - sse(r.sequential[k])).every((e) => Math.abs(e) < 1e-9)).toBe(
      true,
    );
    expect(costs.batch[3]).toBeLessThan(costs.batch[0]);
    await page.locator('#linear').screenshot({ path: join(shots, 'surface-desktop.png') });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows a too-large rate overshooting and diverging, at phone size too', async () => {
    const probe = await open('?data=line');
    const eta = Number((1.15 * stableLimit((await runView(probe.page, 0)).inputs)).toPrecision(3));
    await probe.page.close();
    for (const [name, viewport] of [
      ['desktop', undefined],
      ['phone', { width: 390, height: 844 }],
    ] as const) {
      const { page, errors } = await open(`?data=line&layers=1:linear:${eta}`, viewport);
      const first = await runView(page, 0);
      expect(first.eta).toBe(eta);
      const r = await runView(page, 8 * first.inputs.length);
      expect(r.batch).toEqual(nodePath(r, 'batch', 8));
      expect(r.caption).toMatch(/batch descent, 8 steps, J = [\d.e+]+, rising: η is too large/);
      // Overshoot: batch steps cross the minimum back and forth, each further out than the last.
      const dist = r.batch.map(([a, b]) => Math.hypot(a - r.min![0], b - r.min![1]));
      expect(dist[8]).toBeGreaterThan(dist[4]);
      await page.locator('#linear').screenshot({ path: join(shots, `surface-diverging-${name}.png`) });
      expect(errors).toEqual([]);
      await page.close();
    }
  });

  it('plays at the speed the slider sets', async () => {
    const { page, errors } = await open('?data=line');
    await page.waitForSelector('#linear:not([hidden])');
    const seenAfter = async (speed: number) => {
      await page.click('#lin-reset');
      await page.$eval(
        '#lin-speed',
        (e, v) => {
          (e as HTMLInputElement).value = String(v);
          e.dispatchEvent(new Event('input'));
        },
        speed,
      );
      await page.click('#lin-run');
      await page.waitForTimeout(1000);
      await page.click('#lin-run');
      const seq = await page.$eval(
        '#lin-surface',
        (c) => JSON.parse((c as HTMLElement).dataset.sequential!).length - 1,
      );
      return seq as number;
    };
    const slow = await seenAfter(2);
    const fast = await seenAfter(40);
    expect(slow).toBeLessThanOrEqual(4);
    expect(fast).toBeGreaterThan(20);
    expect(errors).toEqual([]);
    await page.close();
  });
});
