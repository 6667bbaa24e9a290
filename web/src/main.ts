/**
 * The playground page: controls, URL state, drawing, and the messages to and
 * from the training worker. The network itself lives in the worker.
 *
 * @module
 */
import { isClassification, Network } from 'backprop-mlp';
import './style.css';
import {
  type CsvTable,
  csvExamples,
  GRID,
  generate,
  type PlaygroundData,
  parseCsvText,
  shapeTargets,
  split,
  standardize,
  withGrid,
} from './data.js';
import { Diagram } from './diagram.js';
import {
  CLASS_COLORS,
  classOf,
  drawAxes,
  drawClassRegions,
  drawConfusion,
  drawCostChart,
  drawCurve,
  drawHeatmap,
  drawPoints,
  drawPredicted,
  fitCanvas,
  scaleFor,
} from './draw.js';
import { renderExplain } from './explain-view.js';
import { LinearView } from './linear.js';
import type { CostPoint, FromWorker, InitMessage, Snapshot, ToWorker } from './protocol.js';
import {
  type Activation,
  DATASETS,
  type Dataset,
  decodeSetup,
  defaultSetup,
  encodeSetup,
  LIMITS,
  LOSSES,
  MODES,
  OPTIMIZERS,
  REDUCTIONS,
  type Setup,
} from './setup.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing #${id}`);
  return el as T;
};

let setup: Setup = decodeSetup(location.search);
let data: PlaygroundData | null = null;
let csv: { table: CsvTable; target: string } | null = null;
let last: Snapshot | null = null;
let costs: CostPoint[] = [];
let running = false;
let explainExample = 0;
/** Whether the worker holds a network for the current experiment (the library may refuse a setup). */
let ready = false;
/** The id of the experiment the page shows; messages about older ones are dropped. */
let experiment = 0;
/** A loaded model to start from instead of random weights, until the setup changes. */
let startModel: unknown = null;

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
const send = (m: ToWorker) => worker.postMessage(m);

const diagram = new Diagram($('diagram'), $('tooltip'), {
  setUnits(layer, units) {
    setup.layers[layer].units = Math.max(LIMITS.units[0], Math.min(LIMITS.units[1], units));
    changed('network');
  },
  setActivation(layer, activation) {
    setup.layers[layer].activation = activation as Activation;
    if (layer === setup.layers.length - 1) fitLossToOutput();
    changed('network');
  },
  setRate(layer, rate) {
    if (setup.layers[layer].learningRate === rate) return;
    setup.layers[layer].learningRate = rate;
    changed('network');
  },
});

const linear = new LinearView($('lin-batch'), $('lin-seq'), $('lin-batch-cap'), $('lin-seq-cap'));
linear.bind($('lin-run'), $('lin-step'), $('lin-reset'));

// ---------------------------------------------------------------- controls

function fillSelect(id: string, options: readonly string[]): void {
  const select = $<HTMLSelectElement>(id);
  select.replaceChildren(
    ...options.map((o) => {
      const el = document.createElement('option');
      el.value = o;
      el.textContent = o;
      return el;
    }),
  );
}
fillSelect('loss', LOSSES);
fillSelect('reduction', REDUCTIONS);
fillSelect('mode', MODES);
fillSelect('optimizer', OPTIMIZERS);

const DATASET_LABELS: Record<Dataset, string> = {
  xor: 'XOR',
  circles: 'Circles',
  moons: 'Moons',
  spirals: 'Spirals',
  blobs: 'Blobs',
  line: 'Line',
  csv: 'CSV',
};

function buildDatasetButtons(): void {
  const host = $('datasets');
  host.replaceChildren();
  for (const d of DATASETS) {
    const b = document.createElement('button');
    b.setAttribute('role', 'radio');
    b.dataset.dataset = d;
    b.title = d === 'csv' ? 'Your own CSV file' : `${DATASET_LABELS[d]} data`;
    const c = document.createElement('canvas');
    c.width = 64;
    c.height = 64;
    b.append(c, DATASET_LABELS[d]);
    b.onclick = () => chooseDataset(d);
    host.append(b);
    drawThumbnail(c, d);
  }
  host.addEventListener('keydown', (e) => {
    const i = DATASETS.indexOf(setup.dataset);
    const step =
      e.key === 'ArrowRight' || e.key === 'ArrowDown'
        ? 1
        : e.key === 'ArrowLeft' || e.key === 'ArrowUp'
          ? -1
          : 0;
    if (!step) return;
    e.preventDefault();
    const next = DATASETS[(i + step + DATASETS.length) % DATASETS.length];
    chooseDataset(next);
    (host.querySelector(`[data-dataset="${next}"]`) as HTMLElement | null)?.focus();
  });
}

function drawThumbnail(c: HTMLCanvasElement, d: Dataset): void {
  const ctx = c.getContext('2d')!;
  ctx.fillStyle = '#f3f4f5';
  ctx.fillRect(0, 0, c.width, c.height);
  if (d === 'csv') {
    ctx.fillStyle = '#69717a';
    ctx.font = '600 15px system-ui, sans-serif';
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.fillText('a,b,c', 32, 32);
    return;
  }
  try {
    const s = { ...defaultSetup(d), size: 120, testFraction: 0 };
    const pd = generate(s);
    if (d === 'line') {
      drawCurve(c, [], [], pd.train, null, pd.bounds!, false);
      return;
    }
    drawPoints(c, pd.train.inputs, pd.train.targets, pd.bounds!, false, 9);
  } catch {
    // A thumbnail is decoration; the data panel reports real errors.
  }
}

function chooseDataset(d: Dataset): void {
  if (d === setup.dataset) return;
  const old = setup;
  setup = { ...defaultSetup(d), seed: old.seed };
  startModel = null;
  syncControls();
  changed('data');
}

/** Picks a loss that fits a new output activation (SPEC section 2 pairs). */
function fitLossToOutput(): void {
  const out = setup.layers[setup.layers.length - 1].activation;
  if (out === 'softmax') setup.loss = 'cross-entropy';
  else if (out === 'sigmoid')
    setup.loss = setup.loss === 'cross-entropy' ? 'binary-cross-entropy' : setup.loss;
  else if (setup.loss === 'binary-cross-entropy' || setup.loss === 'cross-entropy') setup.loss = 'squared';
}

function syncControls(): void {
  const set = (id: string, v: string | number) => {
    ($(id) as HTMLInputElement).value = String(v);
  };
  set('loss', setup.loss);
  set('reduction', setup.reduction);
  set('mode', setup.mode);
  set('batch', setup.batchSize);
  set('optimizer', setup.optimizer);
  set('l2', setup.weightDecay);
  set('tol', setup.tolerance);
  set('seed', setup.seed);
  set('test', setup.testFraction);
  set('noise', setup.noise);
  set('size', setup.size);
  const rates = new Set(setup.layers.map((l) => l.learningRate));
  set('eta-all', rates.size === 1 ? setup.layers[0].learningRate : '');
  $('test-out').textContent = `${Math.round(setup.testFraction * 100)}%`;
  $('noise-out').textContent = setup.noise.toFixed(2);
  $('size-out').textContent = String(setup.size);
  $('batch-box').style.visibility = setup.mode === 'minibatch' ? 'visible' : 'hidden';
  const isCsv = setup.dataset === 'csv';
  $('csv-box').hidden = !isCsv;
  for (const el of document.querySelectorAll<HTMLElement>('.gen')) el.hidden = isCsv;
  for (const b of document.querySelectorAll<HTMLElement>('#datasets button')) {
    const on = b.dataset.dataset === setup.dataset;
    b.setAttribute('aria-checked', String(on));
    b.tabIndex = on ? 0 : -1;
  }
  $<HTMLButtonElement>('remove-layer').disabled = setup.layers.length <= 1;
  $<HTMLButtonElement>('add-layer').disabled = setup.layers.length > LIMITS.layers;
}

function bindNumber(id: string, apply: (x: number) => void, what: 'data' | 'network'): void {
  const el = $<HTMLInputElement>(id);
  const handler = () => {
    const x = Number(el.value);
    if (el.value.trim() === '' || !Number.isFinite(x)) return;
    const before = encodeSetup(setup);
    apply(x);
    // Enter and the blur after it both commit; only a real change restarts training.
    if (encodeSetup(setup) !== before) changed(what);
  };
  el.addEventListener('change', handler);
  el.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') handler();
  });
  if (el.type === 'range') el.addEventListener('input', () => syncLabels(id, Number(el.value)));
}

function syncLabels(id: string, x: number): void {
  if (id === 'test') $('test-out').textContent = `${Math.round(x * 100)}%`;
  if (id === 'noise') $('noise-out').textContent = x.toFixed(2);
  if (id === 'size') $('size-out').textContent = String(x);
}

function bindSelect(id: string, apply: (v: string) => void): void {
  const el = $<HTMLSelectElement>(id);
  el.addEventListener('change', () => {
    apply(el.value);
    changed('network');
  });
}

const clamp = (x: number, [lo, hi]: readonly [number, number]) => Math.min(hi, Math.max(lo, x));

bindNumber('test', (x) => (setup.testFraction = clamp(x, LIMITS.testFraction)), 'data');
bindNumber('noise', (x) => (setup.noise = clamp(x, LIMITS.noise)), 'data');
bindNumber('size', (x) => (setup.size = Math.round(clamp(x, LIMITS.size))), 'data');
bindNumber('seed', (x) => (setup.seed = Math.round(clamp(x, LIMITS.seed))), 'data');
bindNumber('batch', (x) => (setup.batchSize = Math.round(clamp(x, LIMITS.batchSize))), 'network');
bindNumber('l2', (x) => (setup.weightDecay = clamp(x, LIMITS.weightDecay)), 'network');
bindNumber('tol', (x) => (setup.tolerance = clamp(x, LIMITS.tolerance)), 'network');
bindNumber(
  'eta-all',
  (x) => {
    if (x > 0) for (const l of setup.layers) l.learningRate = clamp(x, LIMITS.learningRate);
  },
  'network',
);
bindSelect('loss', (v) => (setup.loss = v as Setup['loss']));
bindSelect('reduction', (v) => (setup.reduction = v as Setup['reduction']));
bindSelect('mode', (v) => (setup.mode = v as Setup['mode']));
bindSelect('optimizer', (v) => (setup.optimizer = v as Setup['optimizer']));

$('regen').onclick = () => {
  setup.seed = (setup.seed + 1) % LIMITS.seed[1];
  changed('data');
};
$('add-layer').onclick = () => {
  if (setup.layers.length > LIMITS.layers) return;
  const template = setup.layers.length > 1 ? setup.layers[setup.layers.length - 2] : setup.layers[0];
  const activation =
    template.activation === 'linear' || template.activation === 'softmax' ? 'tanh' : template.activation;
  setup.layers.splice(setup.layers.length - 1, 0, {
    units: 4,
    activation,
    learningRate: template.learningRate,
  });
  changed('network');
};
$('remove-layer').onclick = () => {
  if (setup.layers.length <= 1) return;
  setup.layers.splice(setup.layers.length - 2, 1);
  changed('network');
};
$<HTMLInputElement>('show-test').onchange = () => drawOutput();

// ---------------------------------------------------------------- data

function makeData(): PlaygroundData | null {
  if (setup.dataset !== 'csv') return generate(setup);
  if (!csv) return null;
  const out = setup.layers[setup.layers.length - 1].activation;
  const asClasses = isClassification(setup.loss, out);
  const ex = csvExamples(csv.table, csv.target, asClasses);
  const { train, test } = split(ex.all, setup.testFraction, setup.seed);
  const scaling = standardize(train, test);
  return withGrid({
    kind: ex.kind,
    train,
    test,
    inputColumns: ex.inputColumns,
    targetColumns: [csv.target],
    classes: ex.classes,
    scaling,
  });
}

/** Output units from the data: one per target column, or one per class for softmax. */
function outputUnits(d: PlaygroundData): number {
  const out = setup.layers[setup.layers.length - 1].activation;
  if (d.kind === 'numbers') return d.train.targets[0].length;
  const k = d.classes?.length ?? Math.max(2, d.train.targets[0].length);
  if (out === 'softmax') return k;
  return k === 2 ? 1 : k;
}

function adaptTargets(d: PlaygroundData): PlaygroundData {
  if (d.kind !== 'classes') return d;
  const units = outputUnits(d);
  const k = d.classes?.length ?? Math.max(2, d.train.targets[0].length);
  return {
    ...d,
    train: { inputs: d.train.inputs, targets: shapeTargets(d.train.targets, k, units) },
    test: { inputs: d.test.inputs, targets: shapeTargets(d.test.targets, k, units) },
  };
}

/** Whether a loaded model still has the shape the setup asks for (else the setup's random start is used). */
function modelFits(model: unknown, d: PlaygroundData): boolean {
  const m = model as { inputs: number; layers: { units: number; activation: string }[] };
  const units = d.train.targets[0].length;
  return (
    m.inputs === d.inputColumns.length &&
    m.layers.length === setup.layers.length &&
    m.layers.every(
      (l, n) =>
        l.activation === setup.layers[n].activation &&
        (n === m.layers.length - 1 ? l.units === units : l.units === setup.layers[n].units),
    )
  );
}

// ---------------------------------------------------------------- state changes

let urlTimer: ReturnType<typeof setTimeout> | null = null;
function writeUrl(): void {
  if (urlTimer) clearTimeout(urlTimer);
  urlTimer = setTimeout(() => history.replaceState(null, '', `?${encodeSetup(setup)}`), 50);
}

/** Rebuilds after a change: new data when `what` is data, always a fresh network. */
function changed(what: 'data' | 'network'): void {
  if (what === 'data') startModel = null;
  syncControls();
  writeUrl();
  restart();
}

function restart(): void {
  hideBanner();
  ready = false;
  running = false;
  updateRunButton();
  let d: PlaygroundData | null;
  try {
    d = makeData();
  } catch (e) {
    showBanner(`The data could not be made: ${(e as Error).message}`, false);
    return;
  }
  if (!d) {
    data = null;
    $('csv-info').textContent = 'Choose a CSV file to train on. It is read in your browser, never uploaded.';
    return;
  }
  const out = setup.layers[setup.layers.length - 1];
  d = adaptTargets(d);
  if (startModel && !modelFits(startModel, d)) startModel = null;
  out.units = d.train.targets[0].length;
  data = d;
  costs = [];
  last = null;
  explainExample = 0;
  diagram.build(d.inputColumns, setup.layers, d.grid !== null);
  $('net-shape').textContent = [d.inputColumns.length, ...setup.layers.map((l) => l.units)].join('–');
  $('linear').hidden = setup.dataset !== 'line';
  if (setup.dataset === 'line') linear.reset(d.train, setup.layers[0].learningRate, setup.seed);
  const msg: InitMessage = {
    type: 'init',
    id: ++experiment,
    setup: JSON.parse(JSON.stringify(setup)),
    train: d.train,
    test: d.test,
    grid: d.grid,
    model: startModel ?? undefined,
    meta: {
      inputColumns: d.inputColumns,
      targetColumns: d.targetColumns,
      ...(d.classes ? { classes: d.classes } : {}),
      ...(d.scaling ? { preprocessing: { kind: 'standard', ...d.scaling } } : {}),
      training: { ...setup, layers: undefined, learningRate: setup.layers.map((l) => l.learningRate) },
    },
  };
  send(msg);
}

// ---------------------------------------------------------------- worker messages

worker.onmessage = (event: MessageEvent<FromWorker>) => {
  const msg = event.data;
  if (msg.id !== experiment) return;
  if (msg.type === 'snapshot') onSnapshot(msg);
  else if (msg.type === 'diverged') {
    running = false;
    updateRunButton();
    showBanner(msg.message, true);
  } else if (msg.type === 'error') {
    running = false;
    updateRunButton();
    showBanner(msg.message, false);
  } else if (msg.type === 'model') download(msg.json);
};
worker.onerror = (e) => showBanner(`The training worker failed: ${e.message}`, false);

function fmtCost(x: number | null): string {
  if (x === null) return '–';
  if (!Number.isFinite(x)) return String(x);
  return x < 1e-3 && x > 0 ? x.toExponential(2) : x >= 1000 ? x.toExponential(3) : x.toFixed(3);
}

let pending: Snapshot | null = null;
let frame = 0;

/**
 * Keeps every cost point at once but draws only the newest snapshot, once per
 * animation frame, then tells the worker it may send the next: however fast
 * training runs, the page never falls behind.
 */
function onSnapshot(s: Snapshot): void {
  ready = true;
  if (s.resetCurve) costs = [];
  costs.push(...s.costs);
  if (costs.length > 3000) costs = costs.filter((_, i) => i % 2 === 0 || i === costs.length - 1);
  if (pending?.explain && !s.explain && !s.running) s.explain = pending.explain;
  pending = s;
  if (!frame) frame = requestAnimationFrame(renderSnapshot);
}

function renderSnapshot(): void {
  frame = 0;
  const s = pending;
  pending = null;
  if (!s || s.id !== experiment) return;
  last = s;
  try {
    render(s);
  } finally {
    send({ type: 'drawn', id: s.id });
  }
}

function render(s: Snapshot): void {
  running = s.running;
  updateRunButton();
  $('epoch').textContent = s.epoch.toLocaleString('en');
  $('updates').textContent = s.updates.toLocaleString('en');
  $('train-cost').textContent = fmtCost(s.trainCost);
  $('test-cost').textContent = fmtCost(s.testCost);
  $('train-acc').textContent = s.trainAccuracy === null ? '–' : `${(s.trainAccuracy * 100).toFixed(1)}%`;
  $('test-acc').textContent = s.testAccuracy === null ? '–' : `${(s.testAccuracy * 100).toFixed(1)}%`;
  drawCostChart($<HTMLCanvasElement>('cost-chart'), costs);
  diagram.setWeights(s.layers);
  if (data?.grid) {
    diagram.setMaps(
      s.gridOutputs,
      data.grid,
      GRID,
      setup.layers.map((l) => l.activation),
    );
  }
  drawOutput();
  // While training runs, the panel still shows an earlier step: dim it.
  $('explain').classList.toggle('stale', s.running);
  if (s.stopped === 'tolerance')
    showBanner(
      `Stopped at epoch ${s.epoch}: the ${s.testCost === null ? 'training' : 'test'} cost reached the tolerance ${setup.tolerance}.`,
      false,
      true,
    );
  if (s.explain) {
    explainExample = Math.min(explainExample, s.explain.inputs.length - 1);
    fillExplainSelect();
    drawExplain();
  } else if (s.running) {
    $('explain-note').textContent = 'Training… pause or step to see the numbers of the next update.';
  }
}

function fillExplainSelect(): void {
  const ex = last?.explain;
  const select = $<HTMLSelectElement>('explain-example');
  if (!ex) return;
  select.replaceChildren(
    ...ex.indices.slice(0, 200).map((idx, p) => {
      const o = document.createElement('option');
      o.value = String(p);
      o.textContent = `#${idx + 1}`;
      return o;
    }),
  );
  select.value = String(explainExample);
}
$<HTMLSelectElement>('explain-example').onchange = (e) => {
  explainExample = Number((e.target as HTMLSelectElement).value);
  drawExplain();
};

function drawExplain(): void {
  const ex = last?.explain;
  if (!ex) return;
  const count = ex.inputs.length;
  const what =
    count === 1
      ? `The next update uses one example (#${ex.indices[0] + 1}), so its step is exactly this.`
      : `The next update uses ${count} examples${setup.mode === 'batch' ? ' (batch mode: all of them)' : ''}: v, ψ(v) and δ are shown for the chosen one, the gradients sum over all ${count}.`;
  const exact = ex.exact
    ? ' Press “step one update” (U) and the network takes exactly these new weights.'
    : ` The optimizer is ${setup.optimizer}${setup.weightDecay > 0 ? ` with weight decay λ = ${setup.weightDecay}` : ''}, so the real update differs from this plain steepest-descent step.`;
  $('explain-note').textContent = what + exact;
  renderExplain($('explain'), ex, setup, explainExample);
  diagram.setNumbers((n, i) => {
    const layer = ex.trace.layers[n - 1];
    if (!layer) return {};
    return {
      v: layer.v[explainExample]?.[i],
      out: layer.out[explainExample]?.[i],
      delta: layer.delta[explainExample]?.[i],
    };
  });
  if (!data?.grid) diagram.colorByExample();
}

function drawOutput(): void {
  const canvas = $<HTMLCanvasElement>('plot');
  fitCanvas(canvas);
  const ctx = canvas.getContext('2d')!;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const d = data;
  const s = last;
  const showTest = $<HTMLInputElement>('show-test').checked;
  const scaleLegend = $('scale-lo').parentElement!;
  if (!d?.bounds) {
    scaleLegend.style.visibility = 'hidden';
    const p = s?.predictions;
    if (d && p && d.kind === 'classes') {
      const classes =
        d.classes ?? Array.from({ length: Math.max(2, p.targets[0].length) }, (_, k) => String(k));
      drawConfusion(canvas, p.outputs, p.targets, classes, p.set);
    } else if (d && p) drawPredicted(canvas, p.outputs, p.targets, p.set);
    else {
      ctx.fillStyle = '#fbfbfc';
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.fillStyle = '#69717a';
      ctx.font = `${Math.round(canvas.width / 24)}px system-ui, sans-serif`;
      ctx.textAlign = 'center';
      ctx.fillText('No data yet: choose a CSV file.', canvas.width / 2, canvas.height / 2);
    }
    return;
  }
  const outputs = s?.gridOutputs?.[s.gridOutputs.length - 1] ?? null;
  if (d.inputColumns.length === 1) {
    scaleLegend.style.visibility = 'hidden';
    const xs = d.grid!.map((p) => p[0]);
    drawCurve(
      canvas,
      xs,
      outputs ?? new Float64Array(xs.length).fill(Number.NaN),
      d.train,
      showTest ? d.test : null,
      d.bounds,
    );
    return;
  }
  scaleLegend.style.visibility = 'visible';
  const units = d.train.targets[0].length;
  const act = setup.layers[setup.layers.length - 1].activation;
  if (outputs) {
    if (units === 1) drawHeatmap(canvas, outputs, GRID, 1, 0, scaleFor(act, outputs), 0.75);
    else drawClassRegions(canvas, outputs, GRID, units);
  } else {
    ctx.fillStyle = '#e8eaeb';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
  }
  drawAxes(canvas, d.bounds);
  drawPoints(canvas, d.train.inputs, d.train.targets, d.bounds, false);
  if (showTest) drawPoints(canvas, d.test.inputs, d.test.targets, d.bounds, true);
  const classes =
    d.classes ?? (units > 1 ? Array.from({ length: units }, (_, k) => `class ${k + 1}`) : ['0', '1']);
  const bar = scaleLegend.querySelector('.bar') as HTMLElement;
  if (units === 1) {
    $('scale-lo').textContent = classes[0];
    $('scale-hi').textContent = classes[1];
    bar.hidden = false;
  } else {
    // Several classes: one swatch per class instead of a scale.
    $('scale-lo').replaceChildren(
      ...classes.map((c, k) => {
        const chip = document.createElement('span');
        chip.className = 'chip';
        chip.style.setProperty('--c', CLASS_COLORS[k % CLASS_COLORS.length]);
        chip.textContent = c;
        return chip;
      }),
    );
    $('scale-hi').textContent = '';
    bar.hidden = true;
  }
}

// ---------------------------------------------------------------- transport

function updateRunButton(): void {
  const b = $('run');
  b.classList.toggle('running', running);
  b.setAttribute('aria-label', running ? 'Pause' : 'Run');
  b.setAttribute('aria-pressed', String(running));
}

function run(): void {
  if (!ready) return;
  running = !running;
  updateRunButton();
  send({ type: running ? 'run' : 'pause' });
}
$('run').onclick = run;
$('step-update').onclick = () => {
  if (!ready) return;
  running = false;
  updateRunButton();
  send({ type: 'step', unit: 'update' });
};
$('step-epoch').onclick = () => {
  if (!ready) return;
  running = false;
  updateRunButton();
  send({ type: 'step', unit: 'epoch' });
};
$('reset').onclick = () => restart();
$('banner-reset').onclick = () => restart();
$('banner-halve').onclick = () => {
  for (const l of setup.layers) l.learningRate = Math.max(LIMITS.learningRate[0], l.learningRate / 2);
  changed('network');
};

document.addEventListener('keydown', (e) => {
  const target = e.target as HTMLElement;
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  if (target.closest('input, select, textarea')) return;
  if (e.key === ' ' && target.tagName !== 'BUTTON') {
    e.preventDefault();
    run();
  } else if (e.key === 'u' || e.key === 'U') $('step-update').click();
  else if (e.key === 'e' || e.key === 'E') $('step-epoch').click();
  else if (e.key === 'r' || e.key === 'R') restart();
});

function showBanner(text: string, diverged: boolean, calm = false): void {
  $('banner-text').textContent = text;
  $('banner').hidden = false;
  $('banner').classList.toggle('calm', calm);
  $('banner-halve').hidden = !diverged;
}
function hideBanner(): void {
  $('banner').hidden = true;
}

// ---------------------------------------------------------------- files

function download(json: unknown): void {
  const blob = new Blob([`${JSON.stringify(json, null, 2)}\n`], { type: 'application/json' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = `backprop-${setup.dataset}-model.json`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}
$('export').onclick = () => send({ type: 'export' });

$<HTMLInputElement>('load-model').onchange = async (e) => {
  const input = e.target as HTMLInputElement;
  const file = input.files?.[0];
  input.value = '';
  if (!file) return;
  try {
    const text = await file.text();
    const net = Network.fromJSON(text, { dtype: 'float64' });
    if (data && net.inputs !== data.inputColumns.length) {
      throw new Error(`the model has ${net.inputs} inputs, the data ${data.inputColumns.length}`);
    }
    const model = net.toJSON();
    setup.layers = model.layers.map((l, n) => ({
      units: l.units,
      activation: l.activation as Activation,
      learningRate: setup.layers[Math.min(n, setup.layers.length - 1)]?.learningRate ?? 0.1,
    }));
    fitLossToOutput();
    startModel = model;
    syncControls();
    writeUrl();
    restart();
    if (!startModel) {
      const units = model.layers[model.layers.length - 1].units;
      showBanner(
        `${file.name}: its output layer has ${units} node${units === 1 ? '' : 's'}, which does not fit this data set; ` +
          'the network starts from random weights instead.',
        false,
      );
    }
  } catch (err) {
    showBanner(`${file.name}: ${(err as Error).message}`, false);
  }
};

$('share').onclick = async () => {
  const url = `${location.origin}${location.pathname}?${encodeSetup(setup)}`;
  try {
    await navigator.clipboard.writeText(url);
    $('share').textContent = 'Link copied';
  } catch {
    $('share').textContent = 'Link in the address bar';
  }
  setTimeout(() => ($('share').textContent = 'Copy link'), 1800);
};

$<HTMLInputElement>('csv-file').onchange = async (e) => {
  const file = (e.target as HTMLInputElement).files?.[0];
  if (!file) return;
  try {
    const table = parseCsvText(await file.text(), file.name);
    const target = table.columns[table.columns.length - 1];
    csv = { table, target };
    fillCsvTargets();
    chooseCsvDefaults();
    $('csv-info').textContent = `${file.name}: ${table.rows.length} rows, ${table.columns.length} columns.`;
    changed('data');
  } catch (err) {
    showBanner((err as Error).message, false);
  }
};

function fillCsvTargets(): void {
  const select = $<HTMLSelectElement>('csv-target');
  select.replaceChildren(
    ...(csv?.table.columns ?? []).map((c) => {
      const o = document.createElement('option');
      o.value = c;
      o.textContent = c;
      return o;
    }),
  );
  if (csv) select.value = csv.target;
}
$<HTMLSelectElement>('csv-target').onchange = (e) => {
  if (!csv) return;
  csv.target = (e.target as HTMLSelectElement).value;
  chooseCsvDefaults();
  changed('data');
};

/** SPEC defaults from the target: softmax + cross-entropy for labels, linear + mse for numbers. */
function chooseCsvDefaults(): void {
  if (!csv) return;
  const t = csv.table.columns.indexOf(csv.target);
  const values = csv.table.rows.map((r) => r[t]);
  const numeric = values.every((v) => v.trim() !== '' && Number.isFinite(Number(v)));
  const distinct = new Set(values).size;
  const out = setup.layers[setup.layers.length - 1];
  if (!numeric || distinct <= 10) {
    out.activation = distinct === 2 ? 'sigmoid' : 'softmax';
    setup.loss = distinct === 2 ? 'binary-cross-entropy' : 'cross-entropy';
  } else {
    out.activation = 'linear';
    setup.loss = 'squared';
  }
  setup.reduction = 'mean';
}

// ---------------------------------------------------------------- start

buildDatasetButtons();
syncControls();
writeUrl();
restart();
window.addEventListener('resize', () => drawOutput());
// For the end-to-end tests: the page's state, read only.
(window as unknown as { playground: unknown }).playground = {
  get setup() {
    return setup;
  },
  get snapshot() {
    return last;
  },
  get costs() {
    return costs;
  },
  get data() {
    return data;
  },
  classOf,
};
