"""Income labels for the full UCI Adult data: rules + label models vs a model on 1% gold.

    .venv/bin/python examples/adult_income_rules.py [--data ../shared/datasets/tabular/adult.csv]

The 12 rules in ``labelwise/data/adult_rules.py`` are applied to all 32,561 rows. A random
1% of rows (326) plays the part of the gold a team would label by hand: it chooses the
label model and trains a supervised baseline (gradient boosting on one-hot features).
Everything is scored on the other 99%.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "datasets" / "tabular" / "adult.csv"


def run(
    data: Path = DEFAULT_DATA, *, gold_share: float = 0.01, seed: int = 0
) -> list[dict[str, Any]]:
    """Accuracy of majority vote, each label model and a 1%-gold classifier on held-out rows."""
    import warnings

    from sklearn.ensemble import HistGradientBoostingClassifier

    from labelwise.demo import sample_rules_path
    from labelwise.io import read_table
    from labelwise.labeling import ABSTAIN, LFApplier, load_rules
    from labelwise.models import MODELS, make_label_model, select_label_model
    from labelwise.pipeline import accuracy_summary

    rules = load_rules(sample_rules_path())
    df = read_table(data, na_values=rules.na_values)
    space = rules.label_space
    assert space is not None
    y = space.encode(df[rules.gold_column].tolist()).astype(np.int64)
    L = LFApplier(rules.lfs, label_space=space).apply(df).values
    rng = np.random.default_rng(seed)
    gold = np.zeros(len(df), dtype=bool)
    gold[rng.choice(len(df), size=round(gold_share * len(df)), replace=False)] = True
    test = ~gold

    def row(name: str, pred: np.ndarray) -> dict[str, Any]:
        return accuracy_summary(name, np.asarray(pred)[test], y[test])

    results = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in MODELS:
            model = make_label_model(name, cardinality=2, seed=seed)
            model.fit(L, y_dev=y[gold], L_dev=L[gold])
            results.append(row(f"label model: {name}", np.asarray(model.predict(L))))
        chosen = select_label_model(L[gold], y[gold], L_train=L, seed=seed)
        results.append(row(f"select_label_model -> {type(chosen).__name__}", chosen.predict(L)))
    features = df.drop(columns=[rules.gold_column])
    X = features.astype({c: "category" for c in features.select_dtypes(exclude="number")})
    clf = HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=seed)
    clf.fit(X[gold], y[gold])
    results.append(row(f"gradient boosting on {gold.sum()} gold rows", clf.predict(X)))
    # Rules where they vote, the 1%-gold model elsewhere: full coverage.
    mv = np.asarray(make_label_model("mv", cardinality=2).fit(L).predict(L))
    results.append(
        row(
            "majority vote, 1%-gold model where no rule decides",
            np.where(mv == ABSTAIN, clf.predict(X), mv),
        )
    )
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if not args.data.exists():
        raise SystemExit(f"{args.data} not found: this example needs ../shared/datasets")
    print(f"{'method':<58} {'coverage':>8} {'acc(covered)':>12} {'acc(all)':>8}")
    for r in run(args.data, seed=args.seed):
        print(
            f"{r['method']:<58} {r['coverage']:>8.3f} {r['accuracy_on_covered']:>12.3f} {r['accuracy_all']:>8.3f}"
        )


if __name__ == "__main__":
    main()
