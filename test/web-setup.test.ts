/**
 * The playground's pure parts, in Node: the setup's round trip through the URL,
 * the train/test split, the reshaping of class targets, and the CSV reading.
 */
import { describe, expect, it } from 'vitest';
import {
  boundsOf,
  csvExamples,
  featurize,
  generate,
  grid2d,
  parseCsvText,
  regression,
  shapeTargets,
  split,
  standardize,
} from '../web/src/data.js';
import { checked, digitsThatCheck, parTex } from '../web/src/digits.js';
import { num, psiPrime } from '../web/src/explain-view.js';
import {
  ACTIVATIONS,
  DATASETS,
  decodeSetup,
  defaultSetup,
  encodeSetup,
  FEATURES,
  LIMITS,
  LINKED,
  LOSSES,
  MODES,
  OPTIMIZERS,
  type Setup,
  trainOptions,
} from '../web/src/setup.js';

describe('imbalanced data', () => {
  it('keeps a tenth of the second class of a generated class set, and leaves the rest whole', () => {
    const count = (targets: number[][], label: number) => targets.filter((t) => t[0] === label).length;
    for (const data of ['xor', 'circles', 'moons', 'spirals'] as const) {
      const s = { ...defaultSetup(data), size: 1000, testFraction: 0 };
      const full = generate(s).train.targets;
      const cut = generate({ ...s, imbalanced: true }).train.targets;
      expect(count(cut, 0), data).toBe(count(full, 0));
      expect(count(cut, 1), data).toBe(Math.ceil(count(full, 1) / 10));
    }
    // Numbers over the plane have no classes to cut.
    const plane = { ...defaultSetup('plane'), testFraction: 0 };
    expect(generate({ ...plane, imbalanced: true })).toEqual(generate(plane));
  });
});

describe('setup in the URL', () => {
  it('round-trips every default setup', () => {
    for (const d of DATASETS) {
      const s = defaultSetup(d);
      expect(decodeSetup(encodeSetup(s))).toEqual(s);
      expect(decodeSetup(`?${encodeSetup(s)}`)).toEqual(s);
    }
  });

  it('round-trips a grid of non-default choices', () => {
    let k = 0;
    for (const mode of MODES) {
      for (const optimizer of OPTIMIZERS) {
        for (const loss of LOSSES) {
          k++;
          const s: Setup = {
            ...defaultSetup('moons'),
            mode,
            optimizer,
            loss,
            reduction: k % 2 ? 'sum' : 'mean',
            layers: [
              { units: 1 + (k % 16), activation: ACTIVATIONS[k % 8], learningRate: 0.001 * k, dropout: 0 },
              {
                units: 3,
                activation: ACTIVATIONS[(k + 3) % 9],
                learningRate: 1.5e-5,
                dropout: (k % 5) * 0.125,
              },
              { units: 1, activation: 'sigmoid', learningRate: 2, dropout: 0 },
            ],
            schedule:
              k % 3 === 0 ? 'constant' : { name: 'cosine', epochs: k, ...(k % 2 ? { warmup: 3 } : {}) },
            classWeights: k % 2 ? 'balanced' : 'none',
            imbalanced: k % 4 === 0,
            batchSize: 1 + k,
            weightDecay: 1e-4 * k,
            tolerance: 0.001 * k,
            seed: 12345 + k,
            size: 20 + k,
            noise: 0.01 * k,
            testFraction: 0.05 * (k % 10),
          };
          const q = encodeSetup(s);
          expect(decodeSetup(q)).toEqual(s);
          expect(encodeSetup(decodeSetup(q))).toBe(q);
        }
      }
    }
  });

  it('keeps the link readable', () => {
    expect(encodeSetup(defaultSetup('xor'))).toBe(
      'data=xor&layers=4:tanh:0.3,1:sigmoid:0.3&n=200&noise=0.1&test=0.5&imb=false&loss=binary-cross-entropy' +
        '&red=mean&mode=minibatch&batch=10&opt=sgd&l2=0&l1=0&sched=constant&cw=none&tol=0&seed=1&init=auto&feat=x1,x2&disc=false',
    );
    const s = decodeSetup(
      'data=moons&layers=4:tanh:0.3:0.25,1:sigmoid:0.3&imb=true&sched=cosine,epochs=50,warmup=5&cw=balanced',
    );
    expect(encodeSetup(s)).toContain(
      'layers=4:tanh:0.3:0.25,1:sigmoid:0.3&n=200&noise=0.1&test=0.5&imb=true&',
    );
    expect(encodeSetup(s)).toContain('&sched=cosine,epochs=50,warmup=5&cw=balanced&');
  });

  it('reads a link of before schedules, dropout and class weights the same way', () => {
    const old =
      'data=xor&layers=4:tanh:0.3,1:sigmoid:0.3&n=200&noise=0.1&test=0.5&loss=binary-cross-entropy' +
      '&red=mean&mode=minibatch&batch=10&opt=sgd&l2=0&l1=0&tol=0&seed=1&init=auto&feat=x1,x2&disc=false';
    expect(decodeSetup(old)).toEqual(defaultSetup('xor'));
    const s = decodeSetup(old);
    expect(s.layers.map((l) => l.dropout)).toEqual([0, 0]);
    expect([s.schedule, s.classWeights, s.imbalanced]).toEqual(['constant', 'none', false]);
  });

  it("reads a layer's dropout as an optional 4th part, clamped, and never on the output layer", () => {
    const s = decodeSetup('layers=4:tanh:0.3:0.5,3:relu:0.1:7,1:sigmoid:0.3:0.5');
    expect(s.layers.map((l) => l.dropout)).toEqual([0.5, 0.9, 0]);
    expect(decodeSetup('layers=4:tanh:0.3:x,1:sigmoid:0.3').layers[0].dropout).toBe(0);
    expect(trainOptions(decodeSetup('cw=balanced'), 10).classWeights).toBe('balanced');
    expect(trainOptions(decodeSetup('cw=none'), 10)).not.toHaveProperty('classWeights');
    expect(trainOptions(decodeSetup('sched=plateau,patience=3'), 10).schedule).toEqual({
      name: 'plateau',
      patience: 3,
    });
  });

  it('reads a link of before the settings table the same way', () => {
    const old =
      'data=xor&layers=4:tanh:0.3,1:sigmoid:0.3&n=200&noise=0.1&test=0.5&loss=binary-cross-entropy' +
      '&red=mean&mode=minibatch&batch=10&opt=sgd&l2=0&tol=0&seed=1';
    expect(decodeSetup(old)).toEqual(defaultSetup('xor'));
    const changed = decodeSetup(old.replace('batch=10', 'batch=7').replace('l2=0', 'l2=0.25'));
    expect(changed).toEqual({ ...defaultSetup('xor'), batchSize: 7, weightDecay: 0.25 });
  });

  it('writes, reads and clamps every row of the table that has a key in the link', () => {
    const base = defaultSetup('moons');
    for (const [name, row] of LINKED) {
      const key = row.page?.key;
      expect(key, name).toBeTruthy();
      let value: unknown;
      let text: string | undefined;
      if (row.type === 'schedule') {
        value = { name: 'step', stepSize: 7, gamma: 0.5, warmup: 2 };
        text = 'step,stepSize=7,gamma=0.5,warmup=2';
        // A schedule the library refuses leaves the default.
        expect(decodeSetup(`${key}=step,gamma=2`)[name], name).toEqual(base[name]);
      } else if (row.type === 'enum' || row.type === 'class-weights') {
        const values = row.page?.values ?? row.values ?? [];
        value = values.find((v) => v !== base[name]);
      } else if (row.type === 'boolean') value = !base[name];
      else {
        const [low, high] = LIMITS[name as keyof typeof LIMITS] as readonly [number, number];
        value = row.type === 'integer' ? Math.round((low + Math.min(high, 1000)) / 3) + 1 : low + 0.125;
        // Beyond the limits a link is clamped, not refused.
        const above = decodeSetup(`${key}=${high + 1}`)[name];
        expect(above, name).toBe(high);
      }
      const s = { ...base, [name]: value } as Setup;
      const q = encodeSetup(s);
      expect(q, name).toContain(`&${key}=${text ?? encodeURIComponent(String(value))}`);
      expect(decodeSetup(q), name).toEqual(s);
      // Garbage in one key leaves the data set's default.
      expect(decodeSetup(`data=moons&${key}=%3F%3F`)[name], name).toEqual(base[name]);
    }
  });

  it("gives the library every linked setting of the table, with the page's off values left out", () => {
    const s: Setup = { ...defaultSetup('xor'), tolerance: 0, batchSize: 50, weightDecay: 0.5 };
    const options = trainOptions(s, 20);
    expect(options).toMatchObject({ weightDecay: 0.5, batchSize: 20, learningRate: [0.3, 0.3], seed: 1 });
    expect(options).not.toHaveProperty('tolerance');
    expect(trainOptions({ ...s, tolerance: 0.01 }, 20).tolerance).toBe(0.01);
    for (const [name] of LINKED) {
      if (['size', 'noise', 'testFraction', 'imbalanced', 'tolerance', 'classWeights'].includes(name))
        continue;
      expect(options, name).toHaveProperty(name);
    }
  });

  it('turns a broken or hostile link into a working setup', () => {
    const s = decodeSetup('data=nope&layers=99:evil:-3,x&n=1e9&noise=NaN&test=5&loss=foo&batch=0&seed=-4');
    expect(s.dataset).toBe('xor');
    expect(s.layers).toEqual([
      { units: 16, activation: 'tanh', learningRate: 1e-6, dropout: 0 },
      { units: 4, activation: 'tanh', learningRate: 1e-6, dropout: 0 },
    ]);
    expect(s.size).toBe(2000);
    expect(s.noise).toBe(defaultSetup('xor').noise);
    expect(s.testFraction).toBe(0.9);
    expect(s.loss).toBe('binary-cross-entropy');
    expect(s.batchSize).toBe(1);
    expect(s.seed).toBe(0);
    expect(decodeSetup('')).toEqual(defaultSetup('xor'));
  });
});

describe('playground data', () => {
  it('splits with a seed, keeping every example once', () => {
    const all = {
      inputs: Array.from({ length: 50 }, (_, i) => [i]),
      targets: Array.from({ length: 50 }, (_, i) => [i % 2]),
    };
    const a = split(all, 0.3, 7);
    const b = split(all, 0.3, 7);
    const c = split(all, 0.3, 8);
    expect(a).toEqual(b);
    expect(a.test.inputs).not.toEqual(c.test.inputs);
    expect(a.test.inputs.length).toBe(15);
    expect([...a.train.inputs, ...a.test.inputs].map((r) => r[0]).sort((x, y) => x - y)).toEqual(
      all.inputs.map((r) => r[0]),
    );
    a.train.inputs.forEach((r, i) => {
      expect(a.train.targets[i][0]).toBe(r[0] % 2);
    });
    expect(split(all, 1, 1).train.inputs.length).toBe(1);
  });

  it('generates each data set with the setup size, split and a square grid over the points', () => {
    for (const d of DATASETS.filter((x) => x !== 'csv')) {
      const s = { ...defaultSetup(d), size: 100, testFraction: 0.2 };
      const pd = generate(s);
      expect(pd.train.inputs.length + pd.test.inputs.length).toBe(100);
      expect(pd.test.inputs.length).toBe(20);
      if (d === 'line') {
        expect(pd.kind).toBe('numbers');
        expect(pd.grid?.length).toBe(120);
        continue;
      }
      expect(pd.kind).toBe(d === 'plane' || d === 'gauss' ? 'numbers' : 'classes');
      const b = pd.bounds!;
      expect(b.x[1] - b.x[0]).toBeCloseTo(b.y[1] - b.y[0], 12);
      for (const [x, y] of [...pd.train.inputs, ...pd.test.inputs]) {
        expect(x).toBeGreaterThan(b.x[0]);
        expect(x).toBeLessThan(b.x[1]);
        expect(y).toBeGreaterThan(b.y[0]);
        expect(y).toBeLessThan(b.y[1]);
      }
    }
  });

  it('lays the grid out row by row from the bottom', () => {
    const g = grid2d({ x: [0, 4], y: [10, 14] }, 4);
    expect(g[0]).toEqual([0.5, 10.5]);
    expect(g[1]).toEqual([1.5, 10.5]);
    expect(g[4]).toEqual([0.5, 11.5]);
    expect(g[15]).toEqual([3.5, 13.5]);
    // Padded by a tenth of each span, then widened to a square around the centre.
    const b = boundsOf([
      [0, 0],
      [1, 2],
    ]);
    [...b.x, ...b.y].forEach((v, k) => {
      expect(v).toBeCloseTo([-0.7, 1.7, -0.2, 2.2][k], 12);
    });
  });

  it('reshapes class targets for one sigmoid output or a softmax', () => {
    expect(shapeTargets([[0], [1]], 2, 2)).toEqual([
      [1, 0],
      [0, 1],
    ]);
    expect(
      shapeTargets(
        [
          [0, 1],
          [1, 0],
        ],
        2,
        1,
      ),
    ).toEqual([[1], [0]]);
    expect(shapeTargets([[0, 0, 1]], 3, 3)).toEqual([[0, 0, 1]]);
  });

  it('reads a CSV file: numeric inputs, labels as classes, a ragged row named', () => {
    const text = 'a,b,name,kind\n1,2,x,cat\n3,4,y,dog\n5,6,z,cat\n';
    const t = parseCsvText(text, 'pets.csv');
    expect(t.columns).toEqual(['a', 'b', 'name', 'kind']);
    const ex = csvExamples(t, 'kind', false);
    expect(ex.kind).toBe('classes');
    expect(ex.inputColumns).toEqual(['a', 'b']);
    expect(ex.dropped).toEqual(['name']);
    expect(ex.classes).toEqual(['cat', 'dog']);
    expect(ex.all.targets).toEqual([[0], [1], [0]]);
    const numbers = csvExamples(t, 'b', false);
    expect(numbers.kind).toBe('numbers');
    expect(numbers.all.targets).toEqual([[2], [4], [6]]);
    expect(() => parseCsvText('a,b\n1,2\n3\n', 'bad.csv')).toThrow(
      /bad\.csv: line 3 has 1 fields, the header has 2/,
    );
    const train = { inputs: [[1], [3]], targets: [[0], [1]] };
    const test = { inputs: [[5]], targets: [[0]] };
    expect(standardize(train, test)).toEqual({ offset: [2], scale: [1] });
    expect(train.inputs).toEqual([[-1], [1]]);
    expect(test.inputs).toEqual([[3]]);
  });
});

describe('explain panel numbers', () => {
  it('prints numbers for KaTeX', () => {
    expect(num(0.123456)).toBe('0.1235');
    expect(num(-2)).toBe('-2');
    expect(num(1.5e-7)).toBe('1.5\\times 10^{-7}');
    expect(num(Number.POSITIVE_INFINITY)).toBe('\\infty');
  });

  it('computes psi prime from v and out as the library defines it', () => {
    const h = 1e-6;
    const psi: Record<string, (v: number) => number> = {
      sigmoid: (v) => 1 / (1 + Math.exp(-v)),
      tanh: Math.tanh,
      linear: (v) => v,
      softplus: (v) => Math.log1p(Math.exp(v)),
      elu: (v) => (v > 0 ? v : Math.expm1(v)),
    };
    for (const [name, f] of Object.entries(psi)) {
      for (const v of [-1.3, -0.2, 0.4, 2.1]) {
        expect(psiPrime(name, v, f(v))).toBeCloseTo((f(v + h) - f(v - h)) / (2 * h), 6);
      }
    }
  });
});

describe("second edition: features, teachers' links, regressions, CSV delimiters", () => {
  it('round-trips features, initialisation, discretize and hidden controls through the URL', () => {
    const s: Setup = {
      ...defaultSetup('circles'),
      features: ['x1sq', 'x2sq', 'sinx1'],
      init: 'zeros',
      discretize: true,
      hidden: ['loss', 'opt', 'explain'],
    };
    const q = encodeSetup(s);
    expect(q).toContain('feat=x1sq,x2sq,sinx1');
    expect(q).toContain('loss_hide=true&opt_hide=true&explain_hide=true');
    expect(decodeSetup(q)).toEqual(s);
    // Unknown features and hide keys are dropped; no feature at all falls back to x1, x2.
    const t = decodeSetup('data=xor&feat=evil,x1x2&nope_hide=true&mode_hide=1');
    expect(t.features).toEqual(['x1x2']);
    expect(t.hidden).toEqual([]);
    expect(decodeSetup('data=xor&feat=').features).toEqual(['x1', 'x2']);
  });

  it('computes each feature of a point', () => {
    const [row] = featurize([[0.5, -2]], FEATURES);
    expect(row).toEqual([0.5, -2, 0.25, 4, -1, Math.sin(0.5), Math.sin(-2), Math.cos(0.5), Math.cos(-2)]);
  });

  it('makes the 2-D regressions from the seed, with targets in [-1, 1]', () => {
    const a = regression('plane', 50, 3, 0);
    expect(a).toEqual(regression('plane', 50, 3, 0));
    for (let k = 0; k < 50; k++)
      expect(a.targets[k][0]).toBeCloseTo((a.inputs[k][0] + a.inputs[k][1]) / 2, 15);
    const g = regression('gauss', 400, 1, 0);
    const ds = g.targets.map((t) => t[0]);
    expect(Math.min(...ds)).toBeLessThan(-0.5);
    expect(Math.max(...ds)).toBeGreaterThan(0.5);
    expect(ds.every((d) => d >= -1 && d <= 1)).toBe(true);
  });

  it('finds the delimiter and names the line, column and value of a bad cell', () => {
    const t = parseCsvText('a;b;label\n1;2;x\n\n3;4;y\n', 'semi.csv');
    expect(t.columns).toEqual(['a', 'b', 'label']);
    expect(t.delimiter).toBe(';');
    expect(t.lines).toEqual([2, 4]);
    expect(parseCsvText('a\tb\n1\t2\n', 'tabs.tsv').delimiter).toBe('\t');
    expect(() =>
      csvExamples(parseCsvText('a,b,label\n1,2,1\n3,zz,2\n4,5,1\n', 'g.csv'), 'label', true),
    ).toThrow("g.csv: line 3, column 'b': 'zz' is not a number");
    expect(() => csvExamples(parseCsvText('a,label\nfoo,1\nbar,2\n', 'h.csv'), 'label', true)).toThrow(
      "h.csv: no numeric input column besides 'label' (line 2, column 'a': 'foo' is not a number)",
    );
    expect(() => parseCsvText('abc\n1\n2\n', 'one.csv')).toThrow(/line 1 has one column/);
  });
});

describe('numbers that check by hand', () => {
  it('gives an operand the digits its line needs, so that the printed arithmetic is right', () => {
    // 0.1 * (1 - y) with y = 0.99993953: at 4 digits y prints as 0.9999 and the line would not check.
    const y = 0.99993953;
    const c = checked([1, y], (o) => 0.1 * (o[0] - o[1]), 0.1 * (1 - y));
    expect(c.result).toBe('6.047\\times 10^{-6}');
    expect(Number(c.ops[1])).not.toBe(0.9999);
    expect(Number((0.1 * (1 - Number(c.ops[1]))).toPrecision(4))).toBe(
      Number((0.1 * (1 - y)).toPrecision(4)),
    );
    // Lines that check at 4 digits stay at 4.
    expect(digitsThatCheck([0.5, 0.25], (o) => o[0] * o[1], 0.125)).toBe(4);
    expect(parTex('-0.1214')).toBe('(-0.1214)');
    expect(parTex('0.1214')).toBe('0.1214');
  });
});
