/**
 * End-to-end tests of the playground in headless Chromium: the site is built
 * with Vite's JS API, served by a plain static file server from a sub-folder
 * (as any file server would), and driven through playwright-core.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Network, Trainer } from '../src/index.js';
import { generate } from '../web/src/data.js';
import { decodeSetup, learningRates } from '../web/src/setup.js';
import {
  diagramWeights,
  explained,
  open,
  outDir,
  panelClip,
  root,
  shots,
  usePlayground,
  waitSnapshot,
} from './support/playground.js';

const skip = usePlayground();

describe.skipIf(skip)('playground in Chromium', () => {
  it('loads with no console errors and draws the XOR data, network and explain panel', async () => {
    const { page, errors } = await open();
    await page.waitForSelector('#explain .katex');
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(shots, 'start.png'), fullPage: true });
    expect(errors).toEqual([]);
    expect(await page.locator('#diagram .node').count()).toBe(2 + 4 + 1);
    expect(await page.locator('#diagram path').count()).toBe(2 * 4 + 4 * 1);
    // A node's numbers on hover, and on keyboard focus.
    await page.hover('#diagram .node[data-layer="1"][data-node="0"]');
    expect(await page.textContent('#tooltip')).toMatch(
      /Node 1 of layer 1.*bias b1 = .*w11 = .*v = .*ψ\(v\) = .*δ = /s,
    );
    await page.screenshot({ path: join(shots, 'hover.png'), clip: await panelClip(page, '.network') });
    await page.hover('#diagram path[data-layer="2"][data-m="3"][data-i="0"]');
    expect(await page.textContent('#tooltip')).toMatch(
      /w\(2\)41 = -?\d.*from node 4 of layer 1 to node 1 of layer 2/,
    );
    await page.focus('#diagram .node[data-layer="2"][data-node="0"]');
    expect(await page.textContent('#tooltip')).toMatch(/Node 1 of layer 2/);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('trains XOR on a 2-4-1 network to a test cost under 0.05 and accuracy 1', async () => {
    const { page, errors } = await open(
      '?data=xor&layers=4:tanh:0.3,1:sigmoid:0.3&n=200&noise=0.1&test=0.5&seed=1',
    );
    await page.click('#run');
    const s = await waitSnapshot(
      page,
      (x) => x !== null && x.testCost !== null && x.testCost < 0.05 && x.testAccuracy === 1,
      60_000,
    );
    await page.click('#run');
    await waitSnapshot(page, (x) => x !== null && !x.running);
    expect(s.testCost).toBeLessThan(0.05);
    expect(s.testAccuracy).toBe(1);
    expect(await page.textContent('#test-acc')).toBe('100.0%');
    await page.waitForTimeout(200);
    await page.screenshot({ path: join(shots, 'xor-trained.png'), fullPage: true });

    // Export the trained model (format v1), reset, and load it back.
    const trained = await diagramWeights(page);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
    const file = join(outDir, 'downloaded-model.json');
    await download.saveAs(file);
    const model = JSON.parse(await readFile(file, 'utf8'));
    expect(model.format).toBe('backprop-mlp');
    expect(model.version).toBe(1);
    expect(model.inputs).toBe(2);
    expect(model.layers.map((l: { units: number }) => l.units)).toEqual([4, 1]);
    expect(model.layers[0].weights[1][2]).toBe(trained['1:1:2']);
    await page.click('#reset');
    await waitSnapshot(page, (x) => x !== null && x.epoch === 0);
    expect((await diagramWeights(page))['1:1:2']).not.toBe(trained['1:1:2']);
    await page.setInputFiles('#load-model', file);
    await waitSnapshot(page, (x) => x !== null && x.epoch === 0 && x.testAccuracy === 1);
    expect(await diagramWeights(page)).toEqual(trained);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('draws three classes of blobs with a softmax output', async () => {
    const { page, errors } = await open('?data=blobs');
    for (let k = 0; k < 15; k++) await page.keyboard.press('e');
    const s = await waitSnapshot(page, (x) => x !== null && x.epoch === 15);
    expect(s.testAccuracy).toBeGreaterThan(0.8);
    expect(await page.locator('#diagram .node[data-layer="2"]').count()).toBe(3);
    await page.screenshot({ path: join(shots, 'blobs.png'), fullPage: false });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('trains on a CSV file read in the browser', async () => {
    const { page, errors } = await open('?data=csv', undefined, false);
    await page.waitForSelector('#csv-box:not([hidden])');
    await page.setInputFiles('#csv-file', join(root, 'data', 'iris.csv'));
    await waitSnapshot(page, (x) => x !== null && x.epoch === 0);
    expect(await page.textContent('#csv-info')).toMatch(/iris\.csv: 150 rows/);
    await page.click('#step-epoch');
    await page.click('#step-epoch');
    const s = await waitSnapshot(page, (x) => x !== null && x.epoch === 2);
    expect(s.trainAccuracy).toBeGreaterThan(0.5);
    expect(await page.locator('#diagram .node').count()).toBe(4 + 8 + 3);
    await page.screenshot({ path: join(shots, 'csv.png'), fullPage: false });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('steps one update to exactly the weights the explain panel shows', async () => {
    const { page, errors } = await open(
      '?data=xor&layers=4:tanh:0.5,1:sigmoid:0.5&mode=sequential&opt=sgd&seed=3',
    );
    await page.waitForSelector('#explain [data-old]');
    const before = await diagramWeights(page);
    const shown = await explained(page);
    const keys = Object.keys(before).sort();
    expect(keys.length).toBe(2 * 4 + 4 + 4 * 1 + 1);
    expect(Object.keys(shown).sort()).toEqual(keys);
    for (const k of keys) expect(shown[k].old).toBe(before[k]);
    await page.keyboard.press('u');
    await waitSnapshot(page, (x) => x !== null && x.updates === 1);
    const after = await diagramWeights(page);
    let changed = 0;
    for (const k of keys) {
      expect(after[k]).toBeCloseTo(shown[k].new, 12);
      if (after[k] !== before[k]) changed++;
    }
    expect(changed).toBeGreaterThan(0);
    // The panel now explains the following update, starting from the new weights.
    await page.waitForFunction((w) => {
      const e = document.querySelector<HTMLElement>(
        '#explain [data-layer="2"][data-m="0"][data-i="0"][data-old]',
      );
      return e !== null && Number(e.dataset.old) === w;
    }, after['2:0:0']);
    await page.locator('.explain').screenshot({ path: join(shots, 'explain.png') });
    expect(errors).toEqual([]);
    await page.close();
  });

  // The same seed gives bit-identical training in Node and in the browser.
  it('trains to the same weights, bit for bit, as the library in Node', async () => {
    const query =
      '?data=moons&layers=5:tanh:0.2,3:relu:0.1,1:sigmoid:0.3&mode=minibatch&batch=7&opt=momentum&l2=0.001&seed=5';
    const { page, errors } = await open(query);
    for (let k = 0; k < 3; k++) await page.click('#step-epoch');
    await waitSnapshot(page, (x) => x !== null && x.epoch === 3);
    const browser = await diagramWeights(page);
    // The same setup in Node: the page's data, the library's Network and Trainer.
    const setup = decodeSetup(query);
    const data = generate(setup);
    const pageData = (await page.evaluate(
      () => (window as unknown as { playground: { data: unknown } }).playground.data,
    )) as typeof data;
    expect(pageData.train).toEqual(data.train);
    expect(pageData.test).toEqual(data.test);
    const net = new Network({
      inputs: 2,
      layers: setup.layers.map((l) => ({ units: l.units, activation: l.activation })),
      seed: setup.seed,
      dtype: 'float64',
    });
    const trainer = new Trainer(net, data.train.inputs, data.train.targets, {
      loss: setup.loss,
      reduction: setup.reduction,
      mode: setup.mode,
      batchSize: setup.batchSize,
      learningRate: learningRates(setup),
      optimizer: setup.optimizer,
      weightDecay: setup.weightDecay,
      seed: setup.seed,
      epochs: 3,
      validationData: data.test,
    });
    for (let k = 0; k < 3; k++) trainer.runEpoch();
    const node: Record<string, number> = {};
    net.getWeights().forEach((l, n) => {
      l.weights.forEach((row, m) => {
        row.forEach((w, i) => {
          node[`${n + 1}:${m}:${i}`] = w;
        });
      });
      l.biases.forEach((b, i) => {
        node[`${n + 1}:b:${i}`] = b;
      });
    });
    expect(browser).toEqual(node);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('round-trips the whole setup through the URL', async () => {
    const query =
      'data=circles&layers=6:relu:0.05,3:elu:0.1,1:sigmoid:0.2&n=300&noise=0.15&test=0.3&imb=false&loss=binary-cross-entropy' +
      '&red=sum&mode=minibatch&batch=16&opt=momentum&l2=0.001&l1=0&sched=constant&cw=none&tol=0.01&seed=42&init=auto&feat=x1,x2&disc=false';
    const { page, errors } = await open(`?${query}`);
    // Waits on the page's state, not on a fixed time: CI machines are slow and busy.
    await page.waitForFunction(() => document.querySelectorAll('#diagram .node').length > 0);
    expect(new URL(page.url()).search.slice(1)).toBe(query);
    expect(await page.inputValue('#mode')).toBe('minibatch');
    expect(await page.inputValue('#optimizer')).toBe('momentum');
    expect(await page.inputValue('#batch')).toBe('16');
    expect(await page.locator('#diagram .node').count()).toBe(2 + 6 + 3 + 1);
    // Change things through the controls: the URL follows, and opening it gives the same setup.
    await page.selectOption('#mode', 'sequential');
    await page.click('#add-layer');
    await page.fill('#seed', '9');
    await page.press('#seed', 'Enter');
    await page.waitForFunction(
      () => location.search.includes('seed=9') && location.search.includes('mode=sequential'),
    );
    const url = page.url();
    expect(url).toContain('mode=sequential');
    expect(url).toContain('seed=9');
    const setup = await page.evaluate(
      () => (window as unknown as { playground: { setup: unknown } }).playground.setup,
    );
    const again = await open(new URL(url).search);
    const setup2 = await again.page.evaluate(
      () => (window as unknown as { playground: { setup: unknown } }).playground.setup,
    );
    expect(setup2).toEqual(setup);
    expect(again.page.url()).toBe(url);
    expect([...errors, ...again.errors]).toEqual([]);
    await page.close();
    await again.page.close();
  });

  it('handles a diverging learning rate with a message and a reset', async () => {
    const { page, errors } = await open('?data=line&layers=1:linear:5&mode=batch&loss=squared&red=sum');
    await page.click('#run');
    await page.waitForSelector('#banner:not([hidden])', { timeout: 20_000 });
    expect(await page.textContent('#banner-text')).toMatch(/diverged/);
    await page.screenshot({ path: join(shots, 'diverged.png'), fullPage: false });
    // The page still answers: halving the rates resets the network.
    await page.click('#banner-halve');
    await waitSnapshot(page, (x) => x !== null && x.epoch === 0 && Number.isFinite(x.trainCost));
    expect(await page.isHidden('#banner')).toBe(true);
    expect(new URL(page.url()).searchParams.get('layers')).toBe('1:linear:2.5');
    expect(errors).toEqual([]);
    await page.close();
  });

  it("shows the library's message for a loss that does not fit the output", async () => {
    const { page, errors } = await open('?data=xor&layers=4:tanh:0.3,1:linear:0.3&loss=squared');
    expect(await page.isHidden('#banner')).toBe(true);
    await page.selectOption('#loss', 'binary-cross-entropy');
    await page.waitForSelector('#banner:not([hidden])');
    expect(await page.textContent('#banner-text')).toMatch(/binary-cross-entropy.*linear/);
    await page.selectOption('#loss', 'squared');
    await waitSnapshot(page, (x) => x !== null && x.epoch === 0);
    expect(await page.isHidden('#banner')).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('stops at the tolerance with a calm message', async () => {
    const { page, errors } = await open('?data=moons&tol=0.3');
    await page.click('#run');
    await page.waitForSelector('#banner.calm:not([hidden])', { timeout: 30_000 });
    expect(await page.textContent('#banner-text')).toMatch(
      /Stopped at epoch \d+: the test cost reached the tolerance 0\.3/,
    );
    const s = await waitSnapshot(page, (x) => x !== null && !x.running);
    expect(s.testCost).toBeLessThanOrEqual(0.3);
    expect(await page.getAttribute('#run', 'aria-label')).toBe('Run');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows the linear neuron in batch and sequential mode side by side', async () => {
    const { page, errors } = await open('?data=line');
    await page.waitForSelector('#linear:not([hidden])');
    for (let k = 0; k < 45; k++) await page.click('#lin-step');
    const caps = await page.evaluate(() => [
      document.getElementById('lin-batch-cap')!.textContent,
      document.getElementById('lin-seq-cap')!.textContent,
    ]);
    expect(caps[0]).toMatch(/2 updates after 45 points/);
    expect(caps[1]).toMatch(/45 updates after 45 points/);
    await page.click('#step-epoch');
    await waitSnapshot(page, (x) => x !== null && x.epoch === 1);
    await page.screenshot({ path: join(shots, 'linear.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('fits a phone-sized screen and works from the keyboard', async () => {
    const { page, errors } = await open('?data=spirals', { width: 390, height: 844 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.keyboard.press('e');
    await waitSnapshot(page, (x) => x !== null && x.epoch === 1);
    await page.keyboard.press(' ');
    await waitSnapshot(page, (x) => x?.running === true && x.epoch > 3);
    await page.keyboard.press(' ');
    await waitSnapshot(page, (x) => x !== null && !x.running);
    await page.screenshot({ path: join(shots, 'phone.png') });
    await page.locator('.network').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(shots, 'phone-network.png') });
    await page.locator('.output').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(shots, 'phone-output.png') });
    await page.locator('.explain').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(shots, 'phone-explain.png') });
    expect(errors).toEqual([]);
    await page.close();
  });
});
