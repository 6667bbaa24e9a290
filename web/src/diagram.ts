/**
 * The network drawn left to right: one column per layer with its controls,
 * each node a small heat map of its output over the input plane, each weight a
 * curve whose colour is its sign and whose width is its size, each bias a small
 * square on its node. Hovering or focusing a node or a weight shows its numbers;
 * hovering a node also shows its map large in the output plot; clicking a
 * weight edits it.
 *
 * @module
 */
import { isActivationName, outputRange } from 'backprop-mlp';
import { divergingCss, drawHeatmap, drawMiniCurve, scaleFor } from './draw.js';
import type { LayerWeights } from './protocol.js';
import { ACTIVATIONS, type LayerSetup, LIMITS, MAX_DROPOUT } from './setup.js';

/** What the diagram asks the page to do when a control changes. */
export interface DiagramActions {
  setUnits(layer: number, units: number): void;
  setActivation(layer: number, activation: string): void;
  setRate(layer: number, rate: number): void;
  /** The dropout rate p of hidden layer `layer` (0-based). */
  setDropout(layer: number, p: number): void;
  /** The pointer or the focus rests on node `node` of layer `layer` (0 = inputs), or left it (null). */
  hoverNode(layer: number, node: number | null): void;
  /** The learner typed a new value for weight w^(layer)_{m i}. */
  editWeight(layer: number, m: number, i: number, value: number): void;
}

/** Numbers of one node for its tooltip, from the current step trace. */
export interface NodeNumbers {
  v?: number;
  out?: number;
  delta?: number;
}

const SVG = 'http://www.w3.org/2000/svg';

function fmt(x: number | undefined, digits = 4): string {
  if (x === undefined || x === null) return '–';
  if (!Number.isFinite(x)) return String(x);
  if (x !== 0 && (Math.abs(x) < 1e-3 || Math.abs(x) >= 1e4)) return x.toExponential(2);
  return Number(x.toPrecision(digits)).toString();
}

export class Diagram {
  private inner: HTMLDivElement;
  private svg: SVGSVGElement;
  private nodes: HTMLDivElement[][] = [];
  private canvases: HTMLCanvasElement[][] = [];
  private paths: SVGPathElement[][][] = [];
  private weights: LayerWeights[] = [];
  private numbers: ((layer: number, node: number) => NodeNumbers) | null = null;
  private plane = false;

  constructor(
    private host: HTMLElement,
    private tooltip: HTMLElement,
    private actions: DiagramActions,
  ) {
    this.inner = document.createElement('div');
    this.inner.className = 'diagram-inner';
    this.svg = document.createElementNS(SVG, 'svg');
    this.svg.classList.add('links');
    host.append(this.inner);
    new ResizeObserver(() => this.layoutLinks()).observe(host);
  }

  /**
   * Rebuilds the columns for `inputColumns` inputs and `layers` (the output
   * layer last, whose units follow the data and cannot be changed here).
   */
  build(inputColumns: string[], layers: LayerSetup[], plane: boolean): void {
    this.inner.replaceChildren(this.svg);
    this.nodes = [];
    this.canvases = [];
    this.plane = plane;
    const inputCol = this.column('Inputs', null);
    const inputNodes: HTMLDivElement[] = [];
    const inputCanvases: HTMLCanvasElement[] = [];
    inputColumns.forEach((name, m) => {
      const node = this.node(plane, `input ${m + 1}: ${name}`);
      node.classList.add('input');
      if (plane) node.classList.add('map');
      const label = document.createElement('span');
      // Over the plane the inputs are features of (x1, x2), named as such; else the columns in order.
      label.textContent = plane ? name : `x${m + 1}`;
      node.title = name;
      node.append(label);
      node.dataset.layer = '0';
      node.dataset.node = String(m);
      inputCol.append(node);
      inputNodes.push(node);
      inputCanvases.push(node.querySelector('canvas')!);
    });
    this.nodes.push(inputNodes);
    this.canvases.push(inputCanvases);

    layers.forEach((layer, index) => {
      const n = index + 1;
      const isOutput = index === layers.length - 1;
      const col = this.column(isOutput ? 'Output' : `Layer ${n}`, { layer, index, isOutput });
      const nodes: HTMLDivElement[] = [];
      const canvases: HTMLCanvasElement[] = [];
      for (let i = 0; i < layer.units; i++) {
        const node = this.node(true, `node ${i + 1} of layer ${n}`);
        node.dataset.layer = String(n);
        node.dataset.node = String(i);
        col.append(node);
        nodes.push(node);
        canvases.push(node.querySelector('canvas')!);
      }
      this.nodes.push(nodes);
      this.canvases.push(canvases);
    });
    requestAnimationFrame(() => this.layoutLinks());
  }

  private column(
    title: string,
    layer: { layer: LayerSetup; index: number; isOutput: boolean } | null,
  ): HTMLDivElement {
    const col = document.createElement('div');
    col.className = 'col';
    const head = document.createElement('div');
    head.className = 'col-head';
    const h = document.createElement('div');
    h.textContent = title;
    head.append(h);
    if (layer) {
      const { index, isOutput } = layer;
      if (!isOutput) {
        const pm = document.createElement('div');
        pm.className = 'pm';
        pm.dataset.hide = 'layers';
        const plus = document.createElement('button');
        plus.textContent = '+';
        plus.setAttribute('aria-label', `Add a node to layer ${index + 1}`);
        plus.disabled = layer.layer.units >= LIMITS.units[1];
        plus.onclick = () => this.actions.setUnits(index, layer.layer.units + 1);
        const minus = document.createElement('button');
        minus.textContent = '−';
        minus.setAttribute('aria-label', `Remove a node from layer ${index + 1}`);
        minus.disabled = layer.layer.units <= LIMITS.units[0];
        minus.onclick = () => this.actions.setUnits(index, layer.layer.units - 1);
        pm.append(minus, plus);
        head.append(pm);
      } else {
        const units = document.createElement('div');
        units.textContent = `${layer.layer.units} node${layer.layer.units > 1 ? 's' : ''}`;
        head.append(units);
      }
      const select = document.createElement('select');
      select.dataset.hide = 'layers';
      select.setAttribute('aria-label', `Activation of ${title}`);
      select.className = 'activation';
      for (const a of ACTIVATIONS) {
        if (a === 'softmax' && !isOutput) continue;
        const o = document.createElement('option');
        o.value = a;
        o.textContent = a;
        select.append(o);
      }
      select.value = layer.layer.activation;
      select.onchange = () => this.actions.setActivation(index, select.value);
      const eta = document.createElement('label');
      eta.className = 'eta';
      eta.dataset.hide = 'eta';
      eta.textContent = 'η';
      const input = document.createElement('input');
      input.type = 'number';
      input.min = '0';
      input.step = 'any';
      input.className = 'rate';
      input.value = String(layer.layer.learningRate);
      input.setAttribute('aria-label', `Learning rate of ${title}`);
      input.onchange = () => {
        const x = Number(input.value);
        if (Number.isFinite(x) && x > 0) this.actions.setRate(index, x);
        else input.value = String(layer.layer.learningRate);
      };
      input.onkeydown = (e) => {
        if (e.key === 'Enter') input.onchange?.(new Event('change'));
      };
      eta.append(input);
      head.append(select, eta);
      if (!isOutput) head.append(this.dropoutInput(layer.layer, layer.index, title));
    }
    col.append(head);
    this.inner.append(col);
    return col;
  }

  /** The dropout rate p of a hidden layer: the share of its nodes each update drops. */
  private dropoutInput(layer: LayerSetup, index: number, title: string): HTMLLabelElement {
    const label = document.createElement('label');
    label.className = 'eta dropout';
    label.dataset.hide = 'dropout';
    label.title =
      'Dropout: each update drops a node with probability p (x_out = m ψ(v)/(1−p)); prediction drops none';
    label.textContent = 'p';
    const input = document.createElement('input');
    input.type = 'number';
    input.min = '0';
    input.max = String(MAX_DROPOUT);
    input.step = '0.05';
    input.className = 'dropout-rate';
    input.value = String(layer.dropout);
    input.setAttribute('aria-label', `Dropout rate of ${title}`);
    input.onchange = () => {
      const x = Number(input.value);
      if (input.value.trim() !== '' && Number.isFinite(x) && x >= 0 && x <= MAX_DROPOUT)
        this.actions.setDropout(index, x);
      else input.value = String(layer.dropout);
    };
    input.onkeydown = (e) => {
      if (e.key === 'Enter') input.onchange?.(new Event('change'));
    };
    label.append(input);
    return label;
  }

  private node(withCanvas: boolean, label: string): HTMLDivElement {
    const node = document.createElement('div');
    node.className = 'node';
    node.tabIndex = 0;
    // A picture of the node's output (its numbers show on focus): an image with a name, not a bare div.
    node.setAttribute('role', 'img');
    node.setAttribute('aria-label', label);
    if (withCanvas) {
      const c = document.createElement('canvas');
      c.width = 40;
      c.height = 40;
      node.append(c);
    }
    const show = () => {
      this.showNode(node);
      this.actions.hoverNode(Number(node.dataset.layer), Number(node.dataset.node));
    };
    const leave = () => {
      this.hide();
      this.actions.hoverNode(0, null);
    };
    node.addEventListener('mouseenter', show);
    node.addEventListener('focus', show);
    node.addEventListener('mouseleave', leave);
    node.addEventListener('blur', leave);
    return node;
  }

  /**
   * Without a plane to map (more than two inputs), colours each node by its
   * output for the explained example: the network's state at one point.
   */
  colorByExample(): void {
    if (!this.numbers) return;
    for (let n = 1; n < this.canvases.length; n++) {
      const activation = this.weights[n - 1]?.activation ?? 'linear';
      this.canvases[n].forEach((c, i) => {
        const out = this.numbers?.(n, i).out;
        if (out === undefined) return;
        // An output in [0, 1] (sigmoid, softmax) spans the colours as 2 out - 1; others are squashed.
        const [lo, hi] = isActivationName(activation) ? outputRange(activation) : [-Infinity, Infinity];
        const t = lo === 0 && hi === 1 ? 2 * out - 1 : Math.tanh(out);
        const ctx = c.getContext('2d')!;
        ctx.fillStyle = divergingCss(t);
        ctx.fillRect(0, 0, c.width, c.height);
      });
    }
  }

  /** Sets where the tooltip reads a node's v, out and delta from. */
  setNumbers(f: ((layer: number, node: number) => NodeNumbers) | null): void {
    this.numbers = f;
  }

  private showNode(node: HTMLDivElement): void {
    const n = Number(node.dataset.layer);
    const i = Number(node.dataset.node);
    const lines: string[] = [];
    if (n === 0) {
      lines.push(`<b>Input x<sub>${i + 1}</sub></b>`, node.title || (node.getAttribute('aria-label') ?? ''));
    } else {
      const layer = this.weights[n - 1];
      lines.push(`<b>Node ${i + 1} of layer ${n}</b> · ${layer?.activation ?? ''}`);
      if (layer) {
        lines.push(`bias b<sub>${i + 1}</sub> = ${fmt(layer.biases[i])}`);
        const ws = layer.weights.map((row, m) => `w<sub>${m + 1}${i + 1}</sub> = ${fmt(row[i])}`);
        lines.push(ws.slice(0, 8).join('<br>') + (ws.length > 8 ? '<br>…' : ''));
      }
      const num = this.numbers?.(n, i);
      if (num && num.v !== undefined) {
        lines.push(
          `for the explained example:<br>v = ${fmt(num.v)}, ψ(v) = ${fmt(num.out)}, δ = ${fmt(num.delta)}`,
        );
      }
    }
    this.show(node, lines.join('<br>'));
  }

  private show(anchor: Element, html: string): void {
    const host = this.host.parentElement!.getBoundingClientRect();
    const r = anchor.getBoundingClientRect();
    this.tooltip.innerHTML = html;
    this.tooltip.hidden = false;
    const left = Math.min(r.right - host.left + 8, host.width - this.tooltip.offsetWidth - 8);
    const top = r.top - host.top;
    this.tooltip.style.left = `${Math.max(8, left)}px`;
    this.tooltip.style.top = `${top}px`;
  }

  /** A weight's value and what it connects, beside the pointer. */
  private showWeight(p: SVGPathElement, e: Point): void {
    const n = Number(p.dataset.layer);
    const m = Number(p.dataset.m) + 1;
    const i = Number(p.dataset.i) + 1;
    const from = n === 1 ? `input x<sub>${m}</sub>` : `node ${m} of layer ${n - 1}`;
    this.tooltip.innerHTML =
      `<b>w<sup>(${n})</sup><sub>${m}${i}</sub> = ${fmt(Number(p.dataset.w))}</b><br>` +
      `from ${from} to node ${i} of layer ${n}`;
    this.tooltip.hidden = false;
    const host = this.host.parentElement!.getBoundingClientRect();
    const left = Math.min(e.clientX - host.left + 12, host.width - this.tooltip.offsetWidth - 8);
    this.tooltip.style.left = `${Math.max(8, left)}px`;
    this.tooltip.style.top = `${e.clientY - host.top + 12}px`;
  }

  /** A small number box at the pointer: Enter sets the weight, Escape or leaving it cancels. */
  private editWeight(p: SVGPathElement, e: Point, refocus = false): void {
    this.hide();
    const n = Number(p.dataset.layer);
    const m = Number(p.dataset.m);
    const i = Number(p.dataset.i);
    const host = this.host.parentElement!;
    host.querySelector('.weight-editor')?.remove();
    const box = document.createElement('label');
    box.className = 'weight-editor';
    box.textContent = `w(${n})${m + 1}${i + 1} = `;
    const input = document.createElement('input');
    input.type = 'number';
    input.step = 'any';
    input.value = String(Number(Number(p.dataset.w).toPrecision(6)));
    input.setAttribute('aria-label', weightName(n, m, i));
    box.append(input);
    const r = host.getBoundingClientRect();
    box.style.left = `${Math.max(4, Math.min(e.clientX - r.left, r.width - 190))}px`;
    box.style.top = `${e.clientY - r.top + 8}px`;
    host.append(box);
    input.focus();
    input.select();
    let done = false;
    const close = (commit: boolean) => {
      if (done) return;
      done = true;
      const x = Number(input.value);
      box.remove();
      if (commit && input.value.trim() !== '' && Number.isFinite(x)) this.actions.editWeight(n, m, i, x);
      // Opened from the keyboard: back to the weight, to go on from there.
      if (refocus && p.isConnected) p.focus();
    };
    input.addEventListener('keydown', (k) => {
      if (k.key === 'Enter') close(true);
      else if (k.key === 'Escape') close(false);
    });
    input.addEventListener('blur', () => close(false));
  }

  private hide(): void {
    this.tooltip.hidden = true;
  }

  /** Redraws the links for new weights. */
  setWeights(layers: LayerWeights[]): void {
    this.weights = layers;
    let max = 1e-9;
    for (const l of layers)
      for (const row of l.weights) for (const w of row) max = Math.max(max, Math.abs(w));
    const scale = Math.max(1, max);
    layers.forEach((l, index) => {
      const paths = this.paths[index];
      if (!paths) return;
      l.weights.forEach((row, m) => {
        row.forEach((w, i) => {
          const p = paths[m]?.[i];
          if (!p) return;
          p.setAttribute('stroke', divergingCss(w >= 0 ? 0.9 : -0.9));
          p.setAttribute('stroke-width', String(0.6 + (5 * Math.min(1, Math.abs(w) / scale)) ** 1.1));
          p.setAttribute('stroke-opacity', String(0.35 + 0.65 * Math.min(1, Math.abs(w) / scale)));
          p.dataset.w = String(w);
          p.setAttribute('aria-label', `${weightName(index + 1, m, i)} = ${fmt(w)}, Enter to edit`);
        });
      });
      const nodes = this.nodes[index + 1];
      l.biases.forEach((b, i) => {
        const node = nodes?.[i];
        if (!node) return;
        node.dataset.b = String(b);
        node.style.boxShadow = `inset 4px -4px 0 -1px ${divergingCss(Math.max(-1, Math.min(1, b / scale)) * 0.9 || 0.0001)}`;
      });
    });
  }

  /**
   * Paints every node's output over the grid: `outputs[n]` is grid x units for
   * layer n+1; `inputGrid` gives the input nodes' maps.
   */
  setMaps(
    outputs: Float64Array[] | null,
    inputGrid: number[][] | null,
    g: number,
    activations: string[],
  ): void {
    if (!outputs || !inputGrid) return;
    if (!this.plane) {
      // One input: each node's output as a curve over x.
      outputs.forEach((values, index) => {
        const units = this.canvases[index + 1]?.length ?? 0;
        for (let i = 0; i < units; i++) drawMiniCurve(this.canvases[index + 1][i], values, units, i);
      });
      return;
    }
    // One column per input feature over the plane.
    const width = inputGrid[0].length;
    const flat = Float64Array.from(inputGrid.flat());
    this.canvases[0]?.forEach((c, m) => {
      if (c) drawHeatmap(c, flat, g, width, m, scaleFor('linear', flat, width, m));
    });
    outputs.forEach((values, index) => {
      const units = this.canvases[index + 1]?.length ?? 0;
      const act = activations[index];
      for (let i = 0; i < units; i++) {
        const c = this.canvases[index + 1][i];
        const scale = scaleFor(act, values, units, i);
        drawHeatmap(c, values, g, units, i, scale);
      }
    });
  }

  /** Places the weight curves between node centres (after a build or a resize). */
  layoutLinks(): void {
    const box = this.inner.getBoundingClientRect();
    this.svg.setAttribute('width', String(this.inner.scrollWidth));
    this.svg.setAttribute('height', String(this.inner.scrollHeight));
    this.svg.replaceChildren();
    this.paths = [];
    for (let n = 1; n < this.nodes.length; n++) {
      const layerPaths: SVGPathElement[][] = [];
      this.nodes[n - 1].forEach((from, m) => {
        const a = from.getBoundingClientRect();
        const row: SVGPathElement[] = [];
        this.nodes[n].forEach((to, i) => {
          const b = to.getBoundingClientRect();
          const x1 = a.right - box.left;
          const y1 = a.top + a.height / 2 - box.top;
          const x2 = b.left - box.left;
          const y2 = b.top + b.height / 2 - box.top;
          const mx = (x1 + x2) / 2;
          const p = document.createElementNS(SVG, 'path');
          p.setAttribute('d', `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`);
          p.dataset.layer = String(n);
          p.dataset.m = String(m);
          p.dataset.i = String(i);
          p.addEventListener('mousemove', (e) => this.showWeight(p, e));
          p.addEventListener('mouseleave', () => this.hide());
          p.addEventListener('click', (e) => this.editWeight(p, e));
          // From the keyboard: Tab reaches each weight, Enter or Space opens the same editor.
          p.setAttribute('tabindex', '0');
          p.setAttribute('role', 'button');
          p.addEventListener('focus', () => this.showWeight(p, centre(p)));
          p.addEventListener('blur', () => this.hide());
          p.addEventListener('keydown', (e) => {
            if (e.key !== 'Enter' && e.key !== ' ') return;
            e.preventDefault();
            e.stopPropagation();
            this.editWeight(p, centre(p), true);
          });
          this.svg.append(p);
          row.push(p);
        });
        layerPaths.push(row);
      });
      this.paths.push(layerPaths);
    }
    if (this.weights.length > 0) this.setWeights(this.weights);
  }
}

/** A point on the page: the pointer, or the middle of an element reached from the keyboard. */
type Point = { clientX: number; clientY: number };

function centre(el: Element): Point {
  const r = el.getBoundingClientRect();
  return { clientX: r.left + r.width / 2, clientY: r.top + r.height / 2 };
}

/** A weight's name in words, for screen readers: what it connects (m, i from 0). */
function weightName(n: number, m: number, i: number): string {
  return `Weight from ${n === 1 ? `input ${m + 1}` : `node ${m + 1} of layer ${n - 1}`} to node ${i + 1} of layer ${n}`;
}
