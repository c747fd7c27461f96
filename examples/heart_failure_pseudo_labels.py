"""Pseudo-labeling on the heart failure records with 30% of the training labels.

Each repeat splits the 299 patients into training (75%) and test (25%) rows, hides the
label of 70% of the training rows, and compares on the test rows (never seen by any model):

* ``labeled only``: the model trained on the 30% labeled rows;
* ``pseudo-labeled``: :class:`labelwise.learn.PseudoLabeler` around the same model
  (confidence threshold, at most ``rounds`` rounds);
* ``all labels``: the model trained on every training label (the ceiling).

It also reports how accurate the pseudo-labels themselves are on the rows whose labels were
hidden. Run::

    .venv/bin/python examples/heart_failure_pseudo_labels.py [--repeats 20] [--report out.html]
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

DATA = (
    Path(__file__).resolve().parents[1].parent
    / "shared"
    / "datasets"
    / "tabular"
    / "heart_failure.csv"
)


def _models() -> dict[str, Any]:
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression

    return {
        "logistic": LogisticRegression(max_iter=2000),
        "forest": RandomForestClassifier(n_estimators=200, min_samples_leaf=3, random_state=0),
    }


def run(
    path: Path = DATA,
    *,
    repeats: int = 20,
    labeled_share: float = 0.3,
    threshold: float = 0.8,
    rounds: int = 5,
    models: list[str] | None = None,
    report: Path | None = None,
) -> pd.DataFrame:
    """Mean and spread of test accuracy / macro-F1 / ROC AUC per model and setting."""
    from sklearn.base import clone
    from sklearn.metrics import accuracy_score, f1_score, roc_auc_score
    from sklearn.model_selection import train_test_split

    from labelwise.learn import PseudoLabeler, split_target

    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing: this example reads ../shared/datasets/tabular/heart_failure.csv"
        )
    df = pd.read_csv(path)
    X, y = split_target(df, "DEATH_EVENT")
    y = y.to_numpy()
    rows = []
    chosen = {k: v for k, v in _models().items() if models is None or k in models}
    last_labeler = None
    for rep in range(repeats):
        idx_train, idx_test = train_test_split(
            np.arange(len(y)), test_size=0.25, stratify=y, random_state=rep
        )
        rng = np.random.default_rng(rep)
        keep = np.zeros(len(idx_train), dtype=bool)
        for c in (0, 1):  # stratified 30% of the training labels
            members = np.flatnonzero(y[idx_train] == c)
            n_keep = round(labeled_share * len(members))
            keep[rng.choice(members, n_keep, replace=False)] = True
        y_partial = np.where(keep, y[idx_train], -1)
        X_train, X_test = X.iloc[idx_train], X.iloc[idx_test]
        for name, model in chosen.items():
            labeler = PseudoLabeler(
                clone(model), threshold=threshold, max_rounds=rounds, holdout=0.0, seed=rep
            ).fit(X_train, y_partial)
            last_labeler = labeler
            prep = labeler.prep_
            settings = {
                "labeled only": clone(model).fit(prep.transform(X_train[keep]), y[idx_train][keep]),
                "pseudo-labeled": labeler.estimator_,
                "all labels": clone(model).fit(prep.transform(X_train), y[idx_train]),
            }
            pseudo = labeler.pseudo_labels_
            got = pseudo >= 0
            for setting, fitted in settings.items():
                proba = fitted.predict_proba(prep.transform(X_test))[:, 1]
                pred = (proba >= 0.5).astype(int)
                rows.append(
                    {
                        "repeat": rep,
                        "model": name,
                        "setting": setting,
                        "accuracy": accuracy_score(y[idx_test], pred),
                        "macro_f1": f1_score(y[idx_test], pred, average="macro"),
                        "roc_auc": roc_auc_score(y[idx_test], proba),
                        "n_pseudo": int(got.sum()) if setting == "pseudo-labeled" else 0,
                        "pseudo_label_accuracy": float(np.mean(pseudo[got] == y[idx_train][got]))
                        if setting == "pseudo-labeled" and got.any()
                        else np.nan,
                    }
                )
    raw = pd.DataFrame(rows)
    summary = (
        raw.groupby(["model", "setting"], sort=False)
        .agg(
            accuracy=("accuracy", "mean"),
            accuracy_std=("accuracy", "std"),
            macro_f1=("macro_f1", "mean"),
            roc_auc=("roc_auc", "mean"),
            n_pseudo=("n_pseudo", "mean"),
            pseudo_label_accuracy=("pseudo_label_accuracy", "mean"),
        )
        .reset_index()
    )
    if report is not None and last_labeler is not None:
        r = last_labeler.report()
        s = r.section(f"Test scores over {repeats} repeats")
        s.table(summary, index=False)
        r.save(report)
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--threshold", type=float, default=0.8)
    parser.add_argument("--report", type=Path, default=None)
    args = parser.parse_args()
    summary = run(repeats=args.repeats, threshold=args.threshold, report=args.report)
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(
            f"heart failure, 30% of training labels, {args.repeats} repeats, threshold {args.threshold}"
        )
        print(summary.round(3).to_string(index=False))


if __name__ == "__main__":
    main()
