/**
 * The page's state, in one place: the setup, the data, the latest snapshot
 * from the worker, and what the learner is pointing at. The modules of the
 * page (controls, files, output, main) read and write it here.
 *
 * @module
 */
import type { CsvTable, PlaygroundData } from './data.js';
import type { CostPoint, Snapshot } from './protocol.js';
import { decodeSetup, type Setup } from './setup.js';

/** The element with id `id`; a missing one is a bug in index.html. */
export const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing #${id}`);
  return el as T;
};

/**
 * What changed: the data (new examples and network), the network (new
 * weights), the training settings (same weights, a new Trainer), or only the view.
 */
export type Change = 'data' | 'network' | 'training' | 'view';

export const page = {
  setup: decodeSetup(location.search) as Setup,
  data: null as PlaygroundData | null,
  csv: null as { table: CsvTable; target: string } | null,
  last: null as Snapshot | null,
  costs: [] as CostPoint[],
  running: false,
  /** Whether the worker holds a network for the current experiment (the library may refuse a setup). */
  ready: false,
  /** The id of the experiment the page shows; messages about older ones are dropped. */
  experiment: 0,
  /** A loaded model to start from instead of random weights, until the setup changes. */
  startModel: null as unknown,
  /** The example of the batch whose v, psi(v) and delta the explain panel shows. */
  explainExample: 0,
  /** The node whose map the output plot shows large while the pointer is on it (layer 0 = inputs). */
  hover: null as { layer: number; node: number } | null,
  /** The grid as the network sees it (one column per input feature), for the input nodes' maps. */
  inputGrid: null as number[][] | null,
};
