#!/usr/bin/env python3
"""Held-out comparison of `backprop train` with no flags against scikit-learn's MLP defaults.

For each data set in data/ (wine, breast-cancer, digits: accuracy; diabetes: R^2)
and each seed 0, 1, 2: a 75/25 split (stratified for classes) written as two CSV
files; `backprop train TRAIN --target COL` with no other flag (only --out and
--quiet, which do not change training), `backprop evaluate` on the test file; and
StandardScaler + MLPClassifier()/MLPRegressor() (defaults, random_state=seed) fitted
on the same training rows and scored on the same test rows. For numbers, two
more rows of reference: MLPRegressor() with the target standardized too
(TransformedTargetRegressor), as backprop does, and LinearRegression(). Prints a
Markdown table: each seed's score and the median.

Needs scikit-learn (``apt-get install -y python3-sklearn``) and node. Run from
anywhere: ``python3 scripts/compare-sklearn.py [name ...]``.
"""

import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import warnings

import numpy as np
from sklearn.compose import TransformedTargetRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
# The command: this clone's, or another copy's bin/backprop.js given in $BACKPROP_BIN.
BACKPROP = ['node', os.environ.get('BACKPROP_BIN', os.path.join(ROOT, 'bin', 'backprop.js'))]
# name: (file, target column, classes?)
DATA = {
    'wine': ('wine.csv', 'cultivar', True),
    'breast-cancer': ('breast-cancer.csv', 'diagnosis', True),
    'digits': ('digits.csv', 'digit', True),
    'diabetes': ('diabetes.csv', 'progression', False),
}
SEEDS = [0, 1, 2]


def read(path):
    with open(path, newline='') as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def write(path, header, rows):
    with open(path, 'w', newline='') as f:
        out = csv.writer(f, lineterminator='\n')
        out.writerow(header)
        out.writerows(rows)


def backprop(*args):
    run = subprocess.run([*BACKPROP, *args], capture_output=True, text=True, cwd=ROOT)
    if run.returncode != 0:
        sys.exit(f"backprop {' '.join(args)} failed ({run.returncode}):\n{run.stderr}")
    return run.stdout


def one(name, seed, folder):
    file, target, classes = DATA[name]
    header, rows = read(os.path.join(ROOT, 'data', file))
    t = header.index(target)
    y = [r[t] for r in rows]
    train, test = train_test_split(
        list(range(len(rows))), test_size=0.25, random_state=seed, stratify=y if classes else None
    )
    train_csv = os.path.join(folder, f'{name}-{seed}-train.csv')
    test_csv = os.path.join(folder, f'{name}-{seed}-test.csv')
    model = os.path.join(folder, f'{name}-{seed}.json')
    write(train_csv, header, [rows[i] for i in train])
    write(test_csv, header, [rows[i] for i in test])
    backprop('train', train_csv, '--target', target, '--out', model, '--quiet')
    scores = json.loads(backprop('evaluate', model, test_csv, '--json'))
    ours = scores['accuracy'] if classes else scores['r2'][0]

    x = np.array([[float(v) for j, v in enumerate(r) if j != t] for r in rows])
    if classes:
        models = {'MLPClassifier()': MLPClassifier(random_state=seed)}
        yy = np.array(y)
    else:
        models = {
            'MLPRegressor()': MLPRegressor(random_state=seed),
            'MLPRegressor(), target standardized': TransformedTargetRegressor(
                MLPRegressor(random_state=seed), transformer=StandardScaler()
            ),
            'LinearRegression()': LinearRegression(),
        }
        yy = np.array([float(v) for v in y])
    theirs = {}
    for label, model in models.items():
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', ConvergenceWarning)
            fitted = make_pipeline(StandardScaler(), model).fit(x[train], yy[train])
        predicted = fitted.predict(x[test])
        theirs[label] = accuracy_score(yy[test], predicted) if classes else r2_score(yy[test], predicted)
    return ours, theirs


def main():
    names = sys.argv[1:] or list(DATA)
    print('| data | score | model | seeds 0, 1, 2 | median |')
    print('|---|---|---|---|---|')
    with tempfile.TemporaryDirectory() as folder:
        for name in names:
            results = [one(name, seed, folder) for seed in SEEDS]
            score = 'accuracy' if DATA[name][2] else 'R^2'
            rows = {'backprop train, no flags': [r[0] for r in results]}
            for label in results[0][1]:
                rows[f'scikit-learn {label}'] = [r[1][label] for r in results]
            for label, values in rows.items():
                print(
                    f"| {name} | {score} | {label} | {', '.join(f'{v:.3f}' for v in values)} "
                    f'| {statistics.median(values):.3f} |',
                    flush=True,
                )


if __name__ == '__main__':
    main()
