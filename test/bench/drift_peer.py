"""SciPy computing the same drift statistics as Hearth's bench, on the same files: the peer for `npm run bench -- drift`.

Numeric columns: Wasserstein distance over the reference's standard deviation (Evidently's default above 1,000
reference rows); categorical ones: Jensen-Shannon distance over category shares with Evidently's zero filling.
Prints one JSON line with the seconds spent on the statistics (reading the files is not counted).
"""
import json
import sys
import time

import numpy as np
from scipy.spatial import distance
from scipy.stats import wasserstein_distance

folder, numeric, categorical = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
cols = []
for j in range(numeric):
    cols.append(("n", np.fromfile(f"{folder}/ref_n{j}.f64"), np.fromfile(f"{folder}/cur_n{j}.f64")))
for j in range(categorical):
    cols.append(("c", np.fromfile(f"{folder}/ref_c{j}.u8", dtype=np.uint8), np.fromfile(f"{folder}/cur_c{j}.u8", dtype=np.uint8)))

start = time.perf_counter()
values = []
for kind, ref, cur in cols:
    if kind == "n":
        values.append(wasserstein_distance(ref, cur) / max(np.std(ref), 0.001))
    else:
        keys = np.union1d(np.unique(ref), np.unique(cur))
        r = np.array([np.count_nonzero(ref == k) for k in keys]) / len(ref)
        c = np.array([np.count_nonzero(cur == k) for k in keys]) / len(cur)
        r[r == 0] = 0.0001
        c[c == 0] = 0.0001
        values.append(distance.jensenshannon(r, c))
seconds = time.perf_counter() - start
print(json.dumps({"bench": "drift", "tool": "scipy", "rows": len(cols[0][1]), "columns": len(cols), "seconds": round(seconds, 3), "values": [round(v, 6) for v in values]}))
