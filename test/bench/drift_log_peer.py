"""The peer for the end-to-end drift bench: Python reading the same prediction log from the same SQLite file
(sqlite3 + json), then SciPy's Wasserstein distance and Jensen-Shannon distance on the columns, as Evidently does
for references above 1,000 rows. Usage: drift_log_peer.py DB REFERENCE_CSV. Prints one JSON line; reading the log and
parsing its JSON are counted, as they are in Hearth's figure; reading the reference CSV is not.
"""
import json
import sqlite3
import sys
import time

import numpy as np
import pandas as pd
from scipy.spatial import distance
from scipy.stats import wasserstein_distance

db_path, reference_path = sys.argv[1], sys.argv[2]
reference = pd.read_csv(reference_path)
start = time.perf_counter()
con = sqlite3.connect(db_path)
rows = [json.loads(r[0]) for r in con.execute("SELECT inputs_json FROM prediction_log")]
current = pd.DataFrame.from_records(rows)
values = {}
for column in current.columns:
    ref, cur = reference[column], current[column]
    if ref.dtype == bool:
        ref = ref.astype(int)
    if pd.api.types.is_numeric_dtype(ref) and pd.api.types.is_numeric_dtype(cur) and ref.nunique() > 5:
        values[column] = wasserstein_distance(ref.dropna(), cur.dropna()) / max(np.std(ref.dropna()), 0.001)
    else:
        keys = sorted(set(ref.dropna().astype(str)) | set(cur.dropna().astype(str)))
        r = ref.dropna().astype(str).value_counts(normalize=True).reindex(keys, fill_value=0.0001).to_numpy()
        c = cur.dropna().astype(str).value_counts(normalize=True).reindex(keys, fill_value=0.0001).to_numpy()
        values[column] = distance.jensenshannon(r, c)
seconds = time.perf_counter() - start
print(json.dumps({"bench": "drift-log", "tool": "python-sqlite3-scipy", "rows": len(current), "seconds": round(seconds, 3), "values": {k: round(float(v), 6) for k, v in values.items()}}))
