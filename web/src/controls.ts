/**
 * The page's controls: the data sets, the sliders and settings, the features
 * of the input nodes, and the teacher's hidden controls. Each control writes
 * the setup and says what it changed; main.ts decides what that restarts.
 *
 * @module
 */
import { FEATURE_LABELS, generate, hasFeatures } from './data.js';
import { drawCurve, drawPoints } from './draw.js';
import {
  DATASETS,
  type Dataset,
  defaultSetup,
  encodeSetup,
  FEATURES,
  INITS,
  LIMITS,
  LOSSES,
  MODES,
  OPTIMIZERS,
  REDUCTIONS,
  REGRESSIONS,
  SCHEDULES,
  type ScheduleName,
  type ScheduleSpec,
  type Setup,
} from './setup.js';
import { $, type Change, page } from './state.js';

export const DATASET_LABELS: Record<Dataset, string> = {
  xor: 'XOR',
  circles: 'Circles',
  moons: 'Moons',
  spirals: 'Spirals',
  blobs: 'Blobs',
  plane: 'Plane',
  gauss: 'Gaussians',
  line: 'Line',
  csv: 'CSV',
};

const DATASET_TITLES: Partial<Record<Dataset, string>> = {
  plane: 'Plane: a number over the plane, d = (x₁ + x₂)/2 (regression)',
  gauss: 'Gaussians: a number over the plane, six signed bumps (regression)',
  csv: 'Your own CSV file',
};

/**
 * The parameter each schedule shows beside its name, with the value the page
 * starts it at (the others keep the library's defaults).
 */
const SCHEDULE_PARAMS: Record<
  ScheduleName,
  { key: keyof ScheduleSpec; label: string; start: number } | null
> = {
  constant: null,
  step: { key: 'stepSize', label: 'Epochs a step (×0.1)', start: 10 },
  exponential: { key: 'gamma', label: 'γ an epoch', start: 0.95 },
  invscaling: { key: 'power', label: 'Power', start: 0.5 },
  cosine: { key: 'epochs', label: 'Epochs to η_min', start: 50 },
  'cosine-restarts': { key: 'epochs', label: 'Epochs a cycle', start: 20 },
  plateau: { key: 'patience', label: 'Patience (epochs)', start: 10 },
};

/** The schedule as an object, whether the setup holds a bare name or a spec. */
function scheduleSpec(): ScheduleSpec {
  const sched = page.setup.schedule;
  return typeof sched === 'string' ? { name: sched } : sched;
}

/** A schedule from the controls: the chosen name, its main parameter and the warm-up. */
function readSchedule(): Setup['schedule'] {
  const name = $<HTMLSelectElement>('schedule').value as ScheduleName;
  const param = SCHEDULE_PARAMS[name];
  const x = Number($<HTMLInputElement>('sched-param').value);
  const warmup = Math.max(0, Math.round(Number($<HTMLInputElement>('warmup').value) || 0));
  const spec: Record<string, unknown> = { name };
  if (param) spec[param.key] = Number.isFinite(x) && x > 0 ? x : param.start;
  if (warmup > 0) spec.warmup = warmup;
  return Object.keys(spec).length === 1 ? name : (spec as unknown as ScheduleSpec);
}

let changed: (what: Change) => void = () => {};
let redraw: () => void = () => {};

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

function buildDatasetButtons(): void {
  const host = $('datasets');
  host.replaceChildren();
  for (const d of DATASETS) {
    const b = document.createElement('button');
    b.type = 'button';
    b.setAttribute('role', 'radio');
    b.dataset.dataset = d;
    b.title = DATASET_TITLES[d] ?? `${DATASET_LABELS[d]} data`;
    const c = document.createElement('canvas');
    c.width = 64;
    c.height = 64;
    c.setAttribute('aria-hidden', 'true');
    b.append(c, DATASET_LABELS[d]);
    b.onclick = () => chooseDataset(d);
    host.append(b);
    drawThumbnail(c, d);
  }
  host.addEventListener('keydown', (e) => {
    const i = DATASETS.indexOf(page.setup.dataset);
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
    drawPoints(c, pd.train.inputs, pd.train.targets, pd.bounds!, false, 9, pd.kind === 'numbers');
  } catch {
    // A thumbnail is decoration; the data panel reports real errors.
  }
}

/** A new data set starts from its own defaults, keeping the seed and the hidden controls. */
export function chooseDataset(d: Dataset): void {
  if (d === page.setup.dataset) return;
  const old = page.setup;
  page.setup = { ...defaultSetup(d), seed: old.seed, hidden: old.hidden };
  page.startModel = null;
  syncControls();
  changed('data');
}

/** Picks a loss that fits a new output activation (the library's pairs). */
export function fitLossToOutput(): void {
  const { setup } = page;
  const out = setup.layers[setup.layers.length - 1].activation;
  if (out === 'softmax') setup.loss = 'cross-entropy';
  else if (out === 'sigmoid')
    setup.loss = setup.loss === 'cross-entropy' ? 'binary-cross-entropy' : setup.loss;
  else if (setup.loss === 'binary-cross-entropy' || setup.loss === 'cross-entropy') setup.loss = 'squared';
}

function buildFeatureToggles(): void {
  const host = $('features');
  host.replaceChildren(
    ...FEATURES.map((f) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'feature';
      b.dataset.feature = f;
      b.textContent = FEATURE_LABELS[f];
      b.onclick = () => {
        const { setup } = page;
        const on = setup.features.includes(f);
        // At least one input node stays.
        if (on && setup.features.length === 1) return;
        setup.features = FEATURES.filter((g) => (g === f ? !on : setup.features.includes(g)));
        page.startModel = null;
        syncControls();
        changed('network');
      };
      return b;
    }),
  );
}

/** Shows every control as the setup says. */
export function syncControls(): void {
  const { setup } = page;
  const set = (id: string, v: string | number) => {
    ($(id) as HTMLInputElement).value = String(v);
  };
  set('loss', setup.loss);
  set('reduction', setup.reduction);
  set('mode', setup.mode);
  set('batch', setup.batchSize);
  set('optimizer', setup.optimizer);
  set('l2', setup.weightDecay);
  set('l1', setup.l1);
  const sched = scheduleSpec();
  const param = SCHEDULE_PARAMS[sched.name];
  set('schedule', sched.name);
  set('warmup', sched.warmup ?? 0);
  $('sched-param-box').hidden = param === null;
  if (param) {
    $('sched-param-label').textContent = param.label;
    set('sched-param', (sched[param.key] as number | undefined) ?? param.start);
  }
  set('class-weights', setup.classWeights);
  $<HTMLInputElement>('imbalanced').checked = setup.imbalanced;
  const numbers = setup.dataset === 'line' || REGRESSIONS.includes(setup.dataset);
  $('imbalanced-box').hidden = numbers || setup.dataset === 'csv';
  // Numbers over the plane have no classes to weigh (for a CSV file the worker decides by its target).
  $('class-weights-box').hidden = numbers;
  set('tol', setup.tolerance);
  set('seed', setup.seed);
  set('test', setup.testFraction);
  set('noise', setup.noise);
  set('size', setup.size);
  set('init', setup.init);
  $<HTMLInputElement>('discretize').checked = setup.discretize;
  const rates = new Set(setup.layers.map((l) => l.learningRate));
  set('eta-all', rates.size === 1 ? setup.layers[0].learningRate : '');
  syncLabels();
  $('batch-box').style.visibility = setup.mode === 'minibatch' ? 'visible' : 'hidden';
  const isCsv = setup.dataset === 'csv';
  $('csv-box').hidden = !isCsv;
  for (const el of document.querySelectorAll<HTMLElement>('.gen')) el.hidden = isCsv;
  $('features-box').hidden = !hasFeatures(setup);
  for (const b of document.querySelectorAll<HTMLElement>('#features button')) {
    b.setAttribute('aria-pressed', String(setup.features.includes(b.dataset.feature as never)));
  }
  for (const b of document.querySelectorAll<HTMLElement>('#datasets button')) {
    const on = b.dataset.dataset === setup.dataset;
    b.setAttribute('aria-checked', String(on));
    b.tabIndex = on ? 0 : -1;
  }
  $<HTMLButtonElement>('remove-layer').disabled = setup.layers.length <= 1;
  $<HTMLButtonElement>('add-layer').disabled = setup.layers.length > LIMITS.layers;
  applyHidden();
}

function syncLabels(): void {
  const v = (id: string) => Number($<HTMLInputElement>(id).value);
  $('test-out').textContent = `${Math.round(v('test') * 100)}%`;
  $('noise-out').textContent = v('noise').toFixed(2);
  $('size-out').textContent = String(v('size'));
}

/**
 * Hides the controls a teacher's link asks to hide (`loss_hide=true`): every
 * element marked `data-hide` with that key, in the page and in the diagram.
 */
export function applyHidden(): void {
  const hidden = new Set<string>(page.setup.hidden);
  // Only ever hides: what the data set shows or hides was set just before.
  for (const el of document.querySelectorAll<HTMLElement>('[data-hide]')) {
    if (el.dataset.hide!.split(' ').some((k) => hidden.has(k))) el.hidden = true;
  }
}

function bindNumber(id: string, apply: (x: number) => void, what: Change): void {
  const el = $<HTMLInputElement>(id);
  const handler = () => {
    const x = Number(el.value);
    if (el.value.trim() === '' || !Number.isFinite(x)) return;
    const before = encodeSetup(page.setup);
    apply(x);
    // Enter and the blur after it both commit; only a real change acts.
    if (encodeSetup(page.setup) !== before) changed(what);
  };
  el.addEventListener('change', handler);
  el.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') handler();
  });
  if (el.type === 'range') el.addEventListener('input', syncLabels);
}

function bindSelect(id: string, apply: (v: string) => void, what: () => Change): void {
  const el = $<HTMLSelectElement>(id);
  el.addEventListener('change', () => {
    apply(el.value);
    changed(what());
  });
}

const clamp = (x: number, [lo, hi]: readonly [number, number]) => Math.min(hi, Math.max(lo, x));

/** Wires every control; `onChange` hears what changed, `onRedraw` redraws the output plot only. */
export function initControls(onChange: (what: Change) => void, onRedraw: () => void): void {
  changed = onChange;
  redraw = onRedraw;
  fillSelect('loss', LOSSES);
  fillSelect('reduction', REDUCTIONS);
  fillSelect('mode', MODES);
  fillSelect('optimizer', OPTIMIZERS);
  fillSelect('init', INITS);
  fillSelect('schedule', SCHEDULES);
  fillSelect('class-weights', ['none', 'balanced']);
  const size = $<HTMLInputElement>('size');
  size.min = String(LIMITS.size[0]);
  size.max = String(LIMITS.size[1]);
  buildDatasetButtons();
  buildFeatureToggles();
  const s = () => page.setup;
  bindNumber('test', (x) => (s().testFraction = clamp(x, LIMITS.testFraction)), 'data');
  bindNumber('noise', (x) => (s().noise = clamp(x, LIMITS.noise)), 'data');
  bindNumber('size', (x) => (s().size = Math.round(clamp(x, LIMITS.size))), 'data');
  bindNumber('seed', (x) => (s().seed = Math.round(clamp(x, LIMITS.seed))), 'data');
  // Training settings change in place: the network keeps its weights.
  bindNumber('batch', (x) => (s().batchSize = Math.round(clamp(x, LIMITS.batchSize))), 'training');
  bindNumber('l2', (x) => (s().weightDecay = clamp(x, LIMITS.weightDecay)), 'training');
  bindNumber('l1', (x) => (s().l1 = clamp(x, LIMITS.l1)), 'training');
  bindNumber('tol', (x) => (s().tolerance = clamp(x, LIMITS.tolerance)), 'training');
  // A new schedule starts from the schedule's first step, on the current weights.
  bindNumber('sched-param', () => (s().schedule = readSchedule()), 'training');
  bindNumber('warmup', () => (s().schedule = readSchedule()), 'training');
  $<HTMLSelectElement>('schedule').addEventListener('change', () => {
    // The parameter box shows the new schedule's own starting value.
    const param = SCHEDULE_PARAMS[$<HTMLSelectElement>('schedule').value as ScheduleName];
    if (param) $<HTMLInputElement>('sched-param').value = String(param.start);
    s().schedule = readSchedule();
    changed('training');
  });
  bindSelect(
    'class-weights',
    (v) => (s().classWeights = v as Setup['classWeights']),
    () => 'training',
  );
  $<HTMLInputElement>('imbalanced').onchange = (e) => {
    s().imbalanced = (e.target as HTMLInputElement).checked;
    changed('data');
  };
  bindNumber(
    'eta-all',
    (x) => {
      if (x > 0) for (const l of s().layers) l.learningRate = clamp(x, LIMITS.learningRate);
    },
    'training',
  );
  // A CSV file's targets are classes or numbers by the loss, so there the loss rebuilds the data.
  bindSelect(
    'loss',
    (v) => (s().loss = v as Setup['loss']),
    () => (s().dataset === 'csv' ? 'network' : 'training'),
  );
  bindSelect(
    'reduction',
    (v) => (s().reduction = v as Setup['reduction']),
    () => 'training',
  );
  bindSelect(
    'mode',
    (v) => (s().mode = v as Setup['mode']),
    () => 'training',
  );
  bindSelect(
    'optimizer',
    (v) => (s().optimizer = v as Setup['optimizer']),
    () => 'training',
  );
  bindSelect(
    'init',
    (v) => (s().init = v as Setup['init']),
    () => 'network',
  );
  $<HTMLInputElement>('discretize').onchange = (e) => {
    s().discretize = (e.target as HTMLInputElement).checked;
    changed('view');
  };
  $('regen').onclick = () => {
    s().seed = (s().seed + 1) % LIMITS.seed[1];
    changed('data');
  };
  $('add-layer').onclick = () => {
    const { layers } = s();
    if (layers.length > LIMITS.layers) return;
    const template = layers.length > 1 ? layers[layers.length - 2] : layers[0];
    const activation =
      template.activation === 'linear' || template.activation === 'softmax' ? 'tanh' : template.activation;
    layers.splice(layers.length - 1, 0, {
      units: 4,
      activation,
      learningRate: template.learningRate,
      dropout: 0,
    });
    changed('network');
  };
  $('remove-layer').onclick = () => {
    const { layers } = s();
    if (layers.length <= 1) return;
    layers.splice(layers.length - 2, 1);
    changed('network');
  };
  $<HTMLInputElement>('show-test').onchange = () => redraw();
}
