/**
 * The playground's second edition in headless Chromium: the defects of the
 * first (a stale explain panel, arithmetic that did not check, a double minus,
 * no accuracy with the squared loss, a bad CSV file leaving a mixed page,
 * settings that threw the weights away, the phone layout) and the controls
 * TensorFlow Playground has (features, discretize, zero initialisation, the
 * regressions, weight editing, node maps, epochs per second, hidden controls).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  diagramWeights,
  explained,
  open,
  outDir,
  root,
  shots,
  snap,
  usePlayground,
  waitSnapshot,
} from './support/playground.js';

const skip = usePlayground();

/** The TeX source of every equation of the explain panel. */
async function texts(page: Page): Promise<string[]> {
  return page.$$eval('#explain .eq[data-tex]', (els) => els.map((e) => (e as HTMLElement).dataset.tex ?? ''));
}

/** A number as the panel prints it: `-0.12`, `(-0.12)`, `6.047\times 10^{-6}`, `\tfrac{1}{10}`. */
function parse(s: string): number {
  const t = s.trim().replace(/^\((.*)\)$/, '$1');
  const frac = /^\\tfrac\{(\d+)\}\{(\d+)\}$/.exec(t);
  if (frac) return Number(frac[1]) / Number(frac[2]);
  const exp = /^(-?[\d.]+)\\times 10\^\{(-?\d+)\}$/.exec(t);
  if (exp) return Number(exp[1]) * 10 ** Number(exp[2]);
  const x = Number(t);
  if (!Number.isFinite(x)) throw new Error(`not a number: ${s}`);
  return x;
}

const NUM = String.raw`\(?-?[\d.]+(?:\\times 10\^\{-?\d+\})?\)?`;
const round4 = (x: number) => Number(x.toPrecision(4));

/**
 * Redoes the arithmetic of each update line (w <- old - eta * g = new), each
 * output delta of the fused losses ((1/n) (d - y)) and each hidden delta
 * (psi' [sum delta w]) from the numbers as printed; returns the lines checked.
 */
function checkByHand(lines: string[]): number {
  let checked = 0;
  const update = new RegExp(String.raw`\\leftarrow (${NUM}) - (${NUM})\\cdot (${NUM}) = (${NUM})$`);
  const fused = new RegExp(
    String.raw`= (?:(\\tfrac\{1\}\{\d+\})\\cdot )?\((${NUM}) - (${NUM})\) = (${NUM})$`,
  );
  const hidden = new RegExp(String.raw`= (${NUM})\\cdot\[(.*)\] = (${NUM})$`);
  for (const line of lines) {
    let m = update.exec(line);
    if (m) {
      // The new value is printed with the digits that show it moved: check at those.
      const q = Math.max(4, m[4].replace(/\\times.*|[()\-.]/g, '').replace(/^0+/, '').length);
      const round = (x: number) => Number(x.toPrecision(q));
      expect(round(parse(m[1]) - parse(m[2]) * parse(m[3])), line).toBe(round(parse(m[4])));
      checked++;
      continue;
    }
    m = fused.exec(line);
    if (m) {
      const s = m[1] ? parse(m[1]) : 1;
      expect(round4(s * (parse(m[2]) - parse(m[3]))), line).toBe(round4(parse(m[4])));
      checked++;
      continue;
    }
    m = hidden.exec(line);
    if (m && !m[2].includes('\\dots')) {
      const terms = m[2].split(' + ').map((t) => t.split('\\cdot ').map(parse));
      const sum = terms.reduce((a, [x, y]) => a + x * y, 0);
      expect(round4(parse(m[1]) * sum), line).toBe(round4(parse(m[3])));
      checked++;
    }
  }
  return checked;
}

async function runUntil(page: Page, ok: (s: NonNullable<Awaited<ReturnType<typeof snap>>>) => boolean) {
  await page.click('#run');
  await waitSnapshot(page, (x) => x !== null && ok(x), 60_000);
  if ((await snap(page))?.running) await page.click('#run');
  return waitSnapshot(page, (x) => x !== null && !x.running);
}

describe.skipIf(skip)('playground defects, fixed', () => {
  it('clears the explain panel when training stops at the tolerance, and goes on when it is lowered', async () => {
    const { page, errors } = await open('?data=xor&tol=0.1');
    await page.waitForSelector('#explain .katex');
    await page.click('#run');
    await page.waitForSelector('#banner.calm:not([hidden])', { timeout: 60_000 });
    await waitSnapshot(page, (x) => x !== null && !x.running);
    await page.waitForFunction(() => document.querySelectorAll('#explain .katex').length === 0);
    expect(await page.textContent('#explain-note')).toMatch(/reached the tolerance.*no next update/);
    expect(await page.textContent('#explain-note')).not.toMatch(/exactly these new weights/);
    expect(await page.isDisabled('#step-update')).toBe(true);
    expect(await page.isDisabled('#run')).toBe(true);
    await page.screenshot({ path: join(shots, 'stopped-tolerance.png') });
    // Lowering the tolerance goes on from the same weights, with a fresh explain panel.
    const weights = await diagramWeights(page);
    const epoch = (await snap(page))!.epoch;
    await page.fill('#tol', '0.01');
    await page.press('#tol', 'Enter');
    await page.waitForSelector('#explain [data-old]');
    expect(await diagramWeights(page)).toEqual(weights);
    expect((await snap(page))!.epoch).toBe(epoch);
    const shown = await explained(page);
    for (const [k, w] of Object.entries(weights)) expect(shown[k].old).toBe(w);
    expect(await page.isDisabled('#step-update')).toBe(false);
    await page.click('#step-epoch');
    await waitSnapshot(page, (x) => x !== null && x.epoch === epoch + 1);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('clears the explain panel when training diverges', async () => {
    const { page, errors } = await open('?data=line&layers=1:linear:0.2');
    await page.waitForSelector('#explain .katex');
    await page.click('#run');
    await page.waitForSelector('#banner:not([hidden])', { timeout: 30_000 });
    await page.waitForFunction(() => document.querySelectorAll('#explain .katex').length === 0);
    expect(await page.textContent('#explain-note')).toMatch(/diverged.*no next update/);
    expect(await page.isDisabled('#step-epoch')).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('prints every number with the digits that make its line check by hand', async () => {
    // Trained long enough for y to be within 1e-4 of d, where 4 digits made "1 - 0.9999" wrong.
    const { page, errors } = await open('?data=xor&layers=4:tanh:0.5,1:sigmoid:0.5&seed=2');
    await runUntil(page, (x) => x.epoch >= 300);
    await page.waitForSelector('#explain [data-old]');
    let total = 0;
    const options = await page.$$eval('#explain-example option', (o) =>
      o.map((e) => (e as HTMLOptionElement).value),
    );
    for (const value of options) {
      await page.selectOption('#explain-example', value);
      total += checkByHand(await texts(page));
    }
    // 10 examples x (1 output delta + 4 hidden deltas) + 17 updates each.
    expect(total).toBeGreaterThanOrEqual(10 * 5 + 17);
    await page.locator('.explain').screenshot({ path: join(shots, 'explain-digits.png') });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('brackets a negative number after a minus sign', async () => {
    const { page, errors } = await open('?data=xor&layers=4:tanh:0.3,1:linear:0.3&loss=squared&seed=4');
    await page.waitForSelector('#explain [data-old]');
    const all: string[] = [];
    const options = await page.$$eval('#explain-example option', (o) =>
      o.map((e) => (e as HTMLOptionElement).value),
    );
    for (const value of options) {
      await page.selectOption('#explain-example', value);
      all.push(...(await texts(page)));
    }
    expect(all.filter((t) => /-\s*-/.test(t))).toEqual([]);
    expect(all.some((t) => t.includes('- (-'))).toBe(true);
    expect(checkByHand(all)).toBeGreaterThan(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows accuracy on XOR with the squared and half-squared losses', async () => {
    for (const loss of ['squared', 'half-squared']) {
      const { page, errors } = await open(`?data=xor&loss=${loss}`);
      await page.waitForFunction(() => /%$/.test(document.getElementById('test-acc')!.textContent ?? ''));
      expect(await page.textContent('#train-acc')).toMatch(/^\d+\.\d%$/);
      const s = await snap(page);
      expect(s!.trainAccuracy).toBeGreaterThanOrEqual(0);
      expect(errors).toEqual([]);
      await page.close();
    }
  });

  it('keeps the previous data whole when a CSV file is bad, and names the bad cell', async () => {
    const { page, errors } = await open('?data=csv', undefined, false);
    await page.waitForSelector('#csv-box:not([hidden])');
    await page.setInputFiles('#csv-file', join(root, 'data', 'iris.csv'));
    await waitSnapshot(page, (x) => x !== null && x.epoch === 0);
    await page.click('#step-epoch');
    await page.click('#step-epoch');
    await waitSnapshot(page, (x) => x !== null && x.epoch === 2);
    const info = await page.textContent('#csv-info');
    const weights = await diagramWeights(page);
    const bad = join(outDir, 'bad.csv');
    await writeFile(bad, 'a;b;label\n1;2;x\n3;oops;y\n4;5;x\n');
    await page.setInputFiles('#csv-file', bad);
    await page.waitForSelector('#banner:not([hidden])');
    expect(await page.textContent('#banner-text')).toMatch(
      /bad\.csv: line 3, column 'b': 'oops' is not a number\. The previous data stay/,
    );
    expect(await page.textContent('#csv-info')).toBe(info);
    expect(await page.inputValue('#csv-target')).toBe('species');
    expect((await snap(page))!.epoch).toBe(2);
    expect(await diagramWeights(page)).toEqual(weights);
    expect(await page.locator('#diagram .node').count()).toBe(4 + 8 + 3);
    // Play still trains the old data.
    await runUntil(page, (x) => x.epoch > 4);
    // A good file separated by semicolons reads as its columns.
    const semi = join(outDir, 'semi.csv');
    await writeFile(semi, 'a;b;label\n1;2;x\n3;1;y\n4;5;x\n2;2;y\n');
    await page.setInputFiles('#csv-file', semi);
    await page.waitForFunction(() =>
      /semi\.csv/.test(document.getElementById('csv-info')!.textContent ?? ''),
    );
    expect(await page.textContent('#csv-info')).toBe("semi.csv: 4 rows, 3 columns separated by ';'.");
    await waitSnapshot(page, (x) => x !== null && x.epoch === 0);
    expect(await page.locator('#diagram .node[data-layer="0"]').count()).toBe(2);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('keeps the weights when eta, loss, mode or optimizer change, while paused or running', async () => {
    const { page, errors } = await open('?data=xor&layers=4:tanh:0.3,1:sigmoid:0.3&mode=sequential&seed=3');
    for (let k = 0; k < 3; k++) await page.click('#step-epoch');
    await waitSnapshot(page, (x) => x !== null && x.epoch === 3);
    const before = await diagramWeights(page);
    await page.fill('#eta-all', '0.05');
    await page.press('#eta-all', 'Enter');
    await page.waitForFunction(() => location.search.includes('layers=4:tanh:0.05,1:sigmoid:0.05'));
    await page.waitForSelector('#explain [data-old]');
    await page.waitForFunction(() =>
      [...document.querySelectorAll('#explain h3')].some((h) => h.textContent?.includes('η(1) = 0.05')),
    );
    expect(await diagramWeights(page)).toEqual(before);
    expect((await snap(page))!.epoch).toBe(3);
    expect(await page.textContent('#settings-note')).toMatch(
      /From epoch 3 on: the new settings train the current weights/,
    );
    // The next update is the panel's, with the new rate: the explain panel and U agree to the bit.
    const shown = await explained(page);
    await page.click('#step-update');
    await waitSnapshot(page, (x) => x !== null && x.updates > 3 * 100);
    const after = await diagramWeights(page);
    for (const k of Object.keys(after)) expect(after[k]).toBe(shown[k].new);
    // While running: changing the mode and the optimizer does not restart.
    await page.click('#run');
    await waitSnapshot(page, (x) => x !== null && x.running && x.epoch > 6);
    await page.selectOption('#mode', 'batch');
    await page.selectOption('#optimizer', 'momentum');
    expect(await page.textContent('#settings-note')).toMatch(/momentum's running averages start afresh/);
    await page.selectOption('#loss', 'squared');
    const s1 = (await snap(page))!.epoch;
    await waitSnapshot(page, (x) => x !== null && x.epoch > s1 + 5);
    expect(
      (
        await page.evaluate(
          () => (window as never as { playground: { costs: { epoch: number }[] } }).playground.costs,
        )
      )[0].epoch,
    ).toBe(0);
    await page.click('#run');
    const s = await waitSnapshot(page, (x) => x !== null && !x.running);
    expect(s.epoch).toBeGreaterThan(s1);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('fits a phone: a three-hidden-layer diagram, explain lines that wrap, 40 px touch targets', async () => {
    const q = '?data=spirals&layers=8:tanh:0.02,8:tanh:0.02,8:tanh:0.02,1:sigmoid:0.02';
    const { page, errors } = await open(q, { width: 390, height: 844 });
    await page.waitForSelector('#explain .katex');
    const m = await page.evaluate(() => {
      const W = window.innerWidth;
      const right = (sel: string) =>
        Math.max(...[...document.querySelectorAll(sel)].map((e) => e.getBoundingClientRect().right));
      const heights = (sel: string) =>
        Math.min(...[...document.querySelectorAll(sel)].map((e) => e.getBoundingClientRect().height));
      const widths = (sel: string) =>
        Math.min(...[...document.querySelectorAll(sel)].map((e) => e.getBoundingClientRect().width));
      const cut = [...document.querySelectorAll<HTMLElement>('#explain .eq')].filter(
        (e) => e.scrollWidth > e.clientWidth + 1,
      ).length;
      return {
        W,
        page: document.documentElement.scrollWidth,
        nodes: right('#diagram .node'),
        eq: right('#explain .eq .katex'),
        cut,
        pm: heights('#diagram .pm button'),
        pmWidth: widths('#diagram .pm button'),
        eta: heights('#diagram input.rate'),
        select: heights('#diagram select'),
        round: heights('.transport button'),
      };
    });
    expect(m.page).toBeLessThanOrEqual(m.W);
    expect(m.nodes).toBeLessThanOrEqual(m.W);
    expect(m.eq).toBeLessThanOrEqual(m.W);
    expect(m.cut).toBe(0);
    expect(m.pm).toBeGreaterThanOrEqual(40);
    expect(m.pmWidth).toBeGreaterThanOrEqual(40);
    expect(m.eta).toBeGreaterThanOrEqual(40);
    expect(m.select).toBeGreaterThanOrEqual(40);
    expect(m.round).toBeGreaterThanOrEqual(40);
    await page.locator('.network').screenshot({ path: join(shots, 'phone-3-hidden.png') });
    await page
      .locator('#explain section')
      .nth(2)
      .screenshot({ path: join(shots, 'phone-hidden-deltas.png') });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('wraps long hidden-delta lines on a desktop instead of scrolling them', async () => {
    const { page, errors } = await open('?data=spirals&layers=8:tanh:0.02,8:tanh:0.02,1:sigmoid:0.02');
    await page.waitForSelector('#explain .katex');
    const cut = await page.$$eval('#explain .eq', (els) =>
      els.filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => (e as HTMLElement).dataset.tex),
    );
    expect(cut).toEqual([]);
    await page.locator('.explain').screenshot({ path: join(shots, 'desktop-explain-wrap.png') });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('offers as many examples as a link may ask for, and says "1 point"', async () => {
    const { page, errors } = await open('?data=xor&n=2000');
    expect(await page.inputValue('#size')).toBe('2000');
    expect(await page.getAttribute('#size', 'max')).toBe('2000');
    expect(await page.textContent('#size-out')).toBe('2000');
    await page.close();
    const line = await open('?data=line');
    await line.page.click('#lin-step');
    expect(await line.page.textContent('#lin-seq-cap')).toMatch(/1 update after 1 point\b/);
    expect([...errors, ...line.errors]).toEqual([]);
    await line.page.close();
  });

  it('loads a model with the data set, seed, noise and rates it was trained with', async () => {
    const { page, errors } = await open(
      '?data=moons&seed=7&noise=0.2&layers=4:tanh:0.7,1:sigmoid:0.4&mode=sequential',
    );
    await page.click('#step-epoch');
    await waitSnapshot(page, (x) => x !== null && x.epoch === 1);
    const trained = await diagramWeights(page);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
    const file = join(outDir, 'moons-model.json');
    await download.saveAs(file);
    const model = JSON.parse(await readFile(file, 'utf8'));
    expect(model.training.playground).toMatch(/data=moons/);
    await page.close();
    const fresh = await open('?data=xor');
    await fresh.page.setInputFiles('#load-model', file);
    await fresh.page.waitForFunction(() => location.search.includes('data=moons'));
    await waitSnapshot(fresh.page, (x) => x !== null && x.epoch === 0);
    const setup = await fresh.page.evaluate(
      () => (window as never as { playground: { setup: Record<string, unknown> } }).playground.setup,
    );
    expect(setup.dataset).toBe('moons');
    expect(setup.seed).toBe(7);
    expect(setup.noise).toBe(0.2);
    expect(setup.mode).toBe('sequential');
    expect((setup.layers as { learningRate: number }[]).map((l) => l.learningRate)).toEqual([0.7, 0.4]);
    await fresh.page.waitForFunction(() => document.querySelectorAll('#diagram path[data-w]').length > 0);
    expect(await diagramWeights(fresh.page)).toEqual(trained);
    expect([...errors, ...fresh.errors]).toEqual([]);
    await fresh.page.close();
  });
});
