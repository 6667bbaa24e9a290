/**
 * The playground page: the worker that trains, what each change restarts or
 * continues, the snapshots drawn, the explain panel and the transport.
 * Controls, files and the output plot live in their own modules.
 *
 * @module
 */
import './style.css';
import { adaptTargets, makeData, modelFits } from './build.js';
import { applyHidden, fitLossToOutput, initControls, syncControls } from './controls.js';
import { FEATURE_LABELS, featurize, GRID, hasFeatures, type PlaygroundData } from './data.js';
import { Diagram } from './diagram.js';
import { classOf, drawCostChart } from './draw.js';
import { renderExplain } from './explain-view.js';
import { download, initFiles } from './files.js';
import { LinearView } from './linear.js';
import { drawOutput } from './output-view.js';
import type { FromWorker, InitMessage, Snapshot, ToWorker } from './protocol.js';
import { type Activation, encodeSetup, LIMITS } from './setup.js';
import { $, type Change, page } from './state.js';
import { SurfaceView } from './surface.js';

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
const send = (m: ToWorker) => worker.postMessage(m);

const diagram = new Diagram($('diagram'), $('tooltip'), {
  setUnits(layer, units) {
    page.setup.layers[layer].units = Math.max(LIMITS.units[0], Math.min(LIMITS.units[1], units));
    changed('network');
  },
  setActivation(layer, activation) {
    page.setup.layers[layer].activation = activation as Activation;
    if (layer === page.setup.layers.length - 1) fitLossToOutput();
    changed('network');
  },
  setRate(layer, rate) {
    if (page.setup.layers[layer].learningRate === rate) return;
    page.setup.layers[layer].learningRate = rate;
    changed('training');
  },
  setDropout(layer, p) {
    if (page.setup.layers[layer].dropout === p) return;
    page.setup.layers[layer].dropout = p;
    // The network's layer spec holds its rate: a new network, as for any change of shape.
    page.startModel = null;
    changed('network');
  },
  hoverNode(layer, node) {
    page.hover = node === null ? null : { layer, node };
    drawOutput();
  },
  editWeight(layer, m, i, value) {
    if (!page.ready) return;
    send({ type: 'set-weight', layer, m, i, value });
  },
});

const linear = new LinearView(
  $('lin-batch'),
  $('lin-seq'),
  $('lin-batch-cap'),
  $('lin-seq-cap'),
  new SurfaceView($('lin-surface'), $('lin-surface-cap')),
  $('lin-cost'),
);
linear.bind($('lin-run'), $('lin-step'), $('lin-reset'), $('lin-speed'));

// ---------------------------------------------------------------- state changes

let urlTimer: ReturnType<typeof setTimeout> | null = null;
function writeUrl(): void {
  if (urlTimer) clearTimeout(urlTimer);
  urlTimer = setTimeout(() => history.replaceState(null, '', `?${encodeSetup(page.setup)}`), 50);
}

/**
 * After a change: new data or a new network start over from new weights;
 * training settings go on from the current weights (a new Trainer in the
 * worker), as a learner lowering eta on a spiking run expects.
 */
function changed(what: Change): void {
  if (what === 'data') page.startModel = null;
  syncControls();
  writeUrl();
  if (what === 'view') {
    drawOutput();
    return;
  }
  if (what === 'training' && page.ready && page.last?.stopped !== 'diverged') {
    hideBanner();
    send({ type: 'settings', setup: structuredClone(page.setup) });
    sayInPlace();
    return;
  }
  restart();
}

let noteTimer: ReturnType<typeof setTimeout> | null = null;
/** Says on screen that new settings go on from the current weights, and what starts afresh. */
function sayInPlace(): void {
  const epoch = page.last?.epoch ?? 0;
  const state =
    page.setup.optimizer === 'sgd' ? '' : `; ${page.setup.optimizer}'s running averages start afresh`;
  $('settings-note').textContent =
    `From epoch ${epoch} on: the new settings train the current weights${state}. Reset starts over.`;
  if (noteTimer) clearTimeout(noteTimer);
  noteTimer = setTimeout(() => ($('settings-note').textContent = ''), 6000);
}

function restart(): void {
  hideBanner();
  page.ready = false;
  page.running = false;
  updateRunButton();
  let d: PlaygroundData | null;
  try {
    d = makeData();
  } catch (e) {
    showBanner(`The data could not be made: ${(e as Error).message}`, false);
    return;
  }
  if (!d) {
    page.data = null;
    $('csv-info').textContent = 'Choose a CSV file to train on. It is read in your browser, never uploaded.';
    return;
  }
  const { setup } = page;
  const out = setup.layers[setup.layers.length - 1];
  d = adaptTargets(d);
  // The network's inputs: the chosen features of each 2-D point, or the columns as they are.
  const features = hasFeatures(setup) ? setup.features : null;
  const inputs = (rows: number[][]) => (features ? featurize(rows, features) : rows);
  const inputColumns = features ? features.map((f) => FEATURE_LABELS[f]) : d.inputColumns;
  if (page.startModel && !modelFits(page.startModel, inputColumns.length, d)) page.startModel = null;
  out.units = d.train.targets[0].length;
  page.data = d;
  page.costs = [];
  page.last = null;
  page.explainExample = 0;
  page.inputGrid = d.grid ? inputs(d.grid) : null;
  rate.reset();
  diagram.build(inputColumns, setup.layers, d.grid !== null && d.inputColumns.length === 2);
  applyHidden();
  $('net-shape').textContent = [inputColumns.length, ...setup.layers.map((l) => l.units)].join('–');
  $('linear').hidden = setup.dataset !== 'line';
  if (setup.dataset === 'line') linear.reset(d.train, setup.layers[0].learningRate, setup.seed);
  const msg: InitMessage = {
    type: 'init',
    id: ++page.experiment,
    setup: structuredClone(setup),
    train: { inputs: inputs(d.train.inputs), targets: d.train.targets },
    test: { inputs: inputs(d.test.inputs), targets: d.test.targets },
    grid: page.inputGrid,
    model: page.startModel ?? undefined,
    classes: d.kind === 'classes',
    meta: modelMeta(inputColumns, d),
  };
  send(msg);
}

/**
 * The optional fields of an exported model file: the columns, classes and
 * scaling, and the training record with the playground's link, from which
 * Load model rebuilds the same data set, seed, noise and rates.
 */
function modelMeta(inputColumns: string[], d: PlaygroundData): Record<string, unknown> {
  const { setup } = page;
  return {
    inputColumns,
    targetColumns: d.targetColumns,
    ...(d.classes ? { classes: d.classes } : {}),
    ...(d.scaling ? { preprocessing: { kind: 'standard', ...d.scaling } } : {}),
    // The run's facts; the worker adds the settings as the library resolved them (trainingRecord).
    training: {
      data: setup.dataset === 'csv' ? (page.csv?.table.file ?? 'csv') : setup.dataset,
      testSplit: setup.testFraction,
      playground: encodeSetup({ ...setup, hidden: [] }),
    },
  };
}

/** The model file of the current network, asked of the worker (it arrives as a 'model' message). */
function exportModel(): void {
  const d = page.data;
  if (!d || !page.ready) return;
  const columns = hasFeatures(page.setup)
    ? page.setup.features.map((f) => FEATURE_LABELS[f])
    : d.inputColumns;
  send({ type: 'export', meta: modelMeta(columns, d) });
}

// ---------------------------------------------------------------- worker messages

worker.onmessage = (event: MessageEvent<FromWorker>) => {
  const msg = event.data;
  if (msg.id !== page.experiment) return;
  if (msg.type === 'snapshot') onSnapshot(msg);
  else if (msg.type === 'diverged') {
    page.running = false;
    updateRunButton();
    showBanner(msg.message, true);
  } else if (msg.type === 'error') {
    page.running = false;
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

/** Epochs per second while running, over the last second or so. */
const rate = {
  points: [] as { t: number; epoch: number }[],
  reset() {
    this.points = [];
    $('eps').textContent = '–';
  },
  add(epoch: number, running: boolean) {
    if (!running) {
      this.points = [];
      return;
    }
    const t = performance.now();
    this.points.push({ t, epoch });
    while (this.points.length > 2 && t - this.points[0].t > 1500) this.points.shift();
    const first = this.points[0];
    if (t - first.t > 250) {
      const eps = ((epoch - first.epoch) * 1000) / (t - first.t);
      $('eps').textContent = eps >= 100 ? Math.round(eps).toLocaleString('en') : eps.toPrecision(2);
    }
  },
};

let pending: Snapshot | null = null;
let frame = 0;

/**
 * Keeps every cost point at once but draws only the newest snapshot, once per
 * animation frame, then tells the worker it may send the next: however fast
 * training runs, the page never falls behind.
 */
function onSnapshot(s: Snapshot): void {
  page.ready = true;
  if (s.resetCurve) page.costs = [];
  page.costs.push(...s.costs);
  if (page.costs.length > 3000)
    page.costs = page.costs.filter((_, i) => i % 2 === 0 || i === page.costs.length - 1);
  if (pending?.explain && !s.explain && !s.running && !s.stopped) s.explain = pending.explain;
  pending = s;
  if (!frame) frame = requestAnimationFrame(renderSnapshot);
}

function renderSnapshot(): void {
  frame = 0;
  const s = pending;
  pending = null;
  if (!s || s.id !== page.experiment) return;
  page.last = s;
  try {
    render(s);
  } finally {
    send({ type: 'drawn', id: s.id });
  }
}

const percent = (x: number | null) => (x === null ? '–' : `${(x * 100).toFixed(1)}%`);

function render(s: Snapshot): void {
  page.running = s.running;
  updateRunButton();
  rate.add(s.epoch, s.running);
  $('epoch').textContent = s.epoch.toLocaleString('en');
  $('updates').textContent = s.updates.toLocaleString('en');
  $('train-cost').textContent = fmtCost(s.trainCost);
  $('test-cost').textContent = fmtCost(s.testCost);
  $('train-acc').textContent = percent(s.trainAccuracy);
  $('test-acc').textContent = percent(s.testAccuracy);
  // Paused, the rates of the next update (the explain panel's); running, those of the last epoch.
  const rates = s.explain?.learningRates ?? s.learningRates;
  const short = [...new Set(rates)].map((r) => String(Number(r.toPrecision(4))));
  const eta = $('eta-now');
  eta.textContent = short.length <= 2 ? short.join(', ') : `${short[0]}, …`;
  eta.title = rates.map((r, n) => `η(${n + 1}) = ${r}`).join('\n');
  for (const el of document.querySelectorAll<HTMLElement>('.minority')) el.hidden = s.minority === null;
  if (s.minority) {
    const label = page.data?.classes?.[s.minority.label] ?? String(s.minority.label);
    $('minority-test-label').textContent = `Test recall, class ${label}`;
    $('minority-train-label').textContent = `Training recall, class ${label}`;
    $('test-recall').textContent = percent(s.minority.test);
    $('train-recall').textContent = percent(s.minority.train);
  }
  drawCostChart($<HTMLCanvasElement>('cost-chart'), page.costs);
  diagram.setWeights(s.layers);
  if (page.data?.grid) {
    diagram.setMaps(
      s.gridOutputs,
      page.inputGrid,
      GRID,
      page.setup.layers.map((l) => l.activation),
    );
  }
  drawOutput();
  // While training runs, the panel still shows an earlier step: dim it.
  $('explain').classList.toggle('stale', s.running);
  for (const id of ['run', 'step-update', 'step-epoch'])
    $<HTMLButtonElement>(id).disabled = s.stopped !== null;
  if (s.stopped === 'tolerance')
    showBanner(
      `Stopped at epoch ${s.epoch}: the ${s.testCost === null ? 'training' : 'test'} cost reached the tolerance ${page.setup.tolerance}.`,
      false,
      true,
    );
  if (s.stopped) {
    // No next update: an old step would look current, so the panel says why it is empty.
    $('explain').replaceChildren();
    $('explain-example').replaceChildren();
    diagram.setNumbers(null);
    $('explain-note').textContent =
      s.stopped === 'tolerance'
        ? `Training stopped at epoch ${s.epoch}: the cost reached the tolerance, so there is no next update to explain. Lower the tolerance to go on from these weights, or reset.`
        : `Training diverged at epoch ${s.epoch}: there is no next update to explain. Reset, or halve the rates and reset.`;
  } else if (s.explain) {
    page.explainExample = Math.min(page.explainExample, s.explain.inputs.length - 1);
    fillExplainSelect();
    drawExplain();
  } else if (s.running) {
    $('explain-note').textContent = 'Training… pause or step to see the numbers of the next update.';
  }
}

function fillExplainSelect(): void {
  const ex = page.last?.explain;
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
  select.value = String(page.explainExample);
}
$<HTMLSelectElement>('explain-example').onchange = (e) => {
  page.explainExample = Number((e.target as HTMLSelectElement).value);
  drawExplain();
};

function drawExplain(): void {
  const ex = page.last?.explain;
  if (!ex) return;
  const { setup } = page;
  const count = ex.inputs.length;
  const what =
    count === 1
      ? `The next update uses one example (#${ex.indices[0] + 1}), so its step is exactly this.`
      : `The next update uses ${count} examples${setup.mode === 'batch' ? ' (batch mode: all of them)' : ''}: v, ψ(v) and δ are shown for the chosen one, the gradients sum over all ${count}.`;
  const dropped = setup.layers.some((l) => l.dropout > 0)
    ? ' Dropout: the masks m are the ones this update will draw; a dropped node passes 0 forward and gets δ = 0.'
    : '';
  const weighted = ex.trace.weights ? ' Each example’s loss and δ carry its class weight w.' : '';
  const exact = ex.exact
    ? `${dropped}${weighted} Press “step one update” (U) and the network takes exactly these new weights.`
    : ` The optimizer is ${setup.optimizer}${setup.weightDecay > 0 ? ` with weight decay λ = ${setup.weightDecay}` : ''}${setup.l1 > 0 ? ` with L1 λ₁ = ${setup.l1}` : ''}, so the real update differs from this plain steepest-descent step.`;
  $('explain-note').textContent = what + exact;
  renderExplain($('explain'), ex, setup, page.explainExample);
  diagram.setNumbers((n, i) => {
    const layer = ex.trace.layers[n - 1];
    if (!layer) return {};
    return {
      v: layer.v[page.explainExample]?.[i],
      out: layer.out[page.explainExample]?.[i],
      delta: layer.delta[page.explainExample]?.[i],
    };
  });
  if (!page.data?.grid) diagram.colorByExample();
}

// ---------------------------------------------------------------- transport

function updateRunButton(): void {
  const b = $('run');
  b.classList.toggle('running', page.running);
  b.setAttribute('aria-label', page.running ? 'Pause' : 'Run');
  b.setAttribute('aria-pressed', String(page.running));
}

function run(): void {
  if (!page.ready || page.last?.stopped) return;
  page.running = !page.running;
  updateRunButton();
  send({ type: page.running ? 'run' : 'pause' });
}
function step(unit: 'update' | 'epoch'): void {
  if (!page.ready || page.last?.stopped) return;
  page.running = false;
  updateRunButton();
  send({ type: 'step', unit });
}
$('run').onclick = run;
$('step-update').onclick = () => step('update');
$('step-epoch').onclick = () => step('epoch');
$('reset').onclick = () => restart();
$('banner-reset').onclick = () => restart();
$('banner-halve').onclick = () => {
  for (const l of page.setup.layers) l.learningRate = Math.max(LIMITS.learningRate[0], l.learningRate / 2);
  changed('network');
};

document.addEventListener('keydown', (e) => {
  const target = e.target as HTMLElement;
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  if (target.closest('input, select, textarea')) return;
  if (e.key === ' ' && target.tagName !== 'BUTTON') {
    e.preventDefault();
    run();
  } else if (e.key === 'u' || e.key === 'U') step('update');
  else if (e.key === 'e' || e.key === 'E') step('epoch');
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

// ---------------------------------------------------------------- start

initControls(changed, drawOutput);
initFiles({ changed, showBanner, exportModel });
syncControls();
writeUrl();
restart();
window.addEventListener('resize', () => drawOutput());
// For the end-to-end tests: the page's state, read only.
(window as unknown as { playground: unknown }).playground = {
  get setup() {
    return page.setup;
  },
  get snapshot() {
    return page.last;
  },
  get costs() {
    return page.costs;
  },
  get data() {
    return page.data;
  },
  classOf,
};
