"""The peer for the end-to-end drift bench: Python reading the same prediction log from the same SQLite file
(sqlite3; the columnar segments of migration 0019 through NumPy, rows still in JSON through json), then SciPy's
Wasserstein distance and Jensen-Shannon distance on the columns, as Evidently does for references above 1,000 rows.
Usage: drift_log_peer.py DB REFERENCE_CSV. Prints one JSON line; reading the log is counted, as it is in Hearth's
figure; reading the reference CSV is not.
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
# Segments: a Float64 or Int32 (dictionary code, -1 missing) array per column per segment, little-endian.
parts = {}
for segment, name, kind, data, dictionary in con.execute(
    "SELECT c.segment_id, c.name, c.kind, c.data, c.dict FROM prediction_log_columns c WHERE c.part = 'input' ORDER BY c.segment_id"
):
    if kind == "number":
        values = pd.Series(np.frombuffer(data, dtype="<f8"))
    else:
        codes = np.frombuffer(data, dtype="<i4")
        levels = np.array(json.loads(dictionary) + [None], dtype=object)
        values = pd.Series(levels[codes])  # code -1 picks the trailing None
    parts.setdefault(name, []).append(values)
frames = [pd.DataFrame({name: pd.concat(chunks, ignore_index=True) for name, chunks in parts.items()})] if parts else []
legacy = [json.loads(r[0]) for r in con.execute("SELECT inputs_json FROM prediction_log WHERE inputs_json IS NOT NULL")]
if legacy:
    frames.append(pd.DataFrame.from_records(legacy))
current = pd.concat(frames, ignore_index=True)
values = {}
for column in current.columns:
    ref, cur = reference[column], current[column]
    if ref.dtype == bool:
        ref = ref.astype(int)
    if pd.api.types.is_numeric_dtype(ref) and pd.api.types.is_numeric_dtype(cur) and ref.nunique() > 5:
        values[column] = wasserstein_distance(ref.dropna(), cur.dropna()) / max(np.std(ref.dropna()), 0.001)
    else:
        # Levels compared as text, a boolean or whole number spelt the same on both sides: the log keeps numbers as
        # float64 (1.0) where the CSV's column reads as booleans (True, in an object column when some cells are
        # missing) or integers (1), and neither "1.0" nor "True" is the level "1".
        def level(v):
            if isinstance(v, (bool, np.bool_)):
                return str(int(v))
            if isinstance(v, (int, float, np.integer, np.floating)) and float(v).is_integer():
                return str(int(v))
            return str(v)

        ref_levels, cur_levels = ref.dropna().map(level), cur.dropna().map(level)
        keys = sorted(set(ref_levels) | set(cur_levels))
        r = ref_levels.value_counts(normalize=True).reindex(keys, fill_value=0.0001).to_numpy()
        c = cur_levels.value_counts(normalize=True).reindex(keys, fill_value=0.0001).to_numpy()
        values[column] = distance.jensenshannon(r, c)
seconds = time.perf_counter() - start
print(json.dumps({"bench": "drift-log", "tool": "python-sqlite3-scipy", "rows": len(current), "seconds": round(seconds, 3), "values": {k: round(float(v), 6) for k, v in values.items()}}))
