"""Deterministic synthetic binary-classification table shaped like a real incident log: mostly categorical.

255,000 rows, 7 features: 5 categorical with skewed (Zipf-like) level frequencies, as an airport, an aircraft
model, an operator, a region and a phase of operation would be (1,100 / 350 / 280 / 60 / 8 levels), and 2 numeric
(a speed with a long tail and a year), 5% of feature cells missing; ~15% positives. The signal is mostly in level
effects: additive per level, one interaction of two categoricals (operator x phase), and speed thresholds that differ
by phase, so a learner has to split on sets of many levels, not only on numbers.

The gbdt bench's stand-in for the 255k-row real set (7 columns, 5 categorical) its issue measured and this machine
has no copy of: the same shape, not the same data.

Usage: /usr/bin/python3 gen_categorical.py OUT.csv [ROWS]   (default 255000)"""
import sys

import numpy as np
import pandas as pd

SEED = 20261204
out = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 255_000
rng = np.random.default_rng(SEED)


def zipf_levels(prefix, k, exponent):
    p = 1.0 / np.arange(1, k + 1) ** exponent
    codes = rng.choice(k, size=n, p=p / p.sum())
    names = np.array([f"{prefix}{i:04d}" for i in range(k)])
    return codes, names


airport, airport_names = zipf_levels("AP", 1100, 1.0)
model, model_names = zipf_levels("AC", 350, 0.9)
operator, operator_names = zipf_levels("OP", 280, 1.1)
region, region_names = zipf_levels("RG", 60, 0.6)
phase, phase_names = zipf_levels("PH", 8, 0.5)

speed = rng.lognormal(4.8, 0.5, n)  # knots, median ~120, long tail
year = rng.integers(1990, 2024, n).astype(float)

# Level effects: most levels near zero, a few strong (as a handful of airports or models carry most of the risk).
airport_fx = rng.standard_t(3, 1100) * 0.35
model_fx = rng.standard_t(3, 350) * 0.45
operator_fx = rng.normal(0, 0.4, 280)
region_fx = rng.normal(0, 0.3, 60)
phase_fx = rng.normal(0, 0.6, 8)
operator_phase = rng.normal(0, 0.5, (280, 8)) * (rng.uniform(size=(280, 8)) < 0.15)
speed_cut = rng.uniform(80, 220, 8)  # per phase: above it, more damage

s = (airport_fx[airport] + model_fx[model] + operator_fx[operator] + region_fx[region] + phase_fx[phase]
     + operator_phase[operator, phase]
     + 0.9 * (speed > speed_cut[phase]) + 0.4 * np.log(speed / 120.0) - 0.02 * (year - 2007))

lo, hi = -20.0, 20.0  # intercept so that mean(sigmoid(s + b)) = 0.15
for _ in range(60):
    b = (lo + hi) / 2
    lo, hi = (b, hi) if np.mean(1 / (1 + np.exp(-(s + b)))) < 0.15 else (lo, b)
y = (rng.uniform(size=n) < 1 / (1 + np.exp(-(s + b)))).astype(np.int8)

df = pd.DataFrame({
    "airport": airport_names[airport],
    "aircraft": model_names[model],
    "operator": operator_names[operator],
    "region": region_names[region],
    "phase": phase_names[phase],
    "speed": np.round(speed, 1),
    "year": year,
})
for c in df.columns:  # 5% of feature cells missing, completely at random
    df.loc[rng.uniform(size=n) < 0.05, c] = None
df["label"] = y
df.to_csv(out, index=False)
print(f"wrote {out}: {n} rows, {df.shape[1] - 1} features (5 categorical), {y.mean():.3f} positive", file=sys.stderr)
