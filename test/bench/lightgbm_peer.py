"""LightGBM's command-line program as a peer for `npm run bench -- gbdt`, on the exact split `peers.py --split-dir` wrote.

Usage: lightgbm_peer.py SPLIT_DIR TARGET LIGHTGBM_BINARY [THREADS] [WORK_DIR]
Binary targets only. The split is read as peers.py reads its CSV (only empty cells are missing), the positive class is
the minority class of the whole table (peers.py's rule, so the AUC and log loss are of the same class), and non-numeric
columns become integer codes, learned on train.csv in sorted order (peers.py's OrdinalEncoder order; a test level
unseen in training is missing), passed to LightGBM with `categorical_feature`. LightGBM gets the other peers'
settings: 100 trees, 31 leaves, learning rate 0.1, 255 bins, min_data_in_leaf 20 (its default), no early stopping.

Prints one JSON line. fit_s is LightGBM's own timer over its 100 boosting iterations (the last "seconds elapsed,
finished iteration" of its log); load_s is its "Finished loading data" (CSV parse plus bin construction: LightGBM
bins while it loads, so binning is in load_s, not in fit_s); total_s is the wall time of the whole `task=train`
process. Writing LightGBM's input files is not timed. ROC AUC and log loss are scikit-learn's, on the prediction file
of a `task=predict` run over test.csv.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd
from sklearn import metrics

split, target, binary = sys.argv[1], sys.argv[2], sys.argv[3]
threads = int(sys.argv[4]) if len(sys.argv) > 4 else 2
work = sys.argv[5] if len(sys.argv) > 5 else tempfile.mkdtemp(prefix="hearth-lightgbm-")
os.makedirs(work, exist_ok=True)

read = dict(keep_default_na=False, na_values=[""])
train = pd.read_csv(os.path.join(split, "train.csv"), **read)
test = pd.read_csv(os.path.join(split, "test.csv"), **read)
y_all = pd.concat([train[target], test[target]]).astype(str)
if y_all.nunique() != 2:
    raise SystemExit(f"lightgbm_peer.py handles binary targets only; {target} has {y_all.nunique()} classes")
positive = y_all.value_counts().idxmin()

features = [c for c in train.columns if c != target]
categorical = [c for c in features if not pd.api.types.is_numeric_dtype(train[c])]
for c in categorical:
    codes = {v: i for i, v in enumerate(sorted(train[c].dropna().unique()))}
    for frame in (train, test):
        frame[c] = frame[c].map(codes).astype("Int64")  # a missing cell and a level unseen in training stay missing


# Header names LightGBM keeps as they are: it rewrites whitespace in training (and a rewritten name no longer matches
# test.csv's header, which `task=predict` maps features by, so the columns would shift onto the label) and refuses
# JSON punctuation. The label gets a name no feature has, so prediction ignores it.
names = []
for c in features:
    name = re.sub(r"[^0-9A-Za-z_]", "_", str(c))
    while name in names or name == "label":
        name += "_"
    names.append(name)


def write(frame, path):
    # The label first (label_column=0), then the features in the split's order; "nan" is LightGBM's missing token.
    out = frame[features].set_axis(names, axis=1)
    out.insert(0, "label", (frame[target].astype(str) == positive).astype(int))
    out.to_csv(path, index=False, na_rep="nan")
    return out["label"].to_numpy()


write(train, os.path.join(work, "train.csv"))
y_test = write(test, os.path.join(work, "test.csv"))

# categorical_feature counts features only (LightGBM does not count the label column in these indices).
cat_index = ",".join(str(features.index(c)) for c in categorical)
common = f"header=true\nlabel_column=0\nnum_threads={threads}\n"
with open(os.path.join(work, "train.conf"), "w") as f:
    f.write(
        "task=train\nobjective=binary\n"
        f"data={work}/train.csv\n{common}"
        "num_iterations=100\nnum_leaves=31\nlearning_rate=0.1\nmax_bin=255\nmin_data_in_leaf=20\n"
        "early_stopping_round=0\nverbosity=1\n"
        f"output_model={work}/model.txt\n" + (f"categorical_feature={cat_index}\n" if cat_index else "")
    )
with open(os.path.join(work, "predict.conf"), "w") as f:
    f.write(f"task=predict\ndata={work}/test.csv\n{common}input_model={work}/model.txt\noutput_result={work}/pred.txt\n")

def run_sampling_peak(args, env):
    """Runs args to the end, sampling the child's VmHWM every 20 ms: its own peak RSS. (getrusage's children figure
    would not do: Linux keeps a process's peak across exec, so it would hold this Python process's size at fork.)"""
    with tempfile.TemporaryFile("w+") as out:
        child = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, text=True, env=env)
        peak_kb = 0
        while child.poll() is None:
            try:
                with open(f"/proc/{child.pid}/status") as status:
                    for line in status:
                        if line.startswith("VmHWM:"):
                            peak_kb = max(peak_kb, int(line.split()[1]))
            except OSError:
                pass
            time.sleep(0.02)
        out.seek(0)
        return child.returncode, out.read(), peak_kb / 1024


env = dict(os.environ, OMP_NUM_THREADS=str(threads))
load_before = os.getloadavg()
started = time.perf_counter()
returncode, log, train_peak_rss_mb = run_sampling_peak([binary, f"config={work}/train.conf"], env)
total_s = time.perf_counter() - started
if returncode != 0:
    raise SystemExit(f"lightgbm task=train failed ({returncode}):\n{log[-4000:]}")
load_after = os.getloadavg()
loaded = re.search(r"Finished loading data in ([\d.]+) seconds", log)
iterations = re.findall(r"([\d.]+) seconds elapsed, finished iteration (\d+)", log)
if loaded is None or not iterations:
    raise SystemExit(f"could not read LightGBM's timings from its log:\n{log[-4000:]}")

started = time.perf_counter()
predicted = subprocess.run([binary, f"config={work}/predict.conf"], capture_output=True, text=True, env=env)
predict_s = time.perf_counter() - started
if predicted.returncode != 0:
    raise SystemExit(f"lightgbm task=predict failed ({predicted.returncode}):\n{(predicted.stdout + predicted.stderr)[-4000:]}")
p = np.loadtxt(os.path.join(work, "pred.txt"), ndmin=1)
if len(p) != len(y_test):
    raise SystemExit(f"LightGBM predicted {len(p)} rows for {len(y_test)} test rows")
proba = np.clip(p, 1e-15, 1 - 1e-15)

version_file = os.path.join(os.path.dirname(os.path.realpath(binary)), "VERSION.txt")
print(
    json.dumps(
        dict(
            model="lightgbm",
            version=open(version_file).read().strip() if os.path.exists(version_file) else None,
            interface="cli",
            threads=threads,
            n_train=len(train),
            n_test=len(test),
            categorical=len(categorical),
            positive_class=positive,
            trees=int(iterations[-1][1]),
            load_s=round(float(loaded.group(1)), 3),
            fit_s=round(float(iterations[-1][0]), 3),
            total_s=round(total_s, 3),
            predict_s=round(predict_s, 3),
            train_peak_rss_mb=round(train_peak_rss_mb, 1),
            roc_auc=round(float(metrics.roc_auc_score(y_test, p)), 6),
            pr_auc=round(float(metrics.average_precision_score(y_test, p)), 6),
            log_loss=round(float(metrics.log_loss(y_test, np.column_stack([1 - proba, proba]))), 6),
            loadavg_1m_before_fit=round(load_before[0], 2),
            loadavg_1m_end=round(load_after[0], 2),
        )
    )
)
