"""One outer split of `npm run bench -- automl`: writes the split and scores every peer of peers.py on it.

usage: /usr/bin/python3 automl_outer.py CSV TARGET TASK SEED OUT_DIR

The split is peers.py's own (80/20, stratified for classification, labels ordered as peers.py orders them) with
`random_state=SEED`: SEED 42 gives exactly the split `peers.py --split-dir` writes. Small data sets are compared over
several seeds because one 36-row test set (wine) decides log loss by a row or two: the mean over outer splits is what
the AutoML benchmark (Gijsbers et al.) reports too. The models are peers.py's `build`, so a peer is the same model
whichever runner fits it. Writes OUT_DIR/train.csv and OUT_DIR/test.csv (raw columns and target), then one JSON line
per model on stdout.
"""
import json, os, sys, time

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

csv, target, task, seed, out = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "bench"))
import peers  # noqa: E402  (the shared peer runner's own models and metrics)

df = pd.read_csv(csv, keep_default_na=False, na_values=[""])
y_raw = df.pop(target)
cat = [c for c in df.columns if not pd.api.types.is_numeric_dtype(df[c])]
num = [c for c in df.columns if c not in cat]
if task == "regression":
    y, strat = y_raw.to_numpy(dtype=float), None
else:
    labels = sorted(y_raw.astype(str).unique())
    if task == "binary":
        pos = y_raw.astype(str).value_counts().idxmin()
        labels = [l for l in labels if l != pos] + [pos]
    y = y_raw.astype(str).map({l: i for i, l in enumerate(labels)}).to_numpy()
    strat = y
Xtr, Xte, ytr, yte = train_test_split(df, y, test_size=0.2, random_state=seed, stratify=strat)
os.makedirs(out, exist_ok=True)
for part, X in (("train", Xtr), ("test", Xte)):
    X.assign(**{target: y_raw.loc[X.index]}).to_csv(os.path.join(out, part + ".csv"), index=False)
for model in ("hgb", "xgb", "linear", "rf"):
    pipe, _ = peers.build(model, task, num, cat, 2)
    t = time.perf_counter()
    pipe.fit(Xtr, ytr)
    fit_s = time.perf_counter() - t
    if task == "regression":
        proba, pred = None, pipe.predict(Xte)
    else:
        proba = pipe.predict_proba(Xte)
        pred = proba.argmax(axis=1)
    line = dict(model=model, seed=seed, n_train=len(Xtr), n_test=len(Xte), fit_s=round(fit_s, 3))
    line.update({k: round(float(v), 6) for k, v in peers.metrics(task, yte, proba, pred).items()})
    print(json.dumps(line), flush=True)
