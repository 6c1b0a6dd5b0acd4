# The scikit-learn peer of `npm run bench -- gbdt-gpu`: HistGradientBoostingClassifier on the bench's binned table
# (raw bytes written by test/bench/gbdt-gpu.ts), the same shape of model (100 trees of 31 leaves, learning rate 0.1,
# no early stopping), its threads from OMP_NUM_THREADS. Prints one JSON line: fit seconds and training ROC AUC.
# Usage: gbdt_gpu_peer.py DIR FEATURES TREES FIRST_CATEGORICAL
import json
import sys
import time

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score

folder, features, trees, first_categorical = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
bins = np.fromfile(f"{folder}/bins.u8", dtype=np.uint8).reshape(-1, features)
y = np.fromfile(f"{folder}/targets.i32", dtype=np.int32)
X = bins.astype(np.float32)
X[bins == 255] = np.nan  # Hearth's missing bin
categorical = [f >= first_categorical for f in range(features)]
model = HistGradientBoostingClassifier(
    max_iter=trees,
    max_leaf_nodes=31,
    learning_rate=0.1,
    early_stopping=False,
    max_bins=255,
    categorical_features=categorical,
    random_state=1,
)
started = time.perf_counter()
model.fit(X, y)
fit_s = time.perf_counter() - started
auc = roc_auc_score(y, model.decision_function(X))
print(json.dumps({"fit_s": round(fit_s, 3), "train_auc": round(float(auc), 5)}))
