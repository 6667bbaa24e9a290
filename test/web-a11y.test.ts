/**
 * The playground's accessibility in headless Chromium: axe-core's WCAG 2 A
 * and AA rules on each view (XOR, the linear neuron, a CSV, a phone), and
 * every control reachable and operable from the keyboard.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  diagramWeights,
  open,
  root,
  shots,
  snap,
  usePlayground,
  waitSnapshot,
} from './support/playground.js';

const skip = usePlayground();
const axePath = createRequire(import.meta.url).resolve('axe-core');
const phone = { width: 390, height: 844 };

type Violation = { id: string; help: string; nodes: { target: string[] }[] };

/** axe-core's WCAG 2 A and AA violations on the page, one line each, empty when it passes. */
async function audit(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: axePath });
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: { run(o: unknown): Promise<{ violations: Violation[]; passes: unknown[] }> };
      }
    ).axe;
    const r = await axe.run({ runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] } });
    return {
      passes: r.passes.length,
      list: r.violations.map((v) => ({
        id: v.id,
        help: v.help,
        nodes: v.nodes.map((n) => ({ target: n.target })),
      })),
    };
  });
  // An audit that checked nothing would pass too.
  expect(violations.passes).toBeGreaterThan(10);
  return violations.list.map(
    (v: Violation) =>
      `${v.id} (${v.help}): ${v.nodes
        .slice(0, 5)
        .map((n) => n.target.join(' '))
        .join(', ')}${v.nodes.length > 5 ? ` and ${v.nodes.length - 5} more` : ''}`,
  );
}

describe.skipIf(skip)('playground accessibility', () => {
  it('the audit catches an unlabelled control', async () => {
    const { page } = await open('?data=xor');
    await page.evaluate(() => {
      const bad = document.createElement('input');
      bad.type = 'number';
      document.querySelector('#main')?.append(bad);
    });
    expect((await audit(page)).join('\n')).toMatch(/^label /m);
    await page.close();
  });

  it('passes axe-core on the XOR page, desktop and phone', async () => {
    for (const viewport of [undefined, phone]) {
      const { page, errors } = await open('?data=xor', viewport);
      expect(await audit(page)).toEqual([]);
      expect(errors).toEqual([]);
      await page.close();
    }
  });

  it('passes axe-core on the linear-neuron view, desktop and phone', async () => {
    for (const viewport of [undefined, phone]) {
      const { page, errors } = await open('?data=line', viewport);
      expect(await audit(page)).toEqual([]);
      expect(errors).toEqual([]);
      await page.close();
    }
  });

  it('passes axe-core on a CSV view', async () => {
    const { page, errors } = await open('?data=csv', undefined, false);
    await page.waitForSelector('#csv-box:not([hidden])');
    await page.setInputFiles('#csv-file', join(root, 'data', 'iris.csv'));
    await waitSnapshot(page, (s) => s !== null);
    expect(await audit(page)).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe.skipIf(skip)('playground from the keyboard', () => {
  it('reaches every visible control with Tab', async () => {
    const { page, errors } = await open('?data=xor');
    const controls = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>('button, input, select, a[href], #diagram path')]
        .filter((e) => e.getClientRects().length > 0 && !(e as HTMLInputElement).disabled)
        // A radio group is one tab stop (the checked one); arrows move within it, tested below.
        .filter((e) => !(e.getAttribute('role') === 'radio' && e.tabIndex < 0))
        .map((e, k) => {
          e.dataset.a11yKey = String(k);
          return k;
        }),
    );
    expect(controls.length).toBeGreaterThan(30);
    const reached = new Set<string>();
    for (let k = 0; k < 600 && reached.size < controls.length; k++) {
      await page.keyboard.press('Tab');
      const key = await page.evaluate(() => {
        let e = document.activeElement as HTMLElement | null;
        // A file input sits inside its label button; its focus is the input's own.
        while (e && e.dataset?.a11yKey === undefined) e = e.parentElement;
        return e?.dataset.a11yKey ?? null;
      });
      if (key !== null) reached.add(key);
    }
    const missed = await page.evaluate(
      (got) =>
        [...document.querySelectorAll<HTMLElement>('[data-a11y-key]')]
          .filter((e) => !got.includes(e.dataset.a11yKey!))
          .map((e) => e.id || e.getAttribute('aria-label') || e.outerHTML.slice(0, 80)),
      [...reached],
    );
    expect(missed).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('runs, steps, picks data and moves sliders from the keyboard', async () => {
    const { page, errors } = await open('?data=xor');
    await page.focus('#run');
    await page.keyboard.press('Space');
    await waitSnapshot(page, (s) => s?.running === true && s.epoch > 0);
    await page.keyboard.press('Enter');
    await waitSnapshot(page, (s) => s !== null && !s.running);
    await page.focus('#reset');
    await page.keyboard.press('Enter');
    await waitSnapshot(page, (s) => s !== null && s.epoch === 0 && !s.running);
    await page.focus('#step-epoch');
    await page.keyboard.press('Enter');
    await waitSnapshot(page, (s) => s !== null && s.epoch === 1);
    const noise = Number(await page.inputValue('#noise'));
    await page.focus('#noise');
    await page.keyboard.press('ArrowRight');
    expect(Number(await page.inputValue('#noise'))).toBeCloseTo(noise + 0.01, 9);
    await page.focus('#datasets [aria-checked="true"]');
    const before = await page.getAttribute('#datasets [aria-checked="true"]', 'data-dataset');
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction(
      (b) => document.querySelector<HTMLElement>('#datasets [aria-checked="true"]')?.dataset.dataset !== b,
      before,
    );
    expect(
      await page.evaluate(() => (document.activeElement as HTMLElement).getAttribute('aria-checked')),
    ).toBe('true');
    await page.focus('#loss');
    const loss = await page.inputValue('#loss');
    await page.keyboard.press('ArrowDown');
    expect(await page.inputValue('#loss')).not.toBe(loss);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('edits a weight from the keyboard with the editor a click opens', async () => {
    const { page, errors } = await open('?data=xor');
    const path = '#diagram path[data-layer="1"][data-m="0"][data-i="1"]';
    await page.focus(path);
    expect(await page.isVisible('#tooltip')).toBe(true);
    expect(await page.getAttribute(path, 'aria-label')).toMatch(
      /^Weight from input 1 to node 2 of layer 1 = /,
    );
    await page.keyboard.press('Enter');
    await page.waitForSelector('.weight-editor input');
    expect(await page.evaluate(() => document.activeElement?.closest('.weight-editor') !== null)).toBe(true);
    expect(await audit(page)).toEqual([]);
    await page.keyboard.type('0.625');
    await page.keyboard.press('Enter');
    await page.waitForFunction(
      (p) => Number(document.querySelector<SVGElement>(p)?.dataset.w) === 0.625,
      path,
    );
    expect((await diagramWeights(page))['1:0:1']).toBe(0.625);
    expect(await page.evaluate((p) => document.activeElement === document.querySelector(p), path)).toBe(true);
    // Escape leaves the weight as it was.
    await page.keyboard.press(' ');
    await page.waitForSelector('.weight-editor input');
    await page.keyboard.type('3');
    await page.keyboard.press('Escape');
    await page.waitForSelector('.weight-editor', { state: 'detached' });
    expect((await diagramWeights(page))['1:0:1']).toBe(0.625);
    expect((await snap(page))?.running).toBe(false);
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe.skipIf(skip)('check it by hand', () => {
  it('shows the operands of a picked number, each a way back to where it was computed', async () => {
    const { page, errors } = await open('?data=xor');
    const grad = '#explain .eq[data-defines="grad:1:0:0"]';
    await page.waitForSelector(grad);
    await page.click(grad);
    const names = () =>
      page.$$eval('#explain .operands [data-goto]', (bs) => bs.map((b) => (b as HTMLElement).dataset.goto));
    // dJ/dw(1)11 = delta(1)1 x1.
    expect(await names()).toEqual(['delta:1:0', 'x:0:0']);
    // A gradient sums over the batch: the box says so when the batch holds more than one example.
    const count = await page.$eval(grad, (e) => Number((e as HTMLElement).dataset.summed));
    expect(await page.textContent('#explain .operands')).toContain(
      count > 1 ? `A sum over the ${count} examples of the batch` : 'Computed from: ',
    );
    await page.click('#explain .operands [data-goto="delta:1:0"]');
    const picked = () => page.$eval('#explain .eq.picked', (e) => (e as HTMLElement).dataset.defines);
    expect(await picked()).toBe('delta:1:0');
    expect(await page.evaluate(() => (document.activeElement as HTMLElement).dataset.defines)).toBe(
      'delta:1:0',
    );
    // delta(1)1 = psi'(v(1)1) times the sum over the next layer's deltas.
    expect(await names()).toEqual(['v:1:0', 'delta:2:0']);
    // From the keyboard: Tab to the next operand, Enter follows it.
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    expect(await picked()).toBe('delta:2:0');
    expect(await names()).toEqual(['v:2:0', 'x:2:0']);
    await page.locator('#explain').screenshot({ path: join(shots, 'check-by-hand.png') });
    expect(await audit(page)).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });
});
