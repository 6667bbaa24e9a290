/**
 * This round's training features in the playground, in headless Chromium:
 * a schedule of eta, per-layer dropout, class weights on imbalanced data.
 * Each reaches the Trainer (the weights equal a Node run with the same
 * settings, to the bit), "step one update" equals the explain panel to the
 * bit under each, and every new link key survives a round trip.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { type FieldOptions, Network, Trainer } from '../src/index.js';
import { generate } from '../web/src/data.js';
import { decodeSetup, learningRates } from '../web/src/setup.js';
import {
  diagramWeights,
  explained,
  keyedWeights,
  open,
  shots,
  snap,
  usePlayground,
  waitSnapshot,
} from './support/playground.js';

const skip = usePlayground();

const BASE = '?data=moons&layers=5:tanh:0.2,1:sigmoid:0.3&mode=minibatch&batch=7&opt=sgd&seed=5';

/** The library in Node on the page's data and the link's settings, plus `extra`. */
function nodeTrainer(query: string, extra: FieldOptions): { net: Network; trainer: Trainer } {
  const setup = decodeSetup(query);
  const data = generate(setup);
  const net = new Network({
    inputs: 2,
    layers: setup.layers.map((l) => ({ units: l.units, activation: l.activation, dropout: l.dropout })),
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
    seed: setup.seed,
    validationData: data.test,
    ...extra,
  });
  return { net, trainer };
}

/** The weights after `epochs` epochs of {@link nodeTrainer}, keyed as the diagram keys them. */
function nodeRun(query: string, epochs: number, extra: FieldOptions): Record<string, number> {
  const { net, trainer } = nodeTrainer(query, extra);
  for (let k = 0; k < epochs; k++) trainer.runEpoch();
  return keyedWeights(net);
}

async function epochs(page: Page, count: number): Promise<void> {
  const start = (await snap(page))!.epoch;
  for (let k = 0; k < count; k++) await page.click('#step-epoch');
  await waitSnapshot(page, (x) => x !== null && x.epoch === start + count);
}

/** Steps `count` single updates; after each, the network's weights are exactly the explain panel's new ones. */
async function updatesMatchExplain(page: Page, count: number): Promise<void> {
  for (let k = 0; k < count; k++) {
    const before = (await snap(page))!.updates;
    await page.waitForSelector('#explain [data-old]');
    const shown = await explained(page);
    await page.click('#step-update');
    await waitSnapshot(page, (x) => x !== null && x.updates === before + 1 && !x.running);
    const after = await diagramWeights(page);
    for (const key of Object.keys(after)) expect(after[key], `update ${k + 1}, ${key}`).toBe(shown[key].new);
    expect(await page.textContent('#explain-note')).toMatch(/exactly these new weights/);
  }
}

describe.skipIf(skip)("this round's training features in the playground", () => {
  it('sets a schedule and its warm-up through the controls; the Trainer follows it, eta beside the epoch', async () => {
    const { page, errors } = await open(BASE);
    await page.selectOption('#schedule', 'exponential');
    await page.fill('#sched-param', '0.5');
    await page.press('#sched-param', 'Enter');
    await page.fill('#warmup', '2');
    await page.press('#warmup', 'Enter');
    await page.waitForFunction(() => location.search.includes('&sched=exponential,gamma=0.5,warmup=2&'));
    expect(await page.textContent('#eta-now')).toBe('0.06667, 0.1');
    await epochs(page, 4);
    const query = new URL(page.url()).search;
    const schedule = { name: 'exponential', gamma: 0.5, warmup: 2 } as const;
    expect(await diagramWeights(page)).toEqual(nodeRun(query, 4, { schedule }));
    // Warm-up over (epochs 1-2 from eta/3 to eta), then two halvings: epoch 5 trains with eta/4.
    expect(await page.textContent('#eta-now')).toBe('0.05, 0.075');
    // And without the schedule the weights differ.
    expect(await diagramWeights(page)).not.toEqual(nodeRun(query, 4, {}));
    await updatesMatchExplain(page, 3);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("sets a hidden layer's dropout; the Trainer drops, and each update is exactly the explain panel's", async () => {
    const { page, errors } = await open(BASE);
    expect(await page.locator('#diagram .dropout-rate').count()).toBe(1);
    await page.fill('#diagram .dropout-rate', '0.4');
    await page.press('#diagram .dropout-rate', 'Enter');
    await page.waitForFunction(() => location.search.includes('layers=5:tanh:0.2:0.4,1:sigmoid:0.3&'));
    await waitSnapshot(page, (x) => x !== null && x.epoch === 0 && x.updates === 0);
    // The panel shows the mask the next update draws, and dropped nodes' deltas as 0.
    await page.waitForSelector('#explain .eq[data-mask]');
    const mask = await page.$eval('#explain .eq[data-mask]', (e) => (e as HTMLElement).dataset.mask!);
    expect(mask.split(',')).toHaveLength(5);
    // 15 minibatches an epoch (100 examples, 7 a batch): the 16th update is the next epoch's first.
    await updatesMatchExplain(page, 16);
    await epochs(page, 2);
    const query = new URL(page.url()).search;
    const browser = await diagramWeights(page);
    // 16 updates then two epochs = three epochs and one update: the Node run steps the same.
    expect(decodeSetup(query).layers.map((l) => l.dropout)).toEqual([0.4, 0]);
    const { net, trainer } = nodeTrainer(query, {});
    for (let k = 0; k < 16; k++) trainer.step();
    for (let k = 0; k < 2; k++) while (!trainer.step()) {}
    expect(browser).toEqual(keyedWeights(net));
    expect(browser).not.toEqual(nodeRun(BASE, 3, {}));
    expect(errors).toEqual([]);
    await page.close();
  });

  it('trains with dropout from a link to the same weights as Node', async () => {
    const query = BASE.replace('5:tanh:0.2', '5:tanh:0.2:0.5');
    const { page, errors } = await open(query);
    await epochs(page, 3);
    expect(await diagramWeights(page)).toEqual(nodeRun(query, 3, {}));
    expect(errors).toEqual([]);
    await page.close();
  });

  it('cuts a class to a tenth and weighs the classes: balanced weights raise the minority recall', async () => {
    const query = '?data=circles&n=1000&noise=0.3&layers=4:tanh:0.3,1:sigmoid:0.3&opt=sgd&seed=1';
    const { page, errors } = await open(query);
    expect(await page.isHidden('#test-recall')).toBe(true);
    await page.check('#imbalanced');
    await page.waitForFunction(() => location.search.includes('&imb=true&'));
    await waitSnapshot(page, (x) => x !== null && x.epoch === 0);
    const train = await page.evaluate(
      () =>
        (window as unknown as { playground: { data: { train: { targets: number[][] } } } }).playground.data
          .train.targets,
    );
    const minority = train.filter((t) => t[0] === 1).length;
    expect(minority).toBeGreaterThan(0);
    expect(minority).toBeLessThan(train.length / 8);
    expect(await page.isVisible('#test-recall')).toBe(true);
    await epochs(page, 20);
    const plain = Number.parseFloat((await page.textContent('#test-recall'))!);
    // Balanced weights on the same data, from the same start.
    await page.click('#reset');
    await waitSnapshot(page, (x) => x !== null && x.epoch === 0);
    await page.selectOption('#class-weights', 'balanced');
    await page.waitForFunction(() => location.search.includes('&cw=balanced&'));
    await updatesMatchExplain(page, 2);
    expect(await page.$$eval('#explain .eq[data-weight]', (e) => e.length)).toBe(1);
    await epochs(page, 20);
    const weighted = Number.parseFloat((await page.textContent('#test-recall'))!);
    // Seeded, so the figures are fixed: about 0% of the minority found without weights, over 90% with.
    expect(plain).toBeLessThan(20);
    expect(weighted).toBeGreaterThan(90);
    expect(await page.textContent('#minority-test-label')).toMatch(/class 1/);
    await page.screenshot({ path: join(shots, 'round-imbalanced.png') });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('trains with balanced class weights from a link to the same weights as Node', async () => {
    const query = `${BASE}&imb=true&cw=balanced&n=400`;
    const { page, errors } = await open(query);
    await epochs(page, 3);
    expect(await diagramWeights(page)).toEqual(nodeRun(query, 3, { classWeights: 'balanced' }));
    expect(await diagramWeights(page)).not.toEqual(nodeRun(query, 3, {}));
    expect(errors).toEqual([]);
    await page.close();
  });

  it('round-trips every new key of the link, and shows it in the controls', async () => {
    const query =
      'data=moons&layers=6:relu:0.05:0.25,3:tanh:0.1:0.5,1:sigmoid:0.2&n=300&noise=0.15&test=0.3&imb=true' +
      '&loss=binary-cross-entropy&red=mean&mode=minibatch&batch=16&opt=sgd&l2=0&l1=0.001' +
      '&sched=cosine-restarts,epochs=20,warmup=3&cw=balanced&tol=0&seed=42&init=auto&feat=x1,x2&disc=false';
    const { page, errors } = await open(`?${query}`);
    await page.waitForFunction(() => document.querySelectorAll('#diagram .node').length > 0);
    expect(new URL(page.url()).search.slice(1)).toBe(query);
    expect(await page.inputValue('#schedule')).toBe('cosine-restarts');
    expect(await page.inputValue('#sched-param')).toBe('20');
    expect(await page.inputValue('#warmup')).toBe('3');
    expect(await page.inputValue('#class-weights')).toBe('balanced');
    expect(await page.isChecked('#imbalanced')).toBe(true);
    expect(
      await page.$$eval('#diagram .dropout-rate', (e) => e.map((i) => (i as HTMLInputElement).value)),
    ).toEqual(['0.25', '0.5']);
    await epochs(page, 2);
    await page.screenshot({ path: join(shots, 'round-desktop.png'), fullPage: true });
    await page.close();
    const phone = await open(`?${query}`, { width: 390, height: 844 });
    await epochs(phone.page, 2);
    await phone.page.screenshot({ path: join(shots, 'round-phone.png'), fullPage: true });
    expect([...errors, ...phone.errors]).toEqual([]);
    await phone.page.close();
  });
});
