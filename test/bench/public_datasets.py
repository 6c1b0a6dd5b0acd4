"""Writes the public tabular data sets that ship inside Debian's python3-sklearn as CSV files, for `npm run bench -- automl`.

usage: /usr/bin/python3 public_datasets.py OUT_DIR

Each is read from the package's own files (no download): breast cancer (binary, UCI WDBC), wine (multiclass, UCI),
diabetes (regression, Efron et al. 2004), digits (multiclass, UCI optical digits, 8x8 pixels).
"""
import os, sys
import numpy as np
from sklearn import datasets

out = sys.argv[1]
os.makedirs(out, exist_ok=True)

def write(name, X, y, feature_names, target):
    path = os.path.join(out, f"{name}.csv")
    cols = [str(f).replace(",", " ").replace(" ", "_") for f in feature_names]
    with open(path, "w") as f:
        f.write(",".join(cols + [target]) + "\n")
        for row, label in zip(X, y):
            f.write(",".join(repr(float(v)) for v in row) + "," + str(label) + "\n")
    print(path)

b = datasets.load_breast_cancer()
write("breast_cancer", b.data, [("malignant", "benign")[t] for t in b.target], b.feature_names, "diagnosis")
w = datasets.load_wine()
write("wine", w.data, [f"cultivar_{t}" for t in w.target], w.feature_names, "cultivar")
d = datasets.load_diabetes(scaled=False)
write("diabetes", d.data, [repr(float(t)) for t in d.target], d.feature_names, "progression")
g = datasets.load_digits()
write("digits", g.data, [f"digit_{t}" for t in g.target], [f"pixel_{i}" for i in range(g.data.shape[1])], "digit")
