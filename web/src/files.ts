/**
 * Files in and out of the page: the model file (export, and load with the
 * data set, seed, noise and rates it was trained with), the link to the
 * setup, and a user's CSV file, read in the browser and checked whole before
 * it replaces anything.
 *
 * @module
 */
import { Network, plural } from 'backprop-mlp';
import { chooseCsvDefaults, makeData } from './build.js';
import { fitLossToOutput, syncControls } from './controls.js';
import { parseCsvText } from './data.js';
import { type Activation, DATASETS, decodeSetup, encodeSetup, LINKED, type Setup } from './setup.js';
import { $, type Change, page } from './state.js';

interface FileActions {
  changed(what: Change): void;
  showBanner(text: string, diverged: boolean, calm?: boolean): void;
  exportModel(): void;
}

/** Saves `json` as a file through the browser's download. */
export function download(json: unknown): void {
  const blob = new Blob([`${JSON.stringify(json, null, 2)}\n`], { type: 'application/json' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = `backprop-${page.setup.dataset}-model.json`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

/**
 * The setup a model file was trained with: its `training` fields (data set,
 * size, noise, seed, test share, loss, rates, ...) over the current setup,
 * read back through the URL codec so that every value is checked and clamped.
 */
export function setupFromModel(model: {
  layers: { units: number; activation: string }[];
  training?: unknown;
}): Setup {
  const t = (model.training ?? {}) as Partial<Setup> & {
    learningRate?: number[] | number;
    playground?: unknown;
  };
  const current = page.setup;
  // A file from the playground carries its link: the whole setup, read as a link is.
  if (typeof t.playground === 'string') {
    const linked = decodeSetup(t.playground);
    linked.layers = model.layers.map((l, n) => ({
      ...linked.layers[Math.min(n, linked.layers.length - 1)],
      units: l.units,
      activation: l.activation as Activation,
    }));
    return { ...decodeSetup(encodeSetup(linked)), hidden: current.hidden };
  }
  const rates = Array.isArray(t.learningRate) ? t.learningRate : null;
  const saved: Setup = {
    ...current,
    ...(typeof t.dataset === 'string' &&
    (DATASETS as readonly string[]).includes(t.dataset) &&
    t.dataset !== 'csv'
      ? { dataset: t.dataset }
      : {}),
  };
  // Every setting the link carries (the table's rows with a link key), and the initialisation.
  const record = t as Record<string, unknown>;
  for (const k of [...LINKED.map(([name]) => name), 'init']) {
    if (record[k] !== undefined && record[k] !== null)
      (saved as unknown as Record<string, unknown>)[k] = record[k];
  }
  if (Array.isArray(t.features)) saved.features = t.features;
  const scalar = typeof t.learningRate === 'number' ? t.learningRate : null;
  saved.layers = model.layers.map((l, n) => ({
    units: l.units,
    activation: l.activation as Activation,
    learningRate: rates?.[n] ?? scalar ?? current.layers[Math.min(n, current.layers.length - 1)].learningRate,
    dropout: (l as { dropout?: number }).dropout ?? 0,
  }));
  const checked = decodeSetup(encodeSetup(saved));
  checked.hidden = current.hidden;
  return checked;
}

export function initFiles(actions: FileActions): void {
  $('export').onclick = () => actions.exportModel();

  $<HTMLInputElement>('load-model').onchange = async (e) => {
    const input = e.target as HTMLInputElement;
    const file = input.files?.[0];
    input.value = '';
    if (!file) return;
    try {
      const text = await file.text();
      const net = Network.fromJSON(text, { dtype: 'float64' });
      const model = net.toJSON();
      const next = setupFromModel({ ...model, training: net.meta.training });
      if (next.dataset === 'csv' || (page.setup.dataset === 'csv' && !page.csv)) {
        throw new Error('trained on a CSV file: choose the CSV file first, then load the model');
      }
      page.setup = next;
      fitLossToOutput();
      page.startModel = model;
      syncControls();
      // 'network', not 'data': the loaded weights are the start, on the data they were trained on.
      actions.changed('network');
      if (!page.startModel) {
        const units = model.layers[model.layers.length - 1].units;
        actions.showBanner(
          `${file.name}: its output layer has ${plural(units, 'node')}, which does not fit this data set; ` +
            'the network starts from random weights instead.',
          false,
        );
      }
    } catch (err) {
      actions.showBanner(`${file.name}: ${(err as Error).message}`, false);
    }
  };

  $('share').onclick = async () => {
    const url = `${location.origin}${location.pathname}?${encodeSetup(page.setup)}`;
    try {
      await navigator.clipboard.writeText(url);
      $('share').textContent = 'Link copied';
    } catch {
      $('share').textContent = 'Link in the address bar';
    }
    setTimeout(() => ($('share').textContent = 'Copy link'), 1800);
  };

  $<HTMLInputElement>('csv-file').onchange = async (e) => {
    const input = e.target as HTMLInputElement;
    const file = input.files?.[0];
    input.value = '';
    if (!file) return;
    // The new file replaces the old one only once its data are made whole: a bad file changes nothing.
    const before = { csv: page.csv, setup: structuredClone(page.setup) };
    try {
      const table = parseCsvText(await file.text(), file.name);
      page.csv = { table, target: table.columns[table.columns.length - 1] };
      chooseCsvDefaults();
      const made = makeData();
      const dropped = made?.dropped ?? [];
      fillCsvTargets();
      $('csv-info').textContent =
        `${file.name}: ${plural(table.rows.length, 'row')}, ${plural(table.columns.length, 'column')}` +
        `${table.delimiter === ',' ? '' : ` separated by ${table.delimiter === '\t' ? 'tabs' : `'${table.delimiter}'`}`}` +
        `${dropped.length ? `; not numbers, so not inputs: ${dropped.join(', ')}` : ''}.`;
      actions.changed('data');
    } catch (err) {
      page.csv = before.csv;
      page.setup = before.setup;
      syncControls();
      actions.showBanner(`${(err as Error).message}. The previous data stay.`, false);
    }
  };

  $<HTMLSelectElement>('csv-target').onchange = (e) => {
    if (!page.csv) return;
    const select = e.target as HTMLSelectElement;
    const before = { target: page.csv.target, setup: structuredClone(page.setup) };
    try {
      page.csv.target = select.value;
      chooseCsvDefaults();
      makeData();
      actions.changed('data');
    } catch (err) {
      page.csv.target = before.target;
      page.setup = before.setup;
      select.value = before.target;
      syncControls();
      actions.showBanner(`${(err as Error).message}. The previous target stays.`, false);
    }
  };
}

function fillCsvTargets(): void {
  const select = $<HTMLSelectElement>('csv-target');
  select.replaceChildren(
    ...(page.csv?.table.columns ?? []).map((c) => {
      const o = document.createElement('option');
      o.value = c;
      o.textContent = c;
      return o;
    }),
  );
  if (page.csv) select.value = page.csv.target;
}
