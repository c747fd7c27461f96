"""Label models on five real datasets with honest rules: labelwise vs Snorkel 0.10.

Usage (from the repository root)::

    python bench/label_models_real.py                 # all rule sets, 5 seeds, with Snorkel
    python bench/label_models_real.py --skip-snorkel  # labelwise only
    python bench/label_models_real.py --seeds 2 --sets adult:one-sided

Rule sets: ``bench/rule_sets.py`` (UCI Adult, heart failure, SMS spam, and scikit-learn's
wine and breast cancer; a one-sided and a two-sided set each). For every seed a random
80% of the rows is labeled; 200 of them (stratified, fewer on small sets) form the gold
dev set of the "with gold" systems, and everything is scored on the other rows:

* **acc**: accuracy on the rows the system labels (covered rows);
* **cov**: share of rows it labels;
* **ECE**: expected calibration error of its top-class probability (10 bins), on the
  covered rows;
* **vs MV**: accuracy minus majority vote's on the rows majority vote decides.

Systems: every registered labelwise model fitted without gold (``mv`` ... ``triplet``),
``auto`` without gold (what ``labelwise label`` does without gold: majority vote),
``auto+gold`` (``select_label_model`` on the dev set), ``ds+gold``/``snorkel+gold``
(class balance from the dev set), and Snorkel 0.10's ``LabelModel`` (``n_epochs=100``,
``seed``) and ``MajorityLabelVoter`` run in ``.venv-bench`` in the same script. A
``!`` in the guard column counts the seeds where labelwise's guards tripped.
Mean and worst case over the seeds are printed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

SNORKEL_SCRIPT = """
import sys, json, numpy as np
from snorkel.labeling.model import LabelModel, MajorityLabelVoter
L = np.load(sys.argv[1]).astype(int)
k, seed = int(sys.argv[3]), int(sys.argv[4])
lm = LabelModel(cardinality=k, verbose=False)
lm.fit(L, n_epochs=100, seed=seed, progress_bar=False)
mv = MajorityLabelVoter(cardinality=k)
np.savez(sys.argv[2], lm=lm.predict_proba(L), mv=mv.predict_proba(L))
"""


def snorkel_probas(L: np.ndarray, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from bench.label_models import ensure_bench_venv

    python = ensure_bench_venv()
    with tempfile.TemporaryDirectory(prefix="lw-real-") as tmp:
        votes, out = Path(tmp) / "L.npy", Path(tmp) / "out.npz"
        np.save(votes, L)
        cmd = [str(python), "-c", SNORKEL_SCRIPT, str(votes), str(out), str(k), str(seed)]
        subprocess.run(cmd, check=True, capture_output=True)
        got = np.load(out)
        return np.asarray(got["lm"]), np.asarray(got["mv"])


def score(proba: np.ndarray, pred: np.ndarray, y: np.ndarray, mv_dec: np.ndarray) -> dict:
    from labelwise.models import expected_calibration_error

    cov = pred != -1
    return {
        "acc": float(np.mean(pred[cov] == y[cov])) if cov.any() else float("nan"),
        "cov": float(cov.mean()),
        "ece": expected_calibration_error(proba[cov], y[cov]) if cov.any() else float("nan"),
        "mvdec": float(np.mean(pred[mv_dec] == y[mv_dec])) if mv_dec.any() else float("nan"),
    }


def run_set(rs, L_all: np.ndarray, y_all: np.ndarray, seed: int, snorkel: bool) -> dict:
    from labelwise.models import (
        MODELS,
        DevSetError,
        MajorityVote,
        make_label_model,
        select_label_model,
    )
    from labelwise.pipeline import stratified_dev_index

    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(len(y_all), size=int(0.8 * len(y_all)), replace=False))
    L, y = L_all[rows], y_all[rows]
    k = rs.k
    dev = stratified_dev_index(y, min(200, len(y) // 4), k, rng)
    held = np.ones(len(y), dtype=bool)
    held[dev] = False
    has_vote = (L != -1).any(axis=1)
    mv = MajorityVote(cardinality=k).fit(L)
    mv_pred = mv.predict(L)
    mv_dec = held & (mv_pred != -1)
    out: dict[str, dict] = {}

    def add(name: str, model, proba=None, pred=None) -> None:
        if proba is None:
            proba = model.predict_proba(L)
            pred = model.predict(L)
        pred = np.where(has_vote, pred, -1)
        row = score(proba[held], pred[held], y[held], mv_dec[held])
        if model is not None and hasattr(model, "guards_"):
            row["tripped"] = int(not model.guards_.ok)
        out[name] = row

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in MODELS:
            add(name, make_label_model(name, cardinality=k, seed=seed).fit(L))
        add("mv-shares", MajorityVote(cardinality=k, calibrated=False).fit(L))
        add("auto", mv)
        try:
            best = select_label_model(L[dev], y[dev], L_train=L, cardinality=k, seed=seed)
        except DevSetError:
            best = mv
        add("auto+gold", best)
        out["auto+gold"]["chosen"] = best.name
        for name in ("ds", "snorkel"):
            model = make_label_model(name, cardinality=k, seed=seed)
            add(f"{name}+gold", model.fit(L, y_dev=y[dev], L_dev=L[dev]))
    if snorkel:
        lm, smv = snorkel_probas(L, k, seed)
        from labelwise.models import break_ties

        add("snorkel-0.10 LM", None, lm, break_ties(lm, "abstain"))
        add("snorkel-0.10 MV", None, smv, break_ties(smv, "abstain"))
    for row in out.values():
        row["vs_mv"] = row["mvdec"] - out["mv"]["mvdec"]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--skip-snorkel", action="store_true")
    parser.add_argument("--sets", nargs="*", help="dataset:kind, e.g. adult:one-sided")
    parser.add_argument("--json", type=Path, help="also write all results here")
    args = parser.parse_args(argv)
    from rule_sets import RULE_SETS

    from labelwise.labeling import LFApplier

    everything = {}
    for rs in RULE_SETS:
        key = f"{rs.dataset}:{rs.kind}"
        if args.sets and key not in args.sets:
            continue
        df, y = rs.load()
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            L = np.asarray(LFApplier(rs.rules(), cardinality=rs.k).apply(df).values)
        runs = [run_set(rs, L, y, seed, not args.skip_snorkel) for seed in range(args.seeds)]
        everything[key] = runs
        print(
            f"\n## {key}: {len(y):,} rows, {L.shape[1]} rules, k={rs.k}, "
            f"{args.seeds} seeds ({time.perf_counter() - start:.0f} s)"
        )
        print(
            "| system | acc mean | acc worst | cov | ECE mean | ECE worst | vs MV mean "
            "| vs MV worst | guards tripped |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        for name in runs[0]:
            acc = [r[name]["acc"] for r in runs]
            ece = [r[name]["ece"] for r in runs]
            dmv = [r[name]["vs_mv"] for r in runs]
            cov = np.mean([r[name]["cov"] for r in runs])
            trip = sum(r[name].get("tripped", 0) for r in runs)
            chosen = ""
            if name == "auto+gold":
                chosen = " (" + ",".join(sorted({r[name]["chosen"] for r in runs})) + ")"
            print(
                f"| {name}{chosen} | {np.mean(acc):.3f} | {np.min(acc):.3f} | {cov:.3f} | "
                f"{np.mean(ece):.3f} | {np.max(ece):.3f} | {np.mean(dmv):+.3f} | "
                f"{np.min(dmv):+.3f} | {trip if 'tripped' in runs[0][name] else '-'} |"
            )
    if args.json:
        args.json.write_text(json.dumps(everything, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
