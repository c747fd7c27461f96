"""Label models on real one-sided rules: the bundled income rules on a UCI Adult sample.

Usage (from the repository root)::

    python bench/label_models_adult.py             # labelwise models
    python bench/label_models_adult.py --snorkel   # plus Snorkel 0.10's LabelModel

The 12 rules in ``labelwise/data/adult_rules.py`` each vote one class only. The demo's
split is reused: 200 random rows (``seed=0``) form the gold dev set, the other 3,800 rows
are held out. Every registered label model is fitted on all rows twice -- without gold
labels, and with the dev rows' class balance (``fit(L, y_dev=..., L_dev=...)``, what
``labelwise demo`` does) -- and scored on the held-out rows it labels. Majority vote,
the baseline, abstains on ties, so its "covered" rows are fewer; the last column scores
every model on the rows majority vote decided, for a like-for-like comparison.

``--snorkel`` also fits Snorkel 0.10.0's ``LabelModel`` (``n_epochs=100``, ``seed=0``) in
``.venv-bench`` (see ``bench/label_models.py``), with its default uniform class balance
and with the dev rows' balance. Snorkel predicts on items nobody voted on as well
(from the class balance alone); those are excluded here like for every other model.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SNORKEL_SCRIPT = """
import sys, numpy as np
from snorkel.labeling.model import LabelModel
L = np.load(sys.argv[1]).astype(int)
balance = None if sys.argv[3] == "none" else [float(v) for v in sys.argv[3].split(",")]
model = LabelModel(cardinality=2, verbose=False)
model.fit(L, n_epochs=100, seed=0, class_balance=balance, progress_bar=False)
np.save(sys.argv[2], model.predict(L, tie_break_policy="abstain"))
"""


def snorkel_predictions(L: np.ndarray, balance: np.ndarray | None) -> np.ndarray:
    """Snorkel 0.10.0 LabelModel predictions, run in ``.venv-bench``."""
    from bench.label_models import ensure_bench_venv

    python = ensure_bench_venv()
    with tempfile.TemporaryDirectory(prefix="lw-adult-") as tmp:
        votes, out = Path(tmp) / "L.npy", Path(tmp) / "pred.npy"
        np.save(votes, L)
        arg = "none" if balance is None else ",".join(f"{v:.6f}" for v in balance)
        cmd = [str(python), "-c", SNORKEL_SCRIPT, str(votes), str(out), arg]
        subprocess.run(cmd, check=True, capture_output=True)
        return np.asarray(np.load(out))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--snorkel", action="store_true", help="also run Snorkel 0.10.0")
    args = parser.parse_args(argv)
    from labelwise.demo import sample_data_path, sample_rules_path
    from labelwise.io import read_table
    from labelwise.labeling import LFApplier, load_rules
    from labelwise.models import MODELS, MajorityVote, make_label_model

    rules = load_rules(sample_rules_path())
    df = read_table(sample_data_path(), na_values=rules.na_values)
    assert rules.label_space is not None
    L = LFApplier(rules.lfs).apply(df, progress_bar=False).values
    y = rules.label_space.encode(df[rules.gold_column].tolist())
    dev = np.random.default_rng(0).choice(len(y), size=200, replace=False)
    held = np.ones(len(y), dtype=bool)
    held[dev] = False
    mv_decided = held & (MajorityVote().fit(L).predict(L) != -1)

    print(f"Adult sample: {len(y)} rows, {L.shape[1]} one-sided rules, {held.sum()} held out")
    print(
        "| model | gold used | coverage | accuracy on covered | on MV-decided rows | P(>50K) | fit s |"
    )
    print("|---|---|---:|---:|---:|---:|---:|")
    for name in MODELS:
        for gold in (False, True):
            model = make_label_model(name, cardinality=2, seed=0)
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if gold:
                    model.fit(L, y_dev=y[dev], L_dev=L[dev])
                else:
                    model.fit(L)
            seconds = time.perf_counter() - start
            pred = model.predict(L)
            covered = held & (pred != -1)
            print(
                f"| {name} ({type(model).__name__}) | {'dev class balance' if gold else 'none'} "
                f"| {covered.sum() / held.sum():.3f} | {np.mean(pred[covered] == y[covered]):.4f} "
                f"| {np.mean(pred[mv_decided] == y[mv_decided]):.4f} "
                f"| {model.class_prior_[1]:.3f} | {seconds:.3f} |"
            )
    if args.snorkel:
        counts = np.bincount(y[dev], minlength=2) + 1.0
        for label, balance in (
            ("none (uniform)", None),
            ("dev class balance", counts / counts.sum()),
        ):
            pred = snorkel_predictions(L, balance)
            pred[(L == -1).all(axis=1)] = -1  # nobody voted: not covered, as for the others
            covered = held & (pred != -1)
            print(
                f"| Snorkel 0.10 LabelModel | {label} | {covered.sum() / held.sum():.3f} "
                f"| {np.mean(pred[covered] == y[covered]):.4f} "
                f"| {np.mean(pred[mv_decided] == y[mv_decided]):.4f} | - | - |"
            )
    print(f"\ntrue share of >50K: {y.mean():.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
