#!/usr/bin/env python3
"""Writes scikit-learn's bundled wine, breast-cancer and diabetes data as CSV files in data/.

Run once with scikit-learn installed (``apt-get install -y python3-sklearn``):
``python3 scripts/sklearn-data.py``. The files are committed, so tests and users
need no Python. data/digits.csv is the same 1797 rows as scikit-learn's digits.
"""

import csv
import os

from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'data')


def number(x):
    """Shortest text that reads back to the same float (whole numbers without '.0')."""
    x = float(x)
    return str(int(x)) if x.is_integer() else repr(x)


def write(name, columns, rows):
    with open(os.path.join(DATA, name), 'w', newline='') as f:
        out = csv.writer(f, lineterminator='\n')
        out.writerow(columns)
        out.writerows(rows)


def main():
    wine = load_wine()
    write(
        'wine.csv',
        [*wine.feature_names, 'cultivar'],
        [[*map(number, x), int(t)] for x, t in zip(wine.data, wine.target)],
    )
    cancer = load_breast_cancer()
    write(
        'breast-cancer.csv',
        [*(n.replace(' ', '_') for n in cancer.feature_names), 'diagnosis'],
        [[*map(number, x), cancer.target_names[t]] for x, t in zip(cancer.data, cancer.target)],
    )
    diabetes = load_diabetes(scaled=False)
    write(
        'diabetes.csv',
        [*diabetes.feature_names, 'progression'],
        [[*map(number, x), number(t)] for x, t in zip(diabetes.data, diabetes.target)],
    )


if __name__ == '__main__':
    main()
