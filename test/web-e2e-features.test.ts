/**
 * What TensorFlow Playground offers, in the backprop playground, in headless
 * Chromium: input features per input node, discretized output, zero
 * initialisation, the 2-D regressions, editing a weight by clicking it, a
 * node's map large in the output plot, epochs per second, and a teacher's
 * link that hides controls.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  diagramWeights,
  explained,
  open,
  shots,
  snap,
  usePlayground,
  waitSnapshot,
} from './support/playground.js';

const skip = usePlayground();

describe.skipIf(skip)('playground features', () => {
  it('feeds chosen features of (x1, x2) to the input nodes', async () => {
    const { page, errors } = await open('?data=circles&layers=2:tanh:0.3,1:sigmoid:0.3');
    expect(await page.locator('#diagram .node[data-layer="0"]').count()).toBe(2);
    await page.click('#features [data-feature="x1sq"]');
    await page.click('#features [data-feature="x2sq"]');
    await page.click('#features [data-feature="x1"]');
    await page.click('#features [data-feature="x2"]');
    await page.waitForFunction(() => location.search.includes('feat=x1sq,x2sq'));
    await waitSnapshot(page, (x) => x !== null && x.epoch === 0);
    expect(await page.locator('#diagram .node[data-layer="0"]').count()).toBe(2);
    expect(await page.textContent('#diagram .node[data-layer="0"][data-node="0"]')).toBe('x₁²');
    expect(await page.getAttribute('#features [data-feature="x1"]', 'aria-pressed')).toBe('false');
    // Circles are separable in x1², x2²: a one-hidden-layer net of 2 nodes learns them.
    for (let k = 0; k < 30; k++) await page.click('#step-epoch');
    const s = await waitSnapshot(page, (x) => x !== null && x.epoch === 30);
    expect(s.testAccuracy).toBeGreaterThan(0.9);
    // The explain panel's inputs are the features: x = (x1², x2²) of the example.
    const first = await page.$eval('#explain .eq[data-tex^="x = "]', (e) => (e as HTMLElement).dataset.tex);
    expect(first).toMatch(/^x = \(0\.\d+,\\ 0\.\d+\)/);
    await page.screenshot({ path: join(shots, 'features.png') });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('discretizes the output on request, in the link too', async () => {
    const { page, errors } = await open('?data=xor');
    for (let k = 0; k < 5; k++) await page.click('#step-epoch');
    await waitSnapshot(page, (x) => x !== null && x.epoch === 5);
    const colours = () =>
      page.$eval('#plot', (c) => {
        const ctx = (c as HTMLCanvasElement).getContext('2d')!;
        // A band near the top-left, away from most points: count its distinct colours.
        const d = ctx.getImageData(2, 2, 40, 3).data;
        const set = new Set<string>();
        for (let i = 0; i < d.length; i += 4) set.add(`${d[i]},${d[i + 1]},${d[i + 2]}`);
        return set.size;
      });
    const smooth = await colours();
    await page.check('#discretize');
    await page.waitForFunction(() => location.search.includes('disc=true'));
    const flat = await colours();
    expect(flat).toBeLessThan(smooth);
    await page.screenshot({ path: join(shots, 'discretized.png') });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('starts from zero weights and shows that the hidden nodes never differ', async () => {
    const { page, errors } = await open('?data=xor&init=zeros&layers=3:tanh:0.5,1:sigmoid:0.5');
    expect(await page.inputValue('#init')).toBe('zeros');
    const w0 = await diagramWeights(page);
    expect(Object.values(w0).every((w) => w === 0)).toBe(true);
    for (let k = 0; k < 5; k++) await page.click('#step-epoch');
    await waitSnapshot(page, (x) => x !== null && x.epoch === 5);
    const w = await diagramWeights(page);
    for (const m of [0, 1]) expect(new Set([0, 1, 2].map((i) => w[`1:${m}:${i}`])).size).toBe(1);
    expect(new Set([0, 1, 2].map((m) => w[`2:${m}:0`])).size).toBe(1);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('fits the plane and the Gaussians: numbers over the plane, no accuracy', async () => {
    for (const data of ['plane', 'gauss']) {
      const { page, errors } = await open(`?data=${data}`);
      const s0 = (await snap(page))!;
      expect(await page.textContent('#test-acc')).toBe('–');
      await page.click('#run');
      await waitSnapshot(page, (x) => x !== null && x.epoch > 30);
      await page.click('#run');
      const s = await waitSnapshot(page, (x) => x !== null && !x.running);
      expect(s.trainCost).toBeLessThan(s0.trainCost);
      await page.screenshot({ path: join(shots, `regression-${data}.png`) });
      expect(errors).toEqual([]);
      await page.close();
    }
  });

  it('edits a weight when it is clicked, and the explain panel starts from it', async () => {
    const { page, errors } = await open('?data=xor&layers=4:tanh:0.3,1:sigmoid:0.3&mode=sequential&opt=sgd');
    await page.waitForSelector('#explain [data-old]');
    await page.click('#diagram path[data-layer="2"][data-m="1"][data-i="0"]', { force: true });
    await page.waitForSelector('.weight-editor input');
    await page.fill('.weight-editor input', '1.5');
    await page.press('.weight-editor input', 'Enter');
    await page.waitForFunction(
      () =>
        document.querySelector<HTMLElement>('#diagram path[data-layer="2"][data-m="1"][data-i="0"]')?.dataset
          .w === '1.5',
    );
    await page.waitForFunction(
      () =>
        document.querySelector<HTMLElement>('#explain [data-layer="2"][data-m="1"][data-i="0"][data-old]')
          ?.dataset.old === '1.5',
    );
    // And one update from there is exactly the panel's.
    const shown = await explained(page);
    await page.click('#step-update');
    await waitSnapshot(page, (x) => x !== null && x.updates === 1);
    const after = await diagramWeights(page);
    for (const k of Object.keys(after)) expect(after[k]).toBe(shown[k].new);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("shows a node's map large in the output plot while the pointer rests on it", async () => {
    const { page, errors } = await open('?data=circles');
    await page.click('#step-epoch');
    await waitSnapshot(page, (x) => x !== null && x.epoch === 1);
    const before = await page.$eval('#plot', (c) => (c as HTMLCanvasElement).toDataURL());
    await page.hover('#diagram .node[data-layer="1"][data-node="2"]');
    expect(await page.textContent('#plot-caption')).toBe('Node 3 of layer 1 over the plane');
    const during = await page.$eval('#plot', (c) => (c as HTMLCanvasElement).toDataURL());
    expect(during).not.toBe(before);
    await page.screenshot({ path: join(shots, 'node-map-large.png') });
    await page.hover('#plot');
    expect(await page.textContent('#plot-caption')).toBe('');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('reads out epochs per second while running', async () => {
    const { page, errors } = await open('?data=spirals&layers=8:tanh:0.02,8:tanh:0.02,1:sigmoid:0.02');
    await page.click('#run');
    await page.waitForFunction(() => /^\d/.test(document.getElementById('eps')!.textContent ?? ''));
    await page.waitForTimeout(2000);
    const eps = Number((await page.textContent('#eps'))!.replace(/,/g, ''));
    process.stderr.write(`playground: spirals 2-8-8-1, ${eps} epochs/s\n`);
    expect(eps).toBeGreaterThan(0);
    await page.click('#run');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('rings the examples of the next minibatch, the ones the explain panel sums over', async () => {
    const { page, errors } = await open('?data=moons&mode=minibatch&batch=7');
    await page.waitForSelector('#explain [data-old]');
    const panel = async () =>
      (await page.$$eval('#explain-example option', (o) => o.map((e) => e.textContent!.slice(1)))).join(',');
    await page.waitForFunction(() => (document.getElementById('plot') as HTMLElement).dataset.ringed !== '');
    expect(await page.getAttribute('#plot', 'data-ringed')).toBe(await panel());
    expect((await panel()).split(',')).toHaveLength(7);
    const before = await page.getAttribute('#plot', 'data-ringed');
    await page.click('#step-update');
    await waitSnapshot(page, (x) => x !== null && x.updates === 1);
    await page.waitForFunction(
      (b) => (document.getElementById('plot') as HTMLElement).dataset.ringed !== b,
      before,
    );
    expect(await page.getAttribute('#plot', 'data-ringed')).toBe(await panel());
    await page.screenshot({ path: join(shots, 'minibatch-ringed.png') });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('sets L1 regularisation beside L2, in place and in the link', async () => {
    const { page, errors } = await open('?data=xor&opt=sgd');
    await page.click('#step-epoch');
    await waitSnapshot(page, (x) => x !== null && x.epoch === 1);
    const before = await diagramWeights(page);
    await page.fill('#l1', '0.01');
    await page.press('#l1', 'Enter');
    await page.waitForFunction(() => location.search.includes('l1=0.01'));
    await page.waitForFunction(() =>
      /L1 λ₁ = 0\.01/.test(document.getElementById('explain-note')!.textContent ?? ''),
    );
    expect(await diagramWeights(page)).toEqual(before);
    await page.click('#step-epoch');
    await waitSnapshot(page, (x) => x !== null && x.epoch === 2);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("hides the controls a teacher's link names, and keeps them hidden", async () => {
    const { page, errors } = await open(
      '?data=xor&loss_hide=true&opt_hide=true&layers_hide=true&explain_hide=true&data_hide=true',
    );
    expect(await page.isHidden('#loss')).toBe(true);
    expect(await page.isHidden('#optimizer')).toBe(true);
    expect(await page.isHidden('.explain')).toBe(true);
    expect(await page.isHidden('#datasets')).toBe(true);
    expect(await page.isHidden('#add-layer')).toBe(true);
    expect(await page.locator('#diagram .pm:visible').count()).toBe(0);
    expect(await page.isVisible('#mode')).toBe(true);
    await page.selectOption('#mode', 'batch');
    await page.waitForFunction(() => location.search.includes('mode=batch'));
    expect(page.url()).toContain('loss_hide=true');
    expect(page.url()).toContain('explain_hide=true');
    expect(await page.isHidden('#loss')).toBe(true);
    await page.screenshot({ path: join(shots, 'teacher-link.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });
});
